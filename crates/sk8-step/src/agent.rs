//! `sk8-agent`'s server: one per node of a job. It checks the job's token on
//! every connection, then serves one request: run the batch script, launch a
//! step's tasks, hand out a step id, or shut down.
//!
//! Every task runs in its own process group (so signals reach whatever it
//! starts) through the [`crate::exec`] trampoline. When a step's last task
//! ends, whatever is left in its process groups is killed, as Slurm's
//! process tracking does, so stray background processes never keep a step's
//! output open.
//!
//! # Hostile clients
//!
//! Anyone who can reach the port can connect, so nothing is spent on a
//! connection before its `Hello` proves it holds the token. One thread, the
//! gate, holds every connection that has not said `Hello` yet: it polls
//! them without blocking, buffers at most [`HELLO_LIMIT`] bytes each, and
//! drops one that has not sent a whole `Hello` within [`HELLO_TIMEOUT`] of
//! connecting (one deadline for the whole frame: a byte every few seconds
//! does not keep it alive). At most [`MAX_PENDING`] wait at once; a new one
//! past that pushes out the oldest, so a flood of idle connections cannot
//! shut out a real `srun`, whose `Hello` follows its connect at once. Only
//! an authenticated connection gets a thread, and at most [`MAX_ACTIVE`]
//! run at once (slurmd's `MAX_THREADS`); more wait, authenticated, for a
//! free one. When `accept` fails for want of descriptors or memory
//! (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), the gate stops accepting for
//! [`ACCEPT_BACKOFF`] instead of spinning on a listener that stays readable.
//!
//! A step launched with `pty` and a single task runs that task on a
//! pseudo-terminal: `setsid --ctty` (util-linux) makes it a session leader
//! whose controlling terminal is the terminal's slave side, and the agent
//! relays the master side as the task's output and input.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sk8_proto::{
    BatchSpec, Event, ExitStatus, Frame, Input, Kind, LaunchSpec, Output, Request,
    STEP_REPORT_PREFIX, StepReport, TaskSpec, read_frame, read_frame_limited, write_frame,
};

use crate::exec::{TaskExec, strerror};
use crate::signals::{SIGKILL, SIGTERM, signal_groups};
use crate::token::tokens_equal;

/// The largest `Hello` frame read before the peer is authenticated.
pub const HELLO_LIMIT: u32 = 64 << 10;

/// How long a peer may take, from its connect, to send its whole `Hello`:
/// Slurm's default `MessageTimeout`, which slurmd applies to a whole message.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an authenticated peer may take to send its whole request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections that have not said `Hello` yet, held at once (each costs a
/// descriptor and a buffer, no thread).
pub const MAX_PENDING: usize = 128;

/// Authenticated connections served at once, each on its own thread
/// (slurmd's `MAX_THREADS`): a running step holds one for its lifetime.
pub const MAX_ACTIVE: usize = 256;

/// How long the gate stops accepting after `accept` ran out of descriptors
/// or memory.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What an agent serves.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The node's name (`SLURMD_NODENAME` of its tasks; `%N`).
    pub node: String,
    /// Where to listen (port 0 picks a free one).
    pub listen: SocketAddr,
    /// The job's step token.
    pub token: String,
    /// The job.
    pub job_id: u32,
    /// Log file (appended); standard error when `None`.
    pub log: Option<PathBuf>,
    /// The program run as `PROGRAM exec-task ...` for each task: the
    /// `sk8-agent` binary itself.
    pub task_exe: PathBuf,
    /// Time between SIGTERM and SIGKILL when the agent ends the job's tasks.
    pub grace: Duration,
}

/// State shared by the connections of one agent.
struct Shared {
    cfg: AgentConfig,
    addr: SocketAddr,
    next_step: AtomicU32,
    /// Process groups of tasks whose leader has not been reaped yet.
    live: Mutex<BTreeSet<u32>>,
    log: Mutex<Box<dyn Write + Send>>,
    stopping: AtomicBool,
    /// A `Shutdown` has been answered: the gate returns.
    shut_down: AtomicBool,
    /// Steps and scripts whose `Done` has not been sent yet.
    active: AtomicUsize,
    /// Authenticated connections being served (at most [`MAX_ACTIVE`]).
    connections: AtomicUsize,
    /// Written to wake the gate (a connection ended, or shutdown).
    wake: UnixStream,
}

impl Shared {
    /// Wakes the gate from its poll; a full pipe already means "wake up".
    fn wake_gate(&self) {
        let _ = (&self.wake).write(&[1]);
    }

    fn log(&self, line: &str) {
        let secs = sk8_host::now();
        if let Ok(mut w) = self.log.lock() {
            let _ = writeln!(w, "{secs} sk8-agent[{}]: {line}", self.cfg.node);
            let _ = w.flush();
        }
    }

    /// SIGTERM to every live task group, SIGKILL to the same groups after
    /// the grace period (or as soon as every leader is gone).
    fn end_all_tasks(&self) {
        let groups: Vec<u32> = self
            .live
            .lock()
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default();
        if groups.is_empty() {
            return;
        }
        signal_groups(&groups, SIGTERM);
        let deadline = Instant::now() + self.cfg.grace;
        while Instant::now() < deadline {
            if self.live.lock().map_or(true, |l| l.is_empty()) {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        signal_groups(&groups, SIGKILL);
    }
}

/// A bound agent, ready to [`serve`](Agent::serve).
pub struct Agent {
    listener: TcpListener,
    /// The gate's end of [`Shared::wake`].
    woken: UnixStream,
    shared: Arc<Shared>,
}

/// Ends an agent's tasks from outside the accept loop (the lifeline thread).
#[derive(Clone)]
pub struct Lifeline {
    shared: Arc<Shared>,
}

impl Lifeline {
    /// The supervisor is gone: end every task, then the caller exits.
    pub fn supervisor_gone(&self) {
        self.shared
            .log("standard input closed: supervisor gone, ending the job's tasks");
        self.shared.end_all_tasks();
    }
}

impl Agent {
    /// Binds the listening socket and opens the log.
    pub fn bind(cfg: AgentConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(cfg.listen)?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let log: Box<dyn Write + Send> = match &cfg.log {
            Some(p) => Box::new(OpenOptions::new().create(true).append(true).open(p)?),
            None => Box::new(io::stderr()),
        };
        let (woken, wake) = UnixStream::pair()?;
        woken.set_nonblocking(true)?;
        wake.set_nonblocking(true)?;
        Ok(Self {
            listener,
            woken,
            shared: Arc::new(Shared {
                cfg,
                addr,
                next_step: AtomicU32::new(0),
                live: Mutex::new(BTreeSet::new()),
                log: Mutex::new(log),
                stopping: AtomicBool::new(false),
                shut_down: AtomicBool::new(false),
                active: AtomicUsize::new(0),
                connections: AtomicUsize::new(0),
                wake,
            }),
        })
    }

    /// The address actually bound.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// A handle to end the tasks when the supervisor goes away.
    #[must_use]
    pub fn lifeline(&self) -> Lifeline {
        Lifeline {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Accepts connections until a `Shutdown` request has been served.
    pub fn serve(self) -> io::Result<()> {
        self.shared.log(&format!(
            "listening on {} for job {}",
            self.shared.addr, self.shared.cfg.job_id
        ));
        Gate {
            shared: &self.shared,
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            paused_until: None,
            paused_logged: false,
        }
        .run(&self.listener, &self.woken)
    }
}

/// A connection that has not sent its whole `Hello` yet.
struct Pending {
    stream: TcpStream,
    peer: String,
    /// The bytes of the `Hello` frame received so far (never more).
    buf: Vec<u8>,
    /// When it is dropped, `Hello` or not.
    deadline: Instant,
}

/// What reading a pending connection came to.
enum HelloState {
    /// More bytes are needed.
    Waiting,
    /// The whole frame is in the buffer.
    Complete,
    /// Refuse and close, for this reason.
    Failed(String),
}

impl Pending {
    /// How many more bytes the frame needs: its length prefix first, then
    /// exactly what that announces, so nothing after the `Hello` is read.
    fn wanted(&self) -> Result<usize, String> {
        if self.buf.len() < 4 {
            return Ok(4 - self.buf.len());
        }
        let len = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        if !(sk8_proto::HEADER_AFTER_LEN..=HELLO_LIMIT).contains(&len) {
            return Err(format!(
                "bad first frame: a length of {len} bytes (a Hello takes at most {HELLO_LIMIT})"
            ));
        }
        Ok(4 + len as usize - self.buf.len())
    }

    /// Reads what has arrived, without blocking.
    fn read_some(&mut self) -> HelloState {
        let mut chunk = [0_u8; 4096];
        loop {
            let want = match self.wanted() {
                Ok(0) => return HelloState::Complete,
                Ok(n) => n.min(chunk.len()),
                Err(reason) => return HelloState::Failed(reason),
            };
            match self.stream.read(&mut chunk[..want]) {
                Ok(0) if self.buf.is_empty() => {
                    return HelloState::Failed("closed before sending a token".into());
                }
                Ok(0) => return HelloState::Failed("closed in the middle of its Hello".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return HelloState::Waiting,
                Err(e) => return HelloState::Failed(format!("bad first frame: {e}")),
            }
        }
    }
}

/// The accept loop and every connection that has not said `Hello` yet
/// (see the module's "Hostile clients").
struct Gate<'a> {
    shared: &'a Arc<Shared>,
    pending: VecDeque<Pending>,
    /// Authenticated, waiting for one of the [`MAX_ACTIVE`] threads.
    ready: VecDeque<(TcpStream, String)>,
    /// `accept` rests until then after running out of descriptors.
    paused_until: Option<Instant>,
    /// The current pause was logged (one line per run of failures).
    paused_logged: bool,
}

impl Gate<'_> {
    fn run(mut self, listener: &TcpListener, woken: &UnixStream) -> io::Result<()> {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        loop {
            if self.shared.shut_down.load(Ordering::SeqCst) {
                return Ok(());
            }
            self.start_ready();
            let now = Instant::now();
            self.expire(now);
            if self.paused_until.is_some_and(|t| now >= t) {
                self.paused_until = None;
            }
            // Past the cap a new connection pushes out the oldest pending
            // one; with none pending (all authenticated and queued) the
            // listener waits.
            let room = self.pending.len() + self.ready.len() < MAX_PENDING;
            let listen = self.paused_until.is_none() && (room || !self.pending.is_empty());
            let next = self
                .pending
                .iter()
                .map(|p| p.deadline)
                .chain(self.paused_until)
                .min();
            let timeout = next.map(|t| {
                let d = t.saturating_duration_since(now) + Duration::from_millis(1);
                Timespec {
                    tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                    tv_nsec: i64::from(d.subsec_nanos()),
                }
            });
            let (woke, accept, readable) = {
                let mut fds = Vec::with_capacity(2 + self.pending.len());
                fds.push(PollFd::new(woken, PollFlags::IN));
                if listen {
                    fds.push(PollFd::new(listener, PollFlags::IN));
                }
                for p in &self.pending {
                    fds.push(PollFd::new(&p.stream, PollFlags::IN));
                }
                match poll(&mut fds, timeout.as_ref()) {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
                let hit = |f: &PollFd<'_>| !f.revents().is_empty();
                let skip = 1 + usize::from(listen);
                (
                    hit(&fds[0]),
                    listen && hit(&fds[1]),
                    fds[skip..].iter().map(hit).collect::<Vec<bool>>(),
                )
            };
            if woke {
                let mut sink = [0_u8; 64];
                while matches!((&*woken).read(&mut sink), Ok(n) if n > 0) {}
            }
            self.read_pending(&readable);
            if accept {
                self.accept_all(listener);
            }
        }
    }

    /// Hands queued authenticated connections to free threads.
    fn start_ready(&mut self) {
        while self.shared.connections.load(Ordering::SeqCst) < MAX_ACTIVE {
            let Some((stream, peer)) = self.ready.pop_front() else {
                return;
            };
            self.start(stream, peer);
        }
    }

    /// Drops the connections whose `Hello` deadline passed.
    fn expire(&mut self, now: Instant) {
        let (late, on_time): (Vec<Pending>, Vec<Pending>) =
            self.pending.drain(..).partition(|p| p.deadline <= now);
        self.pending = on_time.into();
        for p in late {
            self.refuse(
                p.stream,
                &p.peer,
                format!("no whole Hello within {} s", HELLO_TIMEOUT.as_secs()),
            );
        }
    }

    fn read_pending(&mut self, readable: &[bool]) {
        let mut keep = VecDeque::with_capacity(self.pending.len());
        let pending = std::mem::take(&mut self.pending);
        for (mut p, &ready) in pending
            .into_iter()
            .zip(readable.iter().chain(std::iter::repeat(&false)))
        {
            if !ready {
                keep.push_back(p);
                continue;
            }
            match p.read_some() {
                HelloState::Waiting => keep.push_back(p),
                HelloState::Failed(reason) => self.refuse(p.stream, &p.peer, reason),
                HelloState::Complete => {
                    let hello = read_frame_limited(&mut p.buf.as_slice(), HELLO_LIMIT)
                        .map_err(|e| format!("bad first frame: {e}"))
                        .and_then(|f| f.ok_or_else(|| "closed before sending a token".into()))
                        .and_then(|f| authenticate(self.shared, &f));
                    match hello {
                        Err(reason) => self.refuse(p.stream, &p.peer, reason),
                        Ok(()) => {
                            if p.stream.set_nonblocking(false).is_err() {
                                continue;
                            }
                            if self.shared.connections.load(Ordering::SeqCst) < MAX_ACTIVE {
                                self.start(p.stream, p.peer);
                            } else {
                                self.ready.push_back((p.stream, p.peer));
                            }
                        }
                    }
                }
            }
        }
        self.pending = keep;
    }

    fn accept_all(&mut self, listener: &TcpListener) {
        loop {
            match listener.accept() {
                Ok((stream, addr)) => {
                    self.paused_logged = false;
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    if self.pending.len() + self.ready.len() >= MAX_PENDING {
                        match self.pending.pop_front() {
                            Some(old) => self.refuse(
                                old.stream,
                                &old.peer,
                                format!("{MAX_PENDING} connections were waiting for a Hello"),
                            ),
                            None => {
                                self.refuse(
                                    stream,
                                    &addr.to_string(),
                                    "too many connections".into(),
                                );
                                return;
                            }
                        }
                    }
                    self.pending.push_back(Pending {
                        stream,
                        peer: addr.to_string(),
                        buf: Vec::new(),
                        deadline: Instant::now() + HELLO_TIMEOUT,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // Out of descriptors (EMFILE, ENFILE) or memory: the
                    // listener stays readable, so polling it again at once
                    // would spin. Rest, and let deadlines free descriptors.
                    if !self.paused_logged {
                        self.shared.log(&format!(
                            "cannot accept a connection: {}; pausing accepts for {} ms",
                            strerror(&e),
                            ACCEPT_BACKOFF.as_millis()
                        ));
                        self.paused_logged = true;
                    }
                    self.paused_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
    }

    /// Serves an authenticated connection on a thread of its own.
    fn start(&mut self, stream: TcpStream, peer: String) {
        self.shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = Arc::clone(self.shared);
        let spawned = thread::Builder::new()
            .name("sk8-agent-conn".into())
            .spawn(move || {
                let _slot = Slot(&shared);
                serve_connection(&shared, stream, &peer);
            });
        if let Err(e) = spawned {
            self.shared.connections.fetch_sub(1, Ordering::SeqCst);
            self.shared
                .log(&format!("cannot start a thread for a connection: {e}"));
        }
    }

    /// Tells the peer why (best effort: the socket does not block) and closes.
    fn refuse(&self, mut stream: TcpStream, peer: &str, reason: String) {
        self.shared
            .log(&format!("refused connection from {peer}: {reason}"));
        let _ = stream.write_all(&Frame::event(&Event::Refused { reason }).encode());
        let _ = stream.shutdown(Shutdown::Both);
    }
}

/// One of the [`MAX_ACTIVE`] connection threads; frees its place and wakes
/// the gate however the thread ends.
struct Slot<'a>(&'a Shared);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::SeqCst);
        self.0.wake_gate();
    }
}

/// Reads from a socket until one deadline for everything read through it.
struct DeadlineReader<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Read for DeadlineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut s = self.stream;
        s.read(buf)
    }
}

/// Reads `stdin` until end of file: the supervisor keeps it open while it lives.
pub fn watch_lifeline<R: Read>(mut stdin: R) {
    let mut buf = [0_u8; 64];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Checks the `Hello` of a new connection; the reason is for the log and the
/// peer, and never contains the token.
fn authenticate(shared: &Shared, frame: &Frame) -> Result<(), String> {
    match frame.to_request() {
        Ok(Request::Hello { token, job_id }) => {
            let ok = tokens_equal(token.as_bytes(), shared.cfg.token.as_bytes());
            if token.is_empty() {
                Err("no token".into())
            } else if !ok {
                Err("wrong token".into())
            } else if job_id != shared.cfg.job_id {
                Err(format!("token for job {job_id}, not {}", shared.cfg.job_id))
            } else {
                Ok(())
            }
        }
        Ok(_) => Err("no token: the first request was not Hello".into()),
        Err(e) => Err(format!("bad first frame: {e}")),
    }
}

fn send(w: &Mutex<TcpStream>, frame: &Frame) -> bool {
    match w.lock() {
        Ok(mut s) => write_frame(&mut *s, frame).is_ok(),
        Err(_) => false,
    }
}

/// Serves an authenticated connection: welcomes it, reads its one request
/// (within [`REQUEST_TIMEOUT`]) and carries it out.
fn serve_connection(shared: &Arc<Shared>, mut stream: TcpStream, peer: &str) {
    if write_frame(&mut stream, &Frame::event(&Event::Welcome)).is_err() {
        return;
    }
    let request = read_frame(&mut DeadlineReader {
        stream: &stream,
        deadline: Instant::now() + REQUEST_TIMEOUT,
    });
    let _ = stream.set_read_timeout(None);
    let request = match request.map(|f| f.map(|f| f.to_request())) {
        Ok(Some(Ok(r))) => r,
        Ok(None) => return,
        Ok(Some(Err(e))) | Err(e) => {
            let message = format!("bad request: {e}");
            let _ = write_frame(&mut stream, &Frame::event(&Event::Error { message }));
            return;
        }
    };
    match request {
        Request::NextStepId => {
            let id = shared.next_step.fetch_add(1, Ordering::SeqCst);
            let _ = write_frame(&mut stream, &Frame::event(&Event::StepId(id)));
        }
        Request::Shutdown => {
            shared.log(&format!("shutdown requested by {peer}"));
            shared.stopping.store(true, Ordering::SeqCst);
            shared.end_all_tasks();
            // Let every step report its exits before the process ends.
            let deadline = Instant::now() + Duration::from_secs(5);
            while shared.active.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            let _ = write_frame(&mut stream, &Frame::event(&Event::Done));
            shared.shut_down.store(true, Ordering::SeqCst);
            shared.wake_gate();
        }
        Request::Launch(spec) => {
            shared.log(&format!(
                "step {}.{}: {} task(s) for {peer}",
                spec.job_id,
                spec.step_id,
                spec.tasks.len()
            ));
            let tasks = launch_tasks(&spec);
            let report = StepReport {
                step: spec.step_id,
                node: shared.cfg.node.clone(),
                name: spec
                    .tasks
                    .first()
                    .and_then(|t| t.argv.first())
                    .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
                    .unwrap_or_default(),
                tasks: u32::try_from(spec.tasks.len()).unwrap_or(u32::MAX),
                start: sk8_host::now(),
                end: None,
                code: 0,
                signal: 0,
            };
            report_step(&report);
            let done = Box::new(move |statuses: Vec<ExitStatus>| {
                let mut end = report;
                end.end = Some(sk8_host::now());
                for st in statuses {
                    match st {
                        ExitStatus::Code(c) => {
                            end.code = end.code.max(u8::try_from(c & 0xff).unwrap_or(1));
                        }
                        ExitStatus::Signal { signal, .. } => {
                            end.signal = end.signal.max(u8::try_from(signal).unwrap_or(0));
                        }
                    }
                }
                report_step(&end);
            });
            let pty = spec.pty && tasks.len() == 1;
            if spec.pty && !pty {
                shared.log("pty requested for more than one task: using pipes");
            }
            let setup = Setup {
                cwd: &spec.cwd,
                umask: spec.umask,
                pty,
            };
            run_tasks(shared, stream, tasks, &setup, Some(done));
        }
        Request::RunBatch(spec) => {
            shared.log(&format!("batch script of job {} for {peer}", spec.job_id));
            let tasks = batch_task(&spec);
            let setup = Setup {
                cwd: &spec.cwd,
                umask: spec.umask,
                pty: false,
            };
            run_tasks(shared, stream, tasks, &setup, None);
        }
        Request::Hello { .. } | Request::Signal { .. } => {
            let message = "no step to act on: send Launch or RunBatch first".to_string();
            let _ = write_frame(&mut stream, &Frame::event(&Event::Error { message }));
        }
    }
}

/// Writes a step report for the supervisor on standard output (after the
/// port line); a supervisor that stopped reading costs nothing but the line.
fn report_step(report: &StepReport) {
    if let Ok(json) = serde_json::to_string(report) {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{STEP_REPORT_PREFIX}{json}");
        let _ = out.flush();
    }
}

/// One task to start: its spec with the step's environment merged in.
struct Prepared {
    spec: TaskSpec,
    env: Vec<(String, String)>,
}

fn launch_tasks(spec: &LaunchSpec) -> Vec<Prepared> {
    spec.tasks
        .iter()
        .map(|t| {
            let mut env: HashMap<&str, &str> = HashMap::new();
            for (k, v) in spec.env.iter().chain(&t.env) {
                env.insert(k, v);
            }
            Prepared {
                spec: t.clone(),
                env: env
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }
        })
        .collect()
}

fn batch_task(spec: &BatchSpec) -> Vec<Prepared> {
    vec![Prepared {
        spec: TaskSpec {
            task: 0,
            argv: spec.argv.clone(),
            env: Vec::new(),
            stdin: spec.stdin.clone(),
            stdout: spec.stdout.clone(),
            stderr: spec.stderr.clone(),
        },
        env: spec.env.clone(),
    }]
}

/// Output files opened for one launch: tasks of a node that name the same
/// file share one descriptor, so they never overwrite each other.
#[derive(Default)]
struct OpenFiles(HashMap<String, File>);

impl OpenFiles {
    fn output(&mut self, path: &str, append: bool) -> io::Result<File> {
        if let Some(f) = self.0.get(path) {
            return f.try_clone();
        }
        if !append {
            OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(path)?;
        }
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        let out = f.try_clone()?;
        self.0.insert(path.to_string(), f);
        Ok(out)
    }
}

fn stdio_out(files: &mut OpenFiles, out: &Output, kind: &str) -> Result<Stdio, String> {
    match out {
        Output::Stream => Ok(Stdio::piped()),
        Output::Null => Ok(Stdio::null()),
        Output::File { path, append } => files
            .output(path, *append)
            .map(Stdio::from)
            .map_err(|e| format!("Could not open {kind} file {path}: {}", strerror(&e))),
    }
}

fn stdio_in(input: &Input) -> Result<Stdio, String> {
    match input {
        Input::Stream => Ok(Stdio::piped()),
        Input::Null => Ok(Stdio::null()),
        Input::File(path) => File::open(path)
            .map(Stdio::from)
            .map_err(|e| format!("Could not open stdin file {path}: {}", strerror(&e))),
    }
}

/// Where and how a launch's tasks run.
struct Setup<'a> {
    cwd: &'a str,
    umask: Option<u32>,
    /// The (single) task runs on a pseudo-terminal.
    pty: bool,
}

/// A started task.
struct Started {
    task: u32,
    child: Child,
    /// The master side of the task's pseudo-terminal, if it has one.
    master: Option<File>,
}

/// The end-of-file character written to a pseudo-terminal when the client
/// closes the task's input (`VEOF`, Ctrl-D).
const PTY_EOF: u8 = 0x04;

/// Opens a pseudo-terminal: (master, slave). Neither becomes the agent's
/// controlling terminal, and the master is not inherited by tasks.
fn open_pty() -> io::Result<(File, File)> {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let path = PathBuf::from(OsString::from_vec(name.into_bytes()));
    let noctty = i32::try_from(rustix::fs::OFlags::NOCTTY.bits()).unwrap_or(0);
    let slave = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(noctty)
        .open(path)?;
    Ok((File::from(master), slave))
}

/// util-linux `setsid`, by absolute path when it is where distributions put it.
fn setsid_program() -> &'static Path {
    ["/usr/bin/setsid", "/bin/setsid"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .unwrap_or_else(|| Path::new("setsid"))
}

/// Starts `t` on a new pseudo-terminal as `setsid --ctty --wait sk8-agent
/// exec-task ...`. The child is not put in a process group of its own, so
/// `setsid` needs no fork: the task keeps the child's pid, which is also its
/// session and process group id.
fn spawn_pty(shared: &Shared, t: &Prepared, setup: &Setup<'_>) -> Result<Started, String> {
    let failed = |what: &str, e: &io::Error| {
        format!(
            "cannot start task {} on a pseudo-terminal: {what}: {}",
            t.spec.task,
            strerror(e)
        )
    };
    let (master, slave) = open_pty().map_err(|e| failed("cannot open one", &e))?;
    let stdio = || {
        slave
            .try_clone()
            .map(Stdio::from)
            .map_err(|e| failed("cannot duplicate its slave", &e))
    };
    let exec = TaskExec {
        node: shared.cfg.node.clone(),
        cwd: setup.cwd.to_string(),
        umask: setup.umask,
        argv: t.spec.argv.clone(),
    };
    let setsid = setsid_program();
    let child = Command::new(setsid)
        .args(["--ctty", "--wait"])
        .arg(&shared.cfg.task_exe)
        .arg("exec-task")
        .args(exec.to_args())
        .env_clear()
        .envs(t.env.iter().map(|(k, v)| (k, v)))
        .stdin(stdio()?)
        .stdout(stdio()?)
        .stderr(stdio()?)
        .spawn()
        .map_err(|e| failed(&format!("`{}`", setsid.display()), &e))?;
    // The agent keeps no slave descriptor: the master then reads end of
    // file (EIO) once the task and whatever it left behind are gone.
    drop(slave);
    Ok(Started {
        task: t.spec.task,
        child,
        master: Some(master),
    })
}

fn spawn_all(
    shared: &Shared,
    tasks: &[Prepared],
    setup: &Setup<'_>,
) -> Result<Vec<Started>, String> {
    if setup.pty {
        if let [t] = tasks {
            let started = spawn_pty(shared, t, setup)?;
            if let Ok(mut l) = shared.live.lock() {
                l.insert(started.child.id());
            }
            return Ok(vec![started]);
        }
    }
    let (cwd, umask) = (setup.cwd, setup.umask);
    let mut files = OpenFiles::default();
    let mut started = Vec::new();
    for t in tasks {
        let result = (|| {
            let stdin = stdio_in(&t.spec.stdin)?;
            let stdout = stdio_out(&mut files, &t.spec.stdout, "stdout")?;
            let stderr = if t.spec.stderr == t.spec.stdout {
                match &t.spec.stderr {
                    Output::File { path, append } => {
                        files.output(path, *append).map(Stdio::from).map_err(|e| {
                            format!("Could not open stderr file {path}: {}", strerror(&e))
                        })?
                    }
                    other => stdio_out(&mut files, other, "stderr")?,
                }
            } else {
                stdio_out(&mut files, &t.spec.stderr, "stderr")?
            };
            let exec = TaskExec {
                node: shared.cfg.node.clone(),
                cwd: cwd.to_string(),
                umask,
                argv: t.spec.argv.clone(),
            };
            Command::new(&shared.cfg.task_exe)
                .arg("exec-task")
                .args(exec.to_args())
                .env_clear()
                .envs(t.env.iter().map(|(k, v)| (k, v)))
                .stdin(stdin)
                .stdout(stdout)
                .stderr(stderr)
                .process_group(0)
                .spawn()
                .map_err(|e| {
                    format!(
                        "cannot start task {}: `{}`: {}",
                        t.spec.task,
                        shared.cfg.task_exe.display(),
                        strerror(&e)
                    )
                })
        })();
        match result {
            Ok(child) => {
                if let Ok(mut l) = shared.live.lock() {
                    l.insert(child.id());
                }
                started.push(Started {
                    task: t.spec.task,
                    child,
                    master: None,
                });
            }
            Err(message) => {
                let pgids: Vec<u32> = started.iter().map(|s| s.child.id()).collect();
                signal_groups(&pgids, SIGKILL);
                for mut s in started {
                    let _ = s.child.wait();
                    if let Ok(mut l) = shared.live.lock() {
                        l.remove(&s.child.id());
                    }
                }
                return Err(message);
            }
        }
    }
    Ok(started)
}

fn exit_status(status: std::process::ExitStatus) -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => ExitStatus::Code(c),
        (None, Some(signal)) => ExitStatus::Signal {
            signal,
            core_dumped: status.core_dumped(),
        },
        (None, None) => ExitStatus::Code(1),
    }
}

fn pump(w: Arc<Mutex<TcpStream>>, kind: Kind, task: u32, mut r: impl Read) {
    let mut buf = vec![0_u8; 64 << 10];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if !send(&w, &Frame::stream(kind, task, buf[..n].to_vec())) {
                    // The client is gone: keep draining so the task never
                    // blocks on a full pipe before it is killed.
                    continue;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Writes the client's stdin frames to `stdin`; at the end of input writes
/// `eof` (nothing for a pipe, which closes) and stops.
fn feed(mut stdin: impl Write, rx: std::sync::mpsc::Receiver<Vec<u8>>, eof: &[u8]) {
    for chunk in rx {
        if chunk.is_empty() {
            let _ = stdin.write_all(eof);
            return;
        }
        if stdin.write_all(&chunk).is_err() {
            return;
        }
    }
}

/// Starts the tasks, streams their output and exits to the client, applies
/// the client's stdin and signal frames, and ends with `Done`.
/// Called once with every task's exit status when a step's tasks have ended.
type OnDone = Box<dyn FnOnce(Vec<ExitStatus>) + Send>;

fn run_tasks(
    shared: &Arc<Shared>,
    stream: TcpStream,
    tasks: Vec<Prepared>,
    setup: &Setup<'_>,
    on_done: Option<OnDone>,
) {
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let writer = Arc::new(Mutex::new(stream));
    shared.active.fetch_add(1, Ordering::SeqCst);
    let started = match spawn_all(shared, &tasks, setup) {
        Ok(s) => s,
        Err(message) => {
            shared.log(&message);
            send(&writer, &Frame::event(&Event::Error { message }));
            send(&writer, &Frame::event(&Event::Done));
            shared.active.fetch_sub(1, Ordering::SeqCst);
            return;
        }
    };
    let pgids: Arc<Vec<u32>> = Arc::new(started.iter().map(|s| s.child.id()).collect());
    send(
        &writer,
        &Frame::event(&Event::Started {
            pids: pgids.to_vec(),
        }),
    );
    let finished = Arc::new(AtomicBool::new(false));
    let remaining = Arc::new(AtomicUsize::new(started.len()));
    let statuses: Arc<Mutex<Vec<ExitStatus>>> = Arc::new(Mutex::new(Vec::new()));
    let mut stdin_of: HashMap<u32, Sender<Vec<u8>>> = HashMap::new();
    let mut waiters: Vec<JoinHandle<()>> = Vec::new();
    for mut s in started {
        if let Some(stdin) = s.child.stdin.take() {
            let (tx, rx) = channel();
            stdin_of.insert(s.task, tx);
            thread::spawn(move || feed(stdin, rx, &[]));
        }
        let mut pumps = Vec::new();
        // The master stays open until the task is reaped: closing it hangs
        // the terminal up, and a task that closes its descriptors before it
        // exits (as coreutils do) would die of SIGHUP.
        let mut keep_master = None;
        if let Some(master) = s.master.take() {
            keep_master = master.try_clone().ok();
            // Everything the task writes to its terminal is its stdout.
            if let Ok(input) = master.try_clone() {
                let (tx, rx) = channel();
                stdin_of.insert(s.task, tx);
                thread::spawn(move || feed(input, rx, &[PTY_EOF]));
            }
            let w = Arc::clone(&writer);
            let task = s.task;
            pumps.push(thread::spawn(move || pump(w, Kind::Stdout, task, master)));
        }
        if let Some(out) = s.child.stdout.take() {
            let w = Arc::clone(&writer);
            let task = s.task;
            pumps.push(thread::spawn(move || pump(w, Kind::Stdout, task, out)));
        }
        if let Some(err) = s.child.stderr.take() {
            let w = Arc::clone(&writer);
            let task = s.task;
            pumps.push(thread::spawn(move || pump(w, Kind::Stderr, task, err)));
        }
        let w = Arc::clone(&writer);
        let shared = Arc::clone(shared);
        let remaining = Arc::clone(&remaining);
        let pgids = Arc::clone(&pgids);
        let statuses = Arc::clone(&statuses);
        waiters.push(thread::spawn(move || {
            let status = s.child.wait().map_or(ExitStatus::Code(1), exit_status);
            if let Ok(mut all) = statuses.lock() {
                all.push(status);
            }
            if let Ok(mut l) = shared.live.lock() {
                l.remove(&s.child.id());
            }
            if remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
                // The step is over: end what its tasks left behind.
                signal_groups(&pgids, SIGKILL);
            }
            for p in pumps {
                let _ = p.join();
            }
            drop(keep_master);
            send(
                &w,
                &Frame::event(&Event::Exit {
                    task: s.task,
                    status,
                }),
            );
        }));
    }
    {
        let w = Arc::clone(&writer);
        let finished = Arc::clone(&finished);
        let shared = Arc::clone(shared);
        thread::spawn(move || {
            for h in waiters {
                let _ = h.join();
            }
            if let Some(done) = on_done {
                done(statuses.lock().map(|s| s.clone()).unwrap_or_default());
            }
            finished.store(true, Ordering::SeqCst);
            send(&w, &Frame::event(&Event::Done));
            if let Ok(s) = w.lock() {
                let _ = s.shutdown(Shutdown::Write);
            }
            shared.active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    client_frames(shared, reader, &stdin_of, &pgids, &finished);
}

/// Applies the client's frames until it closes; a client that goes away
/// before the tasks end takes them with it.
fn client_frames(
    shared: &Shared,
    mut reader: TcpStream,
    stdin_of: &HashMap<u32, Sender<Vec<u8>>>,
    pgids: &[u32],
    finished: &AtomicBool,
) {
    while let Ok(Some(frame)) = read_frame(&mut reader) {
        match frame.kind {
            Kind::Stdin => {
                if let Some(tx) = stdin_of.get(&frame.task) {
                    let _ = tx.send(frame.payload);
                }
            }
            Kind::Request => match frame.to_request() {
                Ok(Request::Signal { signal }) => {
                    let live: Vec<u32> = shared
                        .live
                        .lock()
                        .map(|l| pgids.iter().copied().filter(|p| l.contains(p)).collect())
                        .unwrap_or_default();
                    signal_groups(&live, signal);
                }
                _ => shared.log("ignored an unexpected request during a step"),
            },
            _ => {}
        }
    }
    if !finished.load(Ordering::SeqCst) {
        shared.log("client disconnected before the step ended: killing its tasks");
        let live: Vec<u32> = shared
            .live
            .lock()
            .map(|l| pgids.iter().copied().filter(|p| l.contains(p)).collect())
            .unwrap_or_default();
        signal_groups(&live, SIGKILL);
    }
}

/// Command-line options of `sk8-agent serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeArgs {
    /// `--node`.
    pub node: String,
    /// `--listen`.
    pub listen: String,
    /// `--token-file`.
    pub token_file: PathBuf,
    /// `--job`.
    pub job: u32,
    /// `--log`.
    pub log: Option<PathBuf>,
    /// `--no-lifeline`: do not treat end of standard input as the
    /// supervisor's death (for agents that run as a pod's first process).
    pub no_lifeline: bool,
}

impl ServeArgs {
    /// Parses the arguments after `serve`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut node = None;
        let mut listen = None;
        let mut token_file = None;
        let mut job = None;
        let mut log = None;
        let mut no_lifeline = false;
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (a.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| format!("option `{name}` needs a value"))
            };
            match name {
                "--node" => node = Some(value()?),
                "--listen" => listen = Some(value()?),
                "--token-file" => token_file = Some(PathBuf::from(value()?)),
                "--job" => {
                    let v = value()?;
                    job = Some(v.parse().map_err(|_| format!("invalid job id `{v}`"))?);
                }
                "--log" => log = Some(PathBuf::from(value()?)),
                "--no-lifeline" => no_lifeline = true,
                other => return Err(format!("unknown option `{other}`")),
            }
        }
        Ok(Self {
            node: node.ok_or("missing --node")?,
            listen: listen.ok_or("missing --listen")?,
            token_file: token_file.ok_or("missing --token-file")?,
            job: job.ok_or("missing --job")?,
            log,
            no_lifeline,
        })
    }
}

/// `sk8-agent serve ...`: binds, prints the bound port on standard output,
/// serves until shut down or until standard input closes.
pub fn serve_main(args: &[String]) -> Result<(), String> {
    let a = ServeArgs::parse(args)?;
    let token = crate::token::read_token(&a.token_file).map_err(|e| {
        format!(
            "cannot read the token file `{}`: {}",
            a.token_file.display(),
            strerror(&e)
        )
    })?;
    if token.is_empty() {
        return Err(format!(
            "the token file `{}` is empty",
            a.token_file.display()
        ));
    }
    let listen: SocketAddr = a
        .listen
        .parse()
        .map_err(|_| format!("invalid listen address `{}`", a.listen))?;
    let task_exe = std::env::current_exe()
        .map_err(|e| format!("cannot find my own executable: {}", strerror(&e)))?;
    let agent = Agent::bind(AgentConfig {
        node: a.node,
        listen,
        token,
        job_id: a.job,
        log: a.log,
        task_exe,
        grace: Duration::from_secs(2),
    })
    .map_err(|e| format!("cannot listen on `{listen}`: {}", strerror(&e)))?;
    {
        let mut out = io::stdout().lock();
        writeln!(out, "{}", agent.local_addr().port()).map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
    }
    if !a.no_lifeline {
        let lifeline = agent.lifeline();
        thread::spawn(move || {
            watch_lifeline(io::stdin().lock());
            lifeline.supervisor_gone();
            std::process::exit(0);
        });
    }
    agent.serve().map_err(|e| e.to_string())
}

/// Reads the port line `sk8-agent serve` prints.
pub(crate) fn read_port<R: BufRead>(r: &mut R) -> io::Result<u16> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    line.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("sk8-agent did not print its port (got `{}`)", line.trim()),
        )
    })
}
