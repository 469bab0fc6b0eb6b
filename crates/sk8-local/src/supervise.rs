//! The supervisor of one running job (`sk8 supervise ID`): started detached
//! by the scheduling pass, it brings the job's agents up, runs the batch
//! script (or holds the allocation until released), enforces the time limit
//! and `--signal`, carries out cancel and signal requests, and records how
//! the job ended.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use sk8_backend::{ExitStatus, JobState, StepInfo};
use sk8_env::{Allocation, ArrayTask, HostFacts, JobRequest, MemoryGrant, Node};
use sk8_proto::{BatchSpec, Input, Output};
use sk8_spec::job::Memory;
use sk8_spec::pattern::PatternContext;
use sk8_step::{AgentHandle, Client, Control};

use crate::backend::{LocalBackend, our_exe};
use crate::control::{self, Msg};
use crate::procs::{self, ProcId};
use crate::queue;
use crate::store::{JobRow, Kind, Query};
use crate::{Error, Result, now};

/// How often the supervisor looks at its agents and the allocation's holder.
const WATCH: Duration = Duration::from_millis(200);

enum Event {
    /// The batch script ended (`None`: its agent went away first).
    BatchDone(Option<sk8_proto::ExitStatus>),
    /// A control request, with the connection to answer on.
    Control(Msg, UnixStream),
    /// A node's agent started or ended its part of an srun step.
    Step(sk8_proto::StepReport),
}

/// How the job is ending, once decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Cancelled,
    Timeout,
    Requeue,
    Released(ExitStatus),
}

/// Supervises job `id` of `backend` until it ends.
pub fn run(backend: LocalBackend, id: u32) -> Result<()> {
    let Some(row) = claim(&backend, id)? else {
        return Ok(());
    };
    let mut sup = Supervisor::new(backend, row)?;
    let outcome = sup.run();
    sup.cleanup();
    outcome
}

/// Records this process as the job's supervisor; `None` when the job is
/// not running or another live supervisor has it.
fn claim(backend: &LocalBackend, id: u32) -> Result<Option<JobRow>> {
    let me = ProcId::current();
    backend.store().write(|tx| {
        let Some(mut row) = tx.get(id)? else {
            return Ok(None);
        };
        if !row.state.is_active() {
            return Ok(None);
        }
        let other_alive = row
            .supervisor
            .is_some_and(|(pid, start)| pid != me.pid && ProcId { pid, start }.alive());
        if other_alive {
            return Ok(None);
        }
        row.supervisor = Some((me.pid, me.start));
        tx.update(&row)?;
        Ok(Some(row))
    })
}

struct Supervisor {
    backend: LocalBackend,
    row: JobRow,
    dir: PathBuf,
    agents: Vec<AgentHandle>,
    token: String,
    events: mpsc::Receiver<Event>,
    sender: mpsc::Sender<Event>,
    batch: Option<Control>,
    batch_pid: Option<u32>,
    /// Where the batch script's standard error goes (for slurmstepd's lines).
    err_path: Option<PathBuf>,
    /// srun steps as the agents report them, merged over nodes.
    steps: std::collections::BTreeMap<u32, StepInfo>,
}

fn host_err(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Host(format!("{what}: {e}"))
}

fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .map_err(host_err("cannot read /dev/urandom"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    crate::private::write(path, data, mode).map_err(host_err("cannot write the job's files"))
}

/// Slurm's local time stamp of now (`2024-01-02T03:04:05`).
fn stamp() -> String {
    sk8_host::local_zone().civil(now()).to_string()
}

/// The process group `pid` leads, when it is a child of one of `agents`
/// and leads its own group (`stat` is its `/proc/PID/stat`). A child that
/// does not lead a group is the agent's helper (its `kill(1)` run), in the
/// agent's group and the supervisor's: signalling that group would end the
/// supervisor itself.
fn step_group(pid: u32, stat: &str, agents: &[u32]) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // Fields after the name: state, ppid, pgrp.
    let mut f = rest.split_whitespace().skip(1);
    let ppid: u32 = f.next()?.parse().ok()?;
    let pgrp: u32 = f.next()?.parse().ok()?;
    (agents.contains(&ppid) && pgrp == pid).then_some(pgrp)
}

impl Supervisor {
    fn new(backend: LocalBackend, row: JobRow) -> Result<Self> {
        let dir = control::job_dir(backend.home(), row.id);
        let (sender, events) = mpsc::channel();
        // The socket first, then the row's cancel flag (read in `run`): a
        // cancel is either seen in the row or arrives on the socket.
        let sock = control::socket_path(backend.home(), row.id);
        let _ = std::fs::remove_file(&sock);
        let listener =
            UnixListener::bind(&sock).map_err(host_err("cannot bind the control socket"))?;
        // Its mode comes from the umask; the job directory (0700) already
        // keeps others out, the socket's own mode says so too.
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(crate::private::FILE))
            .map_err(host_err("cannot bind the control socket"))?;
        let tx = sender.clone();
        std::thread::spawn(move || {
            control::serve(&listener, move |msg, conn| {
                tx.send(Event::Control(msg, conn)).is_ok()
            });
        });
        Ok(Self {
            backend,
            row,
            dir,
            agents: Vec::new(),
            token: String::new(),
            events,
            sender,
            batch: None,
            batch_pid: None,
            err_path: None,
            steps: std::collections::BTreeMap::new(),
        })
    }

    fn token_path(&self) -> PathBuf {
        self.dir.join("token")
    }

    fn start_agents(&mut self) -> Result<()> {
        self.token = random_token()?;
        write_private(
            &self.token_path(),
            self.token.as_bytes(),
            crate::private::FILE,
        )?;
        let exe = our_exe("SK8_AGENT_EXE", "sk8-agent");
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for a in &self.row.alloc {
            let log = self.dir.join(format!("agent-{}.log", a.node));
            // The agent appends to its log; created here, it is private.
            drop(crate::private::append(&log).map_err(host_err("cannot create the agent's log"))?);
            let handle = sk8_step::spawn_agent(
                &exe,
                &a.node,
                ip,
                &self.token_path(),
                self.row.id,
                Some(&log),
            )
            .map_err(|e| {
                Error::Host(format!(
                    "cannot start `{}` for {}: {e}",
                    exe.display(),
                    a.node
                ))
            })?;
            let mut handle = handle;
            if let Some(reports) = handle.take_reports() {
                let tx = self.sender.clone();
                std::thread::spawn(move || {
                    for r in reports {
                        if tx.send(Event::Step(r)).is_err() {
                            return;
                        }
                    }
                });
            }
            self.agents.push(handle);
        }
        let agents: Vec<(String, String)> = self
            .agents
            .iter()
            .map(|h| (h.node.clone(), h.addr.to_string()))
            .collect();
        let id = self.row.id;
        let row = self.backend.store().write(|tx| {
            let mut row = tx.get(id)?.ok_or(sk8_backend::Error::InvalidJobId)?;
            row.agents = agents;
            row.batch_host = row.alloc.first().map(|a| a.node.clone());
            tx.update(&row)?;
            Ok(row)
        })?;
        self.row = row;
        Ok(())
    }

    fn allocation(&self) -> Allocation {
        let spec = &self.row.spec;
        let node_mem = |name: &str| self.backend.config().node(name).map_or(0, |n| n.memory_mb);
        let memory = spec.memory.as_ref().map(|m| match m {
            Memory::PerNode(m) if m.is_all() => {
                MemoryGrant::PerNode(self.row.alloc.first().map_or(0, |a| node_mem(&a.node)))
            }
            Memory::PerNode(m) => MemoryGrant::PerNode(m.megabytes()),
            Memory::PerCpu(m) => MemoryGrant::PerCpu(m.megabytes()),
            Memory::PerGpu(m) => MemoryGrant::PerGpu(m.megabytes()),
        });
        let array = match (self.row.array_job_id, self.row.array_task_id, &spec.array) {
            (Some(job_id), Some(task_id), Some(a)) => Some(ArrayTask {
                job_id,
                task_id,
                count: a.len() as u32,
                min: a.min().unwrap_or(0),
                max: a.max().unwrap_or(0),
                step: a.step(),
            }),
            _ => None,
        };
        Allocation {
            job_id: self.row.id,
            cluster: self.backend.config().cluster.clone(),
            partition: self.row.partition.clone(),
            account: spec.account.clone(),
            qos: spec.qos.clone(),
            reservation: spec.reservation.clone(),
            nodes: self
                .row
                .alloc
                .iter()
                .map(|a| Node {
                    name: a.node.clone(),
                    addr: "127.0.0.1".into(),
                    cpus: a.cpus,
                    gpus: a.gpus.clone(),
                })
                .collect(),
            array,
            memory,
            times: None,
        }
    }

    fn pattern_context(&self) -> PatternContext {
        PatternContext {
            job_id: self.row.id,
            array_job_id: self.row.array_job_id,
            array_task_id: self.row.array_task_id,
            job_name: self.row.spec.name.clone(),
            user: self.row.spec.user.clone(),
            node_name: self
                .row
                .alloc
                .first()
                .map(|a| a.node.clone())
                .unwrap_or_default(),
            node_id: 0,
            task_id: 0,
            step_id: None,
        }
    }

    fn start_batch(&mut self) -> Result<()> {
        let spec = self.row.spec.clone();
        let script = self.backend.store().read().script(self.row.script_id())?;
        // The exported environment lives beside the script, not in the record.
        let environment = self
            .backend
            .store()
            .read()
            .environment(self.row.script_id())?;
        // slurmd's name for the copy, which scripts see in `$0`.
        let script_path = self.dir.join("slurm_script");
        write_private(&script_path, &script, crate::private::DIR)?;
        let alloc = self.allocation();
        let mut req = JobRequest::from_spec(&spec);
        req.environment = environment;
        let host = HostFacts {
            conf_path: self
                .backend
                .home()
                .join("config.toml")
                .display()
                .to_string(),
            prio_process: self.row.nice,
            umask: self.row.umask,
            ..HostFacts::default()
        };
        let mut env = sk8_env::batch_env(&req, &alloc, &host, 0);
        env.extend(sk8_env::skypilot_env(&alloc, 0));
        // sk8's own srun and scontrol come first on the job's PATH (DESIGN.md
        // §4), so a script's `srun` never reaches another Slurm's binaries:
        // links named after the commands to this very binary (`sk8
        // supervise` runs as the multi-call `sk8`).
        let exe = std::env::current_exe().unwrap_or_else(|_| our_exe("SK8_EXE", "sk8"));
        let bin = crate::links::ensure(self.backend.home(), &exe)
            .map_err(host_err("cannot link the commands into the job's PATH"))?;
        let bin = bin.display().to_string();
        match env.iter_mut().find(|(k, _)| k == "PATH") {
            Some((_, path)) if path.split(':').next() != Some(bin.as_str()) => {
                *path = format!("{bin}:{path}");
            }
            Some(_) => {}
            None => env.push(("PATH".into(), format!("{bin}:/usr/bin:/bin"))),
        }
        let agents: Vec<String> = self.agents.iter().map(AgentHandle::agents_entry).collect();
        env.push((sk8_step::AGENTS_VAR.into(), agents.join(",")));
        env.push((
            sk8_step::TOKEN_FILE_VAR.into(),
            self.token_path().display().to_string(),
        ));
        let ctx = self.pattern_context();
        let work = &spec.work_dir;
        let place = |p: &sk8_spec::FilePattern| {
            let name = p.expand_batch(&ctx);
            if name.starts_with('/') {
                name
            } else {
                format!("{work}/{name}")
            }
        };
        let append = spec.open_mode == Some(sk8_spec::OpenMode::Append);
        let out_path = place(&spec.stdout);
        let err_path = spec.stderr.as_ref().map_or(out_path.clone(), &place);
        self.err_path = Some(PathBuf::from(&err_path));
        let mut argv = vec![script_path.display().to_string()];
        if let sk8_spec::job::Command::Script { args, .. } = &spec.command {
            argv.extend(args.iter().cloned());
        }
        let batch = BatchSpec {
            job_id: self.row.id,
            argv,
            env,
            cwd: work.clone(),
            umask: Some(self.row.umask),
            stdin: spec
                .stdin
                .as_ref()
                .map_or(Input::Null, |p| Input::File(place(p))),
            stdout: Output::File {
                path: out_path,
                append,
            },
            stderr: Output::File {
                path: err_path,
                append,
            },
        };
        let first = self
            .agents
            .first()
            .ok_or_else(|| Error::Host("no agent".into()))?
            .addr;
        let running = Client::connect(first, &self.token, self.row.id)
            .and_then(|c| c.run_batch(batch))
            .map_err(|e| Error::Host(format!("cannot start the batch script: {e}")))?;
        self.batch = Some(running.control());
        self.batch_pid = running.pids().first().copied();
        let tx = self.sender.clone();
        std::thread::spawn(move || {
            let status = running
                .wait()
                .ok()
                .and_then(|v| v.into_iter().find(|(t, _)| *t == 0).map(|(_, s)| s));
            let _ = tx.send(Event::BatchDone(status));
        });
        Ok(())
    }

    /// slurmstepd's line in the job's error file (`*** JOB 12 ON node
    /// CANCELLED AT ... ***`).
    fn stepd_note(&self, why: &str) {
        let Some(path) = &self.err_path else { return };
        let node = self.row.batch_host.clone().unwrap_or_default();
        let line = format!(
            "slurmstepd-{node}: error: *** JOB {} ON {node} CANCELLED AT {}{why} ***\n",
            self.row.id,
            stamp()
        );
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
            let _ = f.write_all(line.as_bytes());
        }
    }

    /// The process groups of the job's step tasks (see [`step_group`]),
    /// other than the batch script's.
    fn step_groups(&self) -> Vec<u32> {
        let agents: Vec<u32> = self.agents.iter().map(|a| a.child.id()).collect();
        let mut groups = Vec::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return groups;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if Some(pid) == self.batch_pid {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            if let Some(g) = step_group(pid, &stat, &agents)
                && !groups.contains(&g)
            {
                groups.push(g);
            }
        }
        groups
    }

    fn signal_steps(&self, signal: i32) {
        for g in self.step_groups() {
            procs::send_signal(g, signal, true);
        }
    }

    /// Signals the batch script's whole process group (its children too).
    fn signal_batch(&self, signal: i32) {
        if let Some(c) = &self.batch {
            let _ = c.signal(signal);
        }
    }

    /// Signals the batch shell alone (`scancel -b`, `--signal=B:`): its
    /// children are not signalled, as in Slurm.
    fn signal_shell(&self, signal: i32) {
        if let Some(pid) = self.batch_pid {
            procs::send_signal(pid, signal, false);
        }
    }

    /// Starts the end: SIGCONT and SIGTERM to everything, SIGKILL later.
    fn terminate(&self) {
        for sig in [18, 15] {
            self.signal_steps(sig);
            self.signal_batch(sig);
        }
    }

    fn run(&mut self) -> Result<()> {
        let (state, exit) = match self.start_agents() {
            Err(e) => {
                eprintln!("sk8 supervise {}: {e}", self.row.id);
                (JobState::NodeFail, ExitStatus::default())
            }
            Ok(()) => self.supervise(),
        };
        self.stop_agents();
        self.record(state, exit)
    }

    fn supervise(&mut self) -> (JobState, ExitStatus) {
        if self.row.kind == Kind::Batch {
            if let Err(e) = self.start_batch() {
                eprintln!("sk8 supervise {}: {e}", self.row.id);
                return (JobState::Failed, ExitStatus { code: 1, signal: 0 });
            }
        }
        let mut ending: Option<Ending> = None;
        let mut kill_at: Option<Instant> = None;
        let kill_wait = Duration::from_secs(self.backend.config().kill_wait);
        let mut warned = false;
        // The cancel flag may have been set before the socket was bound.
        let cancelled_early = self
            .backend
            .store()
            .read()
            .get(self.row.id)
            .ok()
            .flatten()
            .is_some_and(|r| r.cancel_requested);
        if cancelled_early {
            self.stepd_note("");
            self.terminate();
            ending = Some(Ending::Cancelled);
            kill_at = Some(Instant::now() + kill_wait);
        }
        loop {
            let now_s = now();
            let start = self.row.start_time.unwrap_or(now_s);
            let limit_end = self.row.time_limit.map(|l| start + i64::from(l) * 60);
            // The time limit.
            if ending.is_none() && limit_end.is_some_and(|e| now_s >= e) {
                self.stepd_note(" DUE TO TIME LIMIT");
                self.terminate();
                ending = Some(Ending::Timeout);
                kill_at = Some(Instant::now() + kill_wait);
            }
            // `--signal`: once, `time` seconds before the limit.
            let warn = match (self.row.spec.signal, limit_end) {
                (Some(sig), Some(end)) if !warned && ending.is_none() => {
                    (now_s >= end - i64::from(sig.time)).then_some(sig)
                }
                _ => None,
            };
            if let Some(sig) = warn {
                warned = true;
                if sig.batch_only {
                    self.signal_shell(i32::from(sig.signal));
                } else {
                    self.signal_steps(i32::from(sig.signal));
                }
            }
            // Everything still running after KillWait is killed.
            if kill_at.is_some_and(|k| Instant::now() >= k) {
                kill_at = None;
                self.signal_steps(9);
                self.signal_batch(9);
                if self.row.kind == Kind::Alloc || self.batch.is_none() {
                    break;
                }
            }
            if self
                .agents
                .iter_mut()
                .any(|a| !matches!(a.child.try_wait(), Ok(None)))
            {
                return (JobState::NodeFail, ExitStatus::default());
            }
            if self.row.kind == Kind::Alloc
                && ending.is_none()
                && self
                    .row
                    .holder
                    .is_some_and(|(pid, start)| !ProcId { pid, start }.alive())
            {
                ending = Some(Ending::Cancelled);
                break;
            }
            if self.row.kind == Kind::Alloc
                && matches!(ending, Some(Ending::Timeout | Ending::Cancelled))
            {
                break;
            }
            let mut wait = WATCH;
            if let Some(e) = limit_end.filter(|_| ending.is_none()) {
                let left = u64::try_from((e - now_s).max(0)).unwrap_or(0);
                wait = wait.min(Duration::from_secs(left).max(Duration::from_millis(10)));
            }
            match self.events.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
                Ok(Event::BatchDone(status)) => {
                    let exit = match status {
                        None => return (JobState::NodeFail, ExitStatus::default()),
                        Some(sk8_proto::ExitStatus::Code(c)) => ExitStatus {
                            code: u8::try_from(c & 0xff).unwrap_or(1),
                            signal: 0,
                        },
                        Some(sk8_proto::ExitStatus::Signal { signal, .. }) => ExitStatus {
                            code: 0,
                            signal: u8::try_from(signal).unwrap_or(0),
                        },
                    };
                    return match ending {
                        Some(Ending::Cancelled) => (JobState::Cancelled, exit),
                        Some(Ending::Timeout) => (JobState::Timeout, exit),
                        Some(Ending::Requeue) => (JobState::Requeued, exit),
                        _ if exit == ExitStatus::default() => (JobState::Completed, exit),
                        _ => (JobState::Failed, exit),
                    };
                }
                Ok(Event::Step(report)) => self.merge_step(&report),
                Ok(Event::Control(msg, conn)) => {
                    let answer = self.control(msg, &mut ending, &mut kill_at, kill_wait);
                    let _ = (&conn).write_all(answer.as_bytes());
                    if let Some(Ending::Released(exit)) = ending {
                        let state = if exit == ExitStatus::default() {
                            JobState::Completed
                        } else {
                            JobState::Failed
                        };
                        return (state, exit);
                    }
                }
            }
        }
        match ending {
            Some(Ending::Timeout) => (JobState::Timeout, ExitStatus::default()),
            Some(Ending::Requeue) => (JobState::Requeued, ExitStatus::default()),
            _ => (JobState::Cancelled, ExitStatus::default()),
        }
    }

    fn control(
        &mut self,
        msg: Msg,
        ending: &mut Option<Ending>,
        kill_at: &mut Option<Instant>,
        kill_wait: Duration,
    ) -> String {
        match msg {
            Msg::Cancel | Msg::Requeue => {
                if ending.is_none() {
                    if msg == Msg::Cancel {
                        self.stepd_note("");
                    }
                    self.terminate();
                    *ending = Some(if msg == Msg::Cancel {
                        Ending::Cancelled
                    } else {
                        Ending::Requeue
                    });
                    *kill_at = Some(Instant::now() + kill_wait);
                }
            }
            Msg::Signal {
                signal,
                batch_only,
                full,
            } => {
                if full {
                    self.signal_batch(signal);
                    self.signal_steps(signal);
                } else if batch_only {
                    self.signal_shell(signal);
                } else {
                    self.signal_steps(signal);
                }
            }
            Msg::Release { code, signal } => {
                *ending = Some(Ending::Released(ExitStatus { code, signal }));
            }
            Msg::Reload => {
                if let Ok(Some(row)) = self.backend.store().read().get(self.row.id) {
                    self.row.time_limit = row.time_limit;
                    self.row.spec.name = row.spec.name;
                }
            }
        }
        "ok\n".into()
    }

    fn stop_agents(&mut self) {
        // Closing each lifeline makes the agent end its tasks (SIGTERM,
        // then SIGKILL) and exit.
        for a in &mut self.agents {
            a.release();
        }
        for a in &mut self.agents {
            let _ = a.child.wait();
        }
    }

    /// Folds one node's step report into the step's record: nodes and tasks
    /// add up, the step starts with its first node and ends with its last,
    /// its exit is the worst.
    fn merge_step(&mut self, r: &sk8_proto::StepReport) {
        let step = self.steps.entry(r.step).or_insert_with(|| StepInfo {
            id: r.step.to_string(),
            name: r.name.clone(),
            state: JobState::Running,
            nodes: Vec::new(),
            tasks: 0,
            start_time: Some(r.start),
            end_time: None,
            exit: ExitStatus::default(),
        });
        if r.end.is_none() {
            if !step.nodes.contains(&r.node) {
                step.nodes.push(r.node.clone());
                step.tasks += r.tasks;
                // Reports arrive in any order; nodes keep the allocation's.
                let order = |n: &String| self.row.alloc.iter().position(|a| &a.node == n);
                step.nodes.sort_by_key(order);
            }
            step.start_time = step.start_time.map(|s| s.min(r.start));
            return;
        }
        step.end_time = step.end_time.max(r.end);
        step.exit.code = step.exit.code.max(r.code);
        step.exit.signal = step.exit.signal.max(r.signal);
        step.state = if step.exit.signal != 0 {
            JobState::Cancelled
        } else if step.exit.code != 0 {
            JobState::Failed
        } else {
            JobState::Completed
        };
    }

    fn record(&mut self, state: JobState, exit: ExitStatus) -> Result<()> {
        // Reports still in flight (a step that ended just before the job).
        while let Ok(event) = self.events.try_recv() {
            if let Event::Step(report) = event {
                self.merge_step(&report);
            }
        }
        let steps: Vec<StepInfo> = self
            .steps
            .values()
            .cloned()
            .map(|mut s| {
                if s.end_time.is_none() {
                    s.state = JobState::Cancelled;
                }
                s
            })
            .collect();
        let id = self.row.id;
        let backend = &self.backend;
        backend.write_pass(|tx| {
            let Some(mut row) = tx.get(id)? else {
                return Ok(());
            };
            if !row.state.is_active() {
                return Ok(());
            }
            let now = now();
            if row.kind == Kind::Batch {
                row.steps.push(StepInfo {
                    id: "batch".into(),
                    name: "batch".into(),
                    state: match state {
                        JobState::Timeout | JobState::Requeued => JobState::Cancelled,
                        s => s,
                    },
                    nodes: row
                        .alloc
                        .first()
                        .map(|a| a.node.clone())
                        .into_iter()
                        .collect(),
                    tasks: 1,
                    start_time: row.start_time,
                    end_time: Some(now),
                    exit,
                });
            }
            row.steps.extend(steps.iter().cloned());
            if state == JobState::Requeued {
                queue::requeue(&mut row, now);
            } else {
                queue::finish(&mut row, state, exit, now);
            }
            tx.update(&row)?;
            Ok(())
        })
    }

    fn cleanup(&self) {
        for name in ["ctl", "token", "slurm_script"] {
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::step_group;

    #[test]
    fn only_group_leading_children_of_agents_are_steps() {
        let agents = [100, 200];
        // A task the agent started in its own group.
        assert_eq!(
            step_group(300, "300 (python) S 100 300 300", &agents),
            Some(300)
        );
        // The agent's `kill` helper, still in the agent's (and supervisor's) group.
        assert_eq!(step_group(301, "301 (kill) R 200 50 50", &agents), None);
        // Not a child of an agent; a name with spaces and parentheses.
        assert_eq!(step_group(302, "302 (a) b) S 7 302 302", &agents), None);
        assert_eq!(step_group(303, "303 (x) S 100 303 303", &[]), None);
        assert_eq!(step_group(304, "garbage", &agents), None);
    }
}
