//! `srun` inside a batch job or allocation: plan the step from the job's
//! `SLURM_*` variables, get a step id from the first node's agent, launch on
//! every node's agent in parallel, stream output (`-l` labels, per-task
//! files), forward stdin and signals, report task exits as `srun` 22.05
//! does and exit with its exit code.
//!
//! Exit reporting follows `_task_finish` in Slurm's
//! `src/plugins/launch/slurm/launch_slurm.c`: one `srun: error: HOSTS:
//! task(s) IDS: Exited with exit code C` (or the signal's description) per
//! group of tasks that ended the same way on the same node; exit code the
//! highest task exit code, unless a task was killed by a signal, then 128
//! plus the highest signal; `srun: Force Terminated StepId=J.S` when a task
//! died of SIGTERM or SIGKILL.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use sk8_env::{
    Allocation, Counts, Env, HostFacts, JobRequest, LaunchFacts, Node, StepLayout, StepRequest,
    compose, step_env, task_env,
};
use sk8_proto::{ExitStatus, Input, LaunchSpec, Output, TaskSpec};
use sk8_spec::job::Command as JobCommand;
use sk8_spec::pattern::{PatternContext, SrunIo};
use sk8_spec::{FilePattern, JobSpec};

use sk8_step::exec::{current_umask, strerror};
use sk8_step::signals::{SIGINT, SIGKILL, SIGTERM};
use sk8_step::{AGENTS_VAR, Client, Control, StepEvent, TOKEN_FILE_VAR, read_token, strsignal};

use super::multiprog::MultiProg;
use crate::exit::EXIT_ERROR;

/// What the step takes from `srun`'s command line beyond the [`JobSpec`]:
/// built once from the parsed options ([`super::step_options`]), so the
/// step's logic reads plain fields, not the option table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepOptions {
    /// `-l/--label`: prefix each output line with its task id.
    pub label: bool,
    /// `--exact`: only the CPUs asked for.
    pub exact: bool,
    /// `-o/--output`, as given.
    pub output: Option<String>,
    /// `-e/--error`, as given.
    pub error: Option<String>,
    /// `-i/--input`, as given.
    pub input: Option<String>,
    /// `--pty`: the single task on a pseudo-terminal.
    pub pty: bool,
    /// `--multi-prog`: the program is a multi-prog config file.
    pub multi_prog: bool,
    /// `-J/--job-name`, exported to the tasks as `SLURM_JOB_NAME`.
    pub job_name: Option<String>,
    /// `-K/--kill-on-bad-exit` in effect (given, and not `=0`).
    pub kill_on_bad_exit: bool,
}

/// Slurm's default `KillWait`: SIGTERM to SIGKILL after `--kill-on-bad-exit`.
const KILL_WAIT: Duration = Duration::from_secs(30);

/// How long failing exits wait for their siblings before being reported.
const EXIT_SETTLE: Duration = Duration::from_millis(5);

/// True when `env` is a job's: `SLURM_JOB_ID` and `SK8_AGENTS` are set.
#[must_use]
pub fn in_allocation(env: &BTreeMap<String, String>) -> bool {
    env.contains_key("SLURM_JOB_ID") && env.contains_key(AGENTS_VAR)
}

/// One node's agent, from `SK8_AGENTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentAddr {
    /// The node's name.
    pub node: String,
    /// Where its agent listens.
    pub addr: SocketAddr,
}

/// Parses `SK8_AGENTS` (`node=host:port,...`).
pub fn parse_agents(text: &str) -> Result<Vec<AgentAddr>, String> {
    text.split(',')
        .filter(|e| !e.is_empty())
        .map(|entry| {
            let (node, addr) = entry
                .split_once('=')
                .ok_or_else(|| format!("invalid {AGENTS_VAR} entry `{entry}`"))?;
            let addr = addr
                .parse()
                .map_err(|_| format!("invalid agent address `{addr}` in {AGENTS_VAR}"))?;
            Ok(AgentAddr {
                node: node.to_string(),
                addr,
            })
        })
        .collect()
}

/// The job as its `SLURM_*` variables describe it: what was asked and what
/// was granted, with `agents` giving the nodes in order.
///
/// Only the first node's GPUs are visible (`SLURM_JOB_GPUS`); every node is
/// assumed to hold the same, as Slurm's GPU allocations usually are.
pub fn job_from_env(
    env: &BTreeMap<String, String>,
    agents: &[AgentAddr],
) -> Result<(JobRequest, Allocation, HostFacts), String> {
    let get = |k: &str| env.get(k).cloned();
    let num = |k: &str| env.get(k).and_then(|v| v.trim().parse::<u32>().ok());
    let job_id = num("SLURM_JOB_ID").ok_or("SLURM_JOB_ID is not a job id")?;
    let cpus = env
        .get("SLURM_JOB_CPUS_PER_NODE")
        .and_then(|v| v.parse::<Counts>().ok())
        .map(|c| c.0)
        .unwrap_or_default();
    let gpus: Vec<u32> = env
        .get("SLURM_JOB_GPUS")
        .map(|v| v.split(',').filter_map(|g| g.trim().parse().ok()).collect())
        .unwrap_or_default();
    let nodes = agents
        .iter()
        .enumerate()
        .map(|(i, a)| Node {
            name: a.node.clone(),
            addr: a.addr.ip().to_string(),
            cpus: cpus.get(i).or(cpus.last()).copied().unwrap_or(1),
            gpus: gpus.clone(),
        })
        .collect();
    let req = JobRequest {
        name: get("SLURM_JOB_NAME").unwrap_or_default(),
        user: get("SLURM_JOB_USER").unwrap_or_default(),
        uid: num("SLURM_JOB_UID").unwrap_or(0),
        gid: num("SLURM_JOB_GID").unwrap_or(0),
        submit_dir: get("SLURM_SUBMIT_DIR").unwrap_or_default(),
        submit_host: get("SLURM_SUBMIT_HOST").unwrap_or_default(),
        ntasks: num("SLURM_NTASKS"),
        ntasks_per_node: num("SLURM_NTASKS_PER_NODE"),
        distribution: get("SLURM_DISTRIBUTION"),
        ..JobRequest::default()
    };
    let alloc = Allocation {
        job_id,
        cluster: get("SLURM_CLUSTER_NAME").unwrap_or_default(),
        partition: get("SLURM_JOB_PARTITION").unwrap_or_default(),
        nodes,
        ..Allocation::default()
    };
    let renumbered = !gpus.is_empty()
        && env.get("CUDA_VISIBLE_DEVICES").is_some_and(|c| {
            let listed: Vec<String> = gpus.iter().map(u32::to_string).collect();
            *c != listed.join(",")
        });
    let host = HostFacts {
        conf_path: get("SLURM_CONF").unwrap_or_else(|| HostFacts::default().conf_path),
        prio_process: env
            .get("SLURM_PRIO_PROCESS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        umask: current_umask().unwrap_or(0o022),
        working_cluster: get("SLURM_WORKING_CLUSTER"),
        node_aliases: get("SLURM_NODE_ALIASES").filter(|a| a != "(null)"),
        gpus_renumbered: renumbered,
    };
    Ok((req, alloc, host))
}

/// What this `srun` asked for, as [`StepLayout::plan`] takes it.
#[must_use]
pub fn step_request(spec: &JobSpec, opts: &StepOptions) -> StepRequest {
    StepRequest {
        ntasks: spec.ntasks,
        nodes: spec.nodes.as_ref().map(sk8_spec::NodeRange::min),
        cpus_per_task: spec.cpus_per_task,
        ntasks_per_node: spec.ntasks_per_node,
        distribution: spec.distribution.as_ref().map(ToString::to_string),
        label: opts.label,
        overcommit: spec.overcommit,
        exact: opts.exact,
    }
}

/// Where one stream of the step goes, as `srun` decides from `-o/-e/-i`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    /// Every task to `srun` (the default).
    All,
    /// Only this task to `srun`; the others to `/dev/null`.
    One(u32),
    /// `srun` itself opens this file and writes (or reads) every task there.
    Local(String),
    /// Each task's own file, opened on its node.
    PerTask(FilePattern),
}

fn route(value: Option<&str>, ntasks: u32, cwd: &str) -> Route {
    let Some(text) = value else {
        return Route::All;
    };
    let pattern: FilePattern = text.parse().unwrap_or_else(|e| match e {});
    if text.eq_ignore_ascii_case("none") {
        return Route::PerTask(pattern);
    }
    match pattern.srun_io(ntasks) {
        SrunIo::All => Route::All,
        SrunIo::OneTask(t) => Route::One(t),
        SrunIo::File => {
            let pattern = if pattern.is_absolute() {
                pattern
            } else {
                pattern.in_dir(cwd)
            };
            if pattern.is_per_task() {
                Route::PerTask(pattern)
            } else {
                Route::Local(pattern.to_string())
            }
        }
    }
}

/// The three streams' routes and the open mode of files.
struct Routes {
    out: Route,
    err: Route,
    input: Route,
    append: bool,
}

impl Routes {
    fn new(
        spec: &JobSpec,
        opts: &StepOptions,
        env: &BTreeMap<String, String>,
        ntasks: u32,
    ) -> Self {
        let cwd = &spec.work_dir;
        let out = route(opts.output.as_deref(), ntasks, cwd);
        // Without -e, standard error follows standard output (srun's efname).
        let err = match opts.error.as_deref() {
            Some(v) => route(Some(v), ntasks, cwd),
            None => out.clone(),
        };
        Self {
            input: route(opts.input.as_deref(), ntasks, cwd),
            out,
            err,
            append: spec.open_mode == Some(sk8_spec::OpenMode::Append)
                || (spec.open_mode.is_none()
                    && env
                        .get("SLURM_OPEN_MODE")
                        .is_some_and(|m| m.starts_with('a'))),
        }
    }
}

/// What the main loop hears.
enum Msg {
    /// A node's tasks started.
    Started(usize, Control),
    /// A node's launch or connection failed.
    Failed(usize, sk8_step::Error),
    /// Output or an exit.
    Event(usize, StepEvent),
    /// A node's tasks all ended.
    Done(usize),
    /// A signal reached `srun`.
    Signal(i32),
    /// `--kill-on-bad-exit`'s grace ran out.
    KillNow,
}

/// Writes `srun: ...` lines on standard error.
fn say(line: &str) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "srun: {line}");
}

fn error(line: &str) {
    say(&format!("error: {line}"));
}

/// `0-2,5`: task ids as Slurm's `bit_fmt` prints them.
#[must_use]
pub fn task_ranges(ids: &[u32]) -> String {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

/// The line `srun` prints for tasks that ended with `status`, if any.
#[must_use]
pub fn exit_line(hosts: &str, tasks: &[u32], status: ExitStatus) -> Option<String> {
    let word = if tasks.len() == 1 { "task" } else { "tasks" };
    let ids = task_ranges(tasks);
    match status {
        ExitStatus::Code(0) => None,
        ExitStatus::Code(c) => Some(format!("{hosts}: {word} {ids}: Exited with exit code {c}")),
        ExitStatus::Signal {
            signal,
            core_dumped,
        } => Some(format!(
            "{hosts}: {word} {ids}: {}{}",
            strsignal(signal),
            if core_dumped { " (core dumped)" } else { "" }
        )),
    }
}

/// `srun`'s running exit status: the highest signal wins over any exit
/// code, else the highest exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GlobalRc(Option<ExitStatus>);

impl GlobalRc {
    /// Folds one task's status in.
    pub fn update(&mut self, status: ExitStatus) {
        let current = self.0;
        match status {
            ExitStatus::Code(0) => {}
            ExitStatus::Code(c) => match current {
                Some(ExitStatus::Signal { .. }) => {}
                Some(ExitStatus::Code(g)) if c <= g => {}
                _ => self.0 = Some(status),
            },
            ExitStatus::Signal { signal, .. } => match current {
                Some(ExitStatus::Signal { signal: g, .. }) if signal <= g => {}
                _ => self.0 = Some(status),
            },
        }
    }

    /// `srun`'s exit code: the code, or 128 plus the signal.
    #[must_use]
    pub fn code(self) -> u8 {
        let code = self.0.map_or(0, ExitStatus::shell_code);
        u8::try_from(code & 0xff).unwrap_or(1)
    }
}

/// Output of one task stream, with `-l` labels applied line by line.
struct Sink {
    label_width: Option<usize>,
    partial: HashMap<(u32, bool), Vec<u8>>,
    out_file: Option<File>,
    err_file: Option<File>,
}

impl Sink {
    fn write(&mut self, task: u32, is_err: bool, data: &[u8]) {
        let mut bytes = Vec::new();
        match self.label_width {
            None => bytes.extend_from_slice(data),
            Some(w) => {
                let buf = self.partial.entry((task, is_err)).or_default();
                buf.extend_from_slice(data);
                while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=nl).collect();
                    bytes.extend_from_slice(format!("{task:>w$}: ").as_bytes());
                    bytes.extend_from_slice(&line);
                }
            }
        }
        self.emit(is_err, &bytes);
    }

    /// Flushes what a task left without a final newline.
    fn flush_task(&mut self, task: u32) {
        let Some(w) = self.label_width else { return };
        for is_err in [false, true] {
            if let Some(rest) = self
                .partial
                .remove(&(task, is_err))
                .filter(|r| !r.is_empty())
            {
                let mut bytes = format!("{task:>w$}: ").into_bytes();
                bytes.extend_from_slice(&rest);
                self.emit(is_err, &bytes);
            }
        }
    }

    fn emit(&mut self, is_err: bool, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let file = if is_err {
            self.err_file.as_mut()
        } else {
            self.out_file.as_mut()
        };
        match file {
            Some(f) => {
                let _ = f.write_all(bytes);
            }
            None if is_err => {
                let mut e = io::stderr().lock();
                let _ = e.write_all(bytes);
                let _ = e.flush();
            }
            None => {
                let mut o = io::stdout().lock();
                let _ = o.write_all(bytes);
                let _ = o.flush();
            }
        }
    }
}

fn open_local_output(path: &str, append: bool) -> io::Result<File> {
    if append {
        OpenOptions::new().create(true).append(true).open(path)
    } else {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }
}

/// A planned step, ready to launch.
struct Plan {
    step_id: u32,
    job_id: u32,
    /// Per used node: (agent, its tasks).
    nodes: Vec<(AgentAddr, Vec<TaskSpec>)>,
    env: Env,
    ntasks: u32,
    /// Tasks whose stdin is fed from `srun`.
    stdin_tasks: Vec<(usize, u32)>,
    /// File `srun` reads stdin from, instead of its own.
    stdin_file: Option<String>,
    /// The single task runs on a pseudo-terminal (`--pty`).
    pty: bool,
}

/// `srun` inside an allocation: runs `spec`'s program as a step of the job
/// described by `env` and returns `srun`'s exit code. `signals`, when given,
/// delivers the signals `srun` caught (SIGINT, SIGTERM, SIGQUIT, SIGUSR1/2)
/// for forwarding; without it the process's default signal actions apply
/// and a killed `srun` takes its tasks with it (the agents kill a step whose
/// client disconnects).
pub fn run_in_allocation(
    spec: &JobSpec,
    opts: &StepOptions,
    env: &BTreeMap<String, String>,
    signals: Option<Receiver<i32>>,
) -> ExitCode {
    ExitCode::from(run_step(spec, opts, env, signals))
}

/// [`run_in_allocation`], returning the exit code as a number (standalone
/// `srun` records it as its allocation's exit status).
pub fn run_step(
    spec: &JobSpec,
    opts: &StepOptions,
    env: &BTreeMap<String, String>,
    signals: Option<Receiver<i32>>,
) -> u8 {
    match run(spec, opts, env, signals) {
        Ok(code) => code,
        Err(lines) => {
            for l in lines {
                error(&l);
            }
            EXIT_ERROR
        }
    }
}

fn run(
    spec: &JobSpec,
    opts: &StepOptions,
    env: &BTreeMap<String, String>,
    signals: Option<Receiver<i32>>,
) -> Result<u8, Vec<String>> {
    let one = |s: String| vec![s];
    let agents = parse_agents(env.get(AGENTS_VAR).map_or("", String::as_str)).map_err(one)?;
    if agents.is_empty() {
        return Err(one(format!("{AGENTS_VAR} names no node")));
    }
    let token_file = env
        .get(TOKEN_FILE_VAR)
        .ok_or_else(|| one(format!("{TOKEN_FILE_VAR} is not set")))?;
    let token = read_token(Path::new(token_file))
        .map_err(|e| one(format!("cannot read the job's token file: {e}")))?;
    let (req, alloc, host) = job_from_env(env, &agents).map_err(one)?;

    let mut step_req = step_request(spec, opts);
    let nodes_alloc = u32::try_from(alloc.nodes.len()).unwrap_or(u32::MAX);
    if let Some(n) = step_req.nodes {
        if n > nodes_alloc {
            return Err(one(format!(
                "Only allocated {nodes_alloc} nodes asked for {n}"
            )));
        }
        if let Some(t) = step_req.ntasks.filter(|&t| t < n) {
            say(&format!(
                "Warning: can't run {t} processes on {n} nodes, setting nnodes to {t}"
            ));
            step_req.nodes = Some(t.max(1));
        }
    }

    let step_id = Client::connect(agents[0].addr, &token, alloc.job_id)
        .and_then(Client::next_step_id)
        .map_err(|e| {
            one(format!(
                "Unable to create step for job {}: {e}",
                alloc.job_id
            ))
        })?;
    let layout = StepLayout::plan(&req, &alloc, step_id, &step_req);
    let ntasks = layout.ntasks();
    if opts.pty && ntasks != 1 {
        say("warning: --pty: a pseudo-terminal takes a single task, standard streams are pipes");
    }
    let cpt = step_req.cpus_per_task.unwrap_or(1).max(1);
    let cpus: u32 = layout.cpus.iter().sum();
    if !step_req.overcommit && ntasks.saturating_mul(cpt) > cpus {
        return Err(one(format!(
            "Unable to create step for job {}: More processors requested than permitted",
            alloc.job_id
        )));
    }

    // Connect to every node of the step at once.
    let used: Vec<AgentAddr> = layout.nodes.iter().map(|&i| agents[i].clone()).collect();
    let clients = connect_all(&used, &token, alloc.job_id)?;
    let srun_addr = clients
        .first()
        .and_then(|c| c.local_addr().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let launch = LaunchFacts {
        srun_addr: srun_addr.ip().to_string(),
        port: srun_addr.port(),
    };

    let plan = plan_tasks(
        spec, opts, env, &req, &alloc, &host, &layout, &used, &launch,
    )?;
    execute(plan, clients, spec, opts, env, signals)
}

fn connect_all(used: &[AgentAddr], token: &str, job_id: u32) -> Result<Vec<Client>, Vec<String>> {
    let handles: Vec<_> = used
        .iter()
        .map(|a| {
            let addr = a.addr;
            let token = token.to_string();
            thread::spawn(move || Client::connect(addr, &token, job_id))
        })
        .collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (h, a) in handles.into_iter().zip(used) {
        match h.join() {
            Ok(Ok(c)) => out.push(c),
            Ok(Err(e)) => errors.push(format!("{}: {e}", a.node)),
            Err(_) => errors.push(format!("{}: connection thread failed", a.node)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_tasks(
    spec: &JobSpec,
    opts: &StepOptions,
    env: &BTreeMap<String, String>,
    req: &JobRequest,
    alloc: &Allocation,
    host: &HostFacts,
    layout: &StepLayout,
    used: &[AgentAddr],
    launch: &LaunchFacts,
) -> Result<Plan, Vec<String>> {
    let step_req = step_request(spec, opts);
    let ntasks = layout.ntasks();
    let cwd = spec.work_dir.clone();
    let program: Vec<String> = match &spec.command {
        JobCommand::Exec(argv) => argv.clone(),
        _ => Vec::new(),
    };
    if program.is_empty() {
        return Err(vec!["No command given to execute.".into()]);
    }
    let multi = if opts.multi_prog {
        let name = &program[0];
        let path = if name.starts_with('/') {
            name.clone()
        } else {
            format!("{cwd}/{name}")
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|_| vec![format!("Could not open multi_prog config file {name}")])?;
        Some(MultiProg::parse(&text, name, ntasks)?)
    } else {
        None
    };

    let Routes {
        out: out_route,
        err: err_route,
        input: in_route,
        append,
    } = Routes::new(spec, opts, env, ntasks);

    let inherited: Env = spec
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let step = step_env(&step_req, alloc, layout, host, launch);
    let mut common = compose(&inherited, &step, &Vec::new());
    // srun exports its job name (`-J`, else the inherited SLURM_JOB_NAME it
    // read as input) to the tasks.
    if let Some(name) = opts.job_name.as_deref() {
        common.retain(|(k, _)| k != "SLURM_JOB_NAME");
        common.push(("SLURM_JOB_NAME".into(), name.to_string()));
    }

    let mut nodes = Vec::new();
    let mut stdin_tasks = Vec::new();
    for (node_idx, (agent, tids)) in used.iter().zip(&layout.tasks).enumerate() {
        let mut tasks = Vec::new();
        for &task in tids {
            let argv = match &multi {
                Some(mp) => mp.argv(task, &program[1..]).map_err(|e| vec![e])?,
                None => program.clone(),
            };
            let ctx = PatternContext {
                job_id: alloc.job_id,
                array_job_id: env.get("SLURM_ARRAY_JOB_ID").and_then(|v| v.parse().ok()),
                array_task_id: env.get("SLURM_ARRAY_TASK_ID").and_then(|v| v.parse().ok()),
                job_name: env
                    .get("SLURM_JOB_NAME")
                    .cloned()
                    .unwrap_or_else(|| spec.name.clone()),
                user: req.user.clone(),
                node_name: agent.node.clone(),
                node_id: u32::try_from(node_idx).unwrap_or(0),
                task_id: task,
                step_id: Some(layout.step_id),
            };
            let output = |r: &Route| match r {
                Route::All | Route::Local(_) => Output::Stream,
                Route::One(t) if *t == task => Output::Stream,
                Route::One(_) => Output::Null,
                Route::PerTask(p) => Output::File {
                    path: p.expand_step(&ctx),
                    append,
                },
            };
            let stdin = match &in_route {
                Route::All | Route::Local(_) => Input::Stream,
                Route::One(t) if *t == task => Input::Stream,
                Route::One(_) => Input::Null,
                Route::PerTask(p) => Input::File(p.expand_step(&ctx)),
            };
            if stdin == Input::Stream {
                stdin_tasks.push((node_idx, task));
            }
            tasks.push(TaskSpec {
                task,
                argv,
                env: task_env(alloc, layout, host, task, 0).unwrap_or_default(),
                stdin,
                stdout: output(&out_route),
                stderr: output(&err_route),
            });
        }
        nodes.push((agent.clone(), tasks));
    }
    Ok(Plan {
        step_id: layout.step_id,
        job_id: alloc.job_id,
        nodes,
        env: common,
        ntasks,
        stdin_tasks,
        stdin_file: match in_route {
            Route::Local(p) => Some(p),
            _ => None,
        },
        pty: opts.pty && ntasks == 1,
    })
}

/// Per-node state the main loop tracks.
struct NodeState {
    name: String,
    task_ids: Vec<u32>,
    done: bool,
}

/// Runs a planned step to its end: opens `srun`'s own files, launches on
/// every node and follows the step until every node is done; returns
/// `srun`'s exit code.
fn execute(
    mut plan: Plan,
    clients: Vec<Client>,
    spec: &JobSpec,
    opts: &StepOptions,
    env: &BTreeMap<String, String>,
    signals: Option<Receiver<i32>>,
) -> Result<u8, Vec<String>> {
    let ntasks = plan.ntasks;
    // A terminal's bytes go through unchanged: no labels, and srun's own
    // terminal (when it reads it) in raw mode until the step is over.
    let label_width = (opts.label && !plan.pty).then(|| ntasks.saturating_sub(1).to_string().len());
    let sink = open_sink(&Routes::new(spec, opts, env, ntasks), label_width)?;
    let stdin_source = stdin_source(&plan)?;
    let _raw = (plan.pty && plan.stdin_file.is_none() && !plan.stdin_tasks.is_empty())
        .then(RawMode::enter)
        .flatten();
    let step_name = format!("StepId={}.{}", plan.job_id, plan.step_id);

    let (tx, rx) = channel::<Msg>();
    if let Some(sigs) = signals {
        forward_signals(sigs, tx.clone());
    }
    let stdin_tasks = std::mem::take(&mut plan.stdin_tasks);
    let nodes = launch_nodes(plan, clients, &spec.work_dir, &tx);
    let mut step = StepRun {
        step_name,
        ntasks,
        kill_on_bad_exit: opts.kill_on_bad_exit,
        running: nodes.iter().flat_map(|n| n.task_ids.clone()).collect(),
        waiting_start: nodes.len(),
        nodes,
        sink,
        controls: HashMap::new(),
        stdin_source,
        stdin_tasks,
        rc: GlobalRc::default(),
        abnormal: Vec::new(),
        normal: Vec::new(),
        term_or_kill: false,
        force_terminated: false,
        killed_for_bad_exit: false,
        last_intr: None,
        aborting: false,
        // Kept for the --kill-on-bad-exit timer; the loop ends when every node is done.
        timer_tx: tx,
    };
    step.run_to_end(&rx);
    Ok(step.finish())
}

/// Where the tasks' output goes when `srun` writes it itself: the local
/// `-o`/`-e` files (one file opened once when both name it), else its own
/// standard streams.
fn open_sink(routes: &Routes, label_width: Option<usize>) -> Result<Sink, Vec<String>> {
    let out_file = match &routes.out {
        Route::Local(p) => Some(
            open_local_output(p, routes.append)
                .map_err(|e| vec![format!("Could not open stdout file: {}", strerror(&e))])?,
        ),
        _ => None,
    };
    let err_file = match (&routes.err, &routes.out) {
        (Route::Local(e), Route::Local(o)) if e == o => {
            out_file.as_ref().and_then(|f| f.try_clone().ok())
        }
        (Route::Local(p), _) => Some(
            open_local_output(p, routes.append)
                .map_err(|e| vec![format!("Could not open stderr file: {}", strerror(&e))])?,
        ),
        _ => None,
    };
    Ok(Sink {
        label_width,
        partial: HashMap::new(),
        out_file,
        err_file,
    })
}

/// What `srun` feeds the tasks' standard input from: the `-i` file, its own
/// standard input, or nothing when no task reads from `srun`.
fn stdin_source(plan: &Plan) -> Result<Option<Box<dyn Read + Send>>, Vec<String>> {
    Ok(match &plan.stdin_file {
        Some(p) => Some(Box::new(File::open(p).map_err(|e| {
            vec![format!("Could not open stdin file: {}", strerror(&e))]
        })?)),
        None if plan.stdin_tasks.is_empty() => None,
        None => Some(Box::new(io::stdin())),
    })
}

/// Hands the signals `srun` caught to the main loop, for forwarding.
fn forward_signals(sigs: Receiver<i32>, tx: Sender<Msg>) {
    thread::spawn(move || {
        for s in sigs {
            if tx.send(Msg::Signal(s)).is_err() {
                return;
            }
        }
    });
}

/// Starts one thread per node that launches its tasks and reports to `tx`;
/// returns what the main loop tracks of each node.
fn launch_nodes(plan: Plan, clients: Vec<Client>, cwd: &str, tx: &Sender<Msg>) -> Vec<NodeState> {
    let mut nodes: Vec<NodeState> = Vec::new();
    for (idx, ((agent, tasks), client)) in plan.nodes.into_iter().zip(clients).enumerate() {
        nodes.push(NodeState {
            name: agent.node.clone(),
            task_ids: tasks.iter().map(|t| t.task).collect(),
            done: false,
        });
        let launch = LaunchSpec {
            job_id: plan.job_id,
            step_id: plan.step_id,
            env: plan.env.clone(),
            cwd: cwd.to_string(),
            umask: current_umask(),
            pty: plan.pty,
            tasks,
        };
        let tx = tx.clone();
        thread::spawn(move || follow(idx, client, launch, &tx));
    }
    nodes
}

/// Waits for the next messages: all that are already there, and for a
/// moment more when a task failed.
///
/// slurmstepd reports the tasks it reaps in one pass together (`tasks 0-1:
/// Killed`); exits that fail together get a moment to arrive together.
/// Successful exits print nothing and never wait. `None` when every sender
/// is gone.
fn next_batch(rx: &Receiver<Msg>) -> Option<Vec<Msg>> {
    let first = rx.recv().ok()?;
    let mut batch = vec![first];
    while let Ok(m) = rx.try_recv() {
        batch.push(m);
    }
    let failing = batch
        .iter()
        .any(|m| matches!(m, Msg::Event(_, StepEvent::Exit { status, .. }) if !status.success()));
    if failing {
        let deadline = Instant::now() + EXIT_SETTLE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
    }
    Some(batch)
}

/// Task exits of one batch, grouped per node and status as slurmstepd
/// groups the tasks it reaps together.
type Exits = Vec<((usize, ExitStatus), Vec<u32>)>;

/// The main loop's state: the nodes and their controls, the tasks' fates,
/// and what `srun` has done about them.
struct StepRun {
    step_name: String,
    ntasks: u32,
    kill_on_bad_exit: bool,
    nodes: Vec<NodeState>,
    sink: Sink,
    controls: HashMap<usize, Control>,
    /// Nodes whose launch has not been answered yet.
    waiting_start: usize,
    stdin_source: Option<Box<dyn Read + Send>>,
    stdin_tasks: Vec<(usize, u32)>,
    rc: GlobalRc,
    running: Vec<u32>,
    abnormal: Vec<u32>,
    normal: Vec<u32>,
    term_or_kill: bool,
    force_terminated: bool,
    killed_for_bad_exit: bool,
    last_intr: Option<Instant>,
    /// A launch failed: tasks that start are killed.
    aborting: bool,
    timer_tx: Sender<Msg>,
}

impl StepRun {
    /// Handles messages until every node is done.
    fn run_to_end(&mut self, rx: &Receiver<Msg>) {
        while !self.nodes.iter().all(|n| n.done) {
            let Some(batch) = next_batch(rx) else { break };
            let mut exits = Exits::new();
            for msg in batch {
                self.handle(msg, &mut exits);
            }
            self.report_exits(exits);
        }
    }

    /// One message; task exits are collected in `exits` for reporting.
    fn handle(&mut self, msg: Msg, exits: &mut Exits) {
        match msg {
            Msg::Started(idx, control) => self.started(idx, control),
            Msg::Failed(idx, e) => self.failed(idx, &e),
            Msg::Event(_, StepEvent::Stdout { task, data }) => self.sink.write(task, false, &data),
            Msg::Event(_, StepEvent::Stderr { task, data }) => self.sink.write(task, true, &data),
            Msg::Event(idx, StepEvent::Exit { task, status }) => {
                self.sink.flush_task(task);
                self.running.retain(|&t| t != task);
                if status.success() {
                    self.normal.push(task);
                } else {
                    self.abnormal.push(task);
                }
                match exits.iter_mut().find(|(k, _)| *k == (idx, status)) {
                    Some((_, v)) => v.push(task),
                    None => exits.push(((idx, status), vec![task])),
                }
            }
            Msg::Done(idx) => self.nodes[idx].done = true,
            Msg::Signal(SIGINT) => self.interrupted(),
            Msg::Signal(sig) => self.broadcast(sig),
            Msg::KillNow => self.broadcast(SIGKILL),
        }
    }

    /// A node's tasks started; once all have, stdin is fed to them.
    fn started(&mut self, idx: usize, control: Control) {
        if self.aborting {
            let _ = control.signal(SIGKILL);
        }
        self.controls.insert(idx, control);
        self.waiting_start -= 1;
        if self.waiting_start == 0 {
            if let Some(src) = self.stdin_source.take() {
                start_stdin(src, &self.controls, &self.stdin_tasks);
            }
        }
    }

    /// A node was lost after it started (its tasks are lost), or its launch
    /// failed, which takes the whole step down, as a step that cannot start
    /// everywhere does.
    fn failed(&mut self, idx: usize, e: &sk8_step::Error) {
        if self.nodes[idx].done {
            return;
        }
        self.nodes[idx].done = true;
        let name = self.nodes[idx].name.clone();
        let task_ids = self.nodes[idx].task_ids.clone();
        if self.controls.contains_key(&idx) {
            error(&format!("{name}: {e}"));
            error(&format!(
                "Node failure on {name}: {} {} lost",
                if task_ids.len() == 1 { "task" } else { "tasks" },
                task_ranges(&task_ids)
            ));
        } else {
            self.waiting_start -= 1;
            self.aborting = true;
            self.broadcast(SIGKILL);
            error(&format!("{name}: {e}"));
        }
        self.running.retain(|t| !task_ids.contains(t));
        self.rc.update(ExitStatus::Code(1));
    }

    /// Ctrl-C: the tasks' status, or a second within a second aborts.
    fn interrupted(&mut self) {
        let now = Instant::now();
        if self
            .last_intr
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            say(&format!("sending Ctrl-C to {}", self.step_name));
            self.broadcast(SIGINT);
            self.force_terminated = true;
            self.broadcast(SIGKILL);
        } else {
            say("interrupt (one more within 1 sec to abort)");
            print_status(
                &self.step_name,
                self.ntasks,
                &self.running,
                &self.abnormal,
                &self.normal,
            );
            self.last_intr = Some(now);
        }
    }

    /// Reports a batch's exits, folds them into the exit code and starts
    /// `--kill-on-bad-exit` on the first failure.
    fn report_exits(&mut self, exits: Exits) {
        for ((idx, status), tasks) in exits {
            if let ExitStatus::Signal { signal, .. } = status {
                if signal == SIGKILL || signal == SIGTERM {
                    self.term_or_kill = true;
                }
            }
            if !(self.force_terminated && matches!(status, ExitStatus::Signal { .. })) {
                if let Some(line) = exit_line(&self.nodes[idx].name, &tasks, status) {
                    error(&line);
                }
            }
            self.rc.update(status);
            if self.kill_on_bad_exit && !status.success() && !self.killed_for_bad_exit {
                self.killed_for_bad_exit = true;
                self.broadcast(SIGTERM);
                let t = self.timer_tx.clone();
                thread::spawn(move || {
                    thread::sleep(KILL_WAIT);
                    let _ = t.send(Msg::KillNow);
                });
            }
        }
    }

    fn broadcast(&self, sig: i32) {
        for c in self.controls.values() {
            let _ = c.signal(sig);
        }
    }

    /// Flushes what tasks left unterminated and says whether the step was
    /// force terminated; returns `srun`'s exit code.
    fn finish(mut self) -> u8 {
        for t in 0..self.ntasks {
            self.sink.flush_task(t);
        }
        if self.term_or_kill && !self.force_terminated {
            say(&format!("Force Terminated {}", self.step_name));
        }
        self.rc.code()
    }
}

fn print_status(step: &str, ntasks: u32, running: &[u32], abnormal: &[u32], normal: &[u32]) {
    let mut seen: Vec<u32> = Vec::new();
    for (ids, what) in [
        (running, "running"),
        (abnormal, "exited abnormally"),
        (normal, "exited"),
    ] {
        if !ids.is_empty() {
            let s = if ids.len() == 1 { "" } else { "s" };
            say(&format!("{step} task{s} {}: {what}", task_ranges(ids)));
            seen.extend_from_slice(ids);
        }
    }
    let unseen: Vec<u32> = (0..ntasks).filter(|t| !seen.contains(t)).collect();
    if !unseen.is_empty() {
        let s = if unseen.len() == 1 { "" } else { "s" };
        say(&format!("{step} task{s} {}: unknown", task_ranges(&unseen)));
    }
}

/// Launches on one node and forwards its events to the main loop.
fn follow(idx: usize, client: Client, launch: LaunchSpec, tx: &Sender<Msg>) {
    let mut running = match client.launch(launch) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Msg::Failed(idx, e));
            return;
        }
    };
    if tx.send(Msg::Started(idx, running.control())).is_err() {
        return;
    }
    loop {
        match running.next_event() {
            Ok(Some(ev)) => {
                if tx.send(Msg::Event(idx, ev)).is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = tx.send(Msg::Done(idx));
                return;
            }
            Err(e) => {
                let _ = tx.send(Msg::Failed(idx, e));
                return;
            }
        }
    }
}

/// srun's standard input, a terminal, in raw mode for a `--pty` step: keys
/// (Ctrl-C included) reach the task's terminal as bytes. Dropping it
/// restores the saved settings, on success and on error alike.
struct RawMode {
    saved: rustix::termios::Termios,
}

impl RawMode {
    /// `None` when standard input is not a terminal or cannot be changed.
    fn enter() -> Option<Self> {
        use rustix::termios::{OptionalActions, isatty, tcgetattr, tcsetattr};
        let stdin = io::stdin();
        if !isatty(&stdin) {
            return None;
        }
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(&stdin, OptionalActions::Now, &raw).ok()?;
        Some(Self { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        use rustix::termios::{OptionalActions, tcsetattr};
        let _ = tcsetattr(io::stdin(), OptionalActions::Drain, &self.saved);
    }
}

/// Copies `src` to the standard input of every task in `targets`, then
/// closes them.
fn start_stdin(
    mut src: Box<dyn Read + Send>,
    controls: &HashMap<usize, Control>,
    targets: &[(usize, u32)],
) {
    let targets: Vec<(Control, u32)> = targets
        .iter()
        .filter_map(|(n, t)| controls.get(n).map(|c| (c.clone(), *t)))
        .collect();
    thread::spawn(move || {
        let mut buf = vec![0_u8; 64 << 10];
        loop {
            match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    for (c, t) in &targets {
                        let _ = c.stdin(*t, &buf[..n]);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        for (c, t) in &targets {
            let _ = c.close_stdin(*t);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_bit_fmt() {
        assert_eq!(task_ranges(&[0, 1]), "0-1");
        assert_eq!(task_ranges(&[3, 0, 1, 5, 6, 7]), "0-1,3,5-7");
        assert_eq!(task_ranges(&[4]), "4");
    }

    #[test]
    fn exit_lines_as_srun_prints_them() {
        assert_eq!(
            exit_line("vm", &[0, 1], ExitStatus::Code(3)).unwrap(),
            "vm: tasks 0-1: Exited with exit code 3"
        );
        let killed = ExitStatus::Signal {
            signal: 9,
            core_dumped: false,
        };
        assert_eq!(exit_line("vm", &[1], killed).unwrap(), "vm: task 1: Killed");
        assert_eq!(exit_line("vm", &[1], ExitStatus::Code(0)), None);
    }

    #[test]
    fn global_rc_prefers_signals_then_highest_code() {
        let sig = |s| ExitStatus::Signal {
            signal: s,
            core_dumped: false,
        };
        let mut rc = GlobalRc::default();
        assert_eq!(rc.code(), 0);
        rc.update(ExitStatus::Code(2));
        rc.update(ExitStatus::Code(5));
        rc.update(ExitStatus::Code(3));
        assert_eq!(rc.code(), 5);
        rc.update(sig(15));
        assert_eq!(rc.code(), 143);
        rc.update(ExitStatus::Code(100));
        rc.update(sig(9));
        assert_eq!(rc.code(), 143);
    }

    #[test]
    fn agents_variable() {
        let a = parse_agents("n1=127.0.0.1:5000,n2=127.0.0.1:5001").unwrap();
        assert_eq!(a[1].node, "n2");
        assert_eq!(a[1].addr.port(), 5001);
        assert!(parse_agents("n1").is_err());
    }

    #[test]
    fn routes_follow_srun() {
        assert_eq!(route(None, 2, "/w"), Route::All);
        assert_eq!(route(Some("1"), 2, "/w"), Route::One(1));
        assert_eq!(
            route(Some("out.txt"), 2, "/w"),
            Route::Local("/w/out.txt".into())
        );
        assert!(matches!(route(Some("o-%t"), 2, "/w"), Route::PerTask(_)));
        assert!(matches!(route(Some("none"), 2, "/w"), Route::PerTask(_)));
    }
}
