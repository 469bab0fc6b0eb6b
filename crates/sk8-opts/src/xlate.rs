//! sbatch's translation of `#BSUB` (LSF) and `#PBS` (Torque/PBS Pro) directives into its own options.
//!
//! sbatch 22.05 (`src/sbatch/xlate.c`) runs these words through getopt with a small option set
//! of their own (`+c:e:J:m:M:n:o:q:W:x` for `#BSUB`, `+a:A:c:C:e:hIj:J:k:l:m:M:N:o:p:q:r:S:t:
//! u:v:VW:z` for `#PBS`, plus long names), and hands each one to the same setter an `#SBATCH`
//! line would reach. Some translations read what is already set: `-v` appends to `--export`,
//! `-l proc=` prepends to `--constraint`, GPUs from `-l` append to `--gres`, and the PBS Pro
//! `select=N:ncpus=C:mpiprocs=M` triple derives `--cpus-per-task` from the stored values. So
//! [`apply`] works on the live [`Opts`], setting one option at a time, so that a setter's error
//! comes out exactly where sbatch would stop; [`translate`] gives the same settings as a list,
//! as if no `#SBATCH` line had set anything.
//!
//! Slurm quirks kept on purpose (scripts rely on what real sbatch does with them):
//! - the `-l` list is scanned one byte at a time for the keys it knows, so a key inside an
//!   unknown one still counts (`feature=mem=3` sets `--mem=3`); `mpiprocs=`, `ncpus=` and
//!   `select=` end at `:`, not `,`; after `proc=` the next item is skipped;
//! - in `nodes=`, every word starting with a letter is a host name (`nodes=2:xeon` asks for host
//!   `xeon`), node counts add up over `+`, and so do `ppn=` values (then times the node count);
//! - `#BSUB -W` and `-l walltime=` are read as Slurm times (`1:30` is 1 minute 30 seconds).

use sk8_directive::{Flavor, Foreign};

use crate::error::{EXIT_ERROR, EXIT_OPTION, Line, ParseError};
use crate::getopt::{Getopt, OptionSet};
use crate::state::{Opts, Source, parse_int, strtoll_prefix};
use crate::table::{Cmd, HasArg, OPTIONS, OptDef, OptId};

/// One translated option: the sbatch option and the value its setter receives (`None` for a
/// switch).
#[cfg(test)]
pub(crate) type Xlated = (OptId, Option<String>);

/// The sbatch options `foreign` sets, in order, as if nothing had been set before.
///
/// Settings that sbatch derives from the current options (`-v`, `-l proc=`, `-l` GPUs, the
/// `select`/`ncpus`/`mpiprocs` CPU count) use the values set earlier in the same list. A value
/// a setter would refuse is returned as is: applying the list reports it. Use [`apply`] to
/// translate on top of `#SBATCH` directives.
#[cfg(test)]
pub(crate) fn translate(foreign: &Foreign) -> Result<Vec<Xlated>, ParseError> {
    let mut list = Collect(Vec::new());
    run(foreign, &mut list)?;
    Ok(list.0)
}

/// Translates `foreign` onto `opts` (which holds the `#SBATCH` directives), one setter at a
/// time, exactly as sbatch does between the directives and the input variables.
pub(crate) fn apply(foreign: &Foreign, opts: &mut Opts) -> Result<(), ParseError> {
    run(foreign, opts)
}

/// Where translated settings go, and what is already set there.
trait Target {
    /// The value `id` holds now, as its setter stored it.
    fn current(&self, id: OptId) -> Option<String>;
    /// Applies one setting, as `slurm_process_option_or_exit` does.
    fn set(&mut self, id: OptId, value: Option<String>) -> Result<(), ParseError>;
}

/// Settings gathered into a list; the last one of an option is its current value.
#[cfg(test)]
struct Collect(Vec<Xlated>);

#[cfg(test)]
impl Target for Collect {
    fn current(&self, id: OptId) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|s| s.0 == id)
            .and_then(|s| s.1.clone())
    }

    fn set(&mut self, id: OptId, value: Option<String>) -> Result<(), ParseError> {
        self.0.push((id, value));
        Ok(())
    }
}

impl Target for Opts {
    fn current(&self, id: OptId) -> Option<String> {
        self.value(id).map(str::to_string)
    }

    fn set(&mut self, id: OptId, value: Option<String>) -> Result<(), ParseError> {
        Opts::set(self, sbatch_row(id), value.as_deref(), Source::Directive)
    }
}

/// sbatch's row for `id`; every option xlate.c sets is an sbatch option.
fn sbatch_row(id: OptId) -> &'static OptDef {
    OPTIONS
        .iter()
        .find(|d| d.id == id && d.cmds.has(Cmd::Sbatch))
        .unwrap_or_else(|| panic!("xlate sets {id:?}, which has no sbatch row"))
}

/// A foreign option set: its letters (with their value kind) and long names.
struct Letters {
    short: &'static [(char, HasArg)],
    long: &'static [(&'static str, HasArg, char)],
}

use HasArg::{No, Optional, Required};

/// `#BSUB`: `+c:e:J:m:M:n:o:q:W:x`.
static BSUB: Letters = Letters {
    short: &[
        ('c', Required),
        ('e', Required),
        ('J', Required),
        ('m', Required),
        ('M', Required),
        ('n', Required),
        ('o', Required),
        ('q', Required),
        ('W', Required),
        ('x', No),
    ],
    long: &[
        ("cwd", Required, 'c'),
        ("error_file", Required, 'e'),
        ("job_name", Required, 'J'),
        ("hostname", Required, 'm'),
        ("memory_limit", Required, 'M'),
        ("output_file", Required, 'o'),
        ("queue_name", Required, 'q'),
        ("time", Required, 'W'),
        ("exclusive", No, 'x'),
    ],
};

/// `#PBS`: `+a:A:c:C:e:hIj:J:k:l:m:M:N:o:p:q:r:S:t:u:v:VW:z`.
static PBS: Letters = Letters {
    short: &[
        ('a', Required),
        ('A', Required),
        ('c', Required),
        ('C', Required),
        ('e', Required),
        ('h', No),
        ('I', No),
        ('j', Required),
        ('J', Required),
        ('k', Required),
        ('l', Required),
        ('m', Required),
        ('M', Required),
        ('N', Required),
        ('o', Required),
        ('p', Required),
        ('q', Required),
        ('r', Required),
        ('S', Required),
        ('t', Required),
        ('u', Required),
        ('v', Required),
        ('V', No),
        ('W', Required),
        ('z', No),
    ],
    long: &[
        ("start_time", Required, 'a'),
        ("account", Required, 'A'),
        ("checkpoint", Required, 'c'),
        ("working_dir", Required, 'C'),
        ("error", Required, 'e'),
        ("hold", No, 'h'),
        ("interactive", No, 'I'),
        ("join", Optional, 'j'),
        ("job_array", Required, 'J'),
        ("keep", Required, 'k'),
        ("resource_list", Required, 'l'),
        ("mail_options", Required, 'm'),
        ("mail_user_list", Required, 'M'),
        ("job_name", Required, 'N'),
        ("out", Required, 'o'),
        ("priority", Required, 'p'),
        ("destination", Required, 'q'),
        ("rerunable", Required, 'r'),
        ("script_path", Required, 'S'),
        ("array", Required, 't'),
        ("running_user", Required, 'u'),
        ("variable_list", Required, 'v'),
        ("all_env", No, 'V'),
        ("attributes", Required, 'W'),
        ("no_std", No, 'z'),
    ],
};

/// The foreign letters as getopt_long sees them (xlate.c's own option
/// tables; no prefix is ever "the same option" twice here).
impl OptionSet for &'static Letters {
    type Def = char;

    fn long(&self, name: &str) -> Result<(char, &'static str, HasArg), Vec<&'static str>> {
        if let Some(&(long, has_arg, letter)) = self.long.iter().find(|l| l.0 == name) {
            return Ok((letter, long, has_arg));
        }
        // An empty name is a prefix of every name, as in glibc.
        let matches: Vec<_> = self.long.iter().filter(|l| l.0.starts_with(name)).collect();
        match matches.as_slice() {
            &[&(long, has_arg, letter)] => Ok((letter, long, has_arg)),
            many => Err(many.iter().map(|l| l.0).collect()),
        }
    }

    fn short(&self, c: char) -> Option<(char, HasArg)> {
        self.short.iter().find(|s| s.0 == c).map(|&(c, h)| (c, h))
    }
}

/// The program name xlate.c gives getopt (`argv[0]` is always `sbatch` there).
const PROG: &str = "sbatch";

/// xlate.c's `error(...); exit(error_exit)`.
fn fail(text: String) -> ParseError {
    ParseError::error(text, EXIT_ERROR)
}

fn run(foreign: &Foreign, target: &mut dyn Target) -> Result<(), ParseError> {
    let words: Vec<String> = foreign.words.iter().map(|w| w.text.clone()).collect();
    let letters = match foreign.flavor {
        Flavor::Bsub => &BSUB,
        Flavor::Pbs => &PBS,
    };
    let mut getopt = Getopt::over(letters, &words);
    for found in getopt.by_ref() {
        let (letter, value) = found.map_err(|e| ParseError {
            // getopt prints its complaint and returns `?`, which no case handles.
            lines: vec![
                Line::bare(e.message(PROG)),
                Line::error("Unrecognized command line parameter ?"),
            ],
            code: EXIT_ERROR,
        })?;
        let value = value.unwrap_or_default();
        match foreign.flavor {
            Flavor::Bsub => bsub_option(letter, value, target)?,
            Flavor::Pbs => pbs_option(letter, value, target)?,
        }
    }
    match words.get(getopt.rest()) {
        Some(word) => Err(fail(format!("Invalid argument: {word}"))),
        None => Ok(()),
    }
}

fn bsub_option(letter: char, arg: String, target: &mut dyn Target) -> Result<(), ParseError> {
    let (id, value) = match letter {
        'c' => (OptId::Chdir, Some(arg)),
        'e' => (OptId::Error, Some(arg)),
        'J' => (OptId::JobName, Some(arg)),
        'o' => (OptId::Output, Some(arg)),
        // LSF separates hosts with blanks; Slurm wants commas.
        'm' => (OptId::Nodelist, Some(arg.replace(' ', ","))),
        // LSF counts memory in KB by default.
        'M' => {
            let unitless = arg.ends_with(|c: char| c.is_ascii_digit());
            let value = if unitless { format!("{arg}K") } else { arg };
            (OptId::MemPerCpu, Some(value))
        }
        // `-n min,max`: Slurm gets the maximum.
        'n' => {
            let max = match arg.split_once(',') {
                Some((_, "")) => {
                    return Err(fail(format!("#BSUB -n format not correct given: '{arg}'")));
                }
                Some((_, max)) => max.to_string(),
                None => arg,
            };
            (OptId::Ntasks, Some(max))
        }
        'q' => (OptId::Partition, Some(arg)),
        'W' => (OptId::TimeLimit, Some(arg)),
        'x' => (OptId::Exclusive, None),
        other => return Err(fail(format!("Unrecognized command line parameter {other}"))),
    };
    target.set(id, value)
}

fn pbs_option(letter: char, arg: String, target: &mut dyn Target) -> Result<(), ParseError> {
    let (id, value) = match letter {
        'a' => (OptId::Begin, Some(arg)),
        'A' => (OptId::Account, Some(arg)),
        'e' => (OptId::Error, Some(arg)),
        'o' => (OptId::Output, Some(arg)),
        'h' => (OptId::Hold, None),
        // PBS Pro writes arrays with -J, Torque with -t.
        'J' | 't' => (OptId::Array, Some(arg)),
        'l' => return resource_list(&arg, target),
        // No mail letter leaves no value, which the setter refuses.
        'm' => (OptId::MailType, pbs_mail_type(&arg)),
        'M' => (OptId::MailUser, Some(arg)),
        'N' => (OptId::JobName, Some(arg)),
        'p' => (OptId::Nice, Some(arg)),
        'q' => (OptId::Partition, Some(arg)),
        'v' => {
            let value = match target.current(OptId::Export) {
                Some(before) => format!("{before},{arg}"),
                None => arg,
            };
            (OptId::Export, Some(value))
        }
        'W' => {
            let key = |k: &str| {
                arg.get(..k.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(k))
            };
            if key("umask=") {
                return check_umask(&arg["umask=".len()..]);
            } else if key("depend=") {
                (OptId::Dependency, Some(arg["depend=".len()..].to_string()))
            } else {
                // sbatch only mentions other attributes with -v.
                return Ok(());
            }
        }
        'c' | 'C' | 'I' | 'j' | 'k' | 'r' | 'S' | 'u' | 'V' | 'z' => return Ok(()),
        other => return Err(fail(format!("Unrecognized command line parameter {other}"))),
    };
    target.set(id, value)
}

/// `-W umask=`: the job's umask, read by `strtol(.., 0)` into an int.
///
/// The option table has no umask row (sbatch has no `--umask`), so the value is only checked.
fn check_umask(value: &str) -> Result<(), ParseError> {
    let mask = strtol_any_base(value) as i32;
    if !(0..=0o777).contains(&mask) {
        return Err(ParseError::error(
            "Invalid -W umask= specification",
            EXIT_OPTION,
        ));
    }
    Ok(())
}

/// `strtol(s, NULL, 0)`: leading blanks, a sign, then hex (`0x`), octal (`0`) or decimal
/// digits; clamped to the range of a 64-bit long.
fn strtol_any_base(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let hex = t
        .get(..2)
        .filter(|p| p.eq_ignore_ascii_case("0x"))
        .and_then(|_| t[2..].chars().next())
        .is_some_and(|c| c.is_ascii_hexdigit());
    let (radix, digits) = if hex {
        (16, &t[2..])
    } else if t.starts_with('0') {
        (8, t)
    } else {
        (10, t)
    };
    let mut n: i128 = 0;
    for d in digits.chars().map_while(|c| c.to_digit(radix)) {
        n = (n * i128::from(radix) + i128::from(d)).min(i128::from(i64::MAX) + 1);
    }
    let n = if negative { -n } else { n };
    n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `-m` letters to `--mail-type`: `b` BEGIN, `e` END, `a` FAIL, any `n` NONE (any case).
fn pbs_mail_type(letters: &str) -> Option<String> {
    let has = |c: char| letters.contains(c) || letters.contains(c.to_ascii_uppercase());
    if has('n') {
        return Some("NONE".to_string());
    }
    let types: Vec<&str> = [('b', "BEGIN"), ('e', "END"), ('a', "FAIL")]
        .into_iter()
        .filter(|&(c, _)| has(c))
        .map(|(_, t)| t)
        .collect();
    (!types.is_empty()).then(|| types.join(","))
}

/// What a `-l` key does with its value.
#[derive(Clone, Copy)]
enum Key {
    /// Ignored: skip to the next item.
    Skip,
    /// `accelerator=true` asks for one GPU; the value is not skipped.
    Accelerator,
    /// Sets this option to the value (up to `,`).
    Set(OptId),
    /// Like `Set`, with a trailing `b`/`B` (Torque's `gb`, `mb`) removed.
    Size(OptId),
    /// PBS Pro chunk items, up to `:`; the bit is for the CPU derivation.
    Chunk(OptId, u8),
    /// The GPU count (`parse_int`).
    Naccelerators,
    /// A Torque node specification.
    Nodes,
    /// A processor feature, prepended to `--constraint`; skips the next item too.
    Proc,
}

/// The keys of a `-l` list in the order sbatch tries them, and whether case matters.
const KEYS: [(&str, bool, Key); 21] = [
    ("accelerator=", false, Key::Accelerator),
    ("arch=", true, Key::Skip),
    ("cput=", true, Key::Set(OptId::TimeLimit)),
    ("file=", true, Key::Size(OptId::Tmp)),
    ("host=", true, Key::Skip),
    ("mem=", true, Key::Size(OptId::Mem)),
    ("mpiprocs=", false, Key::Chunk(OptId::NtasksPerNode, 4)),
    ("naccelerators=", false, Key::Naccelerators),
    ("ncpus=", false, Key::Chunk(OptId::Mincpus, 2)),
    ("nice=", true, Key::Set(OptId::Nice)),
    ("nodes=", true, Key::Nodes),
    ("opsys=", true, Key::Skip),
    ("other=", true, Key::Skip),
    ("pcput=", true, Key::Set(OptId::TimeLimit)),
    ("pmem=", true, Key::Skip),
    ("proc=", true, Key::Proc),
    ("pvmem=", true, Key::Skip),
    ("select=", false, Key::Chunk(OptId::Nodes, 1)),
    ("software=", true, Key::Skip),
    ("vmem=", true, Key::Skip),
    ("walltime=", true, Key::Set(OptId::TimeLimit)),
];

/// Index just past the next `sep` at or after `i` (or the end).
fn past(list: &[u8], i: usize, sep: &[u8]) -> usize {
    match list[i..].iter().position(|b| sep.contains(b)) {
        Some(n) => i + n + 1,
        None => list.len(),
    }
}

/// The text from `i` up to the next `sep`, and the index just past it.
fn value_at(list: &[u8], i: usize, sep: &[u8]) -> (String, usize) {
    let end = list[i..]
        .iter()
        .position(|b| sep.contains(b))
        .map_or(list.len(), |n| i + n);
    let text = String::from_utf8_lossy(&list[i..end]).into_owned();
    (text, (end + 1).min(list.len()))
}

/// `-l item,item,...`.
fn resource_list(list: &str, target: &mut dyn Target) -> Result<(), ParseError> {
    let rl = list.as_bytes();
    let mut i = 0;
    let mut gpus: i64 = 0;
    let mut chunk_bits = 0u8;
    while i < rl.len() {
        let here = &rl[i..];
        let found = KEYS.iter().find(|(k, case, _)| {
            here.get(..k.len()).is_some_and(|p| {
                if *case {
                    p == k.as_bytes()
                } else {
                    p.eq_ignore_ascii_case(k.as_bytes())
                }
            })
        });
        let Some(&(k, _, key)) = found else {
            // Unknown text: look for a key at the next byte.
            i += 1;
            continue;
        };
        i += k.len();
        match key {
            Key::Skip => i = past(rl, i, b","),
            Key::Accelerator => {
                let yes = rl
                    .get(i..i + 4)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"true"));
                if yes && gpus < 1 {
                    gpus = 1;
                }
            }
            Key::Set(id) => {
                let (value, next) = value_at(rl, i, b",");
                i = next;
                target.set(id, Some(value))?;
            }
            Key::Size(id) => {
                let (mut value, next) = value_at(rl, i, b",");
                i = next;
                if value.ends_with(['b', 'B']) {
                    value.pop();
                }
                target.set(id, Some(value))?;
            }
            Key::Chunk(id, bit) => {
                let (value, next) = value_at(rl, i, b":");
                i = next;
                chunk_bits |= bit;
                target.set(id, Some(value))?;
            }
            Key::Naccelerators => {
                let (value, next) = value_at(rl, i, b",");
                i = next;
                gpus = parse_int("naccelerators", &value, true)?;
            }
            Key::Nodes => {
                let (value, next) = value_at(rl, i, b",");
                i = next;
                torque_nodes(&value, target)?;
            }
            Key::Proc => {
                let (mut value, next) = value_at(rl, i, b",");
                if let Some(before) = target.current(OptId::Constraint) {
                    value = format!("{value},{before}");
                }
                target.set(OptId::Constraint, Some(value))?;
                i = past(rl, next, b",");
            }
        }
    }

    // select + ncpus + mpiprocs: ncpus CPUs per chunk shared by mpiprocs tasks.
    if chunk_bits == 7 {
        let stored = |id| {
            target
                .current(id)
                .and_then(|v| parse_int("", &v, false).ok())
        };
        if let (Some(cpus), Some(tasks)) = (stored(OptId::Mincpus), stored(OptId::NtasksPerNode)) {
            if tasks > 0 && cpus > tasks {
                target.set(OptId::CpusPerTask, Some((cpus / tasks).to_string()))?;
            }
        }
    }
    if gpus > 0 {
        let value = match target.current(OptId::Gres) {
            Some(before) => format!("{before},gpu:{gpus}"),
            None => format!("gpu:{gpus}"),
        };
        target.set(OptId::Gres, Some(value))?;
    }
    Ok(())
}

/// `nodes=`: parts separated by `+` and `:`: node counts (added up), `ppn=` (added up, then
/// times the node count, gives `--ntasks`), `gpus=` (`--gpus-per-node`, set at once) and host
/// names (anything starting with a letter, gathered into `--nodelist`).
fn torque_nodes(spec: &str, target: &mut dyn Target) -> Result<(), ParseError> {
    const PART_END: &[u8] = b"+:";
    let s = spec.as_bytes();
    let mut i = 0;
    // C ints: sums wrap as sbatch's would.
    let mut ppn: i32 = 0;
    let mut node_cnt: i32 = 0;
    let mut hosts = sk8_hostlist::HostList::new();
    let number_at = |i: usize| strtoll_prefix(&String::from_utf8_lossy(&s[i..])) as i32;
    while i < s.len() {
        if s[i..].starts_with(b"gpus=") {
            let (value, next) = value_at(s, i + 5, PART_END);
            i = next;
            target.set(OptId::GpusPerNode, Some(value))?;
        } else if s[i..].starts_with(b"ppn=") {
            ppn = ppn.wrapping_add(number_at(i + 4));
            i = past(s, i + 4, PART_END);
        } else if s[i].is_ascii_digit() {
            node_cnt = node_cnt.wrapping_add(number_at(i));
            i = past(s, i, PART_END);
        } else if s[i].is_ascii_alphabetic() {
            let (host, next) = value_at(s, i, PART_END);
            i = next;
            hosts.push_host(&host);
        } else {
            i += 1;
        }
    }
    if node_cnt == 0 {
        node_cnt = 1;
    } else {
        target.set(OptId::Nodes, Some(node_cnt.to_string()))?;
    }
    if ppn != 0 {
        target.set(OptId::Ntasks, Some(ppn.wrapping_mul(node_cnt).to_string()))?;
    }
    if !hosts.is_empty() {
        target.set(OptId::Nodelist, Some(hosts.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sk8_directive::Word;

    fn foreign(flavor: Flavor, words: &[&str]) -> Foreign {
        Foreign {
            flavor,
            words: words.iter().map(|w| Word::new(*w, 2)).collect(),
            warnings: Vec::new(),
        }
    }

    /// Words split on blanks (no word in these cases needs quotes).
    fn split(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    fn xl(flavor: Flavor, line: &str) -> Result<Vec<Xlated>, ParseError> {
        translate(&foreign(flavor, &split(line)))
    }

    type Want = &'static [(OptId, Option<&'static str>)];

    fn check(flavor: Flavor, cases: &[(&str, Want)]) {
        for &(line, want) in cases {
            let got = xl(flavor, line).unwrap_or_else(|f| panic!("{flavor} {line}: {f}"));
            let want: Vec<Xlated> = want
                .iter()
                .map(|(id, v)| (*id, v.map(str::to_string)))
                .collect();
            assert_eq!(got, want, "{flavor} {line}");
        }
    }

    use OptId as O;

    #[test]
    fn pbs_letters() {
        check(
            Flavor::Pbs,
            &[
                (
                    "-a 2030-01-01T00:00:00",
                    &[(O::Begin, Some("2030-01-01T00:00:00"))],
                ),
                ("-A acct", &[(O::Account, Some("acct"))]),
                ("-e err.txt", &[(O::Error, Some("err.txt"))]),
                ("-o out.txt", &[(O::Output, Some("out.txt"))]),
                ("-h", &[(O::Hold, None)]),
                ("-J 0-3", &[(O::Array, Some("0-3"))]),
                ("-t 1-10%2", &[(O::Array, Some("1-10%2"))]),
                ("-m abe", &[(O::MailType, Some("BEGIN,END,FAIL"))]),
                ("-m EA", &[(O::MailType, Some("END,FAIL"))]),
                ("-m ban", &[(O::MailType, Some("NONE"))]),
                ("-m x", &[(O::MailType, None)]),
                ("-M me@x.org", &[(O::MailUser, Some("me@x.org"))]),
                ("-N name", &[(O::JobName, Some("name"))]),
                ("-p -5", &[(O::Nice, Some("-5"))]),
                ("-q batch", &[(O::Partition, Some("batch"))]),
                ("-v A=1", &[(O::Export, Some("A=1"))]),
                (
                    "-v A=1,B=2 -v C=3",
                    &[
                        (O::Export, Some("A=1,B=2")),
                        (O::Export, Some("A=1,B=2,C=3")),
                    ],
                ),
                ("-W depend=afterok:1", &[(O::Dependency, Some("afterok:1"))]),
                (
                    "-W DEPEND=afterany:7",
                    &[(O::Dependency, Some("afterany:7"))],
                ),
                ("-W umask=022 -W stagein=x", &[]),
                ("-c x -C y -I -j oe -k oe -r y -S /bin/sh -u bob -V -z", &[]),
                ("-hNname", &[(O::Hold, None), (O::JobName, Some("name"))]),
                ("-N a --", &[(O::JobName, Some("a"))]),
                (
                    "--job_n=jn --join --hold --array 1-2",
                    &[
                        (O::JobName, Some("jn")),
                        (O::Hold, None),
                        (O::Array, Some("1-2")),
                    ],
                ),
                ("--resource_list=walltime=5", &[(O::TimeLimit, Some("5"))]),
                ("--start_time now+1hour", &[(O::Begin, Some("now+1hour"))]),
                (
                    "--out=o --error e",
                    &[(O::Output, Some("o")), (O::Error, Some("e"))],
                ),
                (
                    "--destination q --priority 3",
                    &[(O::Partition, Some("q")), (O::Nice, Some("3"))],
                ),
            ],
        );
    }

    #[test]
    fn pbs_resource_lists() {
        check(
            Flavor::Pbs,
            &[
                (
                    "-l nodes=2:ppn=4,walltime=1:00:00",
                    &[
                        (O::Nodes, Some("2")),
                        (O::Ntasks, Some("8")),
                        (O::TimeLimit, Some("1:00:00")),
                    ],
                ),
                (
                    "-l nodes=2+3:ppn=2",
                    &[(O::Nodes, Some("5")), (O::Ntasks, Some("10"))],
                ),
                (
                    "-l nodes=1:ppn=2+1:ppn=3",
                    &[(O::Nodes, Some("2")), (O::Ntasks, Some("10"))],
                ),
                (
                    "-l nodes=vm:ppn=2",
                    &[(O::Ntasks, Some("2")), (O::Nodelist, Some("vm"))],
                ),
                (
                    "-l nodes=n1+n2+n3:ppn=1",
                    &[(O::Ntasks, Some("1")), (O::Nodelist, Some("n[1-3]"))],
                ),
                (
                    "-l nodes=2:xeon",
                    &[(O::Nodes, Some("2")), (O::Nodelist, Some("xeon"))],
                ),
                (
                    "-l nodes=1:gpus=2",
                    &[(O::GpusPerNode, Some("2")), (O::Nodes, Some("1"))],
                ),
                (
                    "-l mem=2gb,file=1GB",
                    &[(O::Mem, Some("2g")), (O::Tmp, Some("1G"))],
                ),
                ("-l mem=500", &[(O::Mem, Some("500"))]),
                ("-l mem=", &[(O::Mem, Some(""))]),
                (
                    "-l cput=10,pcput=20",
                    &[(O::TimeLimit, Some("10")), (O::TimeLimit, Some("20"))],
                ),
                ("-l walltime=", &[(O::TimeLimit, Some(""))]),
                ("-l nice=5", &[(O::Nice, Some("5"))]),
                ("-l Walltime=5", &[]),
                (
                    "-l arch=x,host=h,opsys=o,other=z,pmem=1,pvmem=1,software=s,vmem=1",
                    &[],
                ),
                ("-l feature=mem=300", &[(O::Mem, Some("300"))]),
                ("-l mppnodes=3", &[(O::Nodes, Some("3"))]),
                (
                    "-l proc=xeon,walltime=5,mem=1",
                    &[(O::Constraint, Some("xeon")), (O::Mem, Some("1"))],
                ),
                (
                    "-l proc=a -l proc=b",
                    &[(O::Constraint, Some("a")), (O::Constraint, Some("b,a"))],
                ),
                (
                    "-l select=2:ncpus=8:mpiprocs=4",
                    &[
                        (O::Nodes, Some("2")),
                        (O::Mincpus, Some("8")),
                        (O::NtasksPerNode, Some("4")),
                        (O::CpusPerTask, Some("2")),
                    ],
                ),
                (
                    "-l select=1:ncpus=5:mpiprocs=2",
                    &[
                        (O::Nodes, Some("1")),
                        (O::Mincpus, Some("5")),
                        (O::NtasksPerNode, Some("2")),
                        (O::CpusPerTask, Some("2")),
                    ],
                ),
                (
                    "-l select=1:ncpus=8:mpiprocs=8",
                    &[
                        (O::Nodes, Some("1")),
                        (O::Mincpus, Some("8")),
                        (O::NtasksPerNode, Some("8")),
                    ],
                ),
                (
                    "-l NCPUS=4:mpiprocs=2",
                    &[(O::Mincpus, Some("4")), (O::NtasksPerNode, Some("2"))],
                ),
                (
                    "-l mpiprocs=4,walltime=1:00",
                    &[(O::NtasksPerNode, Some("4,walltime=1"))],
                ),
                ("-l naccelerators=2", &[(O::Gres, Some("gpu:2"))]),
                ("-l accelerator=true", &[(O::Gres, Some("gpu:1"))]),
                (
                    "-l Accelerator=TRUE,naccelerators=3",
                    &[(O::Gres, Some("gpu:3"))],
                ),
                ("-l accelerator=false", &[]),
            ],
        );
    }

    #[test]
    fn bsub_letters() {
        check(
            Flavor::Bsub,
            &[
                ("-n 4", &[(O::Ntasks, Some("4"))]),
                ("-n 2,8", &[(O::Ntasks, Some("8"))]),
                ("-n 2,4,6", &[(O::Ntasks, Some("4,6"))]),
                ("-W 1:30", &[(O::TimeLimit, Some("1:30"))]),
                ("-M 4000", &[(O::MemPerCpu, Some("4000K"))]),
                ("-M 2G", &[(O::MemPerCpu, Some("2G"))]),
                ("-x", &[(O::Exclusive, None)]),
                ("-q batch", &[(O::Partition, Some("batch"))]),
                ("-J name", &[(O::JobName, Some("name"))]),
                (
                    "-o o.%J -e e.txt",
                    &[(O::Output, Some("o.%J")), (O::Error, Some("e.txt"))],
                ),
                ("-c /tmp", &[(O::Chdir, Some("/tmp"))]),
                ("-xJ n", &[(O::Exclusive, None), (O::JobName, Some("n"))]),
                (
                    "--t 5 --queue=q",
                    &[(O::TimeLimit, Some("5")), (O::Partition, Some("q"))],
                ),
                (
                    "--cwd /a --hostname h --memory_limit 1 --exclusive",
                    &[
                        (O::Chdir, Some("/a")),
                        (O::Nodelist, Some("h")),
                        (O::MemPerCpu, Some("1K")),
                        (O::Exclusive, None),
                    ],
                ),
                (
                    "--error_file e --job_name j --output_file o --queue_name q --time 9",
                    &[
                        (O::Error, Some("e")),
                        (O::JobName, Some("j")),
                        (O::Output, Some("o")),
                        (O::Partition, Some("q")),
                        (O::TimeLimit, Some("9")),
                    ],
                ),
            ],
        );
        // Blanks in a host list (a quoted word) become commas.
        let got = translate(&foreign(Flavor::Bsub, &["-m", "a b  c"])).unwrap();
        assert_eq!(got, vec![(O::Nodelist, Some("a,b,,c".to_string()))]);
    }

    #[test]
    fn errors_are_sbatchs() {
        let getopt =
            |msg: &str| format!("{msg}\nsbatch: error: Unrecognized command line parameter ?\n");
        let cases: Vec<(Flavor, &str, String, u8)> = vec![
            (
                Flavor::Pbs,
                "-Z",
                getopt("sbatch: invalid option -- 'Z'"),
                1,
            ),
            (
                Flavor::Pbs,
                "-N",
                getopt("sbatch: option requires an argument -- 'N'"),
                1,
            ),
            (
                Flavor::Pbs,
                "--job_name",
                getopt("sbatch: option '--job_name' requires an argument"),
                1,
            ),
            (
                Flavor::Pbs,
                "--j x",
                getopt(
                    "sbatch: option '--j' is ambiguous; possibilities: '--join' '--job_array' \
                     '--job_name'",
                ),
                1,
            ),
            (
                Flavor::Pbs,
                "--hold=",
                getopt("sbatch: option '--hold' doesn't allow an argument"),
                1,
            ),
            (
                Flavor::Pbs,
                "--bogus",
                getopt("sbatch: unrecognized option '--bogus'"),
                1,
            ),
            (
                Flavor::Pbs,
                "-h -Z",
                getopt("sbatch: invalid option -- 'Z'"),
                1,
            ),
            (
                Flavor::Pbs,
                "-N a extra",
                "sbatch: error: Invalid argument: extra\n".into(),
                1,
            ),
            (
                Flavor::Pbs,
                "-N a -- extra",
                "sbatch: error: Invalid argument: extra\n".into(),
                1,
            ),
            (
                Flavor::Pbs,
                "-N a - b",
                "sbatch: error: Invalid argument: -\n".into(),
                1,
            ),
            (
                Flavor::Pbs,
                "-W umask=999",
                "sbatch: error: Invalid -W umask= specification\n".into(),
                255,
            ),
            (
                Flavor::Pbs,
                "-W umask=-1",
                "sbatch: error: Invalid -W umask= specification\n".into(),
                255,
            ),
            (
                Flavor::Pbs,
                "-l naccelerators=x",
                "sbatch: error: Invalid numeric value \"x\" for naccelerators.\n".into(),
                1,
            ),
            (
                Flavor::Pbs,
                "-l naccelerators=0",
                "sbatch: error: Invalid numeric value \"0\" for naccelerators.\n".into(),
                1,
            ),
            (
                Flavor::Bsub,
                "-n 2,",
                "sbatch: error: #BSUB -n format not correct given: '2,'\n".into(),
                1,
            ),
            (
                Flavor::Bsub,
                "-Z",
                getopt("sbatch: invalid option -- 'Z'"),
                1,
            ),
            (
                Flavor::Bsub,
                "-M",
                getopt("sbatch: option requires an argument -- 'M'"),
                1,
            ),
            (
                Flavor::Bsub,
                "-W 1:30 extra",
                "sbatch: error: Invalid argument: extra\n".into(),
                1,
            ),
            // -x shifts the pairs: `-cwd` is then `-c wd`, and `/tmp` is left over.
            (
                Flavor::Bsub,
                "-x -cwd /tmp",
                "sbatch: error: Invalid argument: /tmp\n".into(),
                1,
            ),
        ];
        for (flavor, line, want, code) in cases {
            let err = xl(flavor, line).expect_err(line);
            assert_eq!(
                (err.render("sbatch"), err.code),
                (want, code),
                "{flavor} {line}"
            );
        }
        // An empty long name is a prefix of every name, listed in table order.
        let err = xl(Flavor::Pbs, "--=x").unwrap_err();
        let names: Vec<String> = PBS.long.iter().map(|l| format!("'--{}'", l.0)).collect();
        assert_eq!(
            err.lines[0].text,
            format!(
                "sbatch: option '--=x' is ambiguous; possibilities: {}",
                names.join(" ")
            )
        );
        assert!(
            names[..3]
                .join(" ")
                .starts_with("'--start_time' '--account' '--checkpoint'")
        );
    }

    #[test]
    fn umask_accepts_what_strtol_reads() {
        for (value, ok) in [
            ("022", true),
            ("0777", true),
            ("0x1ff", true),
            ("511", true),
            ("512", false),
            ("abc", true),
            ("4294967296", true),
            ("-1", false),
            ("0x200", false),
        ] {
            assert_eq!(check_umask(value).is_ok(), ok, "umask={value}");
        }
    }

    fn sbatch_opts() -> Opts {
        Opts::new(Cmd::Sbatch, "/home/u")
    }

    fn set(opts: &mut Opts, id: OptId, v: &str) {
        Opts::set(opts, sbatch_row(id), Some(v), Source::Directive).unwrap();
    }

    #[test]
    fn apply_builds_on_sbatch_directives() {
        let mut opts = sbatch_opts();
        set(&mut opts, O::Export, "X=1");
        set(&mut opts, O::Constraint, "a");
        set(&mut opts, O::Gres, "tmpdisk:1");
        let f = foreign(
            Flavor::Pbs,
            &split("-v A=1 -l proc=b,walltime=5,naccelerators=2 -m ae -m b"),
        );
        apply(&f, &mut opts).unwrap();
        assert_eq!(opts.value(O::Export), Some("X=1,A=1"));
        assert_eq!(opts.value(O::Constraint), Some("b,a"));
        assert_eq!(opts.value(O::Gres), Some("tmpdisk:1,gpu:2"));
        // walltime was skipped with the item after proc=.
        assert_eq!(opts.value(O::TimeLimit), None);
        assert_eq!(opts.value(O::MailType), Some("END,FAIL,BEGIN"));
    }

    #[test]
    fn apply_stops_at_the_first_refused_value() {
        // sbatch stops at the bad walltime before getopt reaches -Z.
        let mut opts = sbatch_opts();
        let f = foreign(Flavor::Pbs, &split("-N a -l walltime=bad -Z"));
        let err = apply(&f, &mut opts).unwrap_err();
        assert_eq!(
            (err.render("sbatch"), err.code),
            (
                "sbatch: error: Invalid --time specification\n".to_string(),
                255
            )
        );
        assert_eq!(opts.value(O::JobName), Some("a"));
        let f = foreign(Flavor::Pbs, &split("-l mpiprocs=4,walltime=1:00"));
        let err = apply(&f, &mut sbatch_opts()).unwrap_err();
        assert_eq!(
            err.render("sbatch"),
            "sbatch: error: Invalid numeric value \"4,walltime=1\" for --ntasks-per-node.\n"
        );
        let f = foreign(Flavor::Pbs, &split("-m x"));
        let err = apply(&f, &mut sbatch_opts()).unwrap_err();
        assert_eq!(
            (err.render("sbatch"), err.code),
            (
                "sbatch: error: Invalid --mail-type specification\n".to_string(),
                255
            )
        );
    }

    #[test]
    fn every_target_option_is_an_sbatch_option() {
        let ids = [
            O::Account,
            O::Array,
            O::Begin,
            O::Chdir,
            O::Constraint,
            O::CpusPerTask,
            O::Dependency,
            O::Error,
            O::Exclusive,
            O::Export,
            O::GpusPerNode,
            O::Gres,
            O::Hold,
            O::JobName,
            O::MailType,
            O::MailUser,
            O::Mem,
            O::MemPerCpu,
            O::Mincpus,
            O::Nice,
            O::Nodelist,
            O::Nodes,
            O::Ntasks,
            O::NtasksPerNode,
            O::Output,
            O::Partition,
            O::TimeLimit,
            O::Tmp,
        ];
        for id in ids {
            assert_eq!(sbatch_row(id).id, id);
        }
    }

    #[test]
    fn strtol_any_base_reads_like_c() {
        for (s, n) in [
            ("0x1F", 31),
            ("017", 15),
            ("17", 17),
            ("  -8", -8),
            ("0x", 0),
            ("08", 0),
            ("99999999999999999999", i64::MAX),
            ("-99999999999999999999", i64::MIN),
        ] {
            assert_eq!(strtol_any_base(s), n, "{s:?}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any words at all: a list or one of sbatch's failures, never a panic.
            #[test]
            fn never_panics(words in proptest::collection::vec("[-a-zA-Z0-9=:,+. ]{0,12}", 0..8),
                            pbs in any::<bool>()) {
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                let flavor = if pbs { Flavor::Pbs } else { Flavor::Bsub };
                match translate(&foreign(flavor, &words)) {
                    Ok(list) => prop_assert!(list.iter().all(|(id, _)| sbatch_row(*id).id == *id)),
                    Err(f) => prop_assert!(f.code == 1 || f.code == 255),
                }
            }

            /// `-m` letters always give a mail type the setter understands, or none.
            #[test]
            fn mail_letters_round_trip(letters in "[abenxABENX]{1,6}") {
                match pbs_mail_type(&letters) {
                    Some(t) => {
                        let parsed: sk8_spec::MailType = t.parse().unwrap();
                        prop_assert_eq!(parsed.to_string(), t);
                    }
                    None => prop_assert!(!letters.chars().any(|c| "abenABEN".contains(c))),
                }
            }

            /// Node counts and ppn values add up over `+`.
            #[test]
            fn node_counts_add_up(parts in proptest::collection::vec((1u16..50, 0u16..9), 1..5)) {
                let spec: Vec<String> = parts
                    .iter()
                    .map(|(n, p)| if *p == 0 { n.to_string() } else { format!("{n}:ppn={p}") })
                    .collect();
                let got = xl(Flavor::Pbs, &format!("-l nodes={}", spec.join("+"))).unwrap();
                let nodes: u32 = parts.iter().map(|p| u32::from(p.0)).sum();
                let ppn: u32 = parts.iter().map(|p| u32::from(p.1)).sum();
                prop_assert_eq!(&got[0], &(O::Nodes, Some(nodes.to_string())));
                if ppn > 0 {
                    prop_assert_eq!(&got[1], &(O::Ntasks, Some((nodes * ppn).to_string())));
                } else {
                    prop_assert_eq!(got.len(), 1);
                }
            }
        }
    }
}
