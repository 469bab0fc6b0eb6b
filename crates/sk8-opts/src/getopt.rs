//! getopt_long as Slurm calls it: `+` ordering (stop at the first non-option),
//! unambiguous prefixes of long names, optional values only after `=`.
//!
//! The error texts are glibc's, word for word, because scripts and users see
//! them (`sbatch: unrecognized option '--foo'`).

use crate::table::{Cmd, HasArg, OPTIONS, OptDef};

/// A getopt failure, rendered as glibc prints it (`Display` needs the program
/// name, so see [`GetoptError::message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetoptError {
    /// `--foo` names no option.
    Unrecognized(String),
    /// `-y` names no option.
    InvalidShort(char),
    /// `--me` matches several options.
    Ambiguous {
        /// What was written after `--` (including any `=value`).
        written: String,
        /// The long names it could mean, in table order.
        candidates: Vec<&'static str>,
    },
    /// `--hold=3`.
    NoArgAllowed(&'static str),
    /// `--time` at the end of the words.
    LongRequiresArg(&'static str),
    /// `-t` at the end of the words.
    ShortRequiresArg(char),
}

impl GetoptError {
    /// The line glibc prints, for program name `prog` (argv\[0\]).
    pub fn message(&self, prog: &str) -> String {
        match self {
            Self::Unrecognized(w) => format!("{prog}: unrecognized option '--{w}'"),
            Self::InvalidShort(c) => format!("{prog}: invalid option -- '{c}'"),
            Self::Ambiguous {
                written,
                candidates,
            } => {
                let mut s = format!("{prog}: option '--{written}' is ambiguous; possibilities:");
                for c in candidates {
                    s.push_str(&format!(" '--{c}'"));
                }
                s
            }
            Self::NoArgAllowed(n) => format!("{prog}: option '--{n}' doesn't allow an argument"),
            Self::LongRequiresArg(n) => format!("{prog}: option '--{n}' requires an argument"),
            Self::ShortRequiresArg(c) => format!("{prog}: option requires an argument -- '{c}'"),
        }
    }
}

/// A set of options getopt_long can look names up in: the option table for
/// one command ([`Table`]), or the `#PBS`/`#BSUB` letters sbatch translates.
pub trait OptionSet {
    /// What a lookup yields for the caller (a table row, a letter).
    type Def: Copy;
    /// The option a long name or an unambiguous prefix of it names, with its
    /// full name and value kind; on failure the candidates (none: unknown).
    fn long(&self, name: &str) -> Result<(Self::Def, &'static str, HasArg), Vec<&'static str>>;
    /// The option a short letter names.
    fn short(&self, c: char) -> Option<(Self::Def, HasArg)>;
}

/// The option table, as one command sees it.
#[derive(Debug, Clone, Copy)]
pub struct Table(pub Cmd);

impl OptionSet for Table {
    type Def = &'static OptDef;

    fn long(&self, name: &str) -> Result<(Self::Def, &'static str, HasArg), Vec<&'static str>> {
        find_long(self.0, name).map(|d| (d, d.long, d.has_arg))
    }

    fn short(&self, c: char) -> Option<(Self::Def, HasArg)> {
        find_short(self.0, c).map(|d| (d, d.has_arg))
    }
}

/// One option found on a command line: the row and its value.
pub type Found = (&'static OptDef, Option<String>);

/// Iterates over the options of `words` (which do not include argv\[0\]).
#[derive(Debug)]
pub struct Getopt<'a, S: OptionSet = Table> {
    set: S,
    words: &'a [String],
    /// Index of the next word to look at.
    next: usize,
    /// Inside a cluster of short options (`-vvH`): byte offset of the next letter.
    cluster: Option<usize>,
    done: bool,
}

impl<'a> Getopt<'a, Table> {
    /// Starts parsing `words` for `cmd`.
    pub fn new(cmd: Cmd, words: &'a [String]) -> Self {
        Self::over(Table(cmd), words)
    }
}

impl<'a, S: OptionSet> Getopt<'a, S> {
    /// Starts parsing `words` against any option set.
    pub fn over(set: S, words: &'a [String]) -> Self {
        Self {
            set,
            words,
            next: 0,
            cluster: None,
            done: false,
        }
    }

    /// The index of the first word that was not consumed as an option or a
    /// value (getopt's `optind - 1`); valid once iteration has ended.
    pub fn rest(&self) -> usize {
        self.next
    }

    fn long(&mut self, word: &str) -> Result<(S::Def, Option<String>), GetoptError> {
        let body = &word[2..];
        let (name, value) = match body.find('=') {
            Some(i) => (&body[..i], Some(body[i + 1..].to_string())),
            None => (body, None),
        };
        let (def, long, has_arg) = self.set.long(name).map_err(|candidates| {
            if candidates.is_empty() {
                GetoptError::Unrecognized(body.to_string())
            } else {
                GetoptError::Ambiguous {
                    written: body.to_string(),
                    candidates,
                }
            }
        })?;
        match (has_arg, value) {
            (HasArg::No, Some(_)) => Err(GetoptError::NoArgAllowed(long)),
            (HasArg::No, None) | (HasArg::Optional, None) => Ok((def, None)),
            (_, Some(v)) => Ok((def, Some(v))),
            (HasArg::Required, None) => match self.words.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Ok((def, Some(v.clone())))
                }
                None => Err(GetoptError::LongRequiresArg(long)),
            },
        }
    }

    fn short(
        &mut self,
        word_index: usize,
        offset: usize,
    ) -> Result<(S::Def, Option<String>), GetoptError> {
        let word = &self.words[word_index];
        let c = word[offset..]
            .chars()
            .next()
            .expect("offset is inside the word");
        let after = offset + c.len_utf8();
        let rest = &word[after..];
        let (def, has_arg) = self.set.short(c).ok_or(GetoptError::InvalidShort(c))?;
        self.cluster = None;
        match has_arg {
            HasArg::No => {
                if !rest.is_empty() {
                    self.cluster = Some(after);
                }
                Ok((def, None))
            }
            HasArg::Optional => Ok((def, (!rest.is_empty()).then(|| rest.to_string()))),
            HasArg::Required if !rest.is_empty() => Ok((def, Some(rest.to_string()))),
            HasArg::Required => match self.words.get(self.next) {
                Some(v) => {
                    self.next += 1;
                    Ok((def, Some(v.clone())))
                }
                None => Err(GetoptError::ShortRequiresArg(c)),
            },
        }
    }
}

impl<S: OptionSet> Iterator for Getopt<'_, S> {
    type Item = Result<(S::Def, Option<String>), GetoptError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(offset) = self.cluster {
            let word = self.next - 1;
            return Some(self.short(word, offset));
        }
        let word = self.words.get(self.next)?;
        if word == "--" {
            self.next += 1;
            self.done = true;
            return None;
        }
        if !word.starts_with('-') || word == "-" {
            self.done = true;
            return None;
        }
        self.next += 1;
        if word.starts_with("--") {
            let word = word.clone();
            Some(self.long(&word))
        } else {
            Some(self.short(self.next - 1, 1))
        }
    }
}

/// The row for a long name or an unambiguous prefix of one, for `cmd`.
///
/// An exact match wins; prefixes that all name the same option (same id and
/// value kind, as glibc compares them) are not ambiguous. On failure returns
/// the candidate names (empty: no match).
pub fn find_long(cmd: Cmd, name: &str) -> Result<&'static OptDef, Vec<&'static str>> {
    let mut first: Option<&'static OptDef> = None;
    let mut ambiguous = false;
    let mut candidates = Vec::new();
    for def in OPTIONS.iter().filter(|d| d.cmds.has(cmd)) {
        if def.long == name {
            return Ok(def);
        }
        if !name.is_empty() && def.long.starts_with(name) {
            candidates.push(def.long);
            match first {
                None => first = Some(def),
                Some(f) if f.id != def.id || f.has_arg != def.has_arg => ambiguous = true,
                Some(_) => {}
            }
        }
    }
    match first {
        Some(def) if !ambiguous => Ok(def),
        _ => {
            // Slurm lists plugin (SPANK) options after its own; the reference
            // has no pyxis, so a prefix that is ambiguous among Slurm's own
            // options is reported with those alone.
            if candidates.iter().any(|c| !crate::table::is_plugin(c)) {
                candidates.retain(|c| !crate::table::is_plugin(c));
            }
            Err(candidates)
        }
    }
}

/// The row for a short letter, for `cmd`.
pub fn find_short(cmd: Cmd, c: char) -> Option<&'static OptDef> {
    OPTIONS
        .iter()
        .find(|d| d.short == Some(c) && d.cmds.has(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn parse(cmd: Cmd, s: &str) -> (Vec<(&'static str, Option<String>)>, usize) {
        let w = words(s);
        let mut g = Getopt::new(cmd, &w);
        let found = g
            .by_ref()
            .map(|r| r.map(|(d, v)| (d.long, v)).unwrap())
            .collect();
        (found, g.rest())
    }

    #[test]
    fn long_forms() {
        let (f, rest) = parse(Cmd::Sbatch, "--time=5 --job-name x --hold script.sh -N 3");
        assert_eq!(
            f,
            vec![
                ("time", Some("5".into())),
                ("job-name", Some("x".into())),
                ("hold", None)
            ]
        );
        assert_eq!(rest, 4);
    }

    #[test]
    fn prefixes_and_aliases() {
        let (f, _) = parse(Cmd::Sbatch, "--part=debug --tasks=2 --err=e.txt");
        let names: Vec<_> = f.iter().map(|x| x.0).collect();
        assert_eq!(names, vec!["partition", "tasks-per-node", "error"]);
        // srun's --cpu_bind and --cpu-bind are one option: not ambiguous.
        assert_eq!(find_long(Cmd::Srun, "cpu-b").unwrap().long, "cpu-bind");
        let err = find_long(Cmd::Sbatch, "me").unwrap_err();
        assert_eq!(err, vec!["mem", "mem-bind", "mem-per-cpu", "mem-per-gpu"]);
    }

    #[test]
    fn short_clusters_and_values() {
        let (f, rest) = parse(Cmd::Sbatch, "-vvHN2 -n 4 -J name x");
        let got: Vec<_> = f.iter().map(|(n, v)| (*n, v.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                ("verbose", None),
                ("verbose", None),
                ("hold", None),
                ("nodes", Some("2")),
                ("ntasks", Some("4")),
                ("job-name", Some("name")),
            ]
        );
        assert_eq!(rest, 5);
    }

    #[test]
    fn optional_values_only_after_equals() {
        let (f, rest) = parse(Cmd::Sbatch, "--exclusive user --nice=5 --nice");
        assert_eq!(f, vec![("exclusive", None)]);
        assert_eq!(rest, 1);
        let (f, _) = parse(Cmd::Sbatch, "--nice=5 --nice -k");
        assert_eq!(
            f,
            vec![
                ("nice", Some("5".into())),
                ("nice", None),
                ("no-kill", None)
            ]
        );
    }

    #[test]
    fn double_dash_and_lone_dash_stop() {
        let (f, rest) = parse(Cmd::Sbatch, "-H -- -N 2");
        assert_eq!(f.len(), 1);
        assert_eq!(rest, 2);
        let (_, rest) = parse(Cmd::Sbatch, "-H - x");
        assert_eq!(rest, 1);
    }

    #[test]
    fn glibc_messages() {
        let run = |s: &str| {
            let w = words(s);
            Getopt::new(Cmd::Sbatch, &w)
                .find_map(Result::err)
                .unwrap()
                .message("sbatch")
        };
        assert_eq!(run("--foo"), "sbatch: unrecognized option '--foo'");
        assert_eq!(run("--foo=1"), "sbatch: unrecognized option '--foo=1'");
        assert_eq!(run("-y"), "sbatch: invalid option -- 'y'");
        assert_eq!(
            run("--hold=3"),
            "sbatch: option '--hold' doesn't allow an argument"
        );
        assert_eq!(
            run("--time"),
            "sbatch: option '--time' requires an argument"
        );
        assert_eq!(run("-t"), "sbatch: option requires an argument -- 't'");
        assert_eq!(
            run("--mem-p=4"),
            "sbatch: option '--mem-p=4' is ambiguous; possibilities: '--mem-per-cpu' '--mem-per-gpu'"
        );
    }

    #[test]
    fn per_command_rows() {
        // --wait is a switch in sbatch and takes a value in srun.
        assert_eq!(find_long(Cmd::Sbatch, "wait").unwrap().has_arg, HasArg::No);
        assert_eq!(
            find_long(Cmd::Srun, "wait").unwrap().has_arg,
            HasArg::Required
        );
        assert!(find_long(Cmd::Sbatch, "pty").is_err());
        assert!(find_short(Cmd::Sbatch, 'l').is_none());
        assert_eq!(find_short(Cmd::Srun, 'l').unwrap().long, "label");
    }
}
