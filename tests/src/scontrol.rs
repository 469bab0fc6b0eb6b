//! Parsing of `scontrol show job -o` records into ordered `key -> value` fields.
//!
//! Values may contain spaces (`JobName=a b`, `Comment=...`, `Command=...`), so a
//! record is never split on spaces. Instead the parser knows the keys Slurm
//! 22.05 prints, in the order it prints them (`slurm_sprint_job_info` in
//! `src/api/job_info.c`), which of them always appear, and which may hold free
//! text. A record is cut where a known key follows a space, such that keys only
//! move forward in that order, no always-printed key is skipped and
//! fixed-format values hold no space. Among the cuts that satisfy this, a
//! free-text value takes the longest, so `Comment=a StdErr=b` stays one value.

use std::fmt;
use std::str::FromStr;

/// A problem with a record that is not in the shape `scontrol` prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScontrolError {
    /// The record does not start with a known key.
    #[error("record does not start with a known key: `{0}`")]
    NoLeadingKey(String),
    /// No cut into known keys satisfies the order and shape rules.
    #[error("record does not fit the keys scontrol prints: `{0}`")]
    Unparsable(String),
    /// The output held no record at all.
    #[error("no job record in scontrol output")]
    Empty,
}

/// What a slot of the record may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A value without spaces (numbers, times, names, lists).
    Word,
    /// Free text that may contain spaces.
    Text,
    /// Free text that scontrol follows with one extra space (the comments).
    PaddedText,
}

/// One position in scontrol's output: the key names that may appear there
/// (alternatives such as `MinMemoryNode`/`MinMemoryCPU`), whether it is always
/// printed, and the shape of its value.
struct Slot {
    names: &'static [&'static str],
    required: bool,
    shape: Shape,
}

const fn slot(names: &'static [&'static str], required: bool, shape: Shape) -> Slot {
    Slot {
        names,
        required,
        shape,
    }
}

use Shape::{PaddedText, Text, Word};

/// The keys of `scontrol show job -o`, in the order Slurm 22.05 prints them.
const SLOTS: &[Slot] = &[
    slot(&["JobId"], true, Word),
    slot(&["ArrayJobId"], false, Word),
    slot(&["ArrayTaskId"], false, Word),
    slot(&["ArrayTaskThrottle"], false, Word),
    slot(&["HetJobId"], false, Word),
    slot(&["HetJobOffset"], false, Word),
    slot(&["JobName"], true, Text),
    slot(&["HetJobIdSet"], false, Word),
    slot(&["UserId"], true, Word),
    slot(&["GroupId"], true, Word),
    slot(&["MCS_label"], true, Word),
    slot(&["Priority"], true, Word),
    slot(&["Nice"], true, Word),
    slot(&["Account"], true, Word),
    slot(&["QOS"], true, Word),
    slot(&["WCKey"], false, Word),
    slot(&["JobState"], true, Word),
    slot(&["Reason"], true, Word),
    slot(&["Dependency"], true, Text),
    slot(&["Requeue"], true, Word),
    slot(&["Restarts"], true, Word),
    slot(&["BatchFlag"], true, Word),
    slot(&["Reboot"], true, Word),
    slot(&["ExitCode"], true, Word),
    slot(&["DerivedExitCode"], false, Word),
    slot(&["RunTime"], true, Word),
    slot(&["TimeLimit"], true, Word),
    slot(&["TimeMin"], true, Word),
    slot(&["SubmitTime"], true, Word),
    slot(&["EligibleTime"], true, Word),
    slot(&["AccrueTime"], true, Word),
    slot(&["ResizeTime"], false, Word),
    slot(&["StartTime"], true, Word),
    slot(&["EndTime"], true, Word),
    slot(&["Deadline"], true, Word),
    slot(&["CronJob"], false, Word),
    slot(&["CrontabSpec"], false, Text),
    slot(&["PreemptEligibleTime"], false, Word),
    slot(&["PreemptTime"], false, Word),
    slot(&["SuspendTime"], true, Word),
    slot(&["SecsPreSuspend"], true, Word),
    slot(&["LastSchedEval"], true, Word),
    slot(&["Scheduler"], true, Word),
    slot(&["Partition"], true, Word),
    slot(&["AllocNode:Sid"], true, Word),
    slot(&["ReqNodeList"], true, Word),
    slot(&["ExcNodeList"], true, Word),
    slot(&["NodeList"], true, Word),
    slot(&["SchedNodeList"], false, Word),
    slot(&["BatchFeatures"], false, Text),
    slot(&["BatchHost"], false, Word),
    slot(&["FedOrigin"], false, Word),
    slot(&["FedViableSiblings"], false, Word),
    slot(&["FedActiveSiblings"], false, Word),
    slot(&["NumNodes"], true, Word),
    slot(&["NumCPUs"], true, Word),
    slot(&["NumTasks"], true, Word),
    slot(&["CPUs/Task"], true, Word),
    slot(&["ReqB:S:C:T"], true, Word),
    slot(&["TRES"], true, Word),
    slot(&["Socks/Node"], true, Word),
    slot(&["NtasksPerN:B:S:C"], true, Word),
    slot(&["CoreSpec", "ThreadSpec"], true, Word),
    slot(&["MinCPUsNode"], true, Word),
    slot(&["MinMemoryNode", "MinMemoryCPU"], true, Word),
    slot(&["MinTmpDiskNode"], true, Word),
    slot(&["Features"], true, Text),
    slot(&["DelayBoot"], true, Word),
    slot(&["ClusterFeatures"], false, Text),
    slot(&["Prefer"], false, Text),
    slot(&["Reservation"], false, Word),
    slot(&["OverSubscribe"], true, Word),
    slot(&["Contiguous"], true, Word),
    slot(&["Licenses"], true, Word),
    slot(&["Network"], true, Word),
    slot(&["Command"], true, Text),
    slot(&["WorkDir"], true, Text),
    slot(&["AdminComment"], false, PaddedText),
    slot(&["SystemComment"], false, PaddedText),
    slot(&["Comment"], false, PaddedText),
    slot(&["StdErr"], false, Text),
    slot(&["StdIn"], false, Text),
    slot(&["StdOut"], false, Text),
    slot(&["Switches"], false, Word),
    slot(&["BurstBuffer"], false, Text),
    slot(&["BurstBufferState"], false, Word),
    slot(&["cur_freq"], false, Word),
    slot(&["CPU_min_freq"], false, Word),
    slot(&["CPU_max_freq"], false, Word),
    slot(&["CPU_governor"], false, Word),
    slot(&["Power"], true, Word),
    slot(
        &["GresEnforceBind", "KillOInInvalidDependent", "SpreadJob"],
        false,
        Word,
    ),
    slot(&["CpusPerTres"], false, Word),
    slot(&["MemPerTres"], false, Word),
    slot(&["TresBind"], false, Word),
    slot(&["TresFreq"], false, Word),
    slot(&["TresPerJob"], false, Word),
    slot(&["TresPerNode"], false, Word),
    slot(&["TresPerSocket"], false, Word),
    slot(&["TresPerTask"], false, Word),
    slot(&["MailUser"], false, Text),
    slot(&["MailType"], false, Word),
    slot(&["NtasksPerTRES"], false, Word),
    slot(&["Container"], false, Text),
    slot(&["SELinuxContext"], false, Text),
];

/// The slot index of a key name.
fn slot_of(name: &str) -> Option<usize> {
    SLOTS.iter().position(|s| s.names.contains(&name))
}

/// Whether scontrol prints a field of this name.
pub fn is_key(name: &str) -> bool {
    slot_of(name).is_some()
}

/// One job record of `scontrol show job -o`: its fields in printed order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFields {
    fields: Vec<(String, String)>,
}

impl JobFields {
    /// The value of `key`, if the record has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The fields in the order scontrol printed them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the record has no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Builds a record from fields, as a test would before rendering it.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            fields: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Every record of a whole `scontrol show job -o` output (one per line;
    /// an array or heterogeneous job may print several).
    pub fn parse_all(output: &str) -> Result<Vec<Self>, ScontrolError> {
        let records: Vec<Self> = output
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        if records.is_empty() {
            return Err(ScontrolError::Empty);
        }
        Ok(records)
    }
}

/// A place in the record where a known key starts.
#[derive(Debug, Clone, Copy)]
struct Cut {
    /// Byte offset of the key.
    at: usize,
    /// Byte offset of the value (after `=`).
    value: usize,
    /// The slot of the key.
    slot: usize,
}

/// All places where a known key follows the start of the record or a space.
fn cuts(line: &str) -> Vec<Cut> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    for at in 0..bytes.len() {
        if at > 0 && bytes[at - 1] != b' ' {
            continue;
        }
        let rest = &line[at..];
        let Some(eq) = rest.find('=') else { continue };
        if let Some(slot) = slot_of(&rest[..eq]) {
            out.push(Cut {
                at,
                value: at + eq + 1,
                slot,
            });
        }
    }
    out
}

/// Whether `value` fits the shape of `slot`; the value of a padded slot loses
/// its padding space.
fn shaped(slot: usize, value: &str) -> Option<&str> {
    match SLOTS[slot].shape {
        Word => (!value.contains(' ')).then_some(value),
        Text => Some(value),
        PaddedText => value.strip_suffix(' '),
    }
}

/// Whether a key of slot `to` may directly follow one of slot `from`: the
/// order moves forward and skips no always-printed slot.
fn may_follow(from: usize, to: usize) -> bool {
    to > from && !SLOTS[from + 1..to].iter().any(|s| s.required)
}

impl FromStr for JobFields {
    type Err = ScontrolError;

    fn from_str(record: &str) -> Result<Self, Self::Err> {
        let line = record.trim_end_matches(['\n', '\r']);
        // scontrol ends each one-line record with its line separator, a space.
        let line = line.strip_suffix(' ').unwrap_or(line);
        let cuts = cuts(line);
        if cuts.first().is_none_or(|c| c.at != 0) {
            return Err(ScontrolError::NoLeadingKey(line.to_owned()));
        }
        // best[i]: for a parse from cut i to the end, the most fields it can
        // have and the cut that ends the value of cut i (`None`: the value runs
        // to the end). Computed from the back so each cut is decided once.
        // Most fields first, then the latest end: an optional key is not
        // swallowed by the text before it, and among equals free text keeps
        // what looks like keys inside it.
        let mut best: Vec<Option<(usize, Option<usize>)>> = vec![None; cuts.len()];
        for i in (0..cuts.len()).rev() {
            let from = cuts[i];
            if !SLOTS[from.slot + 1..].iter().any(|s| s.required)
                && shaped(from.slot, &line[from.value..]).is_some()
            {
                best[i] = Some((1, None));
            }
            for j in (i + 1..cuts.len()).rev() {
                let to = cuts[j];
                let Some((count, _)) = best[j] else { continue };
                let fits = to.at > from.value
                    && may_follow(from.slot, to.slot)
                    && shaped(from.slot, &line[from.value..to.at - 1]).is_some();
                if fits && best[i].is_none_or(|(c, _)| count + 1 > c) {
                    best[i] = Some((count + 1, Some(j)));
                }
            }
        }
        let mut fields = Vec::new();
        let mut i = 0;
        loop {
            let Some((_, end)) = best[i] else {
                return Err(ScontrolError::Unparsable(line.to_owned()));
            };
            let cut = cuts[i];
            let key = &line[cut.at..cut.value - 1];
            let raw = match end {
                Some(j) => &line[cut.value..cuts[j].at - 1],
                None => &line[cut.value..],
            };
            let value = shaped(cut.slot, raw).unwrap_or(raw);
            fields.push((key.to_owned(), value.to_owned()));
            match end {
                Some(j) => i = j,
                None => break,
            }
        }
        Ok(Self { fields })
    }
}

/// Renders the record as `scontrol show job -o` prints it, trailing space
/// included, so that parsing the rendering gives the record back.
impl fmt::Display for JobFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.fields {
            let pad = slot_of(key).is_some_and(|s| SLOTS[s].shape == PaddedText);
            write!(f, "{key}={value}{} ", if pad { " " } else { "" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A real record of a held batch job on the reference cluster.
    const HELD: &str = "JobId=9 JobName=a b UserId=root(0) GroupId=root(0) MCS_label=N/A \
        Priority=0 Nice=0 Account=root QOS=normal JobState=PENDING Reason=JobHeldUser \
        Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 \
        RunTime=00:00:00 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-11-28T15:52:27 \
        EligibleTime=Unknown AccrueTime=Unknown StartTime=Unknown EndTime=Unknown \
        Deadline=N/A SuspendTime=None SecsPreSuspend=0 LastSchedEval=2026-11-28T15:52:27 \
        Scheduler=Main Partition=debug AllocNode:Sid=localhost:5114 ReqNodeList=(null) \
        ExcNodeList=(null) NodeList= NumNodes=1 NumCPUs=1 NumTasks=1 CPUs/Task=1 \
        ReqB:S:C:T=0:0:*:* TRES=cpu=1,mem=24105M,node=1,billing=1 Socks/Node=* \
        NtasksPerN:B:S:C=0:0:*:* CoreSpec=* MinCPUsNode=1 MinMemoryNode=0 \
        MinTmpDiskNode=0 Features=(null) DelayBoot=00:00:00 OverSubscribe=OK Contiguous=0 \
        Licenses=(null) Network=(null) Command=/tmp/h/a.sh WorkDir=/tmp/h \
        Comment=x y=z Foo=bar  StdErr=/tmp/h/slurm-9.out StdIn=/dev/null \
        StdOut=/tmp/h/slurm-9.out Power= \n";

    /// `HELD` with one field replaced by text as scontrol would print it.
    fn held_with(from: &str, to: &str) -> String {
        assert!(HELD.contains(from), "{from} not in the sample");
        HELD.replacen(from, to, 1)
    }

    /// A case: its name, the record, and the fields expected in it.
    type RecordCase = (
        &'static str,
        String,
        &'static [(&'static str, Option<&'static str>)],
    );

    #[test]
    fn fields_of_real_and_tricky_records() {
        let cases: &[RecordCase] = &[
            (
                "plain held job",
                HELD.to_owned(),
                &[
                    ("JobId", Some("9")),
                    ("JobName", Some("a b")),
                    ("Comment", Some("x y=z Foo=bar")),
                    ("TRES", Some("cpu=1,mem=24105M,node=1,billing=1")),
                    ("NodeList", Some("")),
                    ("Power", Some("")),
                    ("AllocNode:Sid", Some("localhost:5114")),
                    ("MinMemoryCPU", None),
                ],
            ),
            (
                "job name holding a later key",
                held_with("JobName=a b", "JobName=x UserId=evil(1) GroupId=g"),
                &[
                    ("JobName", Some("x UserId=evil(1) GroupId=g")),
                    ("UserId", Some("root(0)")),
                ],
            ),
            (
                "comment holding the keys after it",
                held_with(
                    "Comment=x y=z Foo=bar ",
                    "Comment=a StdErr=b StdIn=c StdOut=d Power=e ",
                ),
                &[
                    ("Comment", Some("a StdErr=b StdIn=c StdOut=d Power=e")),
                    ("StdErr", Some("/tmp/h/slurm-9.out")),
                    ("StdOut", Some("/tmp/h/slurm-9.out")),
                ],
            ),
            (
                "comment with spaces at both ends",
                held_with("Comment=x y=z Foo=bar ", "Comment= spaced  "),
                &[("Comment", Some(" spaced ")), ("StdIn", Some("/dev/null"))],
            ),
            (
                "paths with spaces",
                held_with(
                    "Command=/tmp/h/a.sh WorkDir=/tmp/h",
                    "Command=/tmp/my dir/run it.sh WorkDir=/tmp/my dir",
                ),
                &[
                    ("Command", Some("/tmp/my dir/run it.sh")),
                    ("WorkDir", Some("/tmp/my dir")),
                ],
            ),
            (
                "array job with throttle, memory per cpu and trailing options",
                held_with(
                    "JobId=9 ",
                    "JobId=9 ArrayJobId=9 ArrayTaskId=0-7%2 ArrayTaskThrottle=2 ",
                )
                .replacen("MinMemoryNode=0", "MinMemoryCPU=2G", 1)
                .replacen(
                    "Power= \n",
                    "Power= TresPerNode=gres:gpu:2 MailUser=a@b.c MailType=BEGIN,END \n",
                    1,
                ),
                &[
                    ("ArrayTaskId", Some("0-7%2")),
                    ("ArrayTaskThrottle", Some("2")),
                    ("MinMemoryCPU", Some("2G")),
                    ("MinMemoryNode", None),
                    ("Power", Some("")),
                    ("TresPerNode", Some("gres:gpu:2")),
                    ("MailUser", Some("a@b.c")),
                    ("MailType", Some("BEGIN,END")),
                ],
            ),
            (
                "no comment and empty job name",
                held_with("Comment=x y=z Foo=bar  ", "").replacen("JobName=a b", "JobName=", 1),
                &[
                    ("JobName", Some("")),
                    ("Comment", None),
                    ("WorkDir", Some("/tmp/h")),
                ],
            ),
            (
                "heterogeneous component",
                held_with("JobId=9 ", "JobId=10 HetJobId=9 HetJobOffset=1 ").replacen(
                    "UserId=",
                    "HetJobIdSet=9-10 UserId=",
                    1,
                ),
                &[
                    ("HetJobId", Some("9")),
                    ("HetJobOffset", Some("1")),
                    ("HetJobIdSet", Some("9-10")),
                    ("JobName", Some("a b")),
                ],
            ),
        ];
        for (name, record, expect) in cases {
            let job: JobFields = record.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
            for (key, want) in *expect {
                assert_eq!(job.get(key), *want, "{name}: field {key}");
            }
            assert_eq!(
                job.to_string().parse::<JobFields>().as_ref(),
                Ok(&job),
                "{name}"
            );
        }
    }

    #[test]
    fn rejects_what_scontrol_never_prints() {
        let cases: &[(&str, &str)] = &[
            ("no leading key", "hello JobId=1"),
            ("missing required keys", "JobId=1 JobName=x"),
            (
                "space in a number",
                &HELD.replacen("NumNodes=1", "NumNodes=1 2", 1),
            ),
        ];
        for (name, record) in cases {
            assert!(record.parse::<JobFields>().is_err(), "{name} parsed");
        }
        assert_eq!(JobFields::parse_all("\n"), Err(ScontrolError::Empty));
    }

    #[test]
    fn several_records() {
        let two = format!("{HELD}{}", HELD.replacen("JobId=9", "JobId=10", 1));
        let jobs = JobFields::parse_all(&two).expect("two records");
        let ids: Vec<_> = jobs.iter().map(|j| j.get("JobId")).collect();
        assert_eq!(ids, [Some("9"), Some("10")]);
    }

    /// Free text made of filler and the keys of slots before the last
    /// always-printed slot ahead of `slot`: no parse can use those. (Text
    /// holding ` Key=` of a later key can be ambiguous in scontrol's output
    /// itself; the table above covers the cases real jobs meet.)
    fn text(slot: usize) -> impl Strategy<Value = String> {
        let fence = SLOTS[..slot].iter().rposition(|s| s.required).unwrap_or(0);
        let mut pieces = vec![
            "a".to_owned(),
            " ".to_owned(),
            "=".to_owned(),
            "x y".to_owned(),
        ];
        pieces.extend(
            SLOTS[..fence]
                .iter()
                .flat_map(|s| s.names)
                .map(|n| format!("{n}=")),
        );
        prop::collection::vec(prop::sample::select(pieces), 0..8).prop_map(|p| p.concat())
    }

    fn word() -> impl Strategy<Value = String> {
        "[A-Za-z0-9:()/,=*_.@%-]{0,10}"
    }

    fn value(slot: usize) -> BoxedStrategy<String> {
        match SLOTS[slot].shape {
            Word => word().boxed(),
            Text | PaddedText => text(slot).boxed(),
        }
    }

    /// A record: every required slot and a random choice of optional ones,
    /// each with a random spelling of its name.
    fn record() -> impl Strategy<Value = JobFields> {
        let slots: Vec<_> = SLOTS
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let keep = if s.required {
                    Just(true).boxed()
                } else {
                    any::<bool>().boxed()
                };
                (keep, prop::sample::select(s.names.to_vec()), value(i))
            })
            .collect();
        slots.prop_map(|chosen| JobFields {
            fields: chosen
                .into_iter()
                .filter(|(keep, _, _)| *keep)
                .map(|(_, name, value)| (name.to_owned(), value))
                .collect(),
        })
    }

    proptest! {
        #[test]
        fn rendering_parses_back(job in record()) {
            let text = job.to_string();
            prop_assert_eq!(text.parse::<JobFields>(), Ok(job));
        }
    }
}
