//! sacct's output: the default columns (`JobID JobName Partition Account
//! AllocCPUS State ExitCode`), `-o/--format` with `%N` widths and
//! case-insensitive prefixes, `-b`, `-X`, `-n`, `-p`, `-P` and
//! `--delimiter`, and step lines (`N.batch`, `N.extern`, `N.0`).

use sk8_backend::{JobInfo, JobState, StepInfo};

use crate::job::{self, Context};
use crate::text::{MAX_LINE_WIDTH, WidthBudget, push_spaces, sacct_cell};
use crate::time::{fixed_limit, fixed_secs, stamp_or};

/// sacct's default fields.
pub const DEFAULT_FIELDS: &str = "jobid,jobname,partition,account,alloccpus,state,exitcode";
/// `-b`/`--brief`.
pub const BRIEF_FIELDS: &str = "jobid,state,exitcode";

/// Every field sacct knows, in its table order (prefix matches take the
/// first), with its default width (negative: left-aligned).
pub const FIELDS: &[(&str, i32)] = &[
    ("Account", 10),
    ("AdminComment", 15),
    ("AllocCPUS", 10),
    ("AllocNodes", 10),
    ("AllocTRES", 10),
    ("AssocID", 7),
    ("AveCPU", 10),
    ("AveCPUFreq", 10),
    ("AveDiskRead", 14),
    ("AveDiskWrite", 14),
    ("AvePages", 10),
    ("AveRSS", 10),
    ("AveVMSize", 10),
    ("BlockID", 16),
    ("Cluster", 10),
    ("Comment", 14),
    ("Constraints", 19),
    ("ConsumedEnergy", 14),
    ("ConsumedEnergyRaw", 17),
    ("Container", 19),
    ("CPUTime", 10),
    ("CPUTimeRAW", 10),
    ("DBIndex", -10),
    ("DerivedExitCode", 15),
    ("Elapsed", 10),
    ("ElapsedRaw", 10),
    ("Eligible", 19),
    ("End", 19),
    ("ExitCode", 8),
    ("Flags", 19),
    ("GID", 6),
    ("Group", 9),
    ("JobID", -12),
    ("JobIDRaw", -12),
    ("JobName", 10),
    ("Layout", 9),
    ("MaxDiskRead", 12),
    ("MaxDiskReadNode", 15),
    ("MaxDiskReadTask", 15),
    ("MaxDiskWrite", 12),
    ("MaxDiskWriteNode", 16),
    ("MaxDiskWriteTask", 16),
    ("MaxPages", 8),
    ("MaxPagesNode", 12),
    ("MaxPagesTask", 14),
    ("MaxRSS", 10),
    ("MaxRSSNode", 10),
    ("MaxRSSTask", 10),
    ("MaxVMSize", 10),
    ("MaxVMSizeNode", 14),
    ("MaxVMSizeTask", 14),
    ("McsLabel", 12),
    ("MinCPU", 10),
    ("MinCPUNode", 10),
    ("MinCPUTask", 10),
    ("NCPUS", 10),
    ("NNodes", 8),
    ("NodeList", 15),
    ("NTasks", 8),
    ("Partition", 10),
    ("Priority", 10),
    ("QOS", 10),
    ("QOSRAW", 6),
    ("Reason", 22),
    ("ReqCPUFreq", 10),
    ("ReqCPUFreqGov", 13),
    ("ReqCPUFreqMax", 13),
    ("ReqCPUFreqMin", 13),
    ("ReqCPUS", 8),
    ("ReqMem", 10),
    ("ReqNodes", 8),
    ("ReqTRES", 10),
    ("Reservation", 20),
    ("ReservationId", 8),
    ("Reserved", 10),
    ("ResvCPU", 10),
    ("ResvCPURAW", 10),
    ("Start", 19),
    ("State", 10),
    ("Submit", 19),
    ("SubmitLine", 20),
    ("Suspended", 10),
    ("SystemComment", 15),
    ("SystemCPU", 10),
    ("Timelimit", 10),
    ("TimelimitRaw", 10),
    ("TotalCPU", 10),
    ("UID", 6),
    ("User", 9),
    ("UserCPU", 10),
    ("WCKey", 10),
    ("WCKeyID", 10),
    ("WorkDir", 20),
];

/// Why a `--format` list was refused (sacct exits 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A name no field starts with.
    #[error("Invalid field requested: \"{0}\"")]
    Field(String),
    /// Widths past [`MAX_LINE_WIDTH`] in all (sk8's limit; sacct has none
    /// and pads to any `int`).
    #[error(
        "Invalid field width requested: \"{0}\" (field widths add up to at most {MAX_LINE_WIDTH})"
    )]
    Width(String),
}

/// One column: the field's canonical name and its width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The field (as in [`FIELDS`]).
    pub name: &'static str,
    /// Width; negative left-aligns.
    pub width: i32,
}

/// How rows are written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Fixed-width columns with a dashed line under the header.
    #[default]
    Columns,
    /// `-p`: every value followed by the delimiter.
    Parsable(String),
    /// `-P`: values separated by the delimiter.
    Parsable2(String),
}

/// Parses `-o/--format` (`JobID%20,jobname%-15,ALL`).
pub fn parse_fields(list: &str) -> Result<Vec<Column>, Error> {
    let mut cols = Vec::new();
    let mut budget = WidthBudget::new();
    for raw in list.split(',') {
        let tok = raw.trim_start();
        if tok.is_empty() {
            continue;
        }
        let (name, width) = match tok.split_once('%') {
            Some((n, w)) => (n, Some(atoi(w))),
            None => (tok, None),
        };
        let too_wide = || Error::Width(tok.to_owned());
        if name.len() <= 3 && "ALL"[..name.len()].eq_ignore_ascii_case(name) {
            for &(n, w) in FIELDS {
                let width = width.unwrap_or(w);
                budget.take(width.unsigned_abs()).map_err(|_| too_wide())?;
                cols.push(Column { name: n, width });
            }
            continue;
        }
        let found = FIELDS
            .iter()
            .find(|(n, _)| n.len() >= name.len() && n[..name.len()].eq_ignore_ascii_case(name));
        match found {
            Some(&(n, w)) => {
                let width = width.unwrap_or(w);
                budget.take(width.unsigned_abs()).map_err(|_| too_wide())?;
                cols.push(Column { name: n, width });
            }
            None => return Err(Error::Field(name.to_owned())),
        }
    }
    Ok(cols)
}

fn atoi(s: &str) -> i32 {
    let neg = s.starts_with('-');
    let digits: String = s
        .trim_start_matches(['-', '+'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n = digits.parse::<i32>().unwrap_or(0);
    if neg { -n } else { n }
}

/// One line of sacct: a job, or one of its steps.
#[derive(Debug, Clone, Copy)]
pub enum Row<'a> {
    /// The job (allocation) line.
    Job(&'a JobInfo),
    /// A step line.
    Step(&'a JobInfo, &'a StepInfo),
}

/// The lines for `jobs`: each job then its steps (none with `-X`).
pub fn rows(jobs: &[JobInfo], allocations_only: bool) -> Vec<Row<'_>> {
    let mut out = Vec::new();
    for j in jobs {
        out.push(Row::Job(j));
        if !allocations_only {
            out.extend(j.steps.iter().map(|s| Row::Step(j, s)));
        }
    }
    out
}

fn exit(e: sk8_backend::ExitStatus) -> String {
    format!("{}:{}", e.code, e.signal)
}

fn nodes_or_none(nodes: &[String]) -> String {
    if nodes.is_empty() {
        "None assigned".to_owned()
    } else {
        sk8_hostlist::compress_sorted(nodes)
    }
}

fn elapsed(start: Option<i64>, end: Option<i64>, state: JobState, now: i64) -> i64 {
    match start.filter(|&s| s != 0) {
        None => 0,
        Some(s) if state == JobState::Pending => {
            let _ = s;
            0
        }
        Some(s) => end.filter(|&e| e != 0).unwrap_or(now) - s,
    }
}

/// The value of field `name` for `row`.
pub fn value(name: &str, row: Row<'_>, ctx: &Context) -> String {
    let stamp = |t: Option<i64>| stamp_or(t, &ctx.zone, "Unknown");
    match row {
        Row::Job(j) => {
            let spec = &j.spec;
            let used = elapsed(j.start_time, j.end_time, j.state, ctx.now);
            match name {
                "Account" => spec.account.clone().unwrap_or_default(),
                "AllocCPUS" | "NCPUS" | "ReqCPUS" => j.cpus.to_string(),
                "AllocNodes" | "NNodes" => job::num_nodes(j).to_string(),
                "Cluster" => ctx.cluster.clone(),
                "Comment" => spec.comment.clone().unwrap_or_default(),
                "Constraints" => spec
                    .constraint
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                "CPUTime" => fixed_secs(used * i64::from(j.cpus)),
                "CPUTimeRAW" => (used * i64::from(j.cpus)).to_string(),
                "DerivedExitCode" => "0:0".to_owned(),
                "Elapsed" => fixed_secs(used),
                "ElapsedRaw" => used.to_string(),
                "Eligible" => stamp(j.eligible_time),
                "End" => stamp(j.end_time),
                // slurmdbd records a time-out before the batch script's
                // status arrives (scontrol shows that status, sacct 0:0).
                "ExitCode" if j.state == JobState::Timeout => "0:0".to_owned(),
                "ExitCode" => exit(j.exit),
                "GID" => spec.gid.to_string(),
                "Group" => ctx.group_name(spec.gid),
                "JobID" => job::job_id(j),
                "JobIDRaw" => j.id.to_string(),
                "JobName" => spec.name.clone(),
                "NodeList" => nodes_or_none(&j.nodes),
                "Partition" => spec.partition.clone().unwrap_or_default(),
                "Priority" => j.priority.to_string(),
                "QOS" => spec.qos.clone().unwrap_or_default(),
                "Reason" => j.reason.clone(),
                "ReqMem" => job::min_memory(j),
                "ReqNodes" => spec.min_nodes().to_string(),
                "ReqTRES" | "AllocTRES" => crate::scontrol::tres(j),
                "Reservation" => spec.reservation.clone().unwrap_or_default(),
                "Start" => stamp(j.start_time),
                "State" => match j.state {
                    JobState::Cancelled => format!("CANCELLED by {}", spec.uid),
                    s => s.name().to_owned(),
                },
                "Submit" => stamp(Some(j.submit_time)),
                "Suspended" => "00:00:00".to_owned(),
                "Timelimit" => match job::limit(j) {
                    None => "Partition_Limit".to_owned(),
                    Some(l) => fixed_limit(l),
                },
                "TimelimitRaw" => match job::limit(j) {
                    Some(sk8_spec::TimeLimit::Minutes(m)) => m.to_string(),
                    _ => "UNLIMITED".to_owned(),
                },
                "UID" => spec.uid.to_string(),
                "User" => spec.user.clone(),
                "WCKey" => spec.wckey.clone().unwrap_or_default(),
                "WorkDir" => spec.work_dir.clone(),
                _ => String::new(),
            }
        }
        Row::Step(j, s) => {
            let used = elapsed(s.start_time, s.end_time, s.state, ctx.now);
            let job_id = |raw: bool| {
                let base = if raw {
                    j.id.to_string()
                } else {
                    job::job_id(j)
                };
                format!("{base}.{}", s.id)
            };
            match name {
                "Account" => j.spec.account.clone().unwrap_or_default(),
                "AllocCPUS" | "NCPUS" | "ReqCPUS" => j.cpus.to_string(),
                "AllocNodes" | "NNodes" => s.nodes.len().to_string(),
                "Cluster" => ctx.cluster.clone(),
                "CPUTime" => fixed_secs(used * i64::from(j.cpus)),
                "CPUTimeRAW" => (used * i64::from(j.cpus)).to_string(),
                "Elapsed" => fixed_secs(used),
                "ElapsedRaw" => used.to_string(),
                "End" => stamp(s.end_time),
                "ExitCode" => exit(s.exit),
                "JobID" => job_id(false),
                "JobIDRaw" => job_id(true),
                "JobName" => s.name.clone(),
                "NodeList" => nodes_or_none(&s.nodes),
                "NTasks" => s.tasks.to_string(),
                "Start" | "Submit" => stamp(s.start_time),
                "State" => s.state.name().to_owned(),
                "WorkDir" => j.spec.work_dir.clone(),
                _ => String::new(),
            }
        }
    }
}

/// Renders sacct's output: header (unless `no_header`) and one line per row.
pub fn render(
    cols: &[Column],
    rows: &[Row<'_>],
    mode: &Mode,
    ctx: &Context,
    no_header: bool,
) -> String {
    let mut out = String::with_capacity(80 * (rows.len() + 2));
    let write_line = |out: &mut String, values: &mut dyn Iterator<Item = (String, i32)>| {
        let n = cols.len();
        for (i, (v, w)) in values.enumerate() {
            match mode {
                Mode::Columns => {
                    sacct_cell(out, &v, w);
                    out.push(' ');
                }
                Mode::Parsable(d) => {
                    out.push_str(&v);
                    out.push_str(d);
                }
                Mode::Parsable2(d) => {
                    out.push_str(&v);
                    if i + 1 < n {
                        out.push_str(d);
                    }
                }
            }
        }
        out.push('\n');
    };
    if !no_header {
        match mode {
            Mode::Columns => {
                for c in cols {
                    let w = c.width.unsigned_abs() as usize;
                    let name = &c.name[..c.name.len().min(w)];
                    let fill = w - name.len();
                    if c.width < 0 {
                        out.push_str(name);
                        push_spaces(&mut out, fill);
                    } else {
                        push_spaces(&mut out, fill);
                        out.push_str(name);
                    }
                    out.push(' ');
                }
                out.push('\n');
                for c in cols {
                    out.extend(std::iter::repeat_n('-', c.width.unsigned_abs() as usize));
                    out.push(' ');
                }
                out.push('\n');
            }
            _ => write_line(
                &mut out,
                &mut cols.iter().map(|c| (c.name.to_owned(), c.width)),
            ),
        }
    }
    for row in rows {
        write_line(
            &mut out,
            &mut cols.iter().map(|c| (value(c.name, *row, ctx), c.width)),
        );
    }
    out
}
