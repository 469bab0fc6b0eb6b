//! squeue's output: `-o` format strings, `-O` field lists, the default
//! layouts, headers, and the pipeline Slurm runs before printing (state
//! filter, array expansion with `-r`, sorting).
//!
//! Slurm 22.05's parsing quirks are kept: `%-10j` is not a left-aligned
//! width but an invalid specifier (`-`) printed as text; `%%` collapses;
//! `-O` fields without a width get 20 columns; an unknown `-O` name prints
//! nothing but its suffix.

use std::borrow::{Borrow, Cow};
use std::fmt::Write as _;

use sk8_backend::{JobInfo, JobState};

use crate::job::{self, Context, or_null, star};
use crate::text::{WidthBudget, pad_into, width_error};
use crate::time::{squeue_limit, squeue_secs, stamp_or};

/// squeue's default layout.
pub const DEFAULT_FORMAT: &str = "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R";
/// The `-l`/`--long` layout.
pub const LONG_FORMAT: &str = "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R";
/// The `--start` layout.
pub const START_FORMAT: &str = "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R";
/// The default sort (`-S`): partition, state, priority descending.
pub const DEFAULT_SORT: &str = "P,t,-p";

macro_rules! job_fields {
    ($($var:ident $letter:literal [$($name:literal),*] $header:literal;)*) => {
        /// One column squeue can print (`%i`, `-O JobID`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum JobField { $($var,)* }

        impl JobField {
            /// Every field.
            pub const ALL: &'static [JobField] = &[$(JobField::$var,)*];

            /// The `-o` letter, if the field has one.
            pub fn letter(self) -> Option<char> {
                match self { $(JobField::$var => { let c: char = $letter; (c != ' ').then_some(c) })* }
            }

            /// The `-O` names (lower case).
            pub fn names(self) -> &'static [&'static str] {
                match self { $(JobField::$var => &[$($name),*],)* }
            }

            /// The column header.
            pub fn header(self) -> &'static str {
                match self { $(JobField::$var => $header,)* }
            }
        }
    };
}

job_fields! {
    Account 'a' ["account"] "ACCOUNT";
    JobId2 'A' ["jobid"] "JOBID";
    TresPerNode 'b' ["tres-per-node", "gres"] "TRES_PER_NODE";
    BatchHost 'B' ["batchhost"] "EXEC_HOST";
    MinCpus 'c' ["mincpus"] "MIN_CPUS";
    NumCpus 'C' ["numcpus"] "CPUS";
    MinTmpDisk 'd' ["mintmpdisk"] "MIN_TMP_DISK";
    NumNodes 'D' ["numnodes"] "NODES";
    EndTime 'e' ["endtime"] "END_TIME";
    Dependency 'E' ["dependency"] "DEPENDENCY";
    Features 'f' ["feature"] "FEATURES";
    ArrayJobId 'F' ["arrayjobid"] "ARRAY_JOB_ID";
    GroupName 'g' ["groupname"] "GROUP";
    GroupId 'G' ["groupid"] "GROUP";
    OverSubscribe 'h' ["oversubscribe", "shared"] "OVER_SUBSCRIBE";
    Sockets 'H' ["sockets"] "SOCKETS_PER_NODE";
    JobId 'i' ["jobarrayid"] "JOBID";
    Cores 'I' ["cores"] "CORES_PER_SOCKET";
    Name 'j' ["name"] "NAME";
    Threads 'J' ["threads"] "THREADS_PER_CORE";
    Comment 'k' ["comment"] "COMMENT";
    ArrayTaskId 'K' ["arraytaskid"] "ARRAY_TASK_ID";
    TimeLimit 'l' ["timelimit"] "TIME_LIMIT";
    TimeLeft 'L' ["timeleft"] "TIME_LEFT";
    MinMemory 'm' ["minmemory"] "MIN_MEMORY";
    TimeUsed 'M' ["timeused"] "TIME";
    ReqNodes 'n' ["reqnodes"] "REQ_NODES";
    NodeList 'N' ["nodelist"] "NODELIST";
    CommandField 'o' ["command"] "COMMAND";
    Contiguous 'O' ["contiguous"] "CONTIGUOUS";
    Priority 'p' ["priority"] "PRIORITY";
    Partition 'P' ["partition"] "PARTITION";
    Qos 'q' ["qos"] "QOS";
    PriorityLong 'Q' ["prioritylong"] "PRIORITY";
    Reason 'r' ["reason"] "REASON";
    ReasonList 'R' ["reasonlist"] "NODELIST(REASON)";
    SelectJobInfo 's' ["selectjobinfo"] "";
    StartTime 'S' ["starttime"] "START_TIME";
    StateCompact 't' ["statecompact"] "ST";
    State 'T' ["state"] "STATE";
    UserName 'u' ["username"] "USER";
    UserId 'U' ["userid"] "UID";
    Reservation 'v' ["reservation"] "RESERVATION";
    SubmitTime 'V' ["submittime"] "SUBMIT_TIME";
    Wckey 'w' ["wckey"] "WCKEY";
    Licenses 'W' ["licenses"] "LICENSES";
    ExcNodes 'x' ["excnodes"] "EXC_NODES";
    CoreSpec 'X' ["corespec"] "CORE_SPEC";
    Nice 'y' ["nice"] "NICE";
    SchedNodes 'Y' ["schednodes"] "SCHEDNODES";
    Sct 'z' ["sct"] "S:C:T";
    WorkDir 'Z' ["workdir"] "WORK_DIR";
    Cluster ' ' ["cluster"] "CLUSTER";
    Container ' ' ["container"] "CONTAINER";
    NumTasks ' ' ["numtasks"] "TASKS";
    PendingTime ' ' ["pendingtime"] "PENDING_TIME";
    LastSchedEval ' ' ["lastschedeval"] "LAST_SCHED_EVAL";
    AccrueTime ' ' ["accruetime"] "ACCRUE_TIME";
    AllocNodes ' ' ["allocnodes"] "ALLOC_NODES";
    BatchFlag ' ' ["batchflag"] "BATCH_FLAG";
    CpusPerTask ' ' ["cpuspertask", "cpus-per-task"] "CPUS_PER_TASK";
    EligibleTime ' ' ["eligibletime"] "ELIGIBLE_TIME";
    ExitCode ' ' ["exit_code"] "EXIT_CODE";
    DerivedEc ' ' ["derivedec"] "DERIVED_EC";
    MaxCpus ' ' ["maxcpus"] "MAX_CPUS";
    MaxNodes ' ' ["maxnodes"] "MAX_NODES";
    NtPerCore ' ' ["ntpercore"] "NTASKS_PER_CORE";
    NtPerNode ' ' ["ntpernode"] "NTASKS_PER_NODE";
    NtPerSocket ' ' ["ntpersocket"] "NTASKS_PER_SOCKET";
    Requeue ' ' ["requeue"] "REQUEUE";
    RestartCnt ' ' ["restartcnt"] "RESTART_COUNT";
    StdErr ' ' ["stderr"] "STDERR";
    StdIn ' ' ["stdin"] "STDIN";
    StdOut ' ' ["stdout"] "STDOUT";
    MinTime ' ' ["mintime"] "TIME_MIN";
    Deadline ' ' ["deadline"] "DEADLINE";
    HetJobId ' ' ["hetjobid", "packjobid"] "HET_JOB_ID";
    HetJobOffset ' ' ["hetjoboffset", "packjoboffset"] "HET_JOB_OFFSET";
    TresPerJob ' ' ["tres-per-job"] "TRES_PER_JOB";
    TresPerTask ' ' ["tres-per-task"] "TRES_PER_TASK";
    TresAlloc ' ' ["tres-alloc", "tres"] "TRES_ALLOC";
    Network ' ' ["network"] "NETWORK";
}

impl JobField {
    /// The field printed by `-o %c`.
    pub fn from_letter(c: char) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.letter() == Some(c))
    }

    /// The field named in `-O` (case-insensitive; `numtasks` and
    /// `container` also match longer names, as in Slurm).
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("numtasks") {
            return Some(Self::NumTasks);
        }
        if lower.starts_with("container") {
            return Some(Self::Container);
        }
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.names().contains(&lower.as_str()))
    }

    /// Whether a right-aligned value longer than the column is cut.
    /// Times and node lists are not.
    fn cuts(self, job: &JobInfo) -> bool {
        match self {
            Self::TimeLimit | Self::TimeLeft | Self::TimeUsed | Self::NodeList => false,
            Self::SchedNodes => false,
            Self::ReasonList => job::shows_reason(job.state),
            _ => true,
        }
    }

    /// Whether the header is cut (the node list headers are not).
    fn header_cuts(self) -> bool {
        !matches!(self, Self::NodeList | Self::SchedNodes | Self::ReasonList)
    }

    /// The value for `job`.
    pub fn value(self, job: &JobInfo, ctx: &Context) -> String {
        let spec = &job.spec;
        let s = |v: Option<&String>| or_null(v.map(String::as_str)).to_owned();
        let time = |t: Option<i64>| stamp_or(t, &ctx.zone, "N/A");
        match self {
            Self::Account => s(spec.account.as_ref()),
            Self::JobId2 => job.id.to_string(),
            Self::TresPerNode => job::tres_per_node(job).unwrap_or_else(|| "N/A".to_owned()),
            Self::BatchHost => job.batch_host.clone().unwrap_or_else(|| "n/a".to_owned()),
            Self::MinCpus => job::min_cpus_node(job).to_string(),
            Self::NumCpus => job.cpus.to_string(),
            Self::MinTmpDisk => spec.tmp.map_or_else(|| "0".to_owned(), |t| t.to_scontrol()),
            Self::NumNodes => job::num_nodes(job).to_string(),
            Self::EndTime => {
                let end = job.end_time.unwrap_or(0);
                if job::limit(job) == Some(sk8_spec::TimeLimit::Unlimited) && end > ctx.now {
                    "NONE".to_owned()
                } else {
                    time(job.end_time)
                }
            }
            Self::Dependency => job::dependency(job),
            Self::Features => spec
                .constraint
                .as_ref()
                .map_or_else(|| "(null)".to_owned(), ToString::to_string),
            Self::ArrayJobId => job::array_job_id(job).to_string(),
            Self::GroupName => ctx.group_name(spec.gid),
            Self::GroupId => spec.gid.to_string(),
            Self::OverSubscribe => job::over_subscribe(job).to_owned(),
            Self::Sockets => star(spec.topology.sockets_per_node),
            Self::JobId => job::job_id(job),
            Self::Cores => star(spec.topology.cores_per_socket),
            Self::Name => spec.name.clone(),
            Self::Threads => star(spec.topology.threads_per_core),
            Self::Comment => s(spec.comment.as_ref()),
            Self::ArrayTaskId => job::array_task(job),
            Self::TimeLimit => squeue_limit(job::limit(job)),
            Self::TimeLeft => job::time_left(job, ctx.now),
            Self::MinMemory => job::min_memory(job),
            Self::TimeUsed => squeue_secs(job::time_used(job, ctx.now)),
            Self::ReqNodes => spec.nodelist.clone().unwrap_or_default(),
            Self::NodeList => job::node_list(job),
            Self::CommandField => job::command(job),
            Self::Contiguous => u8::from(spec.contiguous).to_string(),
            Self::Priority => job::priority_fraction(job.priority),
            Self::Partition => s(spec.partition.as_ref()),
            Self::Qos => s(spec.qos.as_ref()),
            Self::PriorityLong => job.priority.to_string(),
            Self::Reason => job.reason.clone(),
            Self::ReasonList => job::reason_list(job),
            Self::SelectJobInfo => String::new(),
            Self::StartTime => time(job.start_time),
            Self::StateCompact => job.state.code().to_owned(),
            Self::State => job.state.name().to_owned(),
            Self::UserName => spec.user.clone(),
            Self::UserId => spec.uid.to_string(),
            Self::Reservation => s(spec.reservation.as_ref()),
            Self::SubmitTime => time(Some(job.submit_time)),
            Self::Wckey => s(spec.wckey.as_ref()),
            Self::Licenses => s(spec.licenses.as_ref()),
            Self::ExcNodes => spec.exclude.clone().unwrap_or_default(),
            Self::CoreSpec => spec
                .core_spec
                .map_or_else(|| "N/A".to_owned(), |c| c.to_string()),
            Self::Nice => spec.nice.unwrap_or(0).to_string(),
            Self::SchedNodes => "(null)".to_owned(),
            Self::Sct => format!(
                "{}:{}:{}",
                star(spec.topology.sockets_per_node),
                star(spec.topology.cores_per_socket),
                star(spec.topology.threads_per_core)
            ),
            Self::WorkDir => spec.work_dir.clone(),
            Self::Cluster => ctx.cluster.clone(),
            Self::Container => s(spec.container.image.as_ref()),
            Self::NumTasks => spec.tasks().to_string(),
            Self::PendingTime => {
                let start = job.start_time.unwrap_or(0);
                if start != 0 && start < ctx.now {
                    (start - job.submit_time).to_string()
                } else {
                    (ctx.now - job.submit_time).to_string()
                }
            }
            Self::LastSchedEval | Self::AccrueTime => time(job.eligible_time),
            Self::AllocNodes => spec.submit_host.clone(),
            Self::BatchFlag => u8::from(job::is_batch(job)).to_string(),
            Self::CpusPerTask => spec.cpus_per_task().to_string(),
            Self::EligibleTime => time(job.eligible_time),
            Self::ExitCode => job::raw_exit(job).to_string(),
            Self::DerivedEc => "0".to_owned(),
            Self::MaxCpus => job.cpus.to_string(),
            Self::MaxNodes => spec
                .nodes
                .and_then(|n| n.max())
                .unwrap_or_else(|| job::num_nodes(job))
                .to_string(),
            Self::NtPerCore => na(spec.ntasks_per_core),
            Self::NtPerNode => na(spec.ntasks_per_node),
            Self::NtPerSocket => na(spec.ntasks_per_socket),
            Self::Requeue => u8::from(spec.requeue.unwrap_or(true)).to_string(),
            Self::RestartCnt => job.restarts.to_string(),
            Self::StdErr => {
                if !job::is_batch(job) {
                    "N/A".to_owned()
                } else {
                    crate::scontrol::std_path(job, crate::scontrol::Stream::Err)
                }
            }
            Self::StdIn => crate::scontrol::std_path(job, crate::scontrol::Stream::In),
            Self::StdOut => crate::scontrol::std_path(job, crate::scontrol::Stream::Out),
            Self::MinTime => squeue_secs(
                spec.time_min
                    .and_then(|t| t.minutes())
                    .map_or(0, |m| i64::from(m) * 60),
            ),
            Self::Deadline => time(None),
            Self::HetJobId => job
                .het
                .map_or_else(|| "N/A".to_owned(), |(l, _)| l.to_string()),
            Self::HetJobOffset => job
                .het
                .map_or_else(|| "N/A".to_owned(), |(_, o)| o.to_string()),
            Self::TresPerJob => spec
                .gpus
                .as_ref()
                .map_or_else(|| "N/A".to_owned(), |g| format!("gres:gpu:{}", g.total())),
            Self::TresPerTask => spec
                .gpus_per_task
                .as_ref()
                .map_or_else(|| "N/A".to_owned(), |g| format!("gres:gpu:{}", g.total())),
            Self::TresAlloc => crate::scontrol::tres(job),
            Self::Network => "(null)".to_owned(),
        }
    }
}

fn na(v: Option<u32>) -> String {
    v.map_or_else(|| "N/A".to_owned(), |n| n.to_string())
}

/// One piece of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// Text printed as it is (a prefix, or an invalid specifier's text).
    Text(String),
    /// A column.
    Field {
        /// What is printed.
        field: JobField,
        /// Column width (0: as wide as the value).
        width: i32,
        /// Right-aligned (`%.5i`, `-O name:.5`).
        right: bool,
        /// Text printed after the column.
        suffix: String,
    },
}

/// A parsed squeue format: what `-o` or `-O` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    items: Vec<Item>,
    errors: Vec<String>,
}

/// Splits a `%`-format token (after the `%`): `.`, digits, the letter, the rest.
pub(crate) fn split_token(token: &str) -> (bool, i32, Option<char>, &str) {
    let mut rest = token;
    let right = rest.starts_with('.');
    if right {
        rest = &rest[1..];
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let width = rest[..digits].bytes().fold(0i32, |w, d| {
        w.wrapping_mul(10).wrapping_add(i32::from(d - b'0'))
    });
    rest = &rest[digits..];
    let mut chars = rest.chars();
    let letter = chars.next();
    (right, width, letter, chars.as_str())
}

/// Splits a `-O` token: name, right, width, suffix.
pub(crate) fn split_long_token(token: &str) -> (&str, bool, i32, &str) {
    let Some((name, spec)) = token.split_once(':') else {
        return (token, false, 20, "");
    };
    let (right, spec) = match spec.strip_prefix('.') {
        Some(s) => (true, s),
        None => (false, spec),
    };
    let digits = spec.bytes().take_while(u8::is_ascii_digit).count();
    let width = spec[..digits].parse::<i32>().unwrap_or(0);
    (name, right, width, &spec[digits..])
}

/// The `%all` expansion: every letter, `|`-separated.
pub(crate) fn all_letters(sep_space: bool) -> String {
    let mut s = String::from("%a");
    for c in ('b'..='z').chain('A'..='Z') {
        s.push_str("|%");
        s.push(c);
        if sep_space && c.is_ascii_uppercase() {
            s.push(' ');
        }
    }
    s
}

/// Splits a `-o` string into its prefix and `%` tokens, as `strtok` does.
pub(crate) fn tokens(format: &str) -> (Option<&str>, Vec<&str>) {
    let (prefix, rest) = match format.find('%') {
        None => (Some(format), ""),
        Some(0) => (None, format),
        Some(i) => (Some(&format[..i]), &format[i..]),
    };
    let toks = rest.split('%').filter(|t| !t.is_empty()).collect();
    (prefix.filter(|p| !p.is_empty()), toks)
}

impl Format {
    /// Parses a `-o`/`--format` string (also `SQUEUE_FORMAT`).
    pub fn parse(format: &str) -> Self {
        let mut items = Vec::new();
        let mut errors = Vec::new();
        let all = format.eq_ignore_ascii_case("%all");
        let expanded;
        let format = if all {
            expanded = all_letters(false);
            expanded.as_str()
        } else {
            format
        };
        let (prefix, toks) = tokens(format);
        if let Some(p) = prefix {
            items.push(Item::Text(p.to_owned()));
        }
        let mut budget = WidthBudget::new();
        for tok in toks {
            let (right, mut width, letter, suffix) = split_token(tok);
            match letter.and_then(JobField::from_letter) {
                Some(field) => {
                    width = budget.fit(width, &mut errors, || {
                        width_error("job", &format!("%{tok}"))
                    });
                    items.push(Item::Field {
                        field,
                        width,
                        right,
                        suffix: suffix.to_owned(),
                    });
                }
                None if all => {}
                None => {
                    errors.push(format!(
                        "Invalid job format specification: {}",
                        letter.map(String::from).unwrap_or_default()
                    ));
                    items.push(Item::Text(format!("%{tok}")));
                }
            }
        }
        Self { items, errors }
    }

    /// Parses a `-O`/`--Format` list (also `SQUEUE_FORMAT2`).
    pub fn parse_long(list: &str) -> Self {
        let mut items = Vec::new();
        let mut errors = Vec::new();
        let mut budget = WidthBudget::new();
        for tok in list.split(',').filter(|t| !t.is_empty()) {
            let (name, right, mut width, suffix) = split_long_token(tok);
            match JobField::from_name(name) {
                Some(field) => {
                    width = budget.fit(width, &mut errors, || width_error("job", tok));
                    items.push(Item::Field {
                        field,
                        width,
                        right,
                        suffix: suffix.to_owned(),
                    });
                }
                None => {
                    errors.push(format!("Invalid job format specification: {name}"));
                    if !suffix.is_empty() {
                        items.push(Item::Text(suffix.to_owned()));
                    }
                }
            }
        }
        Self { items, errors }
    }

    /// The default layout, or its `-l` form.
    pub fn default_layout(long: bool) -> Self {
        Self::parse(if long { LONG_FORMAT } else { DEFAULT_FORMAT })
    }

    /// The pieces.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// What squeue reports on standard error while parsing
    /// (`Invalid job format specification: -`); printing goes on.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The header line (without newline).
    pub fn header(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Field {
                    field,
                    width,
                    right,
                    suffix,
                } => {
                    pad_into(
                        &mut out,
                        field.header(),
                        *width,
                        *right,
                        field.header_cuts(),
                    );
                    out.push_str(suffix);
                }
            }
        }
        out
    }

    /// One job's line (without newline).
    pub fn line(&self, job: &JobInfo, ctx: &Context) -> String {
        let mut out = String::new();
        self.line_into(&mut out, job, ctx);
        out
    }

    /// Appends one job's line (without newline) to `out`.
    pub fn line_into(&self, out: &mut String, job: &JobInfo, ctx: &Context) {
        for item in &self.items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Field {
                    field,
                    width,
                    right,
                    suffix,
                } => {
                    let v = field.value(job, ctx);
                    pad_into(out, &v, *width, *right, field.cuts(job));
                    out.push_str(suffix);
                }
            }
        }
    }

    /// The whole output: header unless `no_header`, then one line per job,
    /// each ending in a newline.
    pub fn render<J: Borrow<JobInfo>>(&self, jobs: &[J], ctx: &Context, no_header: bool) -> String {
        let mut out = String::with_capacity(64 * (jobs.len() + 1));
        if !no_header {
            out.push_str(&self.header());
            out.push('\n');
        }
        for job in jobs {
            self.line_into(&mut out, job.borrow(), ctx);
            out.push('\n');
        }
        out
    }
}

/// The date line `squeue -l` and `sinfo -l` print first (`Sat Nov 28 16:23:03 2026`).
pub fn date_line(ctx: &Context) -> String {
    crate::time::ctime(ctx.now, &ctx.zone)
}

/// Whether squeue shows a job when no `-t` was given: pending, running,
/// suspended, completing and configuring jobs.
pub fn shown_by_default(state: JobState) -> bool {
    !state.is_finished()
}

/// squeue's pipeline after the backend answered: keep the jobs `filter`
/// matches, sort them (`keys` from `-S`, else [`DEFAULT_SORT`]), and with
/// `-r` print each pending array task on its own line (expanded after
/// sorting, in task order, as squeue does).
pub fn select<'a>(
    all: &'a [JobInfo],
    filter: &sk8_backend::JobFilter,
    keys: &[crate::filter::SortKey],
    one_per_task: bool,
    ctx: &Context,
) -> Vec<Cow<'a, JobInfo>> {
    // Sort references: the merge sorts move their elements many times, and
    // a `Cow<JobInfo>` is as large as a whole record.
    let mut jobs: Vec<&'a JobInfo> = all.iter().filter(|j| filter.matches(j)).collect();
    crate::filter::sort_jobs(&mut jobs, keys, ctx);
    if !one_per_task {
        return jobs.into_iter().map(Cow::Borrowed).collect();
    }
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        match expand_one(j) {
            Some(tasks) => out.extend(tasks.into_iter().map(Cow::Owned)),
            None => out.push(Cow::Borrowed(j)),
        }
    }
    out
}

fn expand_one(job: &JobInfo) -> Option<Vec<JobInfo>> {
    let pending = job.array.as_ref()?.pending.as_deref()?;
    let tasks = sk8_backend::parse_task_set(pending)?;
    Some(
        tasks
            .into_iter()
            .map(|t| {
                let mut j = job.clone();
                if let Some(a) = j.array.as_mut() {
                    a.task_id = Some(t);
                    a.pending = None;
                }
                j
            })
            .collect(),
    )
}

/// `-r`: one record per pending array task instead of `123_[4-9]`.
pub fn expand_array_tasks(jobs: &[JobInfo]) -> Vec<JobInfo> {
    jobs.iter()
        .flat_map(|j| expand_one(j).unwrap_or_else(|| vec![j.clone()]))
        .collect()
}

/// Renders a submit-like timestamp the way squeue does (`N/A` for none).
pub fn squeue_time(t: Option<i64>, ctx: &Context) -> String {
    crate::time::stamp_or(t, &ctx.zone, "N/A")
}

impl std::fmt::Display for Format {
    /// The format written back as a `-o` string where every item has a letter.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for item in &self.items {
            match item {
                Item::Text(t) => f.write_str(t)?,
                Item::Field {
                    field,
                    width,
                    right,
                    suffix,
                } => {
                    f.write_char('%')?;
                    if *right {
                        f.write_char('.')?;
                    }
                    if *width != 0 {
                        write!(f, "{width}")?;
                    }
                    f.write_char(field.letter().unwrap_or('?'))?;
                    f.write_str(suffix)?;
                }
            }
        }
        Ok(())
    }
}
