//! Why sbatch refuses a batch script before any option is parsed, in Slurm's own words.

/// How loud a message is: the word sbatch puts after its `sbatch: ` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `info()`: printed as `sbatch: <text>`.
    Info,
    /// `error()`: printed as `sbatch: error: <text>`.
    Error,
    /// `fatal()`: printed as `sbatch: fatal: <text>`, then sbatch exits with 1.
    Fatal,
}

impl Level {
    /// The text sbatch prints between `sbatch: ` and the message.
    pub fn prefix(self) -> &'static str {
        match self {
            Level::Info => "",
            Level::Error => "error: ",
            Level::Fatal => "fatal: ",
        }
    }
}

/// Renders `message` the way Slurm's log does: every line gets `<program>: <level prefix>`.
pub(crate) fn render(program: &str, level: Level, message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 32);
    for line in message.split('\n') {
        out.push_str(program);
        out.push_str(": ");
        out.push_str(level.prefix());
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A batch script that sbatch 22.05 rejects while reading it.
///
/// `Display` gives Slurm's text without the `sbatch: error: ` prefix; messages that Slurm
/// prints as several `error()` calls hold one `\n` per call. [`ScanError::render`] gives the
/// exact stderr. Every variant makes sbatch exit with [`ScanError::EXIT_CODE`] (unless the
/// user moved it with `SBATCH_EXIT_ERROR`/`SLURM_EXIT_ERROR`, which the caller must honour
/// for the [`Level::Error`] variants only: `fatal()` always exits with 1).
///
/// The texts are Slurm's and therefore keep its capitals and full stops.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ScanError {
    /// The script has no bytes at all (`src/sbatch/sbatch.c`).
    #[error("Batch script is empty!")]
    Empty,
    /// The script, up to its first NUL byte, is only whitespace.
    #[error("Batch script contains only whitespace!")]
    OnlyWhitespace,
    /// The first two bytes are not `#!`.
    #[error(
        "This does not look like a batch script.  The first\n\
         line must start with #! followed by the path to an interpreter.\n\
         For instance: #!/bin/sh"
    )]
    NoShebang,
    /// The script holds a NUL byte somewhere.
    #[error("The Slurm controller does not allow scripts that\ncontain a NULL character '\\0'.")]
    NulChar,
    /// Some line ends in `\r\n`.
    #[error(
        "Batch script contains DOS line breaks (\\r\\n)\n\
         instead of expected UNIX line breaks (\\n)."
    )]
    DosLineBreaks,
    /// A directive opens a quote it never closes (a `fatal()` in Slurm's `get_argument`).
    #[error("line {line}: Unmatched `{quote}` in [{rest}]")]
    UnmatchedQuote {
        /// 1-based line number in the script.
        line: usize,
        /// The quote character, `"` or `'`.
        quote: char,
        /// The rest of the line from where Slurm started reading the offending word
        /// (including the blanks before it).
        rest: String,
    },
    /// A directive word starts with `:` (a `fatal()` in Slurm's `get_argument`).
    #[error("line {line}: Unexpected `:` in [{rest}]")]
    UnexpectedColon {
        /// 1-based line number in the script.
        line: usize,
        /// The rest of the line from where Slurm started reading the offending word.
        rest: String,
    },
}

impl ScanError {
    /// sbatch's exit code for every variant (its default `error_exit`, and `fatal()`'s code).
    pub const EXIT_CODE: u8 = 1;

    /// Whether sbatch reports this through `error()` or `fatal()`.
    pub fn level(&self) -> Level {
        match self {
            ScanError::UnmatchedQuote { .. } | ScanError::UnexpectedColon { .. } => Level::Fatal,
            _ => Level::Error,
        }
    }

    /// The 1-based script line the error is about, where it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ScanError::UnmatchedQuote { line, .. } | ScanError::UnexpectedColon { line, .. } => {
                Some(*line)
            }
            _ => None,
        }
    }

    /// Exactly what sbatch writes to stderr, one `sbatch: ...` line per `\n`-terminated line.
    ///
    /// `file` is the script's base name (`xbasename()` of the path), or `stdin` when the script
    /// came from standard input; only the per-line errors name it.
    pub fn render(&self, file: &str) -> String {
        let text = match self.line() {
            Some(_) => format!("{file}: {self}"),
            None => self.to_string(),
        };
        render("sbatch", self.level(), &text)
    }
}
