//! Starting an agent as a child of the job's supervisor.

use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};

use sk8_proto::{STEP_REPORT_PREFIX, StepReport};

use crate::agent::read_port;

/// An agent started by [`spawn_agent`]. Its standard input is the agent's
/// lifeline: dropping the handle (or calling [`AgentHandle::release`])
/// closes it, and the agent then ends every task of the job on its node and
/// exits. The supervisor should [`wait`](AgentHandle::wait) for it after.
#[derive(Debug)]
pub struct AgentHandle {
    /// Where the agent listens.
    pub addr: SocketAddr,
    /// The node it serves.
    pub node: String,
    /// The agent process.
    pub child: Child,
    lifeline: Option<ChildStdin>,
    reports: Option<Receiver<StepReport>>,
}

impl AgentHandle {
    /// `nodename=host:port`, this agent's entry in `SK8_AGENTS`.
    #[must_use]
    pub fn agents_entry(&self) -> String {
        format!("{}={}", self.node, self.addr)
    }

    /// The agent's step reports (a step's tasks started or ended on its
    /// node), for whoever takes them first; a reader thread keeps the
    /// agent's standard output drained whether or not they are taken.
    pub fn take_reports(&mut self) -> Option<Receiver<StepReport>> {
        self.reports.take()
    }

    /// Closes the lifeline: the agent ends its tasks and exits.
    pub fn release(&mut self) {
        self.lifeline = None;
    }

    /// Closes the lifeline and waits for the agent to exit.
    pub fn wait(&mut self) -> io::Result<std::process::ExitStatus> {
        self.release();
        self.child.wait()
    }
}

/// Starts `exe serve --node NODE --listen IP:0 --token-file FILE --job ID
/// [--log LOG]`, reads the port it bound and returns once it accepts
/// connections. The agent's standard error is inherited (its log lines go
/// to `log_path` when given).
pub fn spawn_agent(
    exe: &Path,
    node_name: &str,
    listen_ip: IpAddr,
    token_file: &Path,
    job_id: u32,
    log_path: Option<&Path>,
) -> io::Result<AgentHandle> {
    let mut cmd = Command::new(exe);
    cmd.arg("serve")
        .arg("--node")
        .arg(node_name)
        .arg("--listen")
        .arg(SocketAddr::new(listen_ip, 0).to_string())
        .arg("--token-file")
        .arg(token_file)
        .arg("--job")
        .arg(job_id.to_string());
    if let Some(log) = log_path {
        cmd.arg("--log").arg(log);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let lifeline = child.stdin.take();
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err(io::Error::other("sk8-agent has no standard output"));
    };
    let mut stdout = BufReader::new(stdout);
    let port = match read_port(&mut stdout) {
        Ok(p) => p,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { break };
            if let Some(json) = line.strip_prefix(STEP_REPORT_PREFIX) {
                if let Ok(report) = serde_json::from_str::<StepReport>(json) {
                    // A handle whose reports nobody takes still drains them.
                    let _ = tx.send(report);
                }
            }
        }
    });
    Ok(AgentHandle {
        addr: SocketAddr::new(listen_ip, port),
        node: node_name.to_string(),
        child,
        lifeline,
        reports: Some(rx),
    })
}
