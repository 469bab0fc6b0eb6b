//! The `SLURM_*` and `SKYPILOT_*` environment of batch scripts, steps and tasks, as Slurm 22.05 sets it.
//!
//! Pure: everything host-specific (process ids, ports, addresses, the
//! submitter's nice value) comes in as arguments, so the same inputs always
//! give the same, name-sorted [`Env`].
//!
//! - [`batch_env`]: the batch script (task 0 of the batch step, first node).
//! - [`step_env`] + [`task_env`], layered over the batch environment by
//!   [`compose`]: what each task of an `srun` sees. [`StepLayout::plan`] lays
//!   the step out as `srun` does.
//! - [`skypilot_env`]: the SkyPilot names of DESIGN.md §5.
//! - [`tasks_per_node_string`]: Slurm's `2(x3),1` rendering.
//!
//! The reference dumps in `tests/fixtures/` were captured from real Slurm
//! 22.05 and are compared name by name and value by value in the tests.
//!
//! # Variables we set
//!
//! Batch script: `ENVIRONMENT=BATCH`, `HOSTNAME`, `SLURMD_NODENAME`,
//! `SLURM_ARRAY_JOB_ID`, `SLURM_ARRAY_TASK_COUNT`, `SLURM_ARRAY_TASK_ID`,
//! `SLURM_ARRAY_TASK_MAX`, `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_STEP`
//! (arrays), `SLURM_CLUSTER_NAME`, `SLURM_CONF`, `SLURM_CPUS_ON_NODE`,
//! `SLURM_CPUS_PER_TASK` (only with `-c`), `SLURM_GTIDS`, `SLURM_JOBID`,
//! `SLURM_JOB_ACCOUNT`, `SLURM_JOB_CPUS_PER_NODE`, `SLURM_JOB_GID`,
//! `SLURM_JOB_ID`, `SLURM_JOB_NAME`, `SLURM_JOB_NODELIST`,
//! `SLURM_JOB_NUM_NODES`, `SLURM_JOB_PARTITION`, `SLURM_JOB_QOS`,
//! `SLURM_JOB_RESERVATION`, `SLURM_JOB_UID`, `SLURM_JOB_USER`,
//! `SLURM_LOCALID`, `SLURM_MEM_PER_CPU` / `SLURM_MEM_PER_NODE` /
//! `SLURM_MEM_PER_GPU`, `SLURM_NNODES`, `SLURM_NODEID`, `SLURM_NODELIST`,
//! `SLURM_NODE_ALIASES`, `SLURM_NTASKS` and `SLURM_NPROCS` (only with `-n` or
//! `--ntasks-per-node`), `SLURM_NTASKS_PER_{NODE,SOCKET,CORE,GPU}`,
//! `SLURM_THREADS_PER_CORE`, `SLURM_DISTRIBUTION` (only when given),
//! `SLURM_PRIO_PROCESS`, `SLURM_PROCID`, `SLURM_SUBMIT_DIR`,
//! `SLURM_SUBMIT_HOST`, `SLURM_TASKS_PER_NODE`, `SLURM_TASK_PID`,
//! `SLURM_TOPOLOGY_ADDR`, `SLURM_TOPOLOGY_ADDR_PATTERN`,
//! `SLURM_WORKING_CLUSTER`, `SLURM_EXPORT_ENV` (unless `ALL`),
//! `SLURM_GET_USER_ENV`, `SLURM_OPEN_MODE`, `SLURM_JOB_DEPENDENCY`; with GPUs
//! `SLURM_GPUS`, `SLURM_GPUS_PER_{NODE,TASK,SOCKET}`, `SLURM_CPUS_PER_GPU`
//! (echoes of the request), `SLURM_JOB_GPUS`, `SLURM_GPUS_ON_NODE`,
//! `CUDA_VISIBLE_DEVICES`; with [`Allocation::times`] Slurm 23.02's
//! `SLURM_JOB_START_TIME`/`SLURM_JOB_END_TIME`.
//!
//! Step (on top of the inherited batch environment): `SLURM_STEP_ID`,
//! `SLURM_STEPID`, `SLURM_STEP_NODELIST`, `SLURM_STEP_NUM_NODES`,
//! `SLURM_STEP_NUM_TASKS`, `SLURM_STEP_TASKS_PER_NODE`,
//! `SLURM_STEP_LAUNCHER_PORT`, `SLURM_SRUN_COMM_HOST`,
//! `SLURM_SRUN_COMM_PORT`, `SLURM_LAUNCH_NODE_IPADDR`, `SLURM_NODELIST` (the
//! allocation's, as `srun` sets it), `SLURM_NNODES` and `SLURM_JOB_NUM_NODES`
//! (the step's node count, as `srun` sets them), `SLURM_NTASKS`, `SLURM_NPROCS`,
//! `SLURM_TASKS_PER_NODE` (the step's), `SLURM_DISTRIBUTION`,
//! `SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_0`, `SLURM_UMASK`, `SRUN_DEBUG`,
//! `SLURM_LABELIO` (`-l`), `SLURM_OVERCOMMIT` (`-O`), `SLURM_CPUS_PER_TASK`
//! and `SLURM_NTASKS_PER_NODE` (when given to `srun`).
//!
//! Task: `SLURM_PROCID`, `SLURM_LOCALID`, `SLURM_NODEID`, `SLURM_GTIDS`,
//! `SLURM_TASK_PID`, `SLURMD_NODENAME`, `SLURM_TOPOLOGY_ADDR`,
//! `SLURM_TOPOLOGY_ADDR_PATTERN`, `SLURM_CPUS_ON_NODE`; with GPUs
//! `SLURM_STEP_GPUS`, `SLURM_GPUS_ON_NODE`, `CUDA_VISIBLE_DEVICES`.
//!
//! SkyPilot: `SKYPILOT_NODE_IPS`, `SKYPILOT_NUM_NODES`, `SKYPILOT_NODE_RANK`,
//! `SKYPILOT_NUM_GPUS_PER_NODE`, `SKYPILOT_TASK_ID`.
//!
//! # What Slurm sets and we do not
//!
//! - `TMPDIR`: `slurmstepd` sets `/tmp` when unset; a host matter, and under
//!   `--export=NONE` 22.05 sets it for task 0 only (a quirk not worth copying).
//! - `SLURM_RLIMIT_*`, and `SLURM_UMASK` in the batch script: `sbatch`
//!   propagates them and `slurmstepd` consumes and removes them.
//! - `SLURM_CPU_BIND*`, `SLURM_MEM_BIND*`, `SLURM_CPU_FREQ_REQ`: need the
//!   `task/affinity` plugin (the reference runs `task/none`); binding is the
//!   container runtime's job on Kubernetes.
//! - `SLURM_STEP_RESV_PORTS`, `SLURM_PTY_*`, `SLURM_RESTART_COUNT`,
//!   `SLURM_SPANK_*`, `SLURM_PROFILE`, `SLURM_ACCTG_FREQ`, `SLURM_CONTAINER`,
//!   `SLURM_ARBITRARY_NODELIST`, `SLURM_DIST_PLANESIZE`, `*_HET_GROUP_*`
//!   (heterogeneous jobs), `SLURM_GPU_BIND`, `SLURM_GPU_FREQ`,
//!   `ROCR_VISIBLE_DEVICES`, `ZE_AFFINITY_MASK`, `GPU_DEVICE_ORDINAL`: options
//!   or plugins no backend offers yet.
//! - The login environment `--export=NONE`/`--get-user-env` loads (`su -
//!   user`): the caller resolves it into [`JobRequest::environment`].
//! - `SLURM_JOB_START_TIME`/`SLURM_JOB_END_TIME` only on request (23.02+).
//!
//! Observed on the reference and kept: no `SBATCH_*` variable reaches the
//! job; `PWD` follows `--chdir` but nothing `SLURM_*` does; `-t` sets nothing;
//! `srun` does not read the job's `SLURM_CPUS_PER_TASK` (22.05 reads
//! `SRUN_CPUS_PER_TASK`), so a step's layout ignores the job's `-c`.

mod alloc;
mod env;
mod layout;

pub use alloc::{Allocation, ArrayTask, HostFacts, JobRequest, MemoryGrant, Node};
pub use env::{
    Env, LaunchFacts, StepLayout, StepRequest, batch_env, compose, job_tasks_per_node, salloc_env,
    skypilot_env, step_env, task_env,
};
pub use layout::{
    Counts, CountsError, block_counts, block_tasks, cyclic_tasks, tasks_per_node_string,
};
