//! The resolved job request: what `sbatch`, `srun` and `salloc` ask a backend for.
//!
//! A [`JobSpec`] is what remains once the command line, the input variables and
//! the `#SBATCH` directives have been merged and Slurm's submit-time defaults
//! applied (name, output files, working directory). Counts that Slurm only
//! derives when the job is placed (tasks from `--ntasks-per-node`, CPUs per
//! node) stay as requested; [`JobSpec::tasks`] and friends derive them the way
//! Slurm does, so every backend agrees.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    ArraySpec, BeginSpec, Constraint, Dependency, Distribution, ExportSpec, FilePattern, GpuSpec,
    GresList, MailType, MemSize, NodeRange, OpenMode, SignalSpec, TimeLimit,
};

/// One job (or one component of a heterogeneous job), fully resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// `--job-name`; defaults to the script's file name, `wrap` or `sbatch`.
    pub name: String,
    /// `--partition`; `None` lets the backend choose its default partition.
    pub partition: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--qos`.
    pub qos: Option<String>,
    /// `--comment`.
    pub comment: Option<String>,
    /// `--reservation`.
    pub reservation: Option<String>,
    /// `--licenses`.
    pub licenses: Option<String>,
    /// `--wckey`.
    pub wckey: Option<String>,

    /// Who submits, as the submitting host sees it.
    pub user: String,
    /// Numeric user id of the submitter.
    pub uid: u32,
    /// Numeric group id of the submitter.
    pub gid: u32,
    /// The directory `sbatch` ran in (`SLURM_SUBMIT_DIR`).
    pub submit_dir: String,
    /// The host `sbatch` ran on (`SLURM_SUBMIT_HOST`).
    pub submit_host: String,
    /// `--chdir`, made absolute against the submit directory; else the submit directory.
    pub work_dir: String,

    /// What the job runs.
    pub command: Command,

    /// `--nodes=min[-max]`; `None` when not requested (Slurm then picks).
    pub nodes: Option<NodeRange>,
    /// `--ntasks`.
    pub ntasks: Option<u32>,
    /// `--cpus-per-task`.
    pub cpus_per_task: Option<u32>,
    /// `--ntasks-per-node`.
    pub ntasks_per_node: Option<u32>,
    /// `--ntasks-per-socket`.
    pub ntasks_per_socket: Option<u32>,
    /// `--ntasks-per-core`.
    pub ntasks_per_core: Option<u32>,
    /// `--ntasks-per-gpu`.
    pub ntasks_per_gpu: Option<u32>,
    /// `--mincpus`.
    pub mincpus: Option<u32>,
    /// `--sockets-per-node`, `--cores-per-socket`, `--threads-per-core` (or `-B`).
    pub topology: Topology,
    /// `--core-spec`.
    pub core_spec: Option<u32>,
    /// `--thread-spec`.
    pub thread_spec: Option<u32>,
    /// `--mem`, `--mem-per-cpu` or `--mem-per-gpu` (mutually exclusive in Slurm).
    pub memory: Option<Memory>,
    /// `--tmp`.
    pub tmp: Option<MemSize>,
    /// `--gres`: generic resources per node.
    pub gres: Option<GresList>,
    /// `--gpus`/`-G`: GPUs for the whole job.
    pub gpus: Option<GpuSpec>,
    /// `--gpus-per-node`.
    pub gpus_per_node: Option<GpuSpec>,
    /// `--gpus-per-task`.
    pub gpus_per_task: Option<GpuSpec>,
    /// `--gpus-per-socket`.
    pub gpus_per_socket: Option<GpuSpec>,
    /// `--cpus-per-gpu`.
    pub cpus_per_gpu: Option<u32>,
    /// `--constraint`.
    pub constraint: Option<Constraint>,
    /// `--cluster-constraint`.
    pub cluster_constraint: Option<String>,
    /// `--nodelist` (a hostlist expression, or the contents of `--nodefile`).
    pub nodelist: Option<String>,
    /// `--exclude` (a hostlist expression).
    pub exclude: Option<String>,
    /// `--exclusive[=user|mcs]`, `--oversubscribe`.
    pub sharing: Sharing,
    /// `--contiguous`.
    pub contiguous: bool,
    /// `--distribution`.
    pub distribution: Option<Distribution>,
    /// `--overcommit`.
    pub overcommit: bool,
    /// `--spread-job`.
    pub spread_job: bool,
    /// `--use-min-nodes`.
    pub use_min_nodes: bool,

    /// `--time`.
    pub time_limit: Option<TimeLimit>,
    /// `--time-min`.
    pub time_min: Option<TimeLimit>,
    /// `--begin`.
    pub begin: Option<BeginSpec>,
    /// `--deadline`.
    pub deadline: Option<BeginSpec>,
    /// `--priority`.
    pub priority: Option<u32>,
    /// `--nice[=N]`.
    pub nice: Option<i32>,
    /// `--hold`.
    pub hold: bool,
    /// `--dependency`.
    pub dependency: Option<Dependency>,
    /// `--array`.
    pub array: Option<ArraySpec>,
    /// `--requeue` (true) or `--no-requeue` (false); `None` leaves the cluster default.
    pub requeue: Option<bool>,
    /// `--no-kill`: keep running when an allocated node fails.
    pub no_kill: bool,
    /// `--signal`.
    pub signal: Option<SignalSpec>,
    /// `--mail-type`.
    pub mail_type: Option<MailType>,
    /// `--mail-user`.
    pub mail_user: Option<String>,

    /// `--output`; defaults to `slurm-%j.out` (`slurm-%A_%a.out` for arrays).
    pub stdout: FilePattern,
    /// `--error`; `None` means standard error goes where standard output goes.
    pub stderr: Option<FilePattern>,
    /// `--input`; `None` means `/dev/null`.
    pub stdin: Option<FilePattern>,
    /// `--open-mode`.
    pub open_mode: Option<OpenMode>,

    /// `--export`.
    pub export: ExportSpec,
    /// `--export-file`.
    pub export_file: Option<String>,
    /// `--get-user-env[=timeout][mode]`.
    pub get_user_env: Option<String>,
    /// The environment the job receives, after `--export` was applied to the
    /// submitting environment (sorted by name).
    pub environment: BTreeMap<String, String>,

    /// pyxis' `--container-*` options.
    pub container: Container,

    /// Options accepted for compatibility that no backend acts on, by long
    /// name (`--mail-type` excepted, which has its own field): recorded so
    /// that `scontrol show job` and the backends can report them.
    pub recorded: BTreeMap<String, String>,
}

/// What a job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// A batch script: the path given to `sbatch` (or `None` when read from
    /// standard input), its arguments; the script text travels beside the spec.
    Script {
        /// The script path as given on the command line, made absolute.
        path: Option<String>,
        /// Arguments after the script path.
        args: Vec<String>,
    },
    /// `--wrap=CMD`: `sh -c` of the string, in a generated `#!/bin/sh` script.
    Wrap(String),
    /// `srun`/`salloc`: the program and its arguments.
    Exec(Vec<String>),
}

/// Memory request: at most one of the three forms, as Slurm enforces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Memory {
    /// `--mem`: per node. `MemSize` 0 means all the memory of each node.
    PerNode(MemSize),
    /// `--mem-per-cpu`.
    PerCpu(MemSize),
    /// `--mem-per-gpu`.
    PerGpu(MemSize),
}

/// Node sharing requested with `--exclusive` or `--oversubscribe`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sharing {
    /// Neither option: the partition's default.
    #[default]
    Default,
    /// `--exclusive`: whole nodes.
    Exclusive,
    /// `--exclusive=user`: nodes shared only with the same user's jobs.
    User,
    /// `--exclusive=mcs`: nodes shared only within the same MCS label.
    Mcs,
    /// `--oversubscribe`.
    OverSubscribe,
}

/// Socket/core/thread layout requested per node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// `--sockets-per-node`.
    pub sockets_per_node: Option<u32>,
    /// `--cores-per-socket`.
    pub cores_per_socket: Option<u32>,
    /// `--threads-per-core`.
    pub threads_per_core: Option<u32>,
}

/// pyxis container options, passed to the backend as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// `--container-image`.
    pub image: Option<String>,
    /// `--container-mounts` (`SRC:DST[:FLAGS]`, comma separated).
    pub mounts: Vec<String>,
    /// `--container-workdir`.
    pub workdir: Option<String>,
    /// `--container-name`.
    pub name: Option<String>,
    /// `--container-env` (variable names to take from the host environment).
    pub env: Vec<String>,
    /// `false` after `--no-container-mount-home`.
    pub mount_home: bool,
}

impl JobSpec {
    /// The minimum number of nodes the job needs (Slurm's default is one).
    pub fn min_nodes(&self) -> u32 {
        self.nodes.as_ref().map_or(1, NodeRange::min)
    }

    /// The number of tasks, as Slurm derives it when `--ntasks` is absent:
    /// `--ntasks-per-node` times the node count, else one per node.
    pub fn tasks(&self) -> u32 {
        if let Some(n) = self.ntasks {
            return n;
        }
        let nodes = self.min_nodes().max(1);
        match self.ntasks_per_node {
            Some(per_node) => per_node.saturating_mul(nodes),
            None => nodes,
        }
    }

    /// CPUs per task (Slurm's default is one).
    pub fn cpus_per_task(&self) -> u32 {
        self.cpus_per_task.unwrap_or(1)
    }

    /// True for a job array.
    pub fn is_array(&self) -> bool {
        self.array.is_some()
    }
}
