//! Values Slurm derives from a job record, shared by every command's output
//! (`26928_[2-6%3]`, time used, `(Resources)`, `afterok:12(unfulfilled)`, ...).

use std::fmt;
use std::sync::Arc;

use sk8_backend::{JobInfo, JobState};
use sk8_spec::TimeLimit;
use sk8_spec::civil::Zone;
use sk8_spec::job::{Command, Memory, Sharing};

/// What the output of a command depends on besides the records: the time
/// and the local time zone (pure code reads no clock), and group names.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The current time (Unix seconds).
    pub now: i64,
    /// The zone times print in (Slurm prints local time).
    pub zone: Zone,
    /// Group names by gid, for `%g`; unknown gids print as numbers.
    pub groups: GroupNames,
    /// The cluster's name (`ClusterName`).
    pub cluster: String,
}

impl Context {
    /// A context at `now` in UTC.
    pub fn at(now: i64) -> Self {
        Self {
            now,
            ..Self::default()
        }
    }

    /// The group name of `gid`, or the number.
    pub fn group_name(&self, gid: u32) -> String {
        (self.groups.0)(gid).unwrap_or_else(|| gid.to_string())
    }
}

/// Where group names come from: the host's group database (through a
/// lookup the commands pass in), or a fixed list.
#[derive(Clone)]
pub struct GroupNames(Arc<dyn Fn(u32) -> Option<String> + Send + Sync>);

impl GroupNames {
    /// Names from `lookup` (the commands pass sk8-host's NSS lookup).
    pub fn new(lookup: impl Fn(u32) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(lookup))
    }

    /// Names from a fixed list of (gid, name).
    pub fn list(names: Vec<(u32, String)>) -> Self {
        Self::new(move |gid| {
            names
                .iter()
                .find(|(g, _)| *g == gid)
                .map(|(_, n)| n.clone())
        })
    }
}

/// No names: every gid prints as its number.
impl Default for GroupNames {
    fn default() -> Self {
        Self::new(|_| None)
    }
}

impl fmt::Debug for GroupNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GroupNames(..)")
    }
}

/// `%i`: `123`, `123_4`, `123_[4-99%8]`, `7+1`.
pub fn job_id(job: &JobInfo) -> String {
    if let Some(a) = &job.array {
        return match (&a.pending, a.task_id) {
            (Some(p), _) => format!("{}_[{p}]", a.job_id),
            (None, Some(t)) => format!("{}_{t}", a.job_id),
            (None, None) => job.id.to_string(),
        };
    }
    if let Some((leader, offset)) = job.het {
        return format!("{leader}+{offset}");
    }
    job.id.to_string()
}

/// `%K`: the task id, the pending task expression, or `N/A`.
pub fn array_task(job: &JobInfo) -> String {
    match &job.array {
        Some(a) => match (&a.pending, a.task_id) {
            (Some(p), _) => p.clone(),
            (None, Some(t)) => t.to_string(),
            (None, None) => "N/A".to_owned(),
        },
        None => "N/A".to_owned(),
    }
}

/// `%F`: the array's id, else the job's.
pub fn array_job_id(job: &JobInfo) -> u32 {
    job.array.as_ref().map_or(job.id, |a| a.job_id)
}

/// Seconds the job has run (`job_time_used`): zero while pending, up to now
/// while running, up to its end once finished.
pub fn time_used(job: &JobInfo, now: i64) -> i64 {
    let Some(start) = job.start_time.filter(|&s| s != 0) else {
        return 0;
    };
    if job.state == JobState::Pending {
        return 0;
    }
    let end = match job.end_time {
        Some(e) if e != 0 && job.state != JobState::Running => e,
        _ => now,
    };
    end - start
}

/// Whether `%R` shows the reason (in parentheses) rather than the nodes.
pub fn shows_reason(state: JobState) -> bool {
    matches!(
        state,
        JobState::Pending
            | JobState::Timeout
            | JobState::OutOfMemory
            | JobState::Deadline
            | JobState::Failed
    )
}

/// The allocated nodes as a sorted hostlist expression (`vm[1-3]`), or empty.
pub fn node_list(job: &JobInfo) -> String {
    if job.nodes.is_empty() {
        String::new()
    } else {
        sk8_hostlist::compress_sorted(&job.nodes)
    }
}

/// `%R`: `(Reason)` or the node list.
pub fn reason_list(job: &JobInfo) -> String {
    if shows_reason(job.state) {
        format!("({})", job.reason)
    } else {
        node_list(job)
    }
}

/// Nodes: allocated, else requested (minimum).
pub fn num_nodes(job: &JobInfo) -> u32 {
    if job.nodes.is_empty() {
        job.spec.min_nodes()
    } else {
        job.nodes.len() as u32
    }
}

/// The dependency as the controller reports it: each item with its state
/// (`afterok:12(unfulfilled)`), `(null)` without one.
pub fn dependency(job: &JobInfo) -> String {
    let Some(dep) = job.spec.dependency.as_ref().filter(|d| !d.is_empty()) else {
        return "(null)".to_owned();
    };
    let status = if job.reason == "DependencyNeverSatisfied" {
        "failed"
    } else {
        "unfulfilled"
    };
    let sep = if dep.is_any() { "?" } else { "," };
    dep.items()
        .iter()
        .map(|i| format!("{i}({status})"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// `MinMemoryNode`/`MinMemoryCPU` text (`100M`, `0`).
pub fn min_memory(job: &JobInfo) -> String {
    match &job.spec.memory {
        Some(Memory::PerNode(m) | Memory::PerCpu(m) | Memory::PerGpu(m)) => m.to_scontrol(),
        None => "0".to_owned(),
    }
}

/// `%h`/`OverSubscribe=`: `OK`, `NO`, `YES`, `USER`, `MCS`.
pub fn over_subscribe(job: &JobInfo) -> &'static str {
    match job.spec.sharing {
        Sharing::Default => "OK",
        Sharing::Exclusive => "NO",
        Sharing::User => "USER",
        Sharing::Mcs => "MCS",
        Sharing::OverSubscribe => "YES",
    }
}

/// `%o`/`Command=`: the script path; `(null)` for `--wrap` and stdin scripts.
pub fn command(job: &JobInfo) -> String {
    match &job.spec.command {
        Command::Script { path: Some(p), .. } => p.clone(),
        Command::Exec(argv) if !argv.is_empty() => argv.join(" "),
        _ => "(null)".to_owned(),
    }
}

/// Whether the job runs a batch script (`BatchFlag`).
pub fn is_batch(job: &JobInfo) -> bool {
    !matches!(job.spec.command, Command::Exec(_))
}

/// `%b`/`TresPerNode=`: `gres:gpu:h100:8`, or `None`.
pub fn tres_per_node(job: &JobInfo) -> Option<String> {
    let mut items: Vec<String> = Vec::new();
    if let Some(g) = &job.spec.gres {
        items.extend(g.items().iter().map(|g| format!("gres:{g}")));
    }
    if let Some(g) = &job.spec.gpus_per_node {
        items.extend(g.to_tres().split(',').filter(|s| !s.is_empty()).map(|s| {
            let s = s.strip_prefix("gres/").unwrap_or(s);
            format!("gres:{}", s.replace('=', ":"))
        }));
    }
    (!items.is_empty()).then(|| items.join(","))
}

/// `MinCPUsNode`/`%c`.
pub fn min_cpus_node(job: &JobInfo) -> u32 {
    let per_task = job.spec.cpus_per_task();
    let per_node = per_task * job.spec.ntasks_per_node.unwrap_or(1);
    job.spec.mincpus.unwrap_or(0).max(per_node)
}

/// The time limit in force, as squeue's `%l` renders it.
pub fn limit(job: &JobInfo) -> Option<TimeLimit> {
    job.time_limit.or(job.spec.time_limit)
}

/// `%L`: limit minus time used, `UNLIMITED` or `NOT_SET`.
pub fn time_left(job: &JobInfo, now: i64) -> String {
    match limit(job) {
        None => "NOT_SET".to_owned(),
        Some(TimeLimit::Unlimited) => "UNLIMITED".to_owned(),
        Some(TimeLimit::Minutes(m)) => {
            crate::time::squeue_secs(i64::from(m) * 60 - time_used(job, now))
        }
    }
}

/// `%p`: the priority as a fraction of the largest (`0.99997924943454`).
pub fn priority_fraction(priority: u32) -> String {
    format!("{:16.14}", f64::from(priority) / f64::from(u32::MAX))
}

/// The exit code as `wait(2)` encodes it (`%d` in `-O exit_code`).
pub fn raw_exit(job: &JobInfo) -> u32 {
    (u32::from(job.exit.code) << 8) | u32::from(job.exit.signal)
}

/// `*` for an unset socket/core/thread count.
pub fn star(n: Option<u32>) -> String {
    n.map_or_else(|| "*".to_owned(), |n| n.to_string())
}

/// A string field, `(null)` when unset (C's `printf("%s", NULL)`).
pub fn or_null(s: Option<&str>) -> &str {
    s.unwrap_or("(null)")
}
