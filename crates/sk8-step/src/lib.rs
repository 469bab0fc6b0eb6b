//! Steps inside a job (DESIGN.md §4): the server logic of `sk8-agent` and
//! the client that talks to it. `srun` itself (which plans a step from its
//! options and drives this client) lives in sk8-commands, so the agent and
//! the local backend link no option table.
//!
//! Std threads and blocking `std::net` only: the agent and `srun` start in a
//! few milliseconds and stay small.
//!
//! - [`spawn_agent`] starts `sk8-agent serve` as a child of the job's
//!   supervisor and returns its [`AgentHandle`]; closing the handle's stdin
//!   (dropping it) ends the agent and every task it started.
//! - [`Client`] connects to an agent with the job's token and asks for one
//!   thing: [`Client::run_batch`], [`Client::launch`], [`Client::shutdown`]
//!   or [`Client::next_step_id`]. [`Running`] yields a step's output and
//!   exits; its [`Control`] sends stdin and signals from any thread.
//! - [`agent::Agent`] is the server; [`exec::exec_task`] is the small
//!   trampoline every task starts through (it sets `SLURM_TASK_PID` to its
//!   own pid, changes directory and execs the program, as `slurmstepd`
//!   does after `fork`).
//!
//! # The environment contract
//!
//! Inside a job, `SK8_AGENTS` lists `nodename=host:port` for every node in
//! node order (the first runs the batch script and hands out step ids), and
//! `SK8_TOKEN_FILE` names the file (mode 0600) holding the step token.

pub mod agent;
mod client;
pub mod exec;
pub mod signals;
mod spawn;
mod token;

pub use client::{Client, Control, Running, StepEvent};
pub use signals::{signal_name, strsignal};
pub use spawn::{AgentHandle, spawn_agent};
pub use token::{read_token, tokens_equal};

use std::io;

/// Variable naming each node's agent: `nodename=host:port,...`.
pub const AGENTS_VAR: &str = "SK8_AGENTS";

/// Variable naming the file that holds the job's step token.
pub const TOKEN_FILE_VAR: &str = "SK8_TOKEN_FILE";

/// Why talking to an agent failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The agent could not be reached.
    #[error("cannot connect to the agent at `{addr}`")]
    Connect {
        /// The address tried.
        addr: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The agent refused the token.
    #[error("the agent refused the connection: {0}")]
    Refused(String),
    /// The frames could not be read or written.
    #[error(transparent)]
    Proto(#[from] sk8_proto::Error),
    /// The connection ended before [`sk8_proto::Event::Done`].
    #[error("the agent closed the connection before the step ended")]
    Disconnected,
    /// The agent reported a failure.
    #[error("{0}")]
    Agent(String),
    /// The agent answered something this request does not expect.
    #[error("unexpected answer from the agent: {0}")]
    Unexpected(String),
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Proto(sk8_proto::Error::Io(e))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
