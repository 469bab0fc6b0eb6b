//! The option tables of the query and control commands (`squeue`, `sinfo`,
//! `scancel`, `sacct`, `scontrol`), read by the same getopt_long as sbatch's
//! table ([`crate::getopt::Getopt`]).
//!
//! Unlike sbatch, these commands let glibc permute: options and operands
//! may be mixed (`scancel 12 -s USR1`), and only `--` ends the options.
//! Each table is copied from the command's `long_options[]` and short
//! string in Slurm 22.05 (`src/squeue/opts.c`, ...), limited to what sk8
//! implements; a name Slurm knows but sk8 does not is still recognised and
//! refused by the command, so a typo and an unsupported option read
//! differently.

use crate::getopt::{Getopt, GetoptError, OptionSet};
use crate::table::HasArg;
use crate::{Line, ParseError};

/// What an option means, shared by every query command (`-u` is
/// [`Q::User`] in squeue, scancel and sacct alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Q {
    Account,
    All,
    Allocations,
    Array,
    Batch,
    Brief,
    Delimiter,
    Dead,
    End,
    Exact,
    Format,
    FormatLong,
    Full,
    Help,
    Interactive,
    Iterate,
    Jobs,
    Json,
    ListReasons,
    Long,
    Me,
    Name,
    NodeOriented,
    Nodes,
    NoHeader,
    OneLiner,
    Parsable,
    Parsable2,
    Partition,
    Quiet,
    Responding,
    Signal,
    Sort,
    Start,
    StartTime,
    States,
    Summarize,
    Usage,
    User,
    Verbose,
    Version,
    /// Known to Slurm, not to sk8: refused by the command.
    Unsupported,
}

/// One row: long name, short letter, value kind, meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOpt {
    /// The long name (without `--`).
    pub long: &'static str,
    /// The short letter, if any.
    pub short: Option<char>,
    /// Whether it takes a value.
    pub has_arg: HasArg,
    /// What it means.
    pub id: Q,
}

const fn o(long: &'static str, short: Option<char>, has_arg: HasArg, id: Q) -> QueryOpt {
    QueryOpt {
        long,
        short,
        has_arg,
        id,
    }
}

use HasArg::{No, Optional, Required};

/// `squeue` (`src/squeue/opts.c`).
pub const SQUEUE: &[QueryOpt] = &[
    o("accounts", Some('A'), Required, Q::Account),
    o("all", Some('a'), No, Q::All),
    o("array", Some('r'), No, Q::Array),
    o("array-unique", None, No, Q::Unsupported),
    o("Format", Some('O'), Required, Q::FormatLong),
    o("format", Some('o'), Required, Q::Format),
    o("federation", None, No, Q::Unsupported),
    o("help", None, No, Q::Help),
    o("hide", None, No, Q::Unsupported),
    o("iterate", Some('i'), Required, Q::Iterate),
    o("jobs", Some('j'), Optional, Q::Jobs),
    o("local", None, No, Q::Unsupported),
    o("long", Some('l'), No, Q::Long),
    o("licenses", Some('L'), Required, Q::Unsupported),
    o("cluster", Some('M'), Required, Q::Unsupported),
    o("clusters", None, Required, Q::Unsupported),
    o("me", None, No, Q::Me),
    o("name", Some('n'), Required, Q::Name),
    o("noconvert", None, No, Q::Unsupported),
    o("node", Some('w'), Required, Q::Nodes),
    o("nodes", None, Required, Q::Nodes),
    o("nodelist", None, Required, Q::Nodes),
    o("noheader", Some('h'), No, Q::NoHeader),
    o("partitions", Some('p'), Required, Q::Partition),
    o("priority", Some('P'), No, Q::Unsupported),
    o("qos", Some('q'), Required, Q::Unsupported),
    o("reservation", Some('R'), Required, Q::Unsupported),
    o("sib", None, No, Q::Unsupported),
    o("sibling", None, No, Q::Unsupported),
    o("sort", Some('S'), Required, Q::Sort),
    o("start", None, No, Q::Start),
    o("steps", Some('s'), Optional, Q::Unsupported),
    o("states", Some('t'), Required, Q::States),
    o("usage", None, No, Q::Usage),
    o("user", Some('u'), Required, Q::User),
    o("users", None, Required, Q::User),
    o("verbose", Some('v'), No, Q::Verbose),
    o("version", Some('V'), No, Q::Version),
    o("json", None, No, Q::Json),
    o("yaml", None, No, Q::Unsupported),
    o("", Some('U'), Required, Q::Unsupported),
];

/// `sinfo` (`src/sinfo/opts.c`).
pub const SINFO: &[QueryOpt] = &[
    o("all", Some('a'), No, Q::All),
    o("dead", Some('d'), No, Q::Dead),
    o("exact", Some('e'), No, Q::Exact),
    o("federation", None, No, Q::Unsupported),
    o("help", None, No, Q::Help),
    o("hide", None, No, Q::Unsupported),
    o("iterate", Some('i'), Required, Q::Iterate),
    o("local", None, No, Q::Unsupported),
    o("long", Some('l'), No, Q::Long),
    o("cluster", Some('M'), Required, Q::Unsupported),
    o("clusters", None, Required, Q::Unsupported),
    o("nodes", Some('n'), Required, Q::Nodes),
    o("noconvert", None, No, Q::Unsupported),
    o("noheader", Some('h'), No, Q::NoHeader),
    o("Node", Some('N'), No, Q::NodeOriented),
    o("format", Some('o'), Required, Q::Format),
    o("Format", Some('O'), Required, Q::FormatLong),
    o("partition", Some('p'), Required, Q::Partition),
    o("responding", Some('r'), No, Q::Responding),
    o("list-reasons", Some('R'), No, Q::ListReasons),
    o("summarize", Some('s'), No, Q::Summarize),
    o("sort", Some('S'), Required, Q::Unsupported),
    o("states", Some('t'), Required, Q::States),
    o("reservation", Some('T'), No, Q::Unsupported),
    o("usage", None, No, Q::Usage),
    o("verbose", Some('v'), No, Q::Verbose),
    o("version", Some('V'), No, Q::Version),
    o("json", None, No, Q::Json),
    o("yaml", None, No, Q::Unsupported),
];

/// `scancel` (`src/scancel/opt.c`).
pub const SCANCEL: &[QueryOpt] = &[
    o("account", Some('A'), Required, Q::Account),
    o("batch", Some('b'), No, Q::Batch),
    o("ctld", None, No, Q::Unsupported),
    o("full", Some('f'), No, Q::Full),
    o("help", None, No, Q::Help),
    o("hurry", Some('H'), No, Q::Unsupported),
    o("interactive", Some('i'), No, Q::Interactive),
    o("cluster", Some('M'), Required, Q::Unsupported),
    o("clusters", None, Required, Q::Unsupported),
    o("jobname", None, Required, Q::Name),
    o("me", None, No, Q::Me),
    o("name", Some('n'), Required, Q::Name),
    o("nodelist", Some('w'), Required, Q::Nodes),
    o("partition", Some('p'), Required, Q::Partition),
    o("qos", Some('q'), Required, Q::Unsupported),
    o("quiet", Some('Q'), No, Q::Quiet),
    o("reservation", Some('R'), Required, Q::Unsupported),
    o("sibling", None, Required, Q::Unsupported),
    o("signal", Some('s'), Required, Q::Signal),
    o("state", Some('t'), Required, Q::States),
    o("usage", None, No, Q::Usage),
    o("user", Some('u'), Required, Q::User),
    o("verbose", Some('v'), No, Q::Verbose),
    o("version", Some('V'), No, Q::Version),
    o("wckey", None, Required, Q::Unsupported),
];

/// `sacct` (`src/sacct/options.c`).
pub const SACCT: &[QueryOpt] = &[
    o("allusers", Some('a'), No, Q::All),
    o("accounts", Some('A'), Required, Q::Account),
    o("allocations", Some('X'), No, Q::Allocations),
    o("brief", Some('b'), No, Q::Brief),
    o("batch-script", Some('B'), No, Q::Unsupported),
    o("completion", Some('c'), No, Q::Unsupported),
    o("constraints", Some('C'), Required, Q::Unsupported),
    o("delimiter", None, Required, Q::Delimiter),
    o("duplicates", Some('D'), No, Q::Unsupported),
    o("federation", None, No, Q::Unsupported),
    o("helpformat", Some('e'), No, Q::Unsupported),
    o("help-fields", None, No, Q::Unsupported),
    o("endtime", Some('E'), Required, Q::End),
    o("env-vars", None, No, Q::Unsupported),
    o("file", Some('f'), Required, Q::Unsupported),
    o("flags", Some('F'), Required, Q::Unsupported),
    o("gid", Some('g'), Required, Q::Unsupported),
    o("group", None, Required, Q::Unsupported),
    o("help", Some('h'), No, Q::Help),
    o("local", None, No, Q::Unsupported),
    o("name", None, Required, Q::Name),
    o("nnodes", Some('i'), Required, Q::Unsupported),
    o("ncpus", Some('I'), Required, Q::Unsupported),
    o("jobs", Some('j'), Required, Q::Jobs),
    o("timelimit-min", Some('k'), Required, Q::Unsupported),
    o("timelimit-max", Some('K'), Required, Q::Unsupported),
    o("long", Some('l'), No, Q::Long),
    o("allclusters", Some('L'), No, Q::Unsupported),
    o("cluster", Some('M'), Required, Q::Unsupported),
    o("clusters", None, Required, Q::Unsupported),
    o("nodelist", Some('N'), Required, Q::Nodes),
    o("noconvert", None, No, Q::Unsupported),
    o("units", None, Required, Q::Unsupported),
    o("noheader", Some('n'), No, Q::NoHeader),
    o("fields", None, Required, Q::Format),
    o("format", Some('o'), Required, Q::Format),
    o("parsable", Some('p'), No, Q::Parsable),
    o("parsable2", Some('P'), No, Q::Parsable2),
    o("qos", Some('q'), Required, Q::Unsupported),
    o("partition", Some('r'), Required, Q::Partition),
    o("reason", Some('R'), Required, Q::Unsupported),
    o("state", Some('s'), Required, Q::States),
    o("starttime", Some('S'), Required, Q::StartTime),
    o("truncate", Some('T'), No, Q::Unsupported),
    o("uid", Some('u'), Required, Q::User),
    o("use-local-uid", None, No, Q::Unsupported),
    o("usage", Some('U'), No, Q::Usage),
    o("user", None, Required, Q::User),
    o("verbose", Some('v'), No, Q::Verbose),
    o("version", Some('V'), No, Q::Version),
    o("wckeys", Some('W'), Required, Q::Unsupported),
    o("whole-hetjob", None, Optional, Q::Unsupported),
    o("associations", Some('x'), Required, Q::Unsupported),
    o("json", None, No, Q::Json),
    o("yaml", None, No, Q::Unsupported),
    o("", Some('t'), No, Q::Unsupported),
];

/// `scontrol`'s options (`src/scontrol/scontrol.c`); the words after
/// them are its command.
pub const SCONTROL: &[QueryOpt] = &[
    o("all", Some('a'), No, Q::All),
    o("cluster", Some('M'), Required, Q::Unsupported),
    o("clusters", None, Required, Q::Unsupported),
    o("details", Some('d'), No, Q::Unsupported),
    o("federation", None, No, Q::Unsupported),
    o("future", Some('F'), No, Q::Unsupported),
    o("help", Some('h'), No, Q::Help),
    o("hide", None, No, Q::Unsupported),
    o("local", None, No, Q::Unsupported),
    o("oneliner", Some('o'), No, Q::OneLiner),
    o("quiet", Some('Q'), No, Q::Quiet),
    o("sibling", None, No, Q::Unsupported),
    o("usage", Some('u'), No, Q::Usage),
    o("uid", None, Required, Q::Unsupported),
    o("verbose", Some('v'), No, Q::Verbose),
    o("version", Some('V'), No, Q::Version),
    o("json", None, No, Q::Json),
    o("yaml", None, No, Q::Unsupported),
];

/// One command's table as getopt_long sees it.
#[derive(Debug, Clone, Copy)]
pub struct QueryTable(pub &'static [QueryOpt]);

impl OptionSet for QueryTable {
    type Def = &'static QueryOpt;

    fn long(&self, name: &str) -> Result<(Self::Def, &'static str, HasArg), Vec<&'static str>> {
        let mut first: Option<&'static QueryOpt> = None;
        let mut ambiguous = false;
        let mut candidates = Vec::new();
        for def in self.0.iter().filter(|d| !d.long.is_empty()) {
            if def.long == name {
                return Ok((def, def.long, def.has_arg));
            }
            if !name.is_empty() && def.long.starts_with(name) {
                candidates.push(def.long);
                match first {
                    None => first = Some(def),
                    // glibc: prefixes naming the same option are not ambiguous.
                    Some(f) if f.id != def.id || f.has_arg != def.has_arg => ambiguous = true,
                    Some(_) => {}
                }
            }
        }
        match first {
            Some(def) if !ambiguous => Ok((def, def.long, def.has_arg)),
            _ => Err(candidates),
        }
    }

    fn short(&self, c: char) -> Option<(Self::Def, HasArg)> {
        self.0
            .iter()
            .find(|d| d.short == Some(c))
            .map(|d| (d, d.has_arg))
    }
}

/// A parsed command line: the options in order, then the operands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Each option found, with its value.
    pub opts: Vec<(&'static QueryOpt, Option<String>)>,
    /// The words that are not options (job ids, scontrol's command).
    pub operands: Vec<String>,
}

impl Parsed {
    /// Whether option `id` was given.
    pub fn has(&self, id: Q) -> bool {
        self.opts.iter().any(|(d, _)| d.id == id)
    }

    /// How many times `id` was given (`-vv`).
    pub fn count(&self, id: Q) -> usize {
        self.opts.iter().filter(|(d, _)| d.id == id).count()
    }

    /// The last value given to `id` (getopt: the last one wins).
    pub fn last(&self, id: Q) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(d, _)| d.id == id)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The first option given that sk8 does not implement, as written.
    pub fn unsupported(&self) -> Option<&'static QueryOpt> {
        self.opts
            .iter()
            .find(|(d, _)| d.id == Q::Unsupported)
            .map(|(d, _)| *d)
    }
}

impl QueryOpt {
    /// How the option is named in messages (`--qos`, or `-U`).
    pub fn display(&self) -> String {
        if self.long.is_empty() {
            format!("-{}", self.short.unwrap_or('?'))
        } else {
            format!("--{}", self.long)
        }
    }
}

/// Parses `words` (without argv\[0\]) against `table` with glibc's default
/// (permuting) order: operands may come between options; `--` ends them.
/// When `stop_at_operand` is set (scontrol), parsing stops at the first
/// operand, as with a `+` short string.
pub fn parse(
    table: &'static [QueryOpt],
    words: &[String],
    stop_at_operand: bool,
) -> Result<Parsed, GetoptError> {
    let mut parsed = Parsed::default();
    let mut start = 0;
    while start < words.len() {
        let rest = &words[start..];
        let mut g = Getopt::over(QueryTable(table), rest);
        loop {
            let before = g.rest();
            match g.next() {
                Some(item) => parsed.opts.push(item?),
                None => {
                    let at = g.rest();
                    if before < rest.len() && rest[before] == "--" && at == before + 1 {
                        parsed.operands.extend(rest[at..].iter().map(String::clone));
                        return Ok(parsed);
                    }
                    if at >= rest.len() {
                        return Ok(parsed);
                    }
                    if stop_at_operand {
                        parsed.operands.extend(rest[at..].iter().map(String::clone));
                        return Ok(parsed);
                    }
                    parsed.operands.push(rest[at].clone());
                    start += at + 1;
                    break;
                }
            }
        }
    }
    Ok(parsed)
}

/// What glibc and the command print for a bad option: getopt's line (with
/// argv\[0\], as glibc names the program), then the command's hint when
/// it has one (`Try "squeue --help" for more information`); exit code 1.
pub fn getopt_failure(e: &GetoptError, argv0: &str, hint_for: Option<&str>) -> ParseError {
    let mut lines = vec![Line::bare(e.message(argv0))];
    if let Some(prog) = hint_for {
        lines.push(Line::bare(format!(
            "Try \"{prog} --help\" for more information"
        )));
    }
    ParseError {
        lines,
        code: crate::error::EXIT_ERROR,
    }
}

/// The items of a comma-separated option value (`-n a,b`), empty ones dropped.
pub fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn operands_may_come_between_options() {
        let p = parse(SCANCEL, &words(&["12", "-s", "USR1", "13_2", "-v"]), false).unwrap();
        assert_eq!(p.operands, ["12", "13_2"]);
        assert_eq!(p.last(Q::Signal), Some("USR1"));
        assert!(p.has(Q::Verbose));
    }

    #[test]
    fn double_dash_ends_options() {
        let p = parse(SCANCEL, &words(&["-v", "--", "-5", "7"]), false).unwrap();
        assert_eq!(p.operands, ["-5", "7"]);
    }

    #[test]
    fn scontrol_stops_at_its_command() {
        let p = parse(SCONTROL, &words(&["-o", "show", "job", "-o", "5"]), true).unwrap();
        assert!(p.has(Q::OneLiner));
        assert_eq!(p.operands, ["show", "job", "-o", "5"]);
    }

    #[test]
    fn squeue_jobs_value_is_optional() {
        let p = parse(SQUEUE, &words(&["-j", "5", "-h"]), false).unwrap();
        assert_eq!(p.last(Q::Jobs), None);
        assert_eq!(p.operands, ["5"]);
        let p = parse(SQUEUE, &words(&["--jobs=5,6"]), false).unwrap();
        assert_eq!(p.last(Q::Jobs), Some("5,6"));
    }

    #[test]
    fn prefixes_and_errors_are_glibcs() {
        let p = parse(SQUEUE, &words(&["--use", "root"]), false).unwrap();
        assert_eq!(p.last(Q::User), Some("root"));
        let e = parse(SQUEUE, &words(&["--bogus"]), false).unwrap_err();
        assert_eq!(e.message("squeue"), "squeue: unrecognized option '--bogus'");
        let e = parse(SQUEUE, &words(&["--no"]), false).unwrap_err();
        assert!(matches!(e, GetoptError::Ambiguous { .. }), "{e:?}");
        let e = parse(SACCT, &words(&["-o"]), false).unwrap_err();
        assert_eq!(
            e.message("sacct"),
            "sacct: option requires an argument -- 'o'"
        );
    }

    #[test]
    fn tables_have_no_duplicate_names() {
        for table in [SQUEUE, SINFO, SCANCEL, SACCT, SCONTROL] {
            for (i, a) in table.iter().enumerate() {
                for b in &table[i + 1..] {
                    assert!(a.long.is_empty() || a.long != b.long, "{}", a.long);
                    assert!(a.short.is_none() || a.short != b.short, "{:?}", a.short);
                }
            }
        }
    }
}
