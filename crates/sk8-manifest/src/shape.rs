//! What each node (pod) of a job needs: tasks, CPUs, memory, GPUs, derived from the `JobSpec`.

use sk8_spec::JobSpec;
use sk8_spec::job::Memory;

use crate::render::RenderError;

/// The needs of one node of a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeShape {
    /// Tasks placed on the node.
    pub tasks: u32,
    /// CPUs (tasks x cpus-per-task, at least `--mincpus`, at least GPUs x `--cpus-per-gpu`).
    pub cpus: u32,
    /// Memory in MiB; `None` when not requested (or `--mem=0`, a whole node).
    pub memory_mb: Option<u64>,
    /// GPUs.
    pub gpus: u32,
}

/// The GPU type asked for, lower-cased, if one (and only one) was named.
pub fn gpu_type(spec: &JobSpec) -> Result<Option<String>, RenderError> {
    let mut kinds: Vec<String> = Vec::new();
    if let Some(g) = &spec.gres {
        kinds.extend(
            g.gpus()
                .filter_map(|g| g.kind())
                .map(str::to_ascii_lowercase),
        );
    }
    for s in [
        &spec.gpus,
        &spec.gpus_per_node,
        &spec.gpus_per_task,
        &spec.gpus_per_socket,
    ]
    .into_iter()
    .flatten()
    {
        kinds.extend(
            s.items()
                .iter()
                .filter_map(|i| i.kind.as_deref())
                .map(str::to_ascii_lowercase),
        );
    }
    kinds.sort();
    kinds.dedup();
    match kinds.len() {
        0 => Ok(None),
        1 => Ok(kinds.pop()),
        _ => Err(RenderError::Unsupported(format!(
            "more than one GPU type (`{}`)",
            kinds.join("`, `")
        ))),
    }
}

/// Spreads `total` over `n` as evenly as possible, the first ones getting the remainder.
fn spread(total: u64, n: u32, i: u32) -> u64 {
    let n = u64::from(n.max(1));
    total / n + u64::from(u64::from(i) < total % n)
}

/// The needs of each of the job's `spec.min_nodes()` nodes, in rank order.
///
/// Tasks: `--ntasks-per-node`, else `--ntasks` spread block-wise (the first
/// nodes get one more), else one per node. GPUs: the largest of `--gres=gpu`
/// and `--gpus-per-node` (per node), `--gpus` (spread over the nodes) and
/// `--gpus-per-task` x tasks. `--gpus-per-socket` needs sockets, which pods
/// do not have: refused.
pub fn node_shapes(spec: &JobSpec) -> Result<Vec<NodeShape>, RenderError> {
    if spec.gpus_per_socket.is_some() {
        return Err(RenderError::Unsupported("--gpus-per-socket".into()));
    }
    if let Some(g) = &spec.gres
        && let Some(other) = g.items().iter().find(|g| !g.is_gpu() && g.count() > 0)
    {
        return Err(RenderError::Unsupported(format!("--gres={other}")));
    }
    let nodes = spec.min_nodes().max(1);
    let total_tasks = spec.tasks();
    let cpt = spec.cpus_per_task().max(1);
    let gres_gpus: u64 = spec
        .gres
        .as_ref()
        .map_or(0, |g| g.gpus().map(|g| g.count()).sum());
    let per_node_gpus = spec
        .gpus_per_node
        .as_ref()
        .map_or(0, |g| g.total())
        .max(gres_gpus);
    let job_gpus = spec.gpus.as_ref().map_or(0, |g| g.total());
    let per_task_gpus = spec.gpus_per_task.as_ref().map_or(0, |g| g.total());
    (0..nodes)
        .map(|i| {
            let tasks = match (spec.ntasks_per_node, spec.ntasks) {
                (Some(per), _) => per,
                (None, Some(_)) => {
                    u32::try_from(spread(u64::from(total_tasks), nodes, i)).unwrap_or(u32::MAX)
                }
                (None, None) => 1,
            };
            let gpus = per_node_gpus
                .max(spread(job_gpus, nodes, i))
                .max(per_task_gpus.saturating_mul(u64::from(tasks)));
            let gpus = u32::try_from(gpus)
                .map_err(|_| RenderError::Invalid(format!("too many GPUs: `{gpus}`")))?;
            let mut cpus = tasks
                .max(1)
                .saturating_mul(cpt)
                .max(spec.mincpus.unwrap_or(0));
            if let Some(cpg) = spec.cpus_per_gpu {
                cpus = cpus.max(gpus.saturating_mul(cpg));
            }
            let memory_mb = match &spec.memory {
                None => None,
                Some(Memory::PerNode(m)) if m.is_all() => None,
                Some(Memory::PerNode(m)) => Some(m.megabytes()),
                Some(Memory::PerCpu(m)) => Some(m.megabytes().saturating_mul(u64::from(cpus))),
                Some(Memory::PerGpu(m)) => {
                    if gpus == 0 {
                        return Err(RenderError::Invalid("--mem-per-gpu without GPUs".into()));
                    }
                    Some(m.megabytes().saturating_mul(u64::from(gpus)))
                }
            };
            Ok(NodeShape {
                tasks,
                cpus,
                memory_mb,
                gpus,
            })
        })
        .collect()
}
