//! The variables themselves: batch script, step, task and SkyPilot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alloc::{Allocation, HostFacts, JobRequest, MemoryGrant};
use crate::layout::{block_counts, block_tasks, cyclic_tasks, tasks_per_node_string};
use sk8_hostlist::compress;

/// An environment: names and values, sorted by name.
pub type Env = Vec<(String, String)>;

/// Collects variables; a later `set` of the same name wins, as `setenv` does.
#[derive(Default)]
struct Vars(BTreeMap<String, String>);

impl Vars {
    fn set(&mut self, name: &str, value: impl ToString) {
        self.0.insert(name.to_string(), value.to_string());
    }

    fn opt(&mut self, name: &str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.set(name, v);
        }
    }

    fn into_env(self) -> Env {
        self.0.into_iter().collect()
    }
}

fn join(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// Tasks of the job as the batch script sees them: `--ntasks`, else
/// `--ntasks-per-node` times the nodes granted.
fn job_ntasks(req: &JobRequest, alloc: &Allocation) -> Option<u32> {
    req.ntasks.or_else(|| {
        let nodes = u32::try_from(alloc.nodes.len()).unwrap_or(u32::MAX);
        req.ntasks_per_node.map(|t| t.saturating_mul(nodes))
    })
}

/// Tasks per node of the job's implicit block layout (`SLURM_TASKS_PER_NODE`):
/// without `--ntasks`, as many tasks as the CPUs hold.
#[must_use]
pub fn job_tasks_per_node(req: &JobRequest, alloc: &Allocation) -> Vec<u32> {
    let cpt = req.cpus_per_task.unwrap_or(1).max(1);
    let cpus = alloc.cpus_per_node();
    let ntasks =
        job_ntasks(req, alloc).unwrap_or_else(|| cpus.iter().map(|c| c / cpt).sum::<u32>());
    block_counts(&cpus, cpt, ntasks)
}

/// Options `sbatch` echoes into the job's environment for `srun` to read back.
fn request_echo(v: &mut Vars, req: &JobRequest, alloc: &Allocation) {
    v.opt("SLURM_CPUS_PER_TASK", req.cpus_per_task);
    v.opt("SLURM_DISTRIBUTION", req.distribution.as_ref());
    if let Some(n) = job_ntasks(req, alloc) {
        v.set("SLURM_NTASKS", n);
        v.set("SLURM_NPROCS", n);
    }
    v.opt("SLURM_NTASKS_PER_CORE", req.ntasks_per_core);
    v.opt("SLURM_NTASKS_PER_GPU", req.ntasks_per_gpu);
    v.opt("SLURM_NTASKS_PER_NODE", req.ntasks_per_node);
    v.opt("SLURM_NTASKS_PER_SOCKET", req.ntasks_per_socket);
    v.opt("SLURM_THREADS_PER_CORE", req.threads_per_core);
    v.opt("SLURM_CPUS_PER_GPU", req.cpus_per_gpu);
    v.opt("SLURM_GPUS", req.gpus.as_ref());
    v.opt("SLURM_GPUS_PER_NODE", req.gpus_per_node.as_ref());
    v.opt("SLURM_GPUS_PER_SOCKET", req.gpus_per_socket.as_ref());
    v.opt("SLURM_GPUS_PER_TASK", req.gpus_per_task.as_ref());
    v.opt(
        "SLURM_EXPORT_ENV",
        req.export
            .as_ref()
            .filter(|e| !e.eq_ignore_ascii_case("ALL")),
    );
    if req.get_user_env {
        v.set("SLURM_GET_USER_ENV", 1);
    }
    v.opt(
        "SLURM_OPEN_MODE",
        req.open_append.map(|a| if a { "a" } else { "t" }),
    );
    v.opt("SLURM_JOB_DEPENDENCY", req.dependency.as_ref());
}

/// GPU variables of one node: `SLURM_JOB_GPUS` (batch) or `SLURM_STEP_GPUS`
/// (steps), `CUDA_VISIBLE_DEVICES`, `SLURM_GPUS_ON_NODE`.
fn gpu_vars(v: &mut Vars, gpus: &[u32], host: &HostFacts, list_name: &str) {
    if gpus.is_empty() {
        return;
    }
    v.set(list_name, join(gpus));
    let local: Vec<u32> = if host.gpus_renumbered {
        (0..u32::try_from(gpus.len()).unwrap_or(u32::MAX)).collect()
    } else {
        gpus.to_vec()
    };
    v.set("CUDA_VISIBLE_DEVICES", join(&local));
    v.set("SLURM_GPUS_ON_NODE", gpus.len());
}

/// The environment `salloc` gives the command it runs: the batch
/// environment without what only slurmd/slurmstepd set on a compute node
/// (task ids, node name, topology, the job's user and ids, the working
/// cluster) — what Slurm 22.05's salloc sets, compared in
/// `tests/env/salloc.rs`.
#[must_use]
pub fn salloc_env(req: &JobRequest, alloc: &Allocation, host: &HostFacts) -> Env {
    const NODE_ONLY: [&str; 14] = [
        "SLURMD_NODENAME",
        "SLURM_CPUS_ON_NODE",
        "SLURM_GTIDS",
        "SLURM_JOB_GID",
        "SLURM_JOB_UID",
        "SLURM_JOB_USER",
        "SLURM_LOCALID",
        "SLURM_NODEID",
        "SLURM_PRIO_PROCESS",
        "SLURM_PROCID",
        "SLURM_TASK_PID",
        "SLURM_TOPOLOGY_ADDR",
        "SLURM_TOPOLOGY_ADDR_PATTERN",
        "SLURM_WORKING_CLUSTER",
    ];
    batch_env(req, alloc, host, 0)
        .into_iter()
        .filter(|(k, _)| !NODE_ONLY.contains(&k.as_str()))
        .collect()
}

/// The environment of the batch script, run on the allocation's first node
/// as task 0 with process id `task_pid`.
///
/// Starts from the request's exported environment, then lays on what
/// `sbatch`, `slurmd` and `slurmstepd` set, in that order.
#[must_use]
pub fn batch_env(req: &JobRequest, alloc: &Allocation, host: &HostFacts, task_pid: u32) -> Env {
    let mut v = Vars(req.environment.clone());
    // What sbatch adds to the submitted environment.
    v.set("SLURM_SUBMIT_DIR", &req.submit_dir);
    v.set("SLURM_SUBMIT_HOST", &req.submit_host);
    v.set("SLURM_JOB_NAME", &req.name);
    v.set("SLURM_PRIO_PROCESS", host.prio_process);
    request_echo(&mut v, req, alloc);
    if let Some(MemoryGrant::PerGpu(mb)) = alloc.memory {
        v.set("SLURM_MEM_PER_GPU", mb);
    }

    // What slurmd derives from the allocation.
    let nodelist = compress(&alloc.node_names());
    let nnodes = alloc.nodes.len();
    v.set("SLURM_CLUSTER_NAME", &alloc.cluster);
    v.set("SLURM_JOB_ID", alloc.job_id);
    v.set("SLURM_JOBID", alloc.job_id);
    v.set("SLURM_JOB_NUM_NODES", nnodes);
    v.set("SLURM_NNODES", nnodes);
    v.set("SLURM_JOB_NODELIST", &nodelist);
    v.set("SLURM_NODELIST", &nodelist);
    v.set("SLURM_JOB_PARTITION", &alloc.partition);
    v.set(
        "SLURM_NODE_ALIASES",
        host.node_aliases.as_deref().unwrap_or("(null)"),
    );
    v.set(
        "SLURM_JOB_CPUS_PER_NODE",
        tasks_per_node_string(&alloc.cpus_per_node()),
    );
    v.set(
        "SLURM_TASKS_PER_NODE",
        tasks_per_node_string(&job_tasks_per_node(req, alloc)),
    );
    v.set("ENVIRONMENT", "BATCH");
    if let Some(a) = &alloc.array {
        v.set("SLURM_ARRAY_JOB_ID", a.job_id);
        v.set("SLURM_ARRAY_TASK_ID", a.task_id);
        v.set("SLURM_ARRAY_TASK_COUNT", a.count);
        v.set("SLURM_ARRAY_TASK_MIN", a.min);
        v.set("SLURM_ARRAY_TASK_MAX", a.max);
        v.set("SLURM_ARRAY_TASK_STEP", a.step);
    }
    match alloc.memory {
        Some(MemoryGrant::PerNode(mb)) => v.set("SLURM_MEM_PER_NODE", mb),
        Some(MemoryGrant::PerCpu(mb)) => v.set("SLURM_MEM_PER_CPU", mb),
        _ => {}
    }
    v.opt("SLURM_JOB_ACCOUNT", alloc.account.as_ref());
    v.opt("SLURM_JOB_QOS", alloc.qos.as_ref());
    v.opt("SLURM_JOB_RESERVATION", alloc.reservation.as_ref());
    if let Some((start, end)) = alloc.times {
        v.set("SLURM_JOB_START_TIME", start);
        v.set("SLURM_JOB_END_TIME", end);
    }

    // What slurmstepd sets for the batch step, task 0 on the first node.
    if let Some(first) = alloc.nodes.first() {
        v.set("HOSTNAME", &first.name);
        v.set("SLURMD_NODENAME", &first.name);
        v.set("SLURM_TOPOLOGY_ADDR", &first.name);
        v.set("SLURM_CPUS_ON_NODE", first.cpus);
        gpu_vars(&mut v, &first.gpus, host, "SLURM_JOB_GPUS");
    }
    v.set("SLURM_TOPOLOGY_ADDR_PATTERN", "node");
    v.set("SLURM_JOB_UID", req.uid);
    v.set("SLURM_JOB_USER", &req.user);
    v.set("SLURM_JOB_GID", req.gid);
    v.set("SLURM_CONF", &host.conf_path);
    v.opt("SLURM_WORKING_CLUSTER", host.working_cluster.as_ref());
    v.set("SLURM_PROCID", 0);
    v.set("SLURM_LOCALID", 0);
    v.set("SLURM_NODEID", 0);
    v.set("SLURM_GTIDS", 0);
    v.set("SLURM_TASK_PID", task_pid);
    v.into_env()
}

/// What one `srun` asks for; unset fields fall back to the job's values
/// (which `srun` reads from the batch environment).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRequest {
    /// `-n`.
    pub ntasks: Option<u32>,
    /// `-N`.
    pub nodes: Option<u32>,
    /// `-c` (or `SRUN_CPUS_PER_TASK`); the job's `-c` is not inherited.
    pub cpus_per_task: Option<u32>,
    /// `--ntasks-per-node`.
    pub ntasks_per_node: Option<u32>,
    /// `-m`: `block` or `cyclic`; other forms are laid out as block.
    pub distribution: Option<String>,
    /// `-l` (`SLURM_LABELIO=1`).
    pub label: bool,
    /// `-O` (`SLURM_OVERCOMMIT=1`).
    pub overcommit: bool,
    /// `--exact`: the step gets only the CPUs its tasks need, not all of the
    /// job's CPUs on each node (`SLURM_CPUS_ON_NODE`).
    pub exact: bool,
}

/// Where a step's tasks run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLayout {
    /// `SLURM_STEP_ID`.
    pub step_id: u32,
    /// Indices into [`Allocation::nodes`] of the nodes the step uses.
    pub nodes: Vec<usize>,
    /// Global task ids on each of those nodes.
    pub tasks: Vec<Vec<u32>>,
    /// `SLURM_DISTRIBUTION`.
    pub distribution: String,
    /// CPUs the step holds on each of its nodes (`SLURM_CPUS_ON_NODE`).
    pub cpus: Vec<u32>,
}

impl StepLayout {
    /// Lays a step out the way `srun` inside a job does: the first `-N`
    /// nodes (by default as many as there are tasks, at most all), `-n`
    /// tasks (by default the job's, else one per node), `cyclic` when there
    /// are no more tasks than nodes and `block` otherwise.
    #[must_use]
    pub fn plan(req: &JobRequest, alloc: &Allocation, step_id: u32, step: &StepRequest) -> Self {
        let all = u32::try_from(alloc.nodes.len()).unwrap_or(u32::MAX);
        let per_node = step.ntasks_per_node.or(req.ntasks_per_node);
        let ntasks = step
            .ntasks
            .or_else(|| step.nodes.zip(per_node).map(|(n, t)| n * t))
            .or_else(|| job_ntasks(req, alloc))
            .unwrap_or_else(|| step.nodes.unwrap_or(all));
        let nnodes = step
            .nodes
            .unwrap_or_else(|| ntasks.clamp(1, all.max(1)).min(all));
        let nnodes = usize::try_from(nnodes)
            .unwrap_or(usize::MAX)
            .min(alloc.nodes.len());
        let cpus: Vec<u32> = alloc.nodes[..nnodes].iter().map(|n| n.cpus).collect();
        // Since 22.05 srun reads `SRUN_CPUS_PER_TASK`, not the job's `SLURM_CPUS_PER_TASK`.
        let cpt = step.cpus_per_task.unwrap_or(1);
        let distribution = step
            .distribution
            .clone()
            .or_else(|| req.distribution.clone())
            .unwrap_or_else(|| {
                if ntasks as usize <= nnodes {
                    "cyclic"
                } else {
                    "block"
                }
                .to_string()
            });
        let tasks = if distribution.starts_with("cyclic") {
            cyclic_tasks(&cpus, cpt, ntasks)
        } else if let Some(t) = per_node {
            let mut left = ntasks;
            let counts: Vec<u32> = cpus
                .iter()
                .map(|_| {
                    let c = t.min(left);
                    left -= c;
                    c
                })
                .collect();
            block_tasks(&counts)
        } else {
            block_tasks(&block_counts(&cpus, cpt, ntasks))
        };
        let cpus = if step.exact {
            tasks
                .iter()
                .map(|t| u32::try_from(t.len()).unwrap_or(u32::MAX) * cpt.max(1))
                .collect()
        } else {
            cpus
        };
        Self {
            step_id,
            nodes: (0..nnodes).collect(),
            tasks,
            distribution,
            cpus,
        }
    }

    /// Tasks in the step.
    #[must_use]
    pub fn ntasks(&self) -> u32 {
        self.tasks
            .iter()
            .map(|t| u32::try_from(t.len()).unwrap_or(u32::MAX))
            .sum()
    }

    /// Tasks per node used.
    #[must_use]
    pub fn counts(&self) -> Vec<u32> {
        self.tasks
            .iter()
            .map(|t| u32::try_from(t.len()).unwrap_or(u32::MAX))
            .collect()
    }
}

/// Values only the `srun` process knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchFacts {
    /// `srun`'s address (`SLURM_SRUN_COMM_HOST`, `SLURM_LAUNCH_NODE_IPADDR`).
    pub srun_addr: String,
    /// `srun`'s I/O port (`SLURM_SRUN_COMM_PORT`, `SLURM_STEP_LAUNCHER_PORT`).
    pub port: u16,
}

/// What `srun` adds to (or overrides in) its inherited environment for the
/// whole step; [`task_env`] adds the per-task part and [`compose`] layers them.
#[must_use]
pub fn step_env(
    step_req: &StepRequest,
    alloc: &Allocation,
    layout: &StepLayout,
    host: &HostFacts,
    launch: &LaunchFacts,
) -> Env {
    let mut v = Vars::default();
    let names: Vec<&str> = layout
        .nodes
        .iter()
        .map(|&i| alloc.nodes[i].name.as_str())
        .collect();
    let nodelist = compress(&names);
    let tpn = tasks_per_node_string(&layout.counts());
    let ntasks = layout.ntasks();
    v.set("SLURM_STEP_ID", layout.step_id);
    v.set("SLURM_STEPID", layout.step_id);
    v.set("SLURM_STEP_NODELIST", &nodelist);
    // srun's own `SLURM_NODELIST` is the allocation's, not the step's.
    v.set("SLURM_NODELIST", compress(&alloc.node_names()));
    v.set("SLURM_STEP_NUM_NODES", names.len());
    v.set("SLURM_NNODES", names.len());
    v.set("SLURM_JOB_NUM_NODES", names.len());
    v.set("SLURM_STEP_NUM_TASKS", ntasks);
    v.set("SLURM_NTASKS", ntasks);
    v.set("SLURM_NPROCS", ntasks);
    v.set("SLURM_STEP_TASKS_PER_NODE", &tpn);
    v.set("SLURM_TASKS_PER_NODE", &tpn);
    v.set("SLURM_DISTRIBUTION", &layout.distribution);
    v.opt("SLURM_CPUS_PER_TASK", step_req.cpus_per_task);
    v.opt("SLURM_NTASKS_PER_NODE", step_req.ntasks_per_node);
    v.set(
        "SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_0",
        tasks_per_node_string(&alloc.cpus_per_node()),
    );
    v.set("SLURM_STEP_LAUNCHER_PORT", launch.port);
    v.set("SLURM_SRUN_COMM_PORT", launch.port);
    v.set("SLURM_SRUN_COMM_HOST", &launch.srun_addr);
    v.set("SLURM_LAUNCH_NODE_IPADDR", &launch.srun_addr);
    v.set("SLURM_UMASK", format!("0{:03o}", host.umask & 0o777));
    v.set("SRUN_DEBUG", 3);
    if step_req.label {
        v.set("SLURM_LABELIO", 1);
    }
    if step_req.overcommit {
        v.set("SLURM_OVERCOMMIT", 1);
    }
    v.into_env()
}

/// What `slurmstepd` sets for global task `task` of the step, or `None`
/// when the layout has no such task.
#[must_use]
pub fn task_env(
    alloc: &Allocation,
    layout: &StepLayout,
    host: &HostFacts,
    task: u32,
    task_pid: u32,
) -> Option<Env> {
    let (node_id, tids) = layout
        .tasks
        .iter()
        .enumerate()
        .find(|(_, t)| t.contains(&task))?;
    let node = &alloc.nodes[layout.nodes[node_id]];
    let local = tids.iter().position(|&t| t == task)?;
    let mut v = Vars::default();
    v.set("SLURM_PROCID", task);
    v.set("SLURM_LOCALID", local);
    v.set("SLURM_NODEID", node_id);
    v.set("SLURM_GTIDS", join(tids));
    v.set("SLURM_TASK_PID", task_pid);
    v.set("SLURMD_NODENAME", &node.name);
    v.set("SLURM_TOPOLOGY_ADDR", &node.name);
    v.set("SLURM_TOPOLOGY_ADDR_PATTERN", "node");
    v.set(
        "SLURM_CPUS_ON_NODE",
        layout.cpus.get(node_id).copied().unwrap_or(node.cpus),
    );
    gpu_vars(&mut v, &node.gpus, host, "SLURM_STEP_GPUS");
    Some(v.into_env())
}

/// The full environment of a task: `srun`'s inherited environment (the
/// batch script's) under the step's and the task's variables.
///
/// With `--export=NONE` in force (`SLURM_EXPORT_ENV=NONE` inherited), only
/// the `SLURM*` variables of `srun`'s environment reach the task, as Slurm's
/// `env_array_merge_slurm` does.
#[must_use]
pub fn compose(inherited: &Env, step: &Env, task: &Env) -> Env {
    let export_none = inherited
        .iter()
        .chain(step)
        .any(|(k, v)| k == "SLURM_EXPORT_ENV" && v.eq_ignore_ascii_case("NONE"));
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in inherited.iter().chain(step) {
        if export_none && !k.starts_with("SLURM") {
            continue;
        }
        // SLURM_JOB_NODELIST is appended by srun: an inherited value stays.
        if k == "SLURM_JOB_NODELIST" && map.contains_key(k) {
            continue;
        }
        map.insert(k.clone(), v.clone());
    }
    for (k, v) in task {
        map.insert(k.clone(), v.clone());
    }
    map.into_iter().collect()
}

/// The `SKYPILOT_*` family for one node of the job (DESIGN.md §5).
///
/// `SKYPILOT_NODE_IPS` lists every node's address, one per line, the head
/// node first; `SKYPILOT_NUM_GPUS_PER_NODE` is the GPUs of this node.
#[must_use]
pub fn skypilot_env(alloc: &Allocation, node_rank: usize) -> Env {
    let mut v = Vars::default();
    let ips: Vec<&str> = alloc.nodes.iter().map(|n| n.addr.as_str()).collect();
    v.set("SKYPILOT_NODE_IPS", ips.join("\n"));
    v.set("SKYPILOT_NUM_NODES", alloc.nodes.len());
    v.set("SKYPILOT_NODE_RANK", node_rank);
    let gpus = alloc.nodes.get(node_rank).map_or(0, |n| n.gpus.len());
    v.set("SKYPILOT_NUM_GPUS_PER_NODE", gpus);
    v.set("SKYPILOT_TASK_ID", alloc.job_id);
    v.into_env()
}
