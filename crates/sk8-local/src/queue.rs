//! The scheduling pass over the database, and the bookkeeping of jobs that
//! end: what [`crate::sched`] and [`crate::deps`] decide, read from and
//! written to one write transaction.

use std::collections::{BTreeMap, HashMap};

use sk8_backend::{ExitStatus, JobState};

use crate::Result;
use crate::config::Config;
use crate::deps::{self, Target};
use crate::procs::ProcId;
use crate::sched::{self, Candidate, Decision, Request};
use crate::store::{Hold, JobRow, Kind, Query, Tx};

/// A supervisor that has not recorded itself after this long is presumed lost.
const START_GRACE_SECS: i64 = 30;

/// The base of priority/basic's decreasing priorities (newer jobs lower).
const PRIORITY_BASE: u32 = 0xFFFF_0000;

/// A new job's priority: `--priority`, else decreasing with the id, less
/// the nice value.
pub(crate) fn initial_priority(id: u32, asked: Option<u32>, nice: i32) -> u32 {
    let base = asked
        .unwrap_or_else(|| PRIORITY_BASE.saturating_sub(id))
        .max(1);
    let adjusted = i64::from(base) - i64::from(nice);
    u32::try_from(adjusted.clamp(1, i64::from(u32::MAX - 1))).unwrap_or(1)
}

/// What a pass leaves for the caller to do once the transaction committed.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Jobs that were granted resources: start their supervisors.
    pub started: Vec<u32>,
    /// Times to leave a waiter for (`sk8 schedule --at`).
    pub wake_at: Vec<i64>,
}

/// Ends a job: state, exit and end time; a node failure of a job that asked
/// for `--requeue` puts it back in the queue instead.
pub(crate) fn finish(row: &mut JobRow, state: JobState, exit: ExitStatus, now: i64) {
    if state == JobState::NodeFail && row.spec.requeue == Some(true) && row.kind == Kind::Batch {
        requeue(row, now);
        return;
    }
    row.state = state;
    row.exit = exit;
    row.end_time = Some(now);
    row.reason = match state {
        JobState::NodeFail => "NodeDown".into(),
        JobState::Timeout => "TimeLimit".into(),
        JobState::Failed if exit.code != 0 || exit.signal != 0 => "NonZeroExitCode".into(),
        _ => "None".into(),
    };
    if row.start_time.is_none() {
        row.start_time = Some(now);
    }
    row.supervisor = None;
    row.agents.clear();
    for step in &mut row.steps {
        if !step.state.is_finished() {
            step.state = if state == JobState::Completed {
                JobState::Completed
            } else {
                state
            };
            step.end_time = Some(now);
        }
    }
}

/// Puts a job back in the queue (`scontrol requeue`, `--requeue` on node failure).
pub(crate) fn requeue(row: &mut JobRow, now: i64) {
    row.state = JobState::Pending;
    row.reason = if row.hold.is_some() {
        held_reason(row.hold)
    } else {
        "BeginTime"
    }
    .into();
    row.restarts += 1;
    row.start_time = None;
    row.end_time = None;
    row.alloc.clear();
    row.agents.clear();
    row.supervisor = None;
    row.batch_host = None;
    row.exit = ExitStatus::default();
    row.cancel_requested = false;
    row.eligible_time = Some(now);
}

/// Slurm's reason for a held job.
pub(crate) fn held_reason(hold: Option<Hold>) -> &'static str {
    match hold {
        Some(Hold::Admin) => "JobHeldAdmin",
        _ => "JobHeldUser",
    }
}

/// Whether a running job's supervisor is gone.
fn lost(row: &JobRow, now: i64) -> bool {
    match row.supervisor {
        Some((pid, start)) => !ProcId { pid, start }.alive(),
        None => row.start_time.is_some_and(|s| now - s > START_GRACE_SECS),
    }
}

/// Whether a pending allocation's requester is gone.
fn abandoned(row: &JobRow) -> bool {
    row.kind == Kind::Alloc
        && row
            .holder
            .is_some_and(|(pid, start)| !ProcId { pid, start }.alive())
}

/// Whether any job needs reaping (a cheap read before taking the write lock).
pub(crate) fn needs_reap(rows: &[JobRow], now: i64) -> bool {
    rows.iter().any(|r| {
        (r.state.is_active() && lost(r, now)) || (r.state == JobState::Pending && abandoned(r))
    })
}

/// Ends running jobs whose supervisor died (`NODE_FAIL`) and pending
/// allocations whose requester died (`CANCELLED`); true when any changed.
pub(crate) fn reap(tx: &Tx<'_>, now: i64) -> Result<bool> {
    let mut changed = false;
    for mut row in tx.watched()? {
        if row.state.is_active() && lost(&row, now) {
            finish(&mut row, JobState::NodeFail, ExitStatus::default(), now);
        } else if row.state == JobState::Pending && abandoned(&row) {
            finish(&mut row, JobState::Cancelled, ExitStatus::default(), now);
        } else {
            continue;
        }
        tx.update(&row)?;
        changed = true;
    }
    Ok(changed)
}

fn to_target(row: &JobRow) -> Target {
    Target {
        state: row.state,
        start_time: row.start_time,
        end_time: row.end_time,
        exit_code: row.exit.code,
        task: row.array_task_id,
        pending_tasks: row.array_pending.clone(),
    }
}

/// Pending jobs by id, each with whether it changed in this pass.
type Pending = BTreeMap<u32, (JobRow, bool)>;

/// One scheduling pass at `now`.
pub(crate) fn pass(tx: &Tx<'_>, cfg: &Config, now: i64) -> Result<Outcome> {
    let rows = tx.queued()?;
    let mut out = Outcome::default();
    let running: Vec<&JobRow> = rows.iter().filter(|r| r.state.is_active()).collect();
    let sched_running = sched_running(&running);
    let mut pending: Pending = rows
        .iter()
        .filter(|r| r.state == JobState::Pending)
        .map(|r| (r.id, (r.clone(), false)))
        .collect();
    if pending.is_empty() {
        return Ok(out);
    }
    let deps = DepFacts::read(tx, &pending)?;
    let ctx = PassCtx {
        rows: &rows,
        running: &running,
        deps: &deps,
        cfg,
        now,
    };
    let candidates: Vec<Candidate> = pending
        .values_mut()
        .filter_map(|(row, dirty)| ctx.candidate(row, dirty, &mut out))
        .collect();
    for decision in sched::plan(now, &cfg.nodes, &sched_running, &candidates) {
        apply(decision, &mut pending, tx, now, &mut out)?;
    }
    for (row, dirty) in pending.values() {
        if *dirty {
            tx.update(row)?;
        }
    }
    Ok(out)
}

/// The running jobs as the scheduler sees them: when each ends at the
/// latest (start plus time limit) and what it holds.
fn sched_running(running: &[&JobRow]) -> Vec<sched::Running> {
    running
        .iter()
        .map(|r| sched::Running {
            id: r.id,
            end: r
                .start_time
                .zip(r.time_limit)
                .map(|(s, l)| s + i64::from(l) * 60),
            alloc: r.alloc.clone(),
        })
        .collect()
}

/// What the pending jobs' dependencies need from the database, read once
/// per pass.
struct DepFacts {
    /// The records every dependency names.
    targets: HashMap<u32, Vec<Target>>,
    /// Held jobs are not among the queued rows, but an earlier held job of
    /// the same name still holds a `singleton` back.
    held_before: HashMap<u32, Vec<JobRow>>,
}

impl DepFacts {
    fn read(tx: &Tx<'_>, pending: &Pending) -> Result<Self> {
        let mut targets: HashMap<u32, Vec<Target>> = HashMap::new();
        for (row, _) in pending.values() {
            for id in row.spec.dependency.iter().flat_map(|d| d.job_ids()) {
                if let std::collections::hash_map::Entry::Vacant(e) = targets.entry(id) {
                    e.insert(tx.family(id)?.iter().map(to_target).collect());
                }
            }
        }
        let mut held_before: HashMap<u32, Vec<JobRow>> = HashMap::new();
        for (row, _) in pending.values() {
            if row
                .spec
                .dependency
                .as_ref()
                .is_some_and(|d| d.has_singleton())
            {
                held_before.insert(row.id, tx.held_before(row.id)?);
            }
        }
        Ok(Self {
            targets,
            held_before,
        })
    }
}

/// What a pass knows while it judges each pending job.
struct PassCtx<'a> {
    rows: &'a [JobRow],
    running: &'a [&'a JobRow],
    deps: &'a DepFacts,
    cfg: &'a Config,
    now: i64,
}

impl PassCtx<'_> {
    /// `row` as the scheduler's candidate, with why it may not start yet;
    /// `None` when it cannot be placed at all (its reason then set). Leaves
    /// a waiter for the time it waits for, and marks it eligible once
    /// nothing blocks it.
    fn candidate(
        &self,
        row: &mut JobRow,
        dirty: &mut bool,
        out: &mut Outcome,
    ) -> Option<Candidate> {
        let mut wake = None;
        let blocked = self.blocked(row, &mut wake);
        if let Some(at) = wake.filter(|&at| row.waiter_at != Some(at)) {
            row.waiter_at = Some(at);
            *dirty = true;
            out.wake_at.push(at);
        }
        let Some(part) = self.cfg.partition(&row.partition) else {
            set_reason(row, dirty, "PartitionDown");
            return None;
        };
        let Ok(req) = Request::from_spec(&row.spec, &part.nodes) else {
            set_reason(row, dirty, "BadConstraints");
            return None;
        };
        let count = self.startable_tasks(row);
        let blocked = blocked.or_else(|| (count == 0).then(|| "JobArrayTaskLimit".into()));
        if blocked.is_none() && row.eligible_time.is_none() {
            row.eligible_time = Some(self.now);
            *dirty = true;
        }
        Some(Candidate {
            id: row.id,
            priority: row.effective_priority(),
            req,
            limit: row.time_limit.map(|l| i64::from(l) * 60),
            blocked,
            count,
        })
    }

    /// Why `row` may not start now, in Slurm's order: a hold, its begin
    /// time, its dependency, its partition's time limit. `wake` is set to
    /// when the answer may change.
    fn blocked(&self, row: &JobRow, wake: &mut Option<i64>) -> Option<String> {
        if row.hold.is_some() {
            return Some(held_reason(row.hold).into());
        }
        if let Some(b) = row.begin_time.filter(|&b| b > self.now) {
            *wake = Some(b);
            return Some("BeginTime".into());
        }
        if let Some(dep) = row.spec.dependency.as_ref().filter(|d| !d.is_empty()) {
            match self.dependency(row, dep) {
                deps::Status::Satisfied => {}
                deps::Status::Wait(at) => {
                    *wake = at;
                    return Some("Dependency".into());
                }
                deps::Status::Never => return Some("DependencyNeverSatisfied".into()),
            }
        }
        let part = self.cfg.partition(&row.partition)?;
        let over = match (part.max_time.minutes(), row.time_limit) {
            (Some(max), Some(l)) => l > max,
            (Some(_), None) => true,
            (None, _) => false,
        };
        over.then(|| "PartitionTimeLimit".into())
    }

    /// Where `row`'s dependency stands; a `singleton` waits for every other
    /// job of its user and name that runs or was queued (or held) before it.
    fn dependency(&self, row: &JobRow, dep: &sk8_spec::Dependency) -> deps::Status {
        let same = |o: &JobRow| {
            o.id != row.id && o.spec.user == row.spec.user && o.spec.name == row.spec.name
        };
        let singleton_free = !dep.has_singleton()
            || (!self.rows.iter().any(|o| {
                same(o) && (o.state.is_active() || (o.state == JobState::Pending && o.id < row.id))
            }) && !self
                .deps
                .held_before
                .get(&row.id)
                .is_some_and(|v| v.iter().any(same)));
        let my_task = row
            .array_task_id
            .or_else(|| row.array_pending.first().copied());
        let look = |id: u32| self.deps.targets.get(&id).cloned().unwrap_or_default();
        deps::status(dep, &look, my_task, singleton_free, self.now)
    }

    /// How many of `row`'s tasks may start: one for a plain job; for an
    /// array's record, its pending tasks within the `%` throttle's room.
    fn startable_tasks(&self, row: &JobRow) -> u32 {
        if row.array_pending.is_empty() {
            return 1;
        }
        let active = self
            .running
            .iter()
            .filter(|r| r.array_job_id == Some(row.id))
            .count() as u32;
        let room = row
            .spec
            .array
            .as_ref()
            .and_then(sk8_spec::ArraySpec::throttle)
            .map_or(u32::MAX, |t| t.saturating_sub(active));
        room.min(row.array_pending.len() as u32)
    }
}

/// Carries out one of the scheduler's decisions on the pending rows.
fn apply(
    decision: Decision,
    pending: &mut Pending,
    tx: &Tx<'_>,
    now: i64,
    out: &mut Outcome,
) -> Result<()> {
    match decision {
        Decision::Wait { id, reason } => {
            if let Some((row, dirty)) = pending.get_mut(&id) {
                set_reason(row, dirty, &reason);
            }
        }
        Decision::Start { id, alloc } => {
            if let Some((row, dirty)) = pending.get_mut(&id) {
                out.started.push(start_next(row, dirty, alloc, tx, now)?);
            }
        }
    }
    Ok(())
}

/// Starts `row`, or for an array with more than one task pending its next
/// task under a new id; returns the id of the job started.
fn start_next(
    row: &mut JobRow,
    dirty: &mut bool,
    alloc: Vec<sched::NodeAlloc>,
    tx: &Tx<'_>,
    now: i64,
) -> Result<u32> {
    if row.array_pending.len() > 1 {
        // Split one task off the array's record, under a new id.
        let task = row.array_pending.remove(0);
        let mut t = row.clone();
        t.id = tx.next_id()?;
        t.array_task_id = Some(task);
        t.array_pending.clear();
        start(&mut t, alloc, now);
        tx.insert(&t, None)?;
        *dirty = true;
        Ok(t.id)
    } else {
        // A plain job, or an array's last task, which keeps the
        // array's id as Slurm does.
        if let Some(task) = row.array_pending.pop() {
            row.array_task_id = Some(task);
        }
        start(row, alloc, now);
        *dirty = true;
        Ok(row.id)
    }
}

fn set_reason(row: &mut JobRow, dirty: &mut bool, reason: &str) {
    if row.reason != reason {
        row.reason = reason.to_string();
        *dirty = true;
    }
}

fn start(row: &mut JobRow, alloc: Vec<sched::NodeAlloc>, now: i64) {
    row.state = JobState::Running;
    row.reason = "None".into();
    row.start_time = Some(now);
    row.eligible_time.get_or_insert(now);
    row.batch_host = alloc.first().map(|a| a.node.clone());
    row.alloc = alloc;
    row.supervisor = None;
    row.agents.clear();
}
