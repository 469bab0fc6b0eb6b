//! Reads the `#SBATCH` directives of a batch script exactly as sbatch 22.05 does.
//!
//! [`scan`] takes the script's bytes and returns the words of its directives, one list per
//! heterogeneous-job component, each word with its line number, so that an option parser can
//! run getopt over them (an option's value may sit on the next directive line, as in Slurm)
//! and say `script:line` in its errors. It knows no option names. [`scan_foreign`] does the
//! same for the `#BSUB`/`#PBS` lines that sbatch translates unless `--ignore-pbs` is given.
//!
//! The rules (sbatch's `_opt_batch_script`, `get_argument` and `_get_script_buffer`),
//! each checked against real sbatch in `tests/reference.rs`:
//! - the script is refused, in this order, when it is empty, only whitespace (up to its first
//!   NUL byte), does not start with `#!`, holds a NUL byte, or has a `\r\n` line end; see
//!   [`ScanError`];
//! - lines are split on `\n` only and numbered from 1;
//! - a directive line starts, in column 1, with `#SBATCH` or the deprecated `#SLURM` (exact
//!   case; whatever follows the prefix is read, so `#SBATCH--x` gives `--x` and `#SBATCHX -J a`
//!   gives `X`, `-J`, `a`); `#SLURM` makes sbatch print a [`WarningKind::SlurmPrefix`] error
//!   line but is honoured;
//! - any other line whose first non-blank byte is `#` (` #SBATCH`, `# SBATCH`, `#sbatch`,
//!   `#!`) or that is blank is a comment; the first other line is the first command, and no
//!   directive is read from it on;
//! - a directive whose first word is `hetjob` or `packjob` (any case) starts the next
//!   component; the rest of that line is ignored; `packjob` draws a [`WarningKind::PackJob`];
//! - words are split on C `isspace` blanks (space, `\t`, `\n`, `\v`, `\f`, `\r`); `'...'`
//!   and `"..."` group bytes and may sit mid-word (`a"b c"d` is `ab cd`); a backslash makes
//!   the next byte literal, except that an escaped blank still ends an unquoted word (`a\ b`
//!   is `a` and `b`); an unquoted `#` ends the line; a word that comes out empty (`""`) or a
//!   `hetjob`/`packjob` word anywhere ends the line, dropping the words after it; a word
//!   starting with `:` and an unclosed quote are fatal ([`ScanError::UnexpectedColon`],
//!   [`ScanError::UnmatchedQuote`]).
//!
//! ```
//! let script = sk8_directive::scan(b"#!/bin/sh\n#SBATCH -J \"my job\" # name\n#SBATCH --time\n#SBATCH 5\nsrun x\n")?;
//! let words: Vec<_> = script.components[0].iter().map(|w| (w.text.as_str(), w.line)).collect();
//! assert_eq!(words, [("-J", 2), ("my job", 2), ("--time", 3), ("5", 4)]);
//! assert_eq!(script.first_command, Some(5));
//! # Ok::<(), sk8_directive::ScanError>(())
//! ```
//!
//! Error messages are sbatch's own texts (capitals and full stops included), since sk8
//! prints them where sbatch would.

mod error;
mod foreign;
mod quote;
mod words;

pub use error::{Level, ScanError};
pub use foreign::{FOREIGN_NON_COMMENT_LIMIT, Flavor, Foreign, ParseFlavorError, scan_foreign};
pub use quote::{QuoteError, directive_line, quote};

use words::{Next, Separator, WordError, next_word, skip_space};

/// `Result` with this crate's error.
pub type Result<T, E = ScanError> = std::result::Result<T, E>;

/// The directive prefix sbatch reads.
pub const SBATCH_PREFIX: &str = "#SBATCH";
/// The deprecated directive prefix sbatch still honours, with a complaint.
pub const SLURM_PREFIX: &str = "#SLURM";

/// One word of a directive, as it will appear in getopt's argv.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Word {
    /// The word with its quotes and escapes removed. Bytes that are not UTF-8 become U+FFFD.
    pub text: String,
    /// 1-based number of the script line it was read from.
    pub line: usize,
}

impl Word {
    /// A word read from `line`.
    pub fn new(text: impl Into<String>, line: usize) -> Self {
        Word {
            text: text.into(),
            line,
        }
    }
}

/// What sbatch reads from a script's `#SBATCH` lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    /// The words of each heterogeneous-job component, in order; always at least one
    /// (possibly empty) component. Each list is one argv (without `argv[0]`).
    pub components: Vec<Vec<Word>>,
    /// What sbatch prints while reading the directives, in order.
    pub warnings: Vec<Warning>,
    /// 1-based line of the first command, where reading stopped; `None` when the script holds
    /// nothing but comments and directives.
    pub first_command: Option<usize>,
}

impl Script {
    /// Whether the directives describe a heterogeneous job.
    pub fn is_heterogeneous(&self) -> bool {
        self.components.len() > 1
    }

    /// The warnings sbatch prints while it reads component `component`'s options.
    pub fn warnings_for(&self, component: usize) -> impl Iterator<Item = &Warning> {
        self.warnings
            .iter()
            .filter(move |w| w.component == component)
    }
}

/// A complaint sbatch prints while reading directives; it does not stop the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Warning {
    /// Which complaint.
    pub kind: WarningKind,
    /// 1-based line that caused it.
    pub line: usize,
    /// The component whose reading prints it. sbatch reads the script once per component;
    /// the `#SLURM` complaint comes once per reading that sees such a line, so it is listed
    /// once for every component from the first `#SLURM` line's on.
    pub component: usize,
}

/// The kinds of [`Warning`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningKind {
    /// A `#SLURM` directive; printed through `error()`.
    SlurmPrefix,
    /// A `packjob` separator; printed through `info()`, once per sbatch run.
    PackJob,
}

impl Warning {
    /// `error()` or `info()`.
    pub fn level(&self) -> Level {
        match self.kind {
            WarningKind::SlurmPrefix => Level::Error,
            WarningKind::PackJob => Level::Info,
        }
    }

    /// Exactly what sbatch writes to stderr for it.
    pub fn render(&self) -> String {
        error::render("sbatch", self.level(), &self.to_string())
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            WarningKind::SlurmPrefix => {
                "Change from #SLURM to #SBATCH in your script and verify the options are valid \
                 in sbatch"
            }
            WarningKind::PackJob => {
                "Warning: the \"packjob\" component separator is being deprecated. Please, use \
                 \"hetjob\" instead."
            }
        })
    }
}

/// The checks sbatch makes on a script's bytes before reading any directive.
pub fn check(script: &[u8]) -> Result<()> {
    if script.is_empty() {
        return Err(ScanError::Empty);
    }
    // sbatch tests the buffer as a C string: a NUL before any other non-blank byte ends it.
    if script.get(skip_space(script)).is_none_or(|&b| b == 0) {
        return Err(ScanError::OnlyWhitespace);
    }
    if !script.starts_with(b"#!") {
        return Err(ScanError::NoShebang);
    }
    if script.contains(&0) {
        return Err(ScanError::NulChar);
    }
    if has_crlf(script) {
        return Err(ScanError::DosLineBreaks);
    }
    Ok(())
}

/// Whether `s` holds `\r\n`; on the whole script, so it takes the standard library's fast
/// substring search when the script is UTF-8, as nearly all are.
fn has_crlf(s: &[u8]) -> bool {
    match std::str::from_utf8(s) {
        Ok(text) => text.contains("\r\n"),
        Err(_) => s.windows(2).any(|w| w == b"\r\n"),
    }
}

/// The lines of a script, split on `\n` as sbatch's `next_line` does: a final `\n` does not
/// start another line.
pub(crate) fn lines(script: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let body = script.strip_suffix(b"\n").unwrap_or(script);
    let empty = script.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .enumerate()
        .map(|(i, line)| (i + 1, line))
}

/// Reads the words of one directive line, starting at `rest`, into `out`.
///
/// Returns the separator word that ended the line, if one did.
pub(crate) fn read_words(
    rest: &[u8],
    line: usize,
    out: &mut Vec<Word>,
) -> Result<Option<Separator>> {
    let mut rest = rest;
    loop {
        match next_word(rest) {
            Ok(Next::Word(text, used)) => {
                out.push(Word { text, line });
                rest = &rest[used..];
            }
            Ok(Next::End) => return Ok(None),
            Ok(Next::Separator(sep)) => return Ok(Some(sep)),
            Err(err) => {
                let rest = String::from_utf8_lossy(rest).into_owned();
                return Err(match err {
                    WordError::Unmatched(q) => ScanError::UnmatchedQuote {
                        line,
                        quote: char::from(q),
                        rest,
                    },
                    WordError::Colon => ScanError::UnexpectedColon { line, rest },
                });
            }
        }
    }
}

/// Whether `line` is a command: its first non-blank byte is not `#`.
pub(crate) fn is_command(line: &[u8]) -> bool {
    line.get(skip_space(line)).is_some_and(|&b| b != b'#')
}

/// Checks `script` and reads its `#SBATCH`/`#SLURM` directives, as sbatch 22.05 does.
pub fn scan(script: &[u8]) -> Result<Script> {
    check(script)?;
    let mut components: Vec<Vec<Word>> = vec![Vec::new()];
    let mut warnings = Vec::new();
    let mut first_command = None;
    let mut first_slurm: Option<(usize, usize)> = None;
    let mut packjob_told = false;
    for (number, line) in lines(script) {
        let rest = if let Some(rest) = line.strip_prefix(SBATCH_PREFIX.as_bytes()) {
            rest
        } else if let Some(rest) = line.strip_prefix(SLURM_PREFIX.as_bytes()) {
            if first_slurm.is_none() {
                first_slurm = Some((number, components.len() - 1));
            }
            rest
        } else if is_command(line) {
            first_command = Some(number);
            break;
        } else {
            continue;
        };
        let rest = &rest[skip_space(rest)..];
        if words::separator(rest).is_some() {
            components.push(Vec::new());
        }
        let current = components.last_mut().expect("there is always a component");
        if read_words(rest, number, current)? == Some(Separator::PackJob) && !packjob_told {
            packjob_told = true;
            warnings.push(Warning {
                kind: WarningKind::PackJob,
                line: number,
                component: components.len() - 1,
            });
        }
    }
    if let Some((line, from)) = first_slurm {
        for component in from..components.len() {
            warnings.push(Warning {
                kind: WarningKind::SlurmPrefix,
                line,
                component,
            });
        }
        // Each reading prints its complaints in the order of the lines that cause them.
        warnings.sort_by_key(|w| (w.component, w.line));
    }
    Ok(Script {
        components,
        warnings,
        first_command,
    })
}
