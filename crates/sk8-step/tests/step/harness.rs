//! Shared pieces: the built binaries, temporary directories, fake jobs of
//! virtual nodes, and running a command with a generous timeout.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use sk8_env::{Allocation, Env, HostFacts, JobRequest, Node, batch_env};
use sk8_step::{AgentHandle, spawn_agent};

/// Long enough for a loaded 2-core machine, short enough to never hang CI.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The token every test job uses.
pub const TOKEN: &str = "t0ken-Abc123-not-a-real-secret";

/// Our command `name` (`sk8-agent`, or `srun` by that name: a link to the
/// multi-call `sk8`), found and freshly built by sk8-harness.
pub fn bin(name: &str) -> PathBuf {
    sk8_harness::bins::command(name)
}

/// A fresh directory under the system's temporary directory.
pub fn tempdir(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sk8-step-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// Runs `cmd` with stdout and stderr captured, killing it after [`TIMEOUT`].
pub fn run(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("command starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let o = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let e = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("command did not finish within {TIMEOUT:?}: {cmd:?}");
        }
        thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: o.join().expect("stdout reader"),
        stderr: e.join().expect("stderr reader"),
    }
}

/// Waits until `cond` holds, failing after [`TIMEOUT`].
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// True while process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.trim_start().chars().next()?;
            Some(after != 'Z' && after != 'X')
        })
        .unwrap_or(false)
}

/// A fake running job: a token file, one agent per virtual node, and the
/// batch script's environment.
pub struct Job {
    pub dir: PathBuf,
    pub agents: Vec<AgentHandle>,
    pub req: JobRequest,
    pub alloc: Allocation,
    pub host: HostFacts,
    /// The batch script's environment plus `SK8_AGENTS`/`SK8_TOKEN_FILE`.
    pub env: Env,
    pub job_id: u32,
}

impl Job {
    /// Starts agents for `nodes` (name, CPUs) with job id `job_id`.
    pub fn start(job_id: u32, nodes: &[(&str, u32)], ntasks: Option<u32>) -> Self {
        Self::start_with(job_id, nodes, ntasks, &bin("sk8-agent"))
    }

    /// [`Job::start`] with `agent` run as the agents (a wrapper that
    /// changes a limit, then execs the real `sk8-agent`).
    pub fn start_with(
        job_id: u32,
        nodes: &[(&str, u32)],
        ntasks: Option<u32>,
        agent: &Path,
    ) -> Self {
        let dir = tempdir("job");
        let token_file = dir.join("token");
        std::fs::write(&token_file, format!("{TOKEN}\n")).expect("token file");
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let agents: Vec<AgentHandle> = nodes
            .iter()
            .map(|(name, _)| {
                let log = dir.join(format!("agent-{name}.log"));
                spawn_agent(agent, name, localhost, &token_file, job_id, Some(&log))
                    .expect("agent starts")
            })
            .collect();
        let mut environment = BTreeMap::new();
        for k in ["PATH", "HOME", "LANG"] {
            if let Ok(v) = std::env::var(k) {
                environment.insert(k.to_string(), v);
            }
        }
        let req = JobRequest {
            name: "steptest".into(),
            user: "tester".into(),
            uid: 1000,
            gid: 1000,
            submit_dir: dir.display().to_string(),
            submit_host: "submithost".into(),
            ntasks,
            environment,
            ..JobRequest::default()
        };
        let alloc = Allocation {
            job_id,
            cluster: "sk8".into(),
            partition: "debug".into(),
            nodes: nodes
                .iter()
                .map(|(name, cpus)| Node {
                    name: (*name).to_string(),
                    addr: "127.0.0.1".into(),
                    cpus: *cpus,
                    gpus: Vec::new(),
                })
                .collect(),
            ..Allocation::default()
        };
        let host = HostFacts::default();
        let mut env = batch_env(&req, &alloc, &host, 4242);
        env.push((
            "SK8_AGENTS".into(),
            agents
                .iter()
                .map(AgentHandle::agents_entry)
                .collect::<Vec<_>>()
                .join(","),
        ));
        env.push(("SK8_TOKEN_FILE".into(), token_file.display().to_string()));
        Self {
            dir,
            agents,
            req,
            alloc,
            host,
            env,
            job_id,
        }
    }

    /// The built `srun` with this job's environment, run in the job's directory.
    pub fn srun(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(bin("srun"));
        cmd.args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir);
        run(cmd)
    }

    /// The log of `node`'s agent.
    pub fn log(&self, node: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("agent-{node}.log"))).unwrap_or_default()
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        for a in &mut self.agents {
            let _ = a.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Lines of `bytes`, sorted.
pub fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}
