//! The embedded local backend: Slurm jobs on this machine, with no daemon.
//!
//! [`LocalBackend`] implements [`sk8_backend::Backend`] over a SQLite
//! database in `$SK8_HOME` (default: the user's data directory's `sk8`):
//!
//! - **State**: `$SK8_HOME/state.db` (WAL, busy timeout, `BEGIN IMMEDIATE`
//!   for every write). Job ids come from a counter row bumped in the same
//!   transaction that inserts the job, so concurrent submissions never
//!   collide and a job is inserted whole or not at all; a commit returns
//!   once it is on disk (one sync of the WAL). An empty or damaged
//!   database is an error naming it, never replaced. Everything under
//!   `$SK8_HOME` is 0600 (directories 0700), whatever the umask.
//! - **Scheduling pass** (`queue.rs`, over the pure `sched.rs` and
//!   `deps.rs`): on every submission and whenever a job ends, by whoever
//!   ends it. Pending jobs by priority then id; all-or-nothing placement of
//!   CPUs, memory and GPUs across the nodes; EASY backfill using time
//!   limits; holds, `--begin`, dependencies, array throttles, with Slurm's
//!   reason names.
//! - **Supervisor** (`sk8 supervise ID`, [`supervise::run`]): one detached
//!   process per running job (own process group, stdio to
//!   `$SK8_HOME/jobs/ID/supervisor.log`). It writes the job's token file
//!   (0600), starts one `sk8-agent` per allocated node, runs the batch
//!   script through the first node's agent (or, for an allocation, waits
//!   for its release), enforces the time limit and `--signal`, records the
//!   outcome, stops the agents and runs a scheduling pass.
//! - **Control**: cancel, signal, release and update requests reach a
//!   running job's supervisor over the Unix socket `$SK8_HOME/jobs/ID/ctl`
//!   (a line of text, answered `ok`); a cancel is also recorded in the
//!   job's row first, so a supervisor that has not bound its socket yet
//!   still sees it.
//! - **Faults**: every backend call first reaps running jobs whose
//!   supervisor is gone (pid and `/proc` start time, so a reused pid does
//!   not count): they end `NODE_FAIL` and free their resources. Agents
//!   watch their supervisor (standard input EOF) and the supervisor watches
//!   its agents (an agent's exit ends the job `NODE_FAIL`).
//! - **Waiters**: a job whose only obstacle is a future `--begin` (or a
//!   `+delay` dependency) gets a detached `sk8 schedule --at TIME` that runs
//!   a pass when the time comes.
//!
//! # Configuration
//!
//! Read from the first of `$SK8_HOME/config.toml`, the user's config
//! directory's `sk8/config.toml`, `/etc/sk8/config.toml`. Without any, the
//! cluster is this host: one node named by the short host name, with
//! `available_parallelism` CPUs, `/proc/meminfo`'s memory and
//! `nvidia-smi -L`'s GPUs, in one partition `debug` (default, no time
//! limit), cluster name `sk8`.
//!
//! ```toml
//! cluster = "lab"            # SLURM_CLUSTER_NAME (default "sk8")
//! kill_wait = 30             # seconds from SIGTERM to SIGKILL (Slurm's KillWait)
//! busy_timeout_ms = 10000    # how long a write waits for a locked database
//!
//! # Virtual nodes: each runs as an agent on 127.0.0.1 under its own name,
//! # so multi-node jobs run for real on one machine.
//! [[node]]
//! name = "node1"
//! cpus = 2                   # default 1
//! memory_mb = 1000           # default 1024
//! gpus = 0                   # device indices 0..gpus (CUDA_VISIBLE_DEVICES)
//! gpu_type = "a100"          # optional
//! features = ["fast"]        # optional
//! [[node]]
//! name = "node2"
//! cpus = 2
//!
//! # Partitions (default: `debug` with every node).
//! [[partition]]
//! name = "debug"
//! nodes = ["node[1-2]"]      # hostlist expressions; default every node
//! default = true             # the first partition when none says so
//! max_time = "1:00:00"       # Slurm time format; default UNLIMITED
//! default_time = "10"        # a job's limit when it gives none
//! ```
//!
//! # Environment
//!
//! `SK8_HOME` moves the state directory; `SK8_EXE` and `SK8_AGENT_EXE` name
//! the `sk8` and `sk8-agent` binaries (default: beside the running
//! executable, then `PATH`).

pub mod config;
pub mod deps;
pub mod links;
pub mod private;
pub mod procs;
pub mod sched;
pub mod store;
pub mod supervise;

mod backend;
mod control;
mod queue;

pub use backend::LocalBackend;
pub use config::{Config, HostShape};

/// What goes wrong inside the local backend; turned into
/// [`sk8_backend::Error`] at the trait's edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The database failed (locked, read-only, damaged), in users' words.
    #[error("{0}")]
    Db(String),
    /// The configuration file is wrong.
    #[error("local configuration: {0}")]
    Config(String),
    /// A Slurm-shaped refusal.
    #[error(transparent)]
    Slurm(#[from] sk8_backend::Error),
    /// Something else on this host (files, processes).
    #[error("{0}")]
    Host(String),
}

impl From<Error> for sk8_backend::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Slurm(s) => s,
            other => sk8_backend::Error::Backend(other.to_string()),
        }
    }
}

/// `Result` with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

// The clock is sk8-host's; the crate's many `now()` calls name it so.
pub(crate) use sk8_host::now;
