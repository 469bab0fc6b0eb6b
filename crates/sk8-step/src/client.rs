//! The client side of the step protocol: connect with the token, ask for one
//! thing, follow a running step.

use std::io::BufReader;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sk8_proto::{
    BatchSpec, Event, ExitStatus, Frame, Kind, LaunchSpec, Request, read_frame, write_frame,
};

use crate::{Error, Result};

/// How long connecting to an agent may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An authenticated connection to one agent, good for one request.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
}

impl Client {
    /// Connects to the agent at `addr` and presents the job's token.
    pub fn connect(addr: SocketAddr, token: &str, job_id: u32) -> Result<Self> {
        let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|source| {
            Error::Connect {
                addr: addr.to_string(),
                source,
            }
        })?;
        let _ = stream.set_nodelay(true);
        write_frame(
            &mut stream,
            &Frame::request(&Request::Hello {
                token: token.to_string(),
                job_id,
            }),
        )?;
        match next_event(&mut stream)? {
            Event::Welcome => Ok(Self { stream }),
            Event::Refused { reason } => Err(Error::Refused(reason)),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// Runs the batch script on this agent's node.
    pub fn run_batch(self, spec: BatchSpec) -> Result<Running> {
        self.start(&Request::RunBatch(spec))
    }

    /// Starts a step's tasks on this agent's node.
    pub fn launch(self, spec: LaunchSpec) -> Result<Running> {
        self.start(&Request::Launch(spec))
    }

    /// Asks the agent to end every task of the job on its node and exit;
    /// returns once it has.
    pub fn shutdown(mut self) -> Result<()> {
        write_frame(&mut self.stream, &Frame::request(&Request::Shutdown))?;
        match next_event(&mut self.stream)? {
            Event::Done => Ok(()),
            Event::Error { message } => Err(Error::Agent(message)),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// The next step id of the job (ask the first node's agent).
    pub fn next_step_id(mut self) -> Result<u32> {
        write_frame(&mut self.stream, &Frame::request(&Request::NextStepId))?;
        match next_event(&mut self.stream)? {
            Event::StepId(id) => Ok(id),
            Event::Error { message } => Err(Error::Agent(message)),
            other => Err(Error::Unexpected(format!("{other:?}"))),
        }
    }

    /// The local address of the connection (`srun`'s address as the agent
    /// sees it).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.stream.local_addr()?)
    }

    fn start(mut self, request: &Request) -> Result<Running> {
        write_frame(&mut self.stream, &Frame::request(request))?;
        let writer = self.stream.try_clone()?;
        let mut reader = BufReader::with_capacity(64 << 10, self.stream);
        let pids = match next_event(&mut reader)? {
            Event::Started { pids } => pids,
            Event::Error { message } => return Err(Error::Agent(message)),
            other => return Err(Error::Unexpected(format!("{other:?}"))),
        };
        Ok(Running {
            reader,
            control: Control {
                stream: Arc::new(Mutex::new(writer)),
            },
            pids,
            done: false,
        })
    }
}

fn next_event<R: std::io::Read>(r: &mut R) -> Result<Event> {
    let frame = read_frame(r)?.ok_or(Error::Disconnected)?;
    Ok(frame.to_event()?)
}

/// What a running step reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepEvent {
    /// Bytes a task wrote on standard output.
    Stdout {
        /// Global task id.
        task: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Bytes a task wrote on standard error.
    Stderr {
        /// Global task id.
        task: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// A task ended (after all of its output).
    Exit {
        /// Global task id.
        task: u32,
        /// How.
        status: ExitStatus,
    },
}

/// Sends stdin and signals to a running step; cheap to clone and usable
/// from any thread.
#[derive(Debug, Clone)]
pub struct Control {
    stream: Arc<Mutex<TcpStream>>,
}

impl Control {
    fn send(&self, frame: &Frame) -> Result<()> {
        let mut s = self
            .stream
            .lock()
            .map_err(|_| Error::Agent("connection lock poisoned".into()))?;
        Ok(write_frame(&mut *s, frame)?)
    }

    /// Sends bytes to `task`'s standard input (ignored for tasks whose
    /// input is not streamed).
    pub fn stdin(&self, task: u32, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.send(&Frame::stream(Kind::Stdin, task, data.to_vec()))
    }

    /// Closes `task`'s standard input.
    pub fn close_stdin(&self, task: u32) -> Result<()> {
        self.send(&Frame::stream(Kind::Stdin, task, Vec::new()))
    }

    /// Sends `signal` to every task's process group.
    pub fn signal(&self, signal: i32) -> Result<()> {
        self.send(&Frame::request(&Request::Signal { signal }))
    }

    /// Drops the connection: the agent kills the tasks that are still running.
    pub fn abort(&self) {
        if let Ok(s) = self.stream.lock() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// A step or batch script running on one agent.
#[derive(Debug)]
pub struct Running {
    reader: BufReader<TcpStream>,
    control: Control,
    pids: Vec<u32>,
    done: bool,
}

impl Running {
    /// The tasks' process ids, in task order.
    #[must_use]
    pub fn pids(&self) -> &[u32] {
        &self.pids
    }

    /// A handle to send stdin and signals.
    #[must_use]
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// The next event; `Ok(None)` once the agent said `Done`, and
    /// [`Error::Disconnected`] when the connection ended before that (the
    /// agent or its node died).
    pub fn next_event(&mut self) -> Result<Option<StepEvent>> {
        if self.done {
            return Ok(None);
        }
        let frame = read_frame(&mut self.reader)?.ok_or(Error::Disconnected)?;
        match frame.kind {
            Kind::Stdout => Ok(Some(StepEvent::Stdout {
                task: frame.task,
                data: frame.payload,
            })),
            Kind::Stderr => Ok(Some(StepEvent::Stderr {
                task: frame.task,
                data: frame.payload,
            })),
            Kind::Event => match frame.to_event()? {
                Event::Exit { task, status } => Ok(Some(StepEvent::Exit { task, status })),
                Event::Done => {
                    self.done = true;
                    Ok(None)
                }
                Event::Error { message } => Err(Error::Agent(message)),
                other => Err(Error::Unexpected(format!("{other:?}"))),
            },
            other => Err(Error::Unexpected(format!("{other:?} frame"))),
        }
    }

    /// Waits for the end, discarding output; returns each task's status in
    /// the order they ended.
    pub fn wait(mut self) -> Result<Vec<(u32, ExitStatus)>> {
        let mut out = Vec::new();
        while let Some(ev) = self.next_event()? {
            if let StepEvent::Exit { task, status } = ev {
                out.push((task, status));
            }
        }
        Ok(out)
    }
}

impl Iterator for Running {
    type Item = Result<StepEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_event() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
