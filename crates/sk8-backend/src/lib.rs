//! The [`Backend`] trait every sk8 command talks to, and the records it
//! returns: jobs ([`JobInfo`]), nodes ([`NodeInfo`]), partitions
//! ([`PartitionInfo`]).
//!
//! The commands (`sk8-commands`) never know which backend serves them: the local
//! one (`sk8-local`, jobs on this machine) or Kubernetes (`sk8-kube`). The
//! trait is synchronous: a command does one thing and exits, and a backend
//! that needs async I/O runs its own runtime inside.
//!
//! Errors carry Slurm's own wording where Slurm has one (`Invalid job id
//! specified`), so commands print them as Slurm would.

use serde::{Deserialize, Serialize};
use sk8_spec::{JobSpec, TimeLimit};

mod filter;
mod state;

pub use filter::{JobFilter, JobRef, MAX_TASK_SET, parse_task_set};
pub use state::{JobState, NodeState};

/// A job id: positive, unique per cluster, increasing.
pub type JobId = u32;

/// The Slurm commands sk8 provides, by the names users and job scripts call
/// them: the multi-call binary dispatches on these, and the local backend
/// links each to it on a job's `PATH`.
pub const COMMANDS: [&str; 8] = [
    "sbatch", "srun", "salloc", "squeue", "scancel", "sinfo", "scontrol", "sacct",
];

/// `Result` with this crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong, in Slurm's words where Slurm has them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The job does not exist (or no longer).
    #[error("Invalid job id specified")]
    InvalidJobId,
    /// The job has already finished.
    #[error("Job/step already completing or completed")]
    AlreadyDone,
    /// The operation does not apply to the job in its state.
    #[error("Job is in an invalid state for this request")]
    InvalidState,
    /// The partition named does not exist.
    #[error("invalid partition specified: {0}")]
    InvalidPartition(String),
    /// The request can never be satisfied by the configured nodes.
    #[error("Requested node configuration is not available")]
    NodeConfigUnavailable,
    /// The request breaks a rule of the backend (its own words).
    #[error("{0}")]
    Invalid(String),
    /// The user may not do this.
    #[error("Access/permission denied")]
    PermissionDenied,
    /// The option cannot be honoured by this backend (DESIGN.md §1: refused,
    /// never silently ignored).
    #[error("{0} is not supported by the {1} backend")]
    Unsupported(String, &'static str),
    /// The backend's own storage or transport failed.
    #[error("{0}")]
    Backend(String),
}

/// Options given to a submission that are not part of the job itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmitRequest {
    /// One spec per heterogeneous component (usually one).
    pub jobs: Vec<JobSpec>,
    /// The batch script.
    pub script: Vec<u8>,
}

/// What `--test-only` reports: when and where the job would start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WillRun {
    /// The id the job would get.
    pub job_id: JobId,
    /// When it would start (Unix seconds).
    pub start_time: i64,
    /// Processors it would use.
    pub cpus: u32,
    /// On which nodes (a hostlist expression).
    pub nodes: String,
    /// In which partition.
    pub partition: String,
}

/// A request for an interactive allocation (`salloc`, standalone `srun`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllocRequest {
    /// One spec per heterogeneous component (usually one).
    pub jobs: Vec<JobSpec>,
    /// `--immediate[=secs]`: give up when not granted within this time.
    pub immediate: Option<u32>,
}

/// What happens while an allocation is waited for; the commands print
/// Slurm's lines for each (`salloc: Pending job allocation N`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocEvent {
    /// The job exists and is pending.
    Pending(JobId),
    /// It cannot start now and waits for resources.
    Queued(JobId),
    /// Its resources are granted.
    Granted(JobId),
}

/// A granted allocation: what `salloc` and `srun` need to run steps in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Granted {
    /// The job.
    pub job: JobInfo,
    /// How to reach its nodes' agents.
    pub access: StepAccess,
}

/// How to reach the agents of a job's nodes. The token is a secret: never
/// print or log it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepAccess {
    /// The job's step token.
    pub token: String,
    /// Each allocated node's name and agent address (`host:port`), in node order.
    pub agents: Vec<(String, String)>,
}

impl std::fmt::Debug for StepAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepAccess")
            .field("token", &"<redacted>")
            .field("agents", &self.agents)
            .finish()
    }
}

/// How a job ended: the exit status and the signal that killed it (Slurm's
/// `ExitCode=status:signal`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitStatus {
    /// The exit code (0-255).
    pub code: u8,
    /// The terminating signal, 0 for none.
    pub signal: u8,
}

/// The array a job belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayInfo {
    /// The array's job id (its first task's id).
    pub job_id: JobId,
    /// This task's index; `None` for the record of tasks not yet started.
    pub task_id: Option<u32>,
    /// For that record: the indices still pending, as Slurm prints them
    /// (`4-99%8` in `123_[4-99%8]`).
    pub pending: Option<String>,
}

/// A job as a backend knows it: the request and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    /// Its id.
    pub id: JobId,
    /// Its array, if it belongs to one.
    pub array: Option<ArrayInfo>,
    /// Its heterogeneous job: (leader id, component offset).
    pub het: Option<(JobId, u32)>,
    /// What was asked.
    pub spec: JobSpec,
    /// Its state.
    pub state: JobState,
    /// Why it is pending (or why it ended), Slurm's reason name
    /// (`Resources`, `Priority`, `Dependency`, `JobHeldUser`, `None`, ...).
    pub reason: String,
    /// Its scheduling priority.
    pub priority: u32,
    /// The time limit in force.
    pub time_limit: Option<TimeLimit>,
    /// Submit time (Unix seconds).
    pub submit_time: i64,
    /// When it became eligible to start.
    pub eligible_time: Option<i64>,
    /// When it started (or is expected to).
    pub start_time: Option<i64>,
    /// When it ended (or will at the latest).
    pub end_time: Option<i64>,
    /// Allocated nodes, in order.
    pub nodes: Vec<String>,
    /// CPUs allocated on each of `nodes` (same order).
    #[serde(default)]
    pub node_cpus: Vec<u32>,
    /// GPU device indices allocated on each of `nodes` (same order).
    #[serde(default)]
    pub node_gpus: Vec<Vec<u32>>,
    /// Allocated CPUs over all nodes.
    pub cpus: u32,
    /// How it ended.
    pub exit: ExitStatus,
    /// Times it was requeued.
    pub restarts: u32,
    /// The node the batch script runs on.
    pub batch_host: Option<String>,
    /// Its steps, as known.
    pub steps: Vec<StepInfo>,
}

/// A job step (`N.batch`, `N.0`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    /// `batch`, `extern`, or the step number.
    pub id: String,
    /// Its name (the program for srun steps, `batch` for the batch step).
    pub name: String,
    /// Its state.
    pub state: JobState,
    /// Nodes it ran on.
    pub nodes: Vec<String>,
    /// Its task count.
    pub tasks: u32,
    /// Start time (Unix seconds).
    pub start_time: Option<i64>,
    /// End time.
    pub end_time: Option<i64>,
    /// How it ended.
    pub exit: ExitStatus,
}

/// A node, as `sinfo` and `scontrol show node` describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Its name.
    pub name: String,
    /// Its address.
    pub addr: String,
    /// Its state.
    pub state: NodeState,
    /// Why it is drained or down.
    pub reason: Option<String>,
    /// CPUs in all.
    pub cpus: u32,
    /// CPUs allocated to jobs.
    pub cpus_alloc: u32,
    /// Memory in megabytes.
    pub memory_mb: u64,
    /// Memory allocated to jobs.
    pub memory_alloc_mb: u64,
    /// GPUs by type: (type or `None`, count).
    pub gpus: Vec<(Option<String>, u32)>,
    /// GPUs allocated.
    pub gpus_alloc: u32,
    /// Features (`--constraint` matches these).
    pub features: Vec<String>,
    /// Partitions it belongs to.
    pub partitions: Vec<String>,
}

/// A partition (on Kubernetes: a queue or node group from the config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionInfo {
    /// Its name.
    pub name: String,
    /// Jobs that name no partition go here.
    pub default: bool,
    /// Accepting and running jobs.
    pub up: bool,
    /// Its maximum time limit.
    pub max_time: TimeLimit,
    /// Its default time limit for jobs that give none.
    pub default_time: Option<TimeLimit>,
    /// Its nodes, in order.
    pub nodes: Vec<String>,
}

/// Changes `scontrol update` may make to a pending (or running) job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobUpdate {
    /// `TimeLimit=`.
    pub time_limit: Option<TimeLimit>,
    /// `Partition=`.
    pub partition: Option<String>,
    /// `Name=`/`JobName=`.
    pub name: Option<String>,
    /// `Nice=`.
    pub nice: Option<i32>,
}

/// What a signal or cancel request is aimed at (`scancel -b`, `-f`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalScope {
    /// Only the batch shell (`-b`).
    pub batch_only: bool,
    /// The batch shell and all its children and steps (`-f`).
    pub full: bool,
}

/// What every backend provides. Methods take `&self`: a backend is a handle
/// to shared state (a database, an API server), not the state itself.
pub trait Backend {
    /// The backend's name (`local`, `kubernetes`), for messages.
    fn name(&self) -> &'static str;

    /// Who the caller is, as the backend sees it (for `--me`, `-u`).
    fn whoami(&self) -> Result<String>;

    /// The cluster's name (`SLURM_CLUSTER_NAME`, `scontrol`'s `ClusterName`).
    fn cluster(&self) -> String {
        "sk8".to_string()
    }

    /// Submits a batch job (all heterogeneous components at once); returns
    /// the (leader's) job id.
    fn submit(&self, req: &SubmitRequest) -> Result<JobId>;

    /// Whether user names are this machine's accounts (`-u NAME` is checked
    /// against them, as Slurm does with getpwnam). On Kubernetes users are
    /// the API server's identities and are taken as given.
    fn local_users(&self) -> bool {
        true
    }

    /// Warnings `sbatch` prints before submitting `req` (e.g. a multi-node
    /// job no gang scheduler will place as one); none by default.
    fn submit_warnings(&self, _req: &SubmitRequest) -> Vec<String> {
        Vec::new()
    }

    /// Says when and where a job would start, creating nothing (`--test-only`).
    fn will_run(&self, req: &SubmitRequest) -> Result<WillRun>;

    /// Creates an interactive allocation and waits for it, reporting progress.
    fn allocate(&self, req: &AllocRequest, progress: &mut dyn FnMut(AllocEvent))
    -> Result<Granted>;

    /// Ends an interactive allocation with the given status.
    fn release(&self, id: JobId, exit: ExitStatus) -> Result<()>;

    /// How to reach a running job's agents (for `srun` from outside it).
    fn step_access(&self, id: JobId) -> Result<StepAccess>;

    /// The jobs matching `filter`, by id.
    fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobInfo>>;

    /// One job (or array task).
    fn job(&self, job: JobRef) -> Result<JobInfo>;

    /// Sends `signal` to a job, or cancels it when `signal` is `None`.
    fn signal(&self, job: JobRef, signal: Option<i32>, scope: SignalScope) -> Result<()>;

    /// Holds pending jobs (`scontrol hold`); `user` marks a user hold.
    fn hold(&self, job: JobRef, user: bool) -> Result<()>;

    /// Releases held jobs.
    fn release_hold(&self, job: JobRef) -> Result<()>;

    /// Puts a running or finished job back in the queue.
    fn requeue(&self, job: JobRef) -> Result<()>;

    /// Changes a job's limits or name.
    fn update(&self, job: JobRef, update: &JobUpdate) -> Result<()>;

    /// The nodes.
    fn nodes(&self) -> Result<Vec<NodeInfo>>;

    /// The partitions.
    fn partitions(&self) -> Result<Vec<PartitionInfo>>;

    /// Finished and running jobs with their steps, for `sacct`.
    fn history(&self, filter: &JobFilter) -> Result<Vec<JobInfo>>;
}
