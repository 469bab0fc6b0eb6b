//! Which jobs a command means: the [`JobFilter`] `squeue`, `scancel`,
//! `sacct` and `scontrol` build from `-j`, `-u`, `-n`, `-p`, `-t`, `-w`,
//! and the one place its matching is decided, so that every backend and
//! every command select the same jobs (checked against the reference Slurm
//! in tests/tests/query.rs).

use serde::{Deserialize, Serialize};

use crate::{JobId, JobInfo, JobState};

/// Which jobs a query or an action applies to: every set field must match
/// (the model `squeue`, `scancel` and `sacct` share).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFilter {
    /// Job ids (an array's id matches all its tasks).
    pub ids: Vec<JobRef>,
    /// User names.
    pub users: Vec<String>,
    /// Job names.
    pub names: Vec<String>,
    /// Partitions.
    pub partitions: Vec<String>,
    /// States.
    pub states: Vec<JobState>,
    /// Nodes the job runs on.
    pub nodes: Vec<String>,
    /// Include finished jobs still remembered (squeue shows them until
    /// `MinJobAge`; sacct shows all).
    pub include_finished: bool,
}

/// A job, or an array task, or every task of an array (`12`, `12_3`, `12_[1-3]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobRef {
    /// The job id (for an array, its array job id).
    pub id: JobId,
    /// One task of an array.
    pub task: Option<u32>,
}

impl JobRef {
    /// A whole job.
    pub const fn job(id: JobId) -> Self {
        Self { id, task: None }
    }
}

impl JobFilter {
    /// Whether `job` passes: every set field must match. An id matches the
    /// job, its array (all tasks, and the record of those not yet started)
    /// or one task; a job submitted to several partitions (`-p a,b`)
    /// matches any of them, as squeue's `-p` does; with no states given,
    /// finished jobs pass only when `include_finished` is set.
    pub fn matches(&self, job: &JobInfo) -> bool {
        (self.ids.is_empty() || self.ids.iter().any(|r| r.matches(job)))
            && (self.users.is_empty() || self.users.contains(&job.spec.user))
            && (self.names.is_empty() || self.names.contains(&job.spec.name))
            && (self.partitions.is_empty() || {
                let part = job.spec.partition.as_deref().unwrap_or("");
                part.split(',')
                    .any(|p| self.partitions.iter().any(|f| f == p))
            })
            && if self.states.is_empty() {
                self.include_finished || !job.state.is_finished()
            } else {
                self.states.contains(&job.state)
            }
            && (self.nodes.is_empty() || self.nodes.iter().any(|n| job.nodes.contains(n)))
    }
}

impl JobRef {
    /// Whether `job` is this job, a task of this array (or its record of
    /// tasks not yet started, when the task is among them) or this task.
    fn matches(self, job: &JobInfo) -> bool {
        let array = job.array.as_ref();
        match self.task {
            None => self.id == job.id || array.is_some_and(|a| a.job_id == self.id),
            Some(t) => array.is_some_and(|a| {
                a.job_id == self.id
                    && (a.task_id == Some(t)
                        || a.pending
                            .as_deref()
                            .and_then(parse_task_set)
                            .is_some_and(|ts| ts.binary_search(&t).is_ok()))
            }),
        }
    }
}

/// The most task ids one task expression may name, and one range in it:
/// Slurm's hostlist `MAX_RANGE` (64K), which scancel's `_[...]` goes
/// through (`scancel 1_[0-65536]` logs `_parse_single_range: Too many hosts
/// in range` and refuses the id); more than any array holds, as sk8's
/// `MaxArraySize` is Slurm's default 1001.
pub const MAX_TASK_SET: u32 = 64 * 1024;

/// The indices of a task expression (`2-6%3`, `1,3,5-7`, `0-15:4`), or
/// `None` when it is malformed or names more than [`MAX_TASK_SET`] ids
/// (counted before any is made).
pub fn parse_task_set(expr: &str) -> Option<Vec<u32>> {
    let expr = expr.split('%').next()?;
    let mut spans = Vec::new();
    let mut total: u64 = 0;
    for part in expr.split(',') {
        let (range, step) = match part.split_once(':') {
            Some((r, s)) => (r, s.parse::<u32>().ok()?.max(1)),
            None => (part, 1),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let n = range.parse::<u32>().ok()?;
                (n, n)
            }
        };
        let count = hi.checked_sub(lo).map_or(0, |d| u64::from(d / step) + 1);
        total += count;
        if total > u64::from(MAX_TASK_SET) {
            return None;
        }
        spans.push((lo, hi, step));
    }
    let mut out = Vec::with_capacity(total as usize);
    for (lo, hi, step) in spans {
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}
