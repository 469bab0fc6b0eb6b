//! The step protocol (DESIGN.md §4): what `srun`, the job supervisor and
//! `sk8-agent` say to each other over TCP. Pure: messages and the frame
//! codec, no sockets.
//!
//! # Frames
//!
//! Every frame is `len: u32 BE | version: u8 | kind: u8 | task: u32 BE |
//! payload`, where `len` counts the bytes after itself. Control messages
//! carry a JSON payload ([`Request`], [`Event`]); standard streams carry raw
//! bytes with the task they belong to, so output is never re-encoded. A frame
//! of another version is refused, and so is one longer than [`MAX_FRAME`].
//!
//! # Conversation
//!
//! The client opens a connection and sends [`Request::Hello`] with the job's
//! token; the agent compares it in constant time and answers
//! [`Event::Welcome`] or [`Event::Refused`] (then closes). Then one request
//! per connection: [`Request::Launch`] (a step's tasks on this node) or
//! [`Request::RunBatch`] (the batch script), followed by stdin/signal frames
//! from the client and stdout/stderr/exit frames from the agent, ending with
//! [`Event::Done`]; or [`Request::Shutdown`] (end every task of the job on
//! this node and exit); or [`Request::NextStepId`], answered by
//! [`Event::StepId`].
//!
//! An empty [`Kind::Stdin`] frame means end of input for that task.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

/// The protocol version every frame carries.
pub const VERSION: u8 = 1;

/// The longest frame accepted, header included (16 MiB): a launch request
/// carries every task's environment, so it is generous, yet bounded.
pub const MAX_FRAME: u32 = 16 << 20;

/// What [`read_frame`] sets aside for a payload before its bytes arrive.
const INITIAL_PAYLOAD: u32 = 64 << 10;

/// Bytes of a frame after its length: version, kind and task.
pub const HEADER_AFTER_LEN: u32 = 6;

/// Task id of frames that belong to no task (control messages).
pub const NO_TASK: u32 = u32::MAX;

/// Why a frame could not be read or a message decoded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The socket failed or closed mid-frame.
    #[error("step protocol i/o failed")]
    Io(#[from] io::Error),
    /// The peer speaks another protocol version.
    #[error("unsupported step protocol version {found} (expected {VERSION})")]
    Version {
        /// The version the frame carried.
        found: u8,
    },
    /// A frame longer than the limit in force.
    #[error("step protocol frame of {len} bytes exceeds the limit of {limit}")]
    TooLong {
        /// The announced length.
        len: u32,
        /// The limit in force.
        limit: u32,
    },
    /// A length shorter than the header.
    #[error("step protocol frame of {0} bytes is shorter than its header")]
    TooShort(u32),
    /// An unknown frame kind.
    #[error("unknown step protocol frame kind {0}")]
    Kind(u8),
    /// A control payload that is not the expected JSON message.
    #[error("malformed step protocol message")]
    Json(#[from] serde_json::Error),
    /// A frame of a kind other than the one expected here.
    #[error("unexpected step protocol frame `{0:?}`")]
    Unexpected(Kind),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A JSON [`Request`], client to agent.
    Request,
    /// A JSON [`Event`], agent to client.
    Event,
    /// Bytes for a task's standard input (empty: end of input).
    Stdin,
    /// Bytes a task wrote on its standard output.
    Stdout,
    /// Bytes a task wrote on its standard error.
    Stderr,
}

impl Kind {
    /// The byte on the wire.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Request => 1,
            Self::Event => 2,
            Self::Stdin => 3,
            Self::Stdout => 4,
            Self::Stderr => 5,
        }
    }

    /// The kind of a wire byte.
    #[must_use]
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Self::Request,
            2 => Self::Event,
            3 => Self::Stdin,
            4 => Self::Stdout,
            5 => Self::Stderr,
            _ => return None,
        })
    }
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// What the payload is.
    pub kind: Kind,
    /// The task the frame concerns ([`NO_TASK`] for control messages).
    pub task: u32,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A control frame holding `request` as JSON.
    #[must_use]
    pub fn request(request: &Request) -> Self {
        Self {
            kind: Kind::Request,
            task: NO_TASK,
            payload: serde_json::to_vec(request).unwrap_or_default(),
        }
    }

    /// A control frame holding `event` as JSON.
    #[must_use]
    pub fn event(event: &Event) -> Self {
        Self {
            kind: Kind::Event,
            task: NO_TASK,
            payload: serde_json::to_vec(event).unwrap_or_default(),
        }
    }

    /// A stream frame.
    #[must_use]
    pub fn stream(kind: Kind, task: u32, payload: Vec<u8>) -> Self {
        Self {
            kind,
            task,
            payload,
        }
    }

    /// Decodes the payload of a [`Kind::Request`] frame.
    pub fn to_request(&self) -> Result<Request> {
        match self.kind {
            Kind::Request => Ok(serde_json::from_slice(&self.payload)?),
            other => Err(Error::Unexpected(other)),
        }
    }

    /// Decodes the payload of a [`Kind::Event`] frame.
    pub fn to_event(&self) -> Result<Event> {
        match self.kind {
            Kind::Event => Ok(serde_json::from_slice(&self.payload)?),
            other => Err(Error::Unexpected(other)),
        }
    }

    /// The bytes of the frame on the wire.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let len = HEADER_AFTER_LEN as usize + self.payload.len();
        let mut out = Vec::with_capacity(4 + len);
        out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        out.push(VERSION);
        out.push(self.kind.code());
        out.extend_from_slice(&self.task.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }
}

/// Writes `frame` in one `write_all` (so frames from several threads sharing
/// a locked writer never interleave) and flushes.
pub fn write_frame<W: Write>(w: &mut W, frame: &Frame) -> Result<()> {
    let len = HEADER_AFTER_LEN as usize + frame.payload.len();
    if len > MAX_FRAME as usize {
        return Err(Error::TooLong {
            len: u32::try_from(len).unwrap_or(u32::MAX),
            limit: MAX_FRAME,
        });
    }
    w.write_all(&frame.encode())?;
    w.flush()?;
    Ok(())
}

/// Reads one frame of at most [`MAX_FRAME`] bytes; `Ok(None)` on a clean end
/// of stream before the first byte.
pub fn read_frame<R: Read>(r: &mut R) -> Result<Option<Frame>> {
    read_frame_limited(r, MAX_FRAME)
}

/// Reads one frame of at most `limit` bytes (after the length): the agent
/// reads the unauthenticated `Hello` with a small limit, so a stranger
/// cannot make it allocate much.
pub fn read_frame_limited<R: Read>(r: &mut R, limit: u32) -> Result<Option<Frame>> {
    let mut len = [0_u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut len[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(Error::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let len = u32::from_be_bytes(len);
    if len < HEADER_AFTER_LEN {
        return Err(Error::TooShort(len));
    }
    let limit = limit.min(MAX_FRAME);
    if len > limit {
        return Err(Error::TooLong { len, limit });
    }
    let mut head = [0_u8; HEADER_AFTER_LEN as usize];
    r.read_exact(&mut head)?;
    if head[0] != VERSION {
        return Err(Error::Version { found: head[0] });
    }
    let kind = Kind::from_code(head[1]).ok_or(Error::Kind(head[1]))?;
    let task = u32::from_be_bytes([head[2], head[3], head[4], head[5]]);
    // Grow with the bytes that actually arrive: a peer announcing 16 MiB
    // and sending nothing costs a small buffer, not 16 MiB.
    let want = u64::from(len - HEADER_AFTER_LEN);
    let mut payload = Vec::with_capacity(want.min(u64::from(INITIAL_PAYLOAD)) as usize);
    r.by_ref().take(want).read_to_end(&mut payload)?;
    if payload.len() as u64 != want {
        return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    Ok(Some(Frame {
        kind,
        task,
        payload,
    }))
}

/// Where a task's standard output or error goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// Back to the client as [`Kind::Stdout`]/[`Kind::Stderr`] frames.
    Stream,
    /// Into a file the agent opens on its node.
    File {
        /// The file's path (already expanded).
        path: String,
        /// Append rather than truncate.
        append: bool,
    },
    /// Discarded (`/dev/null`).
    Null,
}

/// Where a task's standard input comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// From the client as [`Kind::Stdin`] frames.
    Stream,
    /// From a file the agent opens on its node.
    File(String),
    /// `/dev/null`.
    Null,
}

/// One task of a step, on the agent's node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Global task id (`SLURM_PROCID`); stream frames carry it.
    pub task: u32,
    /// Program and arguments (never passed through a shell).
    pub argv: Vec<String>,
    /// Variables of this task, laid over [`LaunchSpec::env`].
    pub env: Vec<(String, String)>,
    /// Standard input.
    pub stdin: Input,
    /// Standard output.
    pub stdout: Output,
    /// Standard error.
    pub stderr: Output,
}

/// A step's tasks for one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchSpec {
    /// The job.
    pub job_id: u32,
    /// The step.
    pub step_id: u32,
    /// Variables every task of the step receives (complete: the agent's own
    /// environment is not inherited).
    pub env: Vec<(String, String)>,
    /// Working directory of every task.
    pub cwd: String,
    /// The umask the tasks start with (`SLURM_UMASK`), if it must be set.
    pub umask: Option<u32>,
    /// Run the single task on a pseudo-terminal (`--pty`).
    pub pty: bool,
    /// The tasks.
    pub tasks: Vec<TaskSpec>,
}

/// The batch script, run by the first node's agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSpec {
    /// The job.
    pub job_id: u32,
    /// Program and arguments (the script path, then its arguments).
    pub argv: Vec<String>,
    /// The complete environment.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub cwd: String,
    /// The umask to start with, if it must be set.
    pub umask: Option<u32>,
    /// Standard input: a file, or `/dev/null`.
    pub stdin: Input,
    /// Standard output (a file, normally).
    pub stdout: Output,
    /// Standard error (the same file as stdout when `--error` is absent).
    pub stderr: Output,
}

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExitStatus {
    /// `exit(code)`.
    Code(i32),
    /// Killed by a signal.
    Signal {
        /// The signal number.
        signal: i32,
        /// A core file was written.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// The shell's view: the code, or 128 plus the signal.
    #[must_use]
    pub fn shell_code(self) -> i32 {
        match self {
            Self::Code(c) => c,
            Self::Signal { signal, .. } => 128 + signal,
        }
    }

    /// True for `exit(0)`.
    #[must_use]
    pub fn success(self) -> bool {
        self == Self::Code(0)
    }
}

/// Client to agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// First frame of every connection.
    Hello {
        /// The job's step token.
        token: String,
        /// The job the client belongs to.
        job_id: u32,
    },
    /// Start a step's tasks on this node.
    Launch(LaunchSpec),
    /// Run the batch script on this node.
    RunBatch(BatchSpec),
    /// Send a signal to every task of this connection's step or script.
    Signal {
        /// The signal number.
        signal: i32,
    },
    /// End every task of the job on this node, then exit.
    Shutdown,
    /// Hand out the next step id (the batch node's agent counts from 0).
    NextStepId,
}

/// What an agent tells the supervisor that started it about the steps it
/// runs, one JSON line (after [`STEP_REPORT_PREFIX`]) on the agent's standard
/// output: once when the step's tasks start on its node, once when they
/// have all ended. The supervisor merges the nodes' reports into the job's
/// step records (`sacct`'s `N.0`, `N.1`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// The step id.
    pub step: u32,
    /// The node whose tasks this is about.
    pub node: String,
    /// The step's name (its program's file name).
    pub name: String,
    /// Tasks of the step on this node.
    pub tasks: u32,
    /// When they started (Unix seconds).
    pub start: i64,
    /// When the last one ended; `None` in the start report.
    pub end: Option<i64>,
    /// The highest exit code among them.
    pub code: u8,
    /// The highest signal that killed one of them (0 for none).
    pub signal: u8,
}

/// The prefix of a [`StepReport`] line on an agent's standard output.
pub const STEP_REPORT_PREFIX: &str = "step ";

/// Agent to client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// The token was right.
    Welcome,
    /// The token was missing or wrong; the connection closes.
    Refused {
        /// Why, never quoting the token.
        reason: String,
    },
    /// The tasks started, with their process ids in task order.
    Started {
        /// Process ids.
        pids: Vec<u32>,
    },
    /// One task ended.
    Exit {
        /// Global task id.
        task: u32,
        /// How it ended.
        status: ExitStatus,
    },
    /// Every task ended and every output byte was sent.
    Done,
    /// The request failed (a launch that could not start, for example).
    Error {
        /// Slurm-style message.
        message: String,
    },
    /// Answer to [`Request::NextStepId`].
    StepId(u32),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds() -> impl Strategy<Value = Kind> {
        prop_oneof![
            Just(Kind::Request),
            Just(Kind::Event),
            Just(Kind::Stdin),
            Just(Kind::Stdout),
            Just(Kind::Stderr),
        ]
    }

    fn statuses() -> impl Strategy<Value = ExitStatus> {
        prop_oneof![
            any::<i32>().prop_map(ExitStatus::Code),
            (any::<i32>(), any::<bool>()).prop_map(|(signal, core_dumped)| ExitStatus::Signal {
                signal,
                core_dumped
            }),
        ]
    }

    fn outputs() -> impl Strategy<Value = Output> {
        prop_oneof![
            Just(Output::Stream),
            Just(Output::Null),
            (".*", any::<bool>()).prop_map(|(path, append)| Output::File { path, append }),
        ]
    }

    fn inputs() -> impl Strategy<Value = Input> {
        prop_oneof![
            Just(Input::Stream),
            Just(Input::Null),
            ".*".prop_map(Input::File)
        ]
    }

    fn env() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[A-Z_]{1,8}", ".*"), 0..4)
    }

    fn tasks() -> impl Strategy<Value = TaskSpec> {
        (
            any::<u32>(),
            proptest::collection::vec(".*", 0..4),
            env(),
            inputs(),
            outputs(),
            outputs(),
        )
            .prop_map(|(task, argv, env, stdin, stdout, stderr)| TaskSpec {
                task,
                argv,
                env,
                stdin,
                stdout,
                stderr,
            })
    }

    fn requests() -> impl Strategy<Value = Request> {
        let launch = (
            any::<u32>(),
            any::<u32>(),
            env(),
            ".*",
            proptest::option::of(0_u32..0o777),
            any::<bool>(),
            proptest::collection::vec(tasks(), 0..3),
        )
            .prop_map(|(job_id, step_id, env, cwd, umask, pty, tasks)| {
                Request::Launch(LaunchSpec {
                    job_id,
                    step_id,
                    env,
                    cwd,
                    umask,
                    pty,
                    tasks,
                })
            });
        let batch = (
            any::<u32>(),
            proptest::collection::vec(".*", 0..4),
            env(),
            ".*",
            proptest::option::of(0_u32..0o777),
            inputs(),
            outputs(),
            outputs(),
        )
            .prop_map(|(job_id, argv, env, cwd, umask, stdin, stdout, stderr)| {
                Request::RunBatch(BatchSpec {
                    job_id,
                    argv,
                    env,
                    cwd,
                    umask,
                    stdin,
                    stdout,
                    stderr,
                })
            });
        prop_oneof![
            (".*", any::<u32>()).prop_map(|(token, job_id)| Request::Hello { token, job_id }),
            launch,
            batch,
            any::<i32>().prop_map(|signal| Request::Signal { signal }),
            Just(Request::Shutdown),
            Just(Request::NextStepId),
        ]
    }

    fn events() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::Welcome),
            ".*".prop_map(|reason| Event::Refused { reason }),
            proptest::collection::vec(any::<u32>(), 0..5).prop_map(|pids| Event::Started { pids }),
            (any::<u32>(), statuses()).prop_map(|(task, status)| Event::Exit { task, status }),
            Just(Event::Done),
            ".*".prop_map(|message| Event::Error { message }),
            any::<u32>().prop_map(Event::StepId),
        ]
    }

    proptest! {
        #[test]
        fn frames_round_trip(kind in kinds(), task in any::<u32>(),
                             payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            let frame = Frame::stream(kind, task, payload);
            let mut wire = Vec::new();
            write_frame(&mut wire, &frame).unwrap();
            let mut r = wire.as_slice();
            prop_assert_eq!(read_frame(&mut r).unwrap(), Some(frame));
            prop_assert!(r.is_empty());
            prop_assert_eq!(read_frame(&mut r).unwrap(), None);
        }

        #[test]
        fn requests_round_trip(req in requests()) {
            let mut wire = Vec::new();
            write_frame(&mut wire, &Frame::request(&req)).unwrap();
            let frame = read_frame(&mut wire.as_slice()).unwrap().unwrap();
            prop_assert_eq!(frame.to_request().unwrap(), req);
        }

        #[test]
        fn events_round_trip(ev in events()) {
            let mut wire = Vec::new();
            write_frame(&mut wire, &Frame::event(&ev)).unwrap();
            let frame = read_frame(&mut wire.as_slice()).unwrap().unwrap();
            prop_assert_eq!(frame.to_event().unwrap(), ev);
        }

        #[test]
        fn truncated_frames_fail(payload in proptest::collection::vec(any::<u8>(), 1..100),
                                 cut in 1_usize..100) {
            let wire = Frame::stream(Kind::Stdout, 3, payload).encode();
            let cut = cut.min(wire.len() - 1);
            prop_assert!(read_frame(&mut &wire[..cut]).is_err());
        }
    }

    #[test]
    fn wire_layout_is_as_documented() {
        let wire = Frame::stream(Kind::Stderr, 0x0102_0304, b"hi".to_vec()).encode();
        assert_eq!(wire, [0, 0, 0, 8, VERSION, 5, 1, 2, 3, 4, b'h', b'i']);
    }

    #[test]
    fn other_version_is_refused() {
        let mut wire = Frame::request(&Request::Shutdown).encode();
        wire[4] = VERSION + 1;
        let err = read_frame(&mut wire.as_slice()).unwrap_err();
        assert!(matches!(err, Error::Version { found } if found == VERSION + 1));
    }

    #[test]
    fn oversized_frame_is_refused_before_reading_it() {
        let mut wire = (MAX_FRAME + 1).to_be_bytes().to_vec();
        wire.extend_from_slice(&[VERSION, 1, 0, 0, 0, 0]);
        let err = read_frame(&mut wire.as_slice()).unwrap_err();
        assert!(matches!(err, Error::TooLong { len, limit: MAX_FRAME } if len == MAX_FRAME + 1));
        let small = Frame::request(&Request::Hello {
            token: "x".repeat(100),
            job_id: 1,
        })
        .encode();
        let err = read_frame_limited(&mut small.as_slice(), 64).unwrap_err();
        assert!(matches!(err, Error::TooLong { limit: 64, .. }));
        let huge = Frame::stream(Kind::Stdout, 0, vec![0; MAX_FRAME as usize]);
        assert!(matches!(
            write_frame(&mut Vec::new(), &huge),
            Err(Error::TooLong { .. })
        ));
    }

    /// A peer announcing the largest frame and sending a few bytes gets an
    /// error, not a wait for 16 MiB it never sends.
    #[test]
    fn a_frame_shorter_than_announced_is_refused() {
        let mut wire = MAX_FRAME.to_be_bytes().to_vec();
        wire.extend_from_slice(&[VERSION, 3, 0, 0, 0, 1]);
        wire.extend_from_slice(b"only this");
        let err = read_frame(&mut wire.as_slice()).unwrap_err();
        assert!(
            matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof),
            "{err:?}"
        );
    }

    #[test]
    fn short_length_and_unknown_kind_are_refused() {
        let wire = [0_u8, 0, 0, 2, VERSION, 1];
        assert!(matches!(
            read_frame(&mut wire.as_slice()),
            Err(Error::TooShort(2))
        ));
        let wire = [0_u8, 0, 0, 6, VERSION, 99, 0, 0, 0, 0];
        assert!(matches!(
            read_frame(&mut wire.as_slice()),
            Err(Error::Kind(99))
        ));
    }

    #[test]
    fn control_frames_decode_only_as_their_kind() {
        let f = Frame::event(&Event::Done);
        assert!(matches!(
            f.to_request(),
            Err(Error::Unexpected(Kind::Event))
        ));
        assert_eq!(ExitStatus::Code(3).shell_code(), 3);
        assert_eq!(
            ExitStatus::Signal {
                signal: 9,
                core_dumped: false
            }
            .shell_code(),
            137
        );
    }
}
