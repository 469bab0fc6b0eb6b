//! [`LocalBackend`]: the [`Backend`] trait over the state database, the
//! scheduling pass and the supervisors.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sk8_backend::{
    AllocEvent, AllocRequest, ArrayInfo, Backend, ExitStatus, Granted, JobFilter, JobInfo, JobRef,
    JobState, JobUpdate, NodeInfo, NodeState, PartitionInfo, SignalScope, StepAccess,
    SubmitRequest, WillRun,
};
use sk8_spec::{JobSpec, TimeLimit};

use crate::config::{Config, PartitionConf};
use crate::control::{self, Msg};
use crate::private;
use crate::procs::{self, ProcId};
use crate::queue::{self, Outcome};
use crate::sched::{self, Request};
use crate::store::{Hold, JobRow, Kind, Query, Store, Tx};
use crate::{Error, Result, now};

type SResult<T> = sk8_backend::Result<T>;

/// The local backend: a handle to `$SK8_HOME`'s state.
pub struct LocalBackend {
    home: PathBuf,
    cfg: Config,
    store: Mutex<Store>,
}

impl std::fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBackend")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

/// A binary of ours: `$VAR`, else beside the running executable (or one
/// level up, for test binaries in `target/*/deps`), else `PATH`.
pub(crate) fn our_exe(var: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let me = std::env::current_exe().ok();
    if let Some(dir) = me.as_deref().and_then(Path::parent) {
        for d in [Some(dir), dir.parent()].into_iter().flatten() {
            let c = d.join(name);
            if c.is_file() {
                return c;
            }
        }
    }
    PathBuf::from(name)
}

fn mkdir_private(dir: &Path) -> Result<()> {
    private::dir(dir)
        .map_err(|e| Error::Host(format!("local state: cannot create {}: {e}", dir.display())))
}

impl LocalBackend {
    /// Opens the backend at `home` configured by `home/config.toml` alone
    /// (or this host when it has none): a state directory of its own, as
    /// tests and benchmarks want it.
    pub fn with_home(home: &Path) -> Result<Self> {
        Self::with_config(home, Config::read(&home.join("config.toml"))?)
    }

    /// Opens the backend at `home` with a given configuration.
    pub fn with_config(home: &Path, cfg: Config) -> Result<Self> {
        mkdir_private(home)?;
        let store = Store::open(
            &home.join("state.db"),
            Duration::from_millis(cfg.busy_timeout_ms),
        )?;
        Ok(Self {
            home: home.to_path_buf(),
            cfg,
            store: Mutex::new(store),
        })
    }

    /// The state directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` and a scheduling pass in one write transaction (after
    /// reaping lost jobs), then starts the supervisors and waiters the pass
    /// asked for.
    pub(crate) fn write_pass<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let now = now();
        let (value, outcome) = self.store().write(|tx| {
            queue::reap(tx, now)?;
            let v = f(tx)?;
            let o = queue::pass(tx, &self.cfg, now)?;
            Ok((v, o))
        })?;
        self.after(outcome);
        Ok(value)
    }

    /// One scheduling pass (what `sk8 schedule` runs).
    pub fn schedule(&self) -> Result<()> {
        self.write_pass(|_| Ok(()))
    }

    /// Reaps lost jobs when there are any (a read first, so that queries do
    /// not take the write lock for nothing).
    fn refresh(&self) -> Result<()> {
        let rows = self.store().read().watched()?;
        if queue::needs_reap(&rows, now()) {
            self.schedule()?;
        }
        Ok(())
    }

    /// Starts what a pass decided: supervisors for started jobs, waiters
    /// for future times.
    pub(crate) fn after(&self, outcome: Outcome) {
        let sk8 = our_exe("SK8_EXE", "sk8");
        for id in outcome.started {
            let dir = control::job_dir(&self.home, id);
            let spawned = mkdir_private(&dir).and_then(|()| {
                procs::spawn_detached(
                    &sk8,
                    &["supervise".into(), id.to_string()],
                    &dir.join("supervisor.log"),
                    &self.home,
                )
                .map_err(|e| Error::Host(format!("cannot start `{}`: {e}", sk8.display())))
            });
            if let Err(e) = spawned {
                self.launch_failed(id, &e.to_string());
            }
        }
        let mut times = outcome.wake_at;
        times.sort_unstable();
        times.dedup();
        for t in times {
            let log = self.home.join("schedule.log");
            let _ = procs::spawn_detached(
                &sk8,
                &["schedule".into(), "--at".into(), t.to_string()],
                &log,
                &self.home,
            );
        }
    }

    fn launch_failed(&self, id: u32, why: &str) {
        let _ = self.write_pass(|tx| {
            if let Some(mut row) = tx.get(id)? {
                queue::finish(
                    &mut row,
                    JobState::Failed,
                    ExitStatus { code: 1, signal: 0 },
                    now(),
                );
                row.reason = "JobLaunchFailure".into();
                tx.update(&row)?;
            }
            Ok(())
        });
        let _ = private::write(
            &control::job_dir(&self.home, id).join("launch-error"),
            format!("{why}\n").as_bytes(),
            private::FILE,
        );
    }

    /// Validates a request and builds the job's record (id 0 until inserted).
    fn new_row(&self, jobs: &[JobSpec], kind: Kind) -> SResult<JobRow> {
        let spec = match jobs {
            [one] => one.clone(),
            [] => return Err(sk8_backend::Error::Invalid("no job given".into())),
            _ => {
                return Err(sk8_backend::Error::Unsupported(
                    "heterogeneous jobs".into(),
                    "local",
                ));
            }
        };
        let part = self.pick_partition(spec.partition.as_deref())?;
        let time_limit = spec
            .time_limit
            .or(part.default_time)
            .and_then(|t| t.minutes());
        let req = Request::from_spec(&spec, &part.nodes).map_err(sk8_backend::Error::Invalid)?;
        if sched::place(&req, &self.cfg.nodes, &sched::Usage::new()).is_none() {
            return Err(sk8_backend::Error::NodeConfigUnavailable);
        }
        let now = now();
        let begin_time = spec
            .begin
            .as_ref()
            .map(|b| b.resolve(now, &sk8_host::local_zone()))
            .filter(|&t| t > now);
        let array_pending = if kind == Kind::Batch {
            spec.array.as_ref().map(|a| a.indices()).unwrap_or_default()
        } else {
            Vec::new()
        };
        let nice = spec.nice.unwrap_or(0);
        Ok(JobRow {
            id: 0,
            kind,
            array_job_id: None,
            array_task_id: None,
            array_pending,
            partition: part.name.clone(),
            state: JobState::Pending,
            reason: if spec.hold { "JobHeldUser" } else { "None" }.into(),
            priority: 0,
            hold: spec.hold.then_some(Hold::User),
            submit_time: now,
            eligible_time: None,
            begin_time,
            start_time: None,
            end_time: None,
            time_limit,
            alloc: Vec::new(),
            exit: ExitStatus::default(),
            restarts: 0,
            batch_host: None,
            supervisor: None,
            holder: (kind == Kind::Alloc).then(|| {
                let me = ProcId::current();
                (me.pid, me.start)
            }),
            umask: procs::current_umask(),
            nice: procs::current_nice() + nice,
            agents: Vec::new(),
            steps: Vec::new(),
            cancel_requested: false,
            waiter_at: None,
            spec,
        })
    }

    fn pick_partition(&self, asked: Option<&str>) -> SResult<&PartitionConf> {
        match asked {
            None => Ok(self.cfg.default_partition()),
            Some(list) => list
                .split(',')
                .find_map(|p| self.cfg.partition(p))
                .ok_or_else(|| sk8_backend::Error::InvalidPartition(list.to_string())),
        }
    }

    /// Inserts a new job; returns its id.
    fn insert(&self, mut row: JobRow, script: Option<&[u8]>) -> SResult<u32> {
        Ok(self.write_pass(|tx| {
            if let Some(dep) = &row.spec.dependency {
                for id in dep.job_ids() {
                    if tx.family(id)?.is_empty() {
                        return Err(
                            sk8_backend::Error::Invalid("Job dependency problem".into()).into()
                        );
                    }
                }
            }
            row.id = tx.next_id()?;
            row.priority = queue::initial_priority(row.id, row.spec.priority, row.nice);
            if !row.array_pending.is_empty() {
                row.array_job_id = Some(row.id);
            }
            tx.insert(&row, script)?;
            Ok(row.id)
        })?)
    }

    /// The records a reference names: a job, an array's every record, or
    /// one task (its own record, or the array's pending record holding it).
    fn resolve(&self, q: &impl Query, r: JobRef) -> Result<Vec<JobRow>> {
        let fam = q.family(r.id)?;
        let picked: Vec<JobRow> = match r.task {
            None => fam
                .into_iter()
                .filter(|j| j.id == r.id || j.array_job_id == Some(r.id))
                .collect(),
            Some(t) => fam
                .into_iter()
                .filter(|j| {
                    j.array_job_id == Some(r.id)
                        && (j.array_task_id == Some(t) || j.array_pending.contains(&t))
                })
                .collect(),
        };
        if picked.is_empty() {
            return Err(sk8_backend::Error::InvalidJobId.into());
        }
        Ok(picked)
    }

    /// The record as the trait reports it (consumed: the spec is moved, not
    /// copied, which matters for queries over thousands of jobs).
    fn info(row: JobRow) -> JobInfo {
        let priority = row.effective_priority();
        let mut spec = row.spec;
        spec.partition = Some(row.partition);
        let cpus = if row.alloc.is_empty() {
            spec.tasks() * spec.cpus_per_task()
        } else {
            row.alloc.iter().map(|a| a.cpus).sum()
        };
        let end_time = row.end_time.or_else(|| {
            row.start_time
                .zip(row.time_limit)
                .map(|(s, l)| s + i64::from(l) * 60)
        });
        let node_cpus = row.alloc.iter().map(|a| a.cpus).collect();
        let (nodes, node_gpus) = row.alloc.into_iter().map(|a| (a.node, a.gpus)).unzip();
        JobInfo {
            id: row.id,
            array: row.array_job_id.map(|a| ArrayInfo {
                job_id: a,
                task_id: row.array_task_id,
                pending: (!row.array_pending.is_empty())
                    .then(|| pending_text(&row.array_pending, &spec)),
            }),
            het: None,
            state: row.state,
            reason: row.reason,
            priority,
            time_limit: Some(
                row.time_limit
                    .map_or(TimeLimit::Unlimited, TimeLimit::Minutes),
            ),
            submit_time: row.submit_time,
            // A job waiting for its `--begin` shows that time as both, as
            // slurmctld sets them at submission.
            eligible_time: row.eligible_time.or(row.begin_time),
            start_time: row
                .start_time
                .or(row.begin_time.filter(|_| row.state == JobState::Pending)),
            end_time,
            nodes,
            node_cpus,
            node_gpus,
            cpus,
            exit: row.exit,
            restarts: row.restarts,
            batch_host: row.batch_host,
            steps: row.steps,
            spec,
        }
    }

    /// The jobs `filter` selects; finished ones are read only when it
    /// includes them.
    fn query(&self, filter: &JobFilter) -> SResult<Vec<JobInfo>> {
        self.refresh()?;
        let store = self.store();
        let q = store.read();
        let rows = if filter.include_finished {
            q.all()?
        } else {
            q.unfinished()?
        };
        Ok(rows
            .into_iter()
            .map(Self::info)
            .filter(|j| filter.matches(j))
            .collect())
    }

    /// The job's token, from its file.
    fn token(&self, id: u32) -> Result<String> {
        let path = control::job_dir(&self.home, id).join("token");
        std::fs::read_to_string(&path)
            .map(|t| t.trim().to_string())
            .map_err(|e| Error::Host(format!("cannot read the job's token: {e}")))
    }

    /// Waits until the job has agents or ends (for `allocate`).
    fn wait_granted(&self, id: u32, immediate: Option<u32>) -> SResult<JobRow> {
        let begun = Instant::now();
        let mut delay = Duration::from_millis(5);
        let mut last_refresh = Instant::now();
        loop {
            let row = self
                .store()
                .read()
                .get(id)?
                .ok_or(sk8_backend::Error::InvalidJobId)?;
            if row.state.is_active() && !row.agents.is_empty() {
                return Ok(row);
            }
            if row.state.is_finished() {
                return Err(sk8_backend::Error::Invalid(format!(
                    "Job allocation {id} has been revoked."
                )));
            }
            if row.state == JobState::Pending
                && immediate.is_some_and(|s| begun.elapsed() >= Duration::from_secs(u64::from(s)))
            {
                self.signal(JobRef::job(id), None, SignalScope::default())?;
                return Err(sk8_backend::Error::Invalid(
                    "Unable to allocate resources: Requested nodes are busy".into(),
                ));
            }
            if last_refresh.elapsed() > Duration::from_secs(1) {
                self.refresh()?;
                last_refresh = Instant::now();
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_millis(100));
        }
    }

    fn access(&self, row: &JobRow) -> SResult<StepAccess> {
        if !row.state.is_active() {
            return Err(if row.state.is_finished() {
                sk8_backend::Error::AlreadyDone
            } else {
                sk8_backend::Error::Invalid("Job is pending execution".into())
            });
        }
        if row.agents.is_empty() {
            return Err(sk8_backend::Error::Invalid(
                "Job is not running yet (its nodes are starting)".into(),
            ));
        }
        Ok(StepAccess {
            token: self.token(row.id)?,
            agents: row.agents.clone(),
        })
    }

    /// `scancel 12_3` of a task still in its array's pending record (with
    /// others): Slurm takes the task out of the record and keeps no record
    /// of it. True when that happened.
    fn drop_pending_task(&self, r: JobRef) -> SResult<bool> {
        let Some(t) = r.task else { return Ok(false) };
        Ok(self.write_pass(|tx| {
            // A reference that names nothing is reported by the caller's
            // own resolve.
            let Ok(rows) = self.resolve(tx, r) else {
                return Ok(false);
            };
            let mut dropped = false;
            for mut row in rows {
                if row.state == JobState::Pending
                    && row.array_pending.len() > 1
                    && row.array_pending.contains(&t)
                {
                    row.array_pending.retain(|&p| p != t);
                    tx.update(&row)?;
                    dropped = true;
                }
            }
            Ok(dropped)
        })?)
    }

    /// Writes `f`'s changes to the records `r` names, then runs a pass.
    fn modify(
        &self,
        r: JobRef,
        mut f: impl FnMut(&mut JobRow) -> SResult<bool>,
    ) -> SResult<Vec<JobRow>> {
        Ok(self.write_pass(|tx| {
            let mut rows = self.resolve(tx, r)?;
            for row in &mut rows {
                // One task of an array's pending record: split it off under
                // a new id first, as Slurm does, so that the other tasks are
                // left as they were.
                if let Some(t) = r.task.filter(|t| row.array_pending.contains(t)) {
                    if row.array_pending.len() > 1 {
                        row.array_pending.retain(|&p| p != t);
                        tx.update(row)?;
                        let mut task = row.clone();
                        task.id = tx.next_id()?;
                        task.array_task_id = Some(t);
                        task.array_pending.clear();
                        f(&mut task)?;
                        tx.insert(&task, None)?;
                        *row = task;
                        continue;
                    }
                    row.array_pending.clear();
                    row.array_task_id = Some(t);
                    f(row)?;
                    tx.update(row)?;
                    continue;
                }
                if f(row)? {
                    tx.update(row)?;
                }
            }
            Ok(rows)
        })?)
    }
}

/// The pending indices as Slurm prints them in `123_[4-99%8]`.
fn pending_text(idx: &[u32], spec: &JobSpec) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let start = idx[i];
        while i + 1 < idx.len() && idx[i + 1] == idx[i] + 1 {
            i += 1;
        }
        parts.push(if idx[i] == start {
            start.to_string()
        } else {
            format!("{start}-{}", idx[i])
        });
        i += 1;
    }
    let mut out = parts.join(",");
    if let Some(t) = spec.array.as_ref().and_then(sk8_spec::ArraySpec::throttle) {
        out.push_str(&format!("%{t}"));
    }
    out
}

/// The user running this process: its name in the user database (NSS),
/// else `$USER`, else the uid.
pub(crate) fn user_name() -> String {
    let uid = sk8_host::current_uid();
    sk8_host::user_name(uid)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| uid.to_string())
}

impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        "local"
    }

    fn whoami(&self) -> SResult<String> {
        Ok(user_name())
    }

    fn cluster(&self) -> String {
        self.cfg.cluster.clone()
    }

    fn submit(&self, req: &SubmitRequest) -> SResult<u32> {
        let row = self.new_row(&req.jobs, Kind::Batch)?;
        self.insert(row, Some(&req.script))
    }

    fn will_run(&self, req: &SubmitRequest) -> SResult<WillRun> {
        let row = self.new_row(&req.jobs, Kind::Batch)?;
        self.refresh()?;
        let store = self.store();
        let q = store.read();
        let active: Vec<JobRow> = q
            .watched()?
            .into_iter()
            .filter(|r| r.state.is_active())
            .collect();
        let next: u32 = q
            .conn()
            .query_row("SELECT value FROM counter WHERE name = 'job_id'", [], |r| {
                r.get(0)
            })
            .map_err(|e| q.err(e))?;
        let part = self.pick_partition(row.spec.partition.as_deref())?;
        let req =
            Request::from_spec(&row.spec, &part.nodes).map_err(sk8_backend::Error::Invalid)?;
        let mut usage = sched::Usage::new();
        let running: Vec<sched::Running> = active
            .iter()
            .map(|r| sched::Running {
                id: r.id,
                end: r
                    .start_time
                    .zip(r.time_limit)
                    .map(|(s, l)| s + i64::from(l) * 60),
                alloc: r.alloc.clone(),
            })
            .collect();
        for r in &running {
            sched::account(&mut usage, &r.alloc, true);
        }
        let now = now();
        let start = sched::earliest_start(&req, &self.cfg.nodes, &usage, &running, now)
            .unwrap_or(now + 365 * 86_400)
            .max(row.begin_time.unwrap_or(now));
        let alloc = sched::place(&req, &self.cfg.nodes, &sched::Usage::new()).unwrap_or_default();
        let names: Vec<&str> = alloc.iter().map(|a| a.node.as_str()).collect();
        Ok(WillRun {
            job_id: next + 1,
            start_time: start,
            cpus: alloc.iter().map(|a| a.cpus).sum(),
            nodes: sk8_hostlist::compress(&names),
            partition: part.name.clone(),
        })
    }

    fn allocate(
        &self,
        req: &AllocRequest,
        progress: &mut dyn FnMut(AllocEvent),
    ) -> SResult<Granted> {
        let row = self.new_row(&req.jobs, Kind::Alloc)?;
        let id = self.insert(row, None)?;
        progress(AllocEvent::Pending(id));
        let state = self.store().read().get(id)?.map(|r| r.state);
        if state == Some(JobState::Pending) {
            progress(AllocEvent::Queued(id));
        }
        let row = self.wait_granted(id, req.immediate)?;
        progress(AllocEvent::Granted(id));
        Ok(Granted {
            access: self.access(&row)?,
            job: Self::info(row),
        })
    }

    fn release(&self, id: u32, exit: ExitStatus) -> SResult<()> {
        let row = self
            .store()
            .read()
            .get(id)?
            .ok_or(sk8_backend::Error::InvalidJobId)?;
        if row.state.is_finished() {
            return Ok(());
        }
        if row.state.is_active()
            && control::send(
                &self.home,
                id,
                Msg::Release {
                    code: exit.code,
                    signal: exit.signal,
                },
            )
            .is_ok()
        {
            return Ok(());
        }
        // Pending, or its supervisor is unreachable: end it here.
        self.write_pass(|tx| {
            if let Some(mut row) = tx.get(id)?.filter(|r| !r.state.is_finished()) {
                let state = if row.state == JobState::Pending {
                    JobState::Cancelled
                } else if exit.code == 0 && exit.signal == 0 {
                    JobState::Completed
                } else {
                    JobState::Failed
                };
                queue::finish(&mut row, state, exit, now());
                tx.update(&row)?;
            }
            Ok(())
        })?;
        Ok(())
    }

    fn step_access(&self, id: u32) -> SResult<StepAccess> {
        self.refresh()?;
        let row = self
            .store()
            .read()
            .get(id)?
            .ok_or(sk8_backend::Error::InvalidJobId)?;
        self.access(&row)
    }

    fn jobs(&self, filter: &JobFilter) -> SResult<Vec<JobInfo>> {
        self.query(filter)
    }

    fn job(&self, job: JobRef) -> SResult<JobInfo> {
        self.refresh()?;
        let store = self.store();
        let rows = self.resolve(&store.read(), job)?;
        let first = rows
            .into_iter()
            .next()
            .ok_or(sk8_backend::Error::InvalidJobId)?;
        Ok(Self::info(first))
    }

    fn signal(&self, job: JobRef, signal: Option<i32>, scope: SignalScope) -> SResult<()> {
        let cancel = signal.is_none();
        if cancel && self.drop_pending_task(job)? {
            return Ok(());
        }
        let now = now();
        let mut running = Vec::new();
        let mut cancelled = false;
        let rows = self.modify(job, |row| {
            if row.state.is_finished() {
                return Ok(false);
            }
            if row.state.is_active() {
                running.push(row.id);
                if cancel {
                    row.cancel_requested = true;
                    return Ok(true);
                }
                return Ok(false);
            }
            if !cancel {
                return Err(sk8_backend::Error::Invalid(
                    "Job is pending execution".into(),
                ));
            }
            queue::finish(row, JobState::Cancelled, ExitStatus::default(), now);
            cancelled = true;
            Ok(true)
        });
        rows?;
        if running.is_empty() && !cancelled {
            return Err(sk8_backend::Error::AlreadyDone);
        }
        for id in running {
            let msg = match signal {
                None => Msg::Cancel,
                Some(s) => Msg::Signal {
                    signal: s,
                    batch_only: scope.batch_only,
                    full: scope.full,
                },
            };
            if let Err(e) = control::send(&self.home, id, msg) {
                // A cancel is recorded in the row: a supervisor still
                // starting will see it; a dead one is reaped.
                if !cancel {
                    return Err(sk8_backend::Error::Backend(format!(
                        "cannot reach job {id}'s supervisor: {e}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// As slurmctld: a running job can be held too (its priority drops to
    /// 0, and a requeue leaves it held); a finished one cannot.
    fn hold(&self, job: JobRef, user: bool) -> SResult<()> {
        self.modify(job, |row| {
            if row.state.is_finished() {
                return Err(sk8_backend::Error::AlreadyDone);
            }
            row.hold = Some(if user { Hold::User } else { Hold::Admin });
            row.reason = queue::held_reason(row.hold).into();
            Ok(true)
        })?;
        Ok(())
    }

    fn release_hold(&self, job: JobRef) -> SResult<()> {
        self.modify(job, |row| {
            if row.state.is_finished() {
                return Err(sk8_backend::Error::AlreadyDone);
            }
            if row.hold.take().is_none() {
                return Ok(false);
            }
            if row.state.is_active() {
                row.reason = "None".into();
            }
            Ok(true)
        })?;
        Ok(())
    }

    fn requeue(&self, job: JobRef) -> SResult<()> {
        let now = now();
        let mut running = Vec::new();
        self.modify(job, |row| {
            if row.kind != Kind::Batch {
                return Err(sk8_backend::Error::Invalid(
                    "Only batch jobs are accepted or processed".into(),
                ));
            }
            if row.state == JobState::Pending {
                return Err(sk8_backend::Error::InvalidState);
            }
            if row.state.is_active() {
                running.push(row.id);
                return Ok(false);
            }
            queue::requeue(row, now);
            Ok(true)
        })?;
        for id in running {
            control::send(&self.home, id, Msg::Requeue).map_err(|e| {
                sk8_backend::Error::Backend(format!("cannot reach job {id}'s supervisor: {e}"))
            })?;
        }
        Ok(())
    }

    fn update(&self, job: JobRef, update: &JobUpdate) -> SResult<()> {
        if let Some(p) = update
            .partition
            .as_ref()
            .filter(|p| self.cfg.partition(p).is_none())
        {
            return Err(sk8_backend::Error::InvalidPartition(p.clone()));
        }
        let mut running = Vec::new();
        self.modify(job, |row| {
            if row.state.is_finished() {
                return Err(sk8_backend::Error::AlreadyDone);
            }
            let active = row.state.is_active();
            if active && (update.partition.is_some() || update.nice.is_some()) {
                return Err(sk8_backend::Error::Invalid(
                    "Job is no longer pending execution".into(),
                ));
            }
            if let Some(t) = update.time_limit {
                row.time_limit = t.minutes();
            }
            if let Some(p) = &update.partition {
                row.partition = p.clone();
            }
            if let Some(n) = &update.name {
                row.spec.name = n.clone();
            }
            if let Some(n) = update.nice {
                row.nice = n;
                row.priority = queue::initial_priority(row.id, row.spec.priority, n);
            }
            if active {
                running.push(row.id);
            }
            Ok(true)
        })?;
        for id in running {
            let _ = control::send(&self.home, id, Msg::Reload);
        }
        Ok(())
    }

    fn nodes(&self) -> SResult<Vec<NodeInfo>> {
        self.refresh()?;
        let rows = self.store().read().watched()?;
        let mut usage = sched::Usage::new();
        for r in rows.iter().filter(|r| r.state.is_active()) {
            sched::account(&mut usage, &r.alloc, true);
        }
        Ok(self
            .cfg
            .nodes
            .iter()
            .map(|n| {
                let u = usage.get(&n.name).cloned().unwrap_or_default();
                let state = if u.jobs == 0 {
                    NodeState::Idle
                } else if u.exclusive || u.cpus >= n.cpus {
                    NodeState::Allocated
                } else {
                    NodeState::Mixed
                };
                NodeInfo {
                    name: n.name.clone(),
                    addr: if self.cfg.virtual_nodes {
                        "127.0.0.1".into()
                    } else {
                        n.name.clone()
                    },
                    state,
                    reason: None,
                    cpus: n.cpus,
                    cpus_alloc: if u.exclusive {
                        n.cpus
                    } else {
                        u.cpus.min(n.cpus)
                    },
                    memory_mb: n.memory_mb,
                    memory_alloc_mb: u.memory_mb,
                    gpus: if n.gpus.is_empty() {
                        Vec::new()
                    } else {
                        vec![(n.gpu_type.clone(), n.gpus.len() as u32)]
                    },
                    gpus_alloc: u.gpus.len() as u32,
                    features: n.features.clone(),
                    partitions: self
                        .cfg
                        .partitions
                        .iter()
                        .filter(|p| p.nodes.contains(&n.name))
                        .map(|p| p.name.clone())
                        .collect(),
                }
            })
            .collect())
    }

    fn partitions(&self) -> SResult<Vec<PartitionInfo>> {
        Ok(self
            .cfg
            .partitions
            .iter()
            .map(|p| PartitionInfo {
                name: p.name.clone(),
                default: p.default,
                up: true,
                max_time: p.max_time,
                default_time: p.default_time,
                nodes: p.nodes.clone(),
            })
            .collect())
    }

    fn history(&self, filter: &JobFilter) -> SResult<Vec<JobInfo>> {
        let filter = JobFilter {
            include_finished: true,
            ..filter.clone()
        };
        self.query(&filter)
    }
}
