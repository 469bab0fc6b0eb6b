//! The inputs: what was asked ([`JobRequest`]), what was granted ([`Allocation`]) and host facts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sk8_spec::JobSpec;

/// The parts of a request that reach the environment, taken from a
/// [`JobSpec`] by [`JobRequest::from_spec`].
///
/// Options echoed as Slurm received them (`--gpus=a100:2` becomes
/// `SLURM_GPUS=a100:2`) are kept as text so the echo is exactly what the user
/// typed, whatever canonical form the value types settle on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequest {
    /// `--job-name` (resolved).
    pub name: String,
    /// The submitting user's name.
    pub user: String,
    /// Numeric user id.
    pub uid: u32,
    /// Numeric group id.
    pub gid: u32,
    /// Where `sbatch` ran.
    pub submit_dir: String,
    /// The host `sbatch` ran on.
    pub submit_host: String,
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
    /// `--threads-per-core`.
    pub threads_per_core: Option<u32>,
    /// `--cpus-per-gpu`.
    pub cpus_per_gpu: Option<u32>,
    /// `--distribution`, as given (`SLURM_DISTRIBUTION`).
    pub distribution: Option<String>,
    /// `--gpus` as given (`SLURM_GPUS`).
    pub gpus: Option<String>,
    /// `--gpus-per-node` as given.
    pub gpus_per_node: Option<String>,
    /// `--gpus-per-task` as given.
    pub gpus_per_task: Option<String>,
    /// `--gpus-per-socket` as given.
    pub gpus_per_socket: Option<String>,
    /// `--export`, as given, unless it is `ALL` (`SLURM_EXPORT_ENV`).
    pub export: Option<String>,
    /// `--get-user-env` given, or implied by `--export=NONE` (`SLURM_GET_USER_ENV=1`).
    pub get_user_env: bool,
    /// `--open-mode`: `true` for append (`SLURM_OPEN_MODE=a`), `false` for truncate.
    pub open_append: Option<bool>,
    /// `--dependency` as given (`SLURM_JOB_DEPENDENCY`).
    pub dependency: Option<String>,
    /// The environment the job receives after `--export` (sorted).
    pub environment: BTreeMap<String, String>,
}

impl JobRequest {
    /// Takes from `spec` every field the environment needs.
    ///
    /// The echoed option texts (`distribution`, `gpus*`, `export`,
    /// `dependency`) are the values' canonical forms, which is what the user
    /// typed for every usual spelling (`block`, `a100:2`, `NONE`,
    /// `afterok:12`).
    #[must_use]
    pub fn from_spec(spec: &JobSpec) -> Self {
        Self {
            name: spec.name.clone(),
            user: spec.user.clone(),
            uid: spec.uid,
            gid: spec.gid,
            submit_dir: spec.submit_dir.clone(),
            submit_host: spec.submit_host.clone(),
            ntasks: spec.ntasks,
            cpus_per_task: spec.cpus_per_task,
            ntasks_per_node: spec.ntasks_per_node,
            ntasks_per_socket: spec.ntasks_per_socket,
            ntasks_per_core: spec.ntasks_per_core,
            ntasks_per_gpu: spec.ntasks_per_gpu,
            threads_per_core: spec.topology.threads_per_core,
            cpus_per_gpu: spec.cpus_per_gpu,
            get_user_env: spec.get_user_env.is_some()
                || matches!(
                    spec.export,
                    sk8_spec::ExportSpec::None | sk8_spec::ExportSpec::List(_)
                ),
            distribution: spec.distribution.as_ref().map(ToString::to_string),
            gpus: spec.gpus.as_ref().map(ToString::to_string),
            gpus_per_node: spec.gpus_per_node.as_ref().map(ToString::to_string),
            gpus_per_task: spec.gpus_per_task.as_ref().map(ToString::to_string),
            gpus_per_socket: spec.gpus_per_socket.as_ref().map(ToString::to_string),
            export: (spec.export != sk8_spec::ExportSpec::All).then(|| spec.export.to_string()),
            open_append: spec.open_mode.map(|m| m == sk8_spec::OpenMode::Append),
            dependency: spec.dependency.as_ref().map(ToString::to_string),
            environment: spec.environment.clone(),
        }
    }
}

/// One allocated node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The node's name (a pod hostname on Kubernetes).
    pub name: String,
    /// Its address (`SKYPILOT_NODE_IPS`).
    pub addr: String,
    /// CPUs allocated to the job on this node.
    pub cpus: u32,
    /// GPU device indices allocated to the job on this node.
    pub gpus: Vec<u32>,
}

/// The array task this job is, with the figures of its whole array.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayTask {
    /// `SLURM_ARRAY_JOB_ID`: the job id of the array's first task.
    pub job_id: u32,
    /// `SLURM_ARRAY_TASK_ID`.
    pub task_id: u32,
    /// `SLURM_ARRAY_TASK_COUNT`.
    pub count: u32,
    /// `SLURM_ARRAY_TASK_MIN`.
    pub min: u32,
    /// `SLURM_ARRAY_TASK_MAX`.
    pub max: u32,
    /// `SLURM_ARRAY_TASK_STEP`.
    pub step: u32,
}

/// Memory granted, in megabytes, in the form the job asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemoryGrant {
    /// `--mem` (`SLURM_MEM_PER_NODE`).
    PerNode(u64),
    /// `--mem-per-cpu` (`SLURM_MEM_PER_CPU`).
    PerCpu(u64),
    /// `--mem-per-gpu` (`SLURM_MEM_PER_GPU`).
    PerGpu(u64),
}

/// What the scheduler granted: the job as it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The job id (an array task's own id).
    pub job_id: u32,
    /// `SLURM_CLUSTER_NAME`.
    pub cluster: String,
    /// The partition the job runs in (the default one when none was asked).
    pub partition: String,
    /// The account charged, when the backend knows one.
    pub account: Option<String>,
    /// The QOS, when the backend knows one.
    pub qos: Option<String>,
    /// `--reservation`, when the job runs in one.
    pub reservation: Option<String>,
    /// Nodes in allocation order; the first runs the batch script.
    pub nodes: Vec<Node>,
    /// Set for array tasks.
    pub array: Option<ArrayTask>,
    /// Memory, when the job asked for some.
    pub memory: Option<MemoryGrant>,
    /// Start and end time (unix seconds). Slurm 22.05 exports neither; when
    /// set, `SLURM_JOB_START_TIME`/`SLURM_JOB_END_TIME` follow Slurm 23.02.
    pub times: Option<(u64, u64)>,
}

impl Allocation {
    /// CPUs per node in allocation order.
    #[must_use]
    pub fn cpus_per_node(&self) -> Vec<u32> {
        self.nodes.iter().map(|n| n.cpus).collect()
    }

    /// Node names in allocation order.
    #[must_use]
    pub fn node_names(&self) -> Vec<&str> {
        self.nodes.iter().map(|n| n.name.as_str()).collect()
    }
}

/// Values only the node running the job knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// `SLURM_CONF`.
    pub conf_path: String,
    /// `SLURM_PRIO_PROCESS`: the submitter's nice value.
    pub prio_process: i32,
    /// `SLURM_UMASK` as `srun` propagates it (`0022`).
    pub umask: u32,
    /// `SLURM_WORKING_CLUSTER` (`cluster:host:port:protocol:flags`), when known.
    pub working_cluster: Option<String>,
    /// `SLURM_NODE_ALIASES`; Slurm prints `(null)` when there are none.
    pub node_aliases: Option<String>,
    /// GPUs appear renumbered from 0 on each node (device cgroups, Kubernetes
    /// device plugins), so `CUDA_VISIBLE_DEVICES` counts locally.
    pub gpus_renumbered: bool,
}

impl Default for HostFacts {
    fn default() -> Self {
        Self {
            conf_path: "/etc/slurm/slurm.conf".into(),
            prio_process: 0,
            umask: 0o022,
            working_cluster: None,
            node_aliases: None,
            gpus_renumbered: false,
        }
    }
}
