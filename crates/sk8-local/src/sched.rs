//! The scheduler, pure: where a job fits (all-or-nothing across nodes), and
//! which pending jobs start in one pass (priority, then submit order, with
//! EASY backfill).
//!
//! Nothing here reads the clock or the database: the pass in `queue.rs`
//! gathers the nodes, the running jobs and the candidates, asks [`plan`], and
//! writes the decisions back.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sk8_spec::JobSpec;
use sk8_spec::job::{Memory, Sharing};

use crate::config::NodeConf;

/// What a job holds on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAlloc {
    /// The node.
    pub node: String,
    /// CPUs held.
    pub cpus: u32,
    /// Memory held, in megabytes.
    pub memory_mb: u64,
    /// GPU device indices held.
    pub gpus: Vec<u32>,
    /// Tasks of the job's layout placed here.
    pub tasks: u32,
    /// The whole node is the job's (`--exclusive`).
    pub exclusive: bool,
}

/// Memory asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemReq {
    /// Not asked: not tracked.
    None,
    /// Per node; 0 means all of it.
    PerNode(u64),
    /// Per allocated CPU.
    PerCpu(u64),
    /// Per allocated GPU.
    PerGpu(u64),
}

/// A job's resource request, in the scheduler's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Fewest nodes.
    pub min_nodes: u32,
    /// Most nodes (`None`: as many as needed).
    pub max_nodes: Option<u32>,
    /// Tasks.
    pub tasks: u32,
    /// CPUs per task.
    pub cpus_per_task: u32,
    /// `--ntasks-per-node`.
    pub ntasks_per_node: Option<u32>,
    /// True when the task count came from `--ntasks-per-node` (each node
    /// then takes exactly that many).
    pub tasks_from_per_node: bool,
    /// Memory.
    pub memory: MemReq,
    /// GPUs on every node.
    pub gpus_per_node: u32,
    /// GPUs per task.
    pub gpus_per_task: u32,
    /// GPUs for the whole job.
    pub gpus_total: u32,
    /// Whole nodes.
    pub exclusive: bool,
    /// Nodes that must be used.
    pub required: Vec<String>,
    /// Nodes that must not be used.
    pub excluded: Vec<String>,
    /// The nodes of the job's partition, in order.
    pub partition_nodes: Vec<String>,
}

impl Request {
    /// Derives the request from a spec, for a partition holding `partition_nodes`.
    pub fn from_spec(spec: &JobSpec, partition_nodes: &[String]) -> Result<Self, String> {
        let hosts = |e: &Option<String>| -> Result<Vec<String>, String> {
            match e {
                None => Ok(Vec::new()),
                Some(s) => sk8_hostlist::expand(s).map_err(|e| e.to_string()),
            }
        };
        let gpu_count = |g: &Option<sk8_spec::GpuSpec>| {
            g.as_ref()
                .map_or(0, |g| u32::try_from(g.total()).unwrap_or(u32::MAX))
        };
        let gres_gpus = spec.gres.as_ref().map_or(0, |g| {
            g.gpus()
                .map(|x| u32::try_from(x.count()).unwrap_or(u32::MAX))
                .sum::<u32>()
        });
        let memory = match &spec.memory {
            None => MemReq::None,
            Some(Memory::PerNode(m)) => MemReq::PerNode(m.megabytes()),
            Some(Memory::PerCpu(m)) => MemReq::PerCpu(m.megabytes()),
            Some(Memory::PerGpu(m)) => MemReq::PerGpu(m.megabytes()),
        };
        Ok(Self {
            min_nodes: spec.min_nodes().max(1),
            max_nodes: spec.nodes.as_ref().and_then(sk8_spec::NodeRange::max),
            tasks: spec.tasks().max(1),
            cpus_per_task: spec.cpus_per_task().max(1),
            ntasks_per_node: spec.ntasks_per_node.filter(|&n| n > 0),
            tasks_from_per_node: spec.ntasks.is_none() && spec.ntasks_per_node.is_some(),
            memory,
            gpus_per_node: gpu_count(&spec.gpus_per_node).max(gres_gpus),
            gpus_per_task: gpu_count(&spec.gpus_per_task),
            gpus_total: gpu_count(&spec.gpus),
            exclusive: spec.sharing == Sharing::Exclusive,
            required: hosts(&spec.nodelist)?,
            excluded: hosts(&spec.exclude)?,
            partition_nodes: partition_nodes.to_vec(),
        })
    }
}

/// What is in use on one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeUse {
    /// CPUs in use.
    pub cpus: u32,
    /// Memory in use.
    pub memory_mb: u64,
    /// GPU indices in use.
    pub gpus: BTreeSet<u32>,
    /// Jobs on it.
    pub jobs: u32,
    /// A job holds it whole.
    pub exclusive: bool,
}

/// Use per node name.
pub type Usage = BTreeMap<String, NodeUse>;

/// Adds (or with `sign` false removes) an allocation to the usage.
pub fn account(usage: &mut Usage, alloc: &[NodeAlloc], add: bool) {
    for a in alloc {
        let u = usage.entry(a.node.clone()).or_default();
        if add {
            u.cpus += a.cpus;
            u.memory_mb += a.memory_mb;
            u.gpus.extend(a.gpus.iter().copied());
            u.jobs += 1;
            u.exclusive |= a.exclusive;
        } else {
            u.cpus = u.cpus.saturating_sub(a.cpus);
            u.memory_mb = u.memory_mb.saturating_sub(a.memory_mb);
            for g in &a.gpus {
                u.gpus.remove(g);
            }
            u.jobs = u.jobs.saturating_sub(1);
            if a.exclusive {
                u.exclusive = false;
            }
        }
    }
}

/// How many tasks a node can take now, or `None` when it cannot be used.
fn node_capacity(req: &Request, node: &NodeConf, used: &NodeUse) -> u32 {
    if used.exclusive || (req.exclusive && used.jobs > 0) {
        return 0;
    }
    let free_cpus = node.cpus.saturating_sub(used.cpus);
    let free_mem = node.memory_mb.saturating_sub(used.memory_mb);
    let free_gpus = node.gpus.iter().filter(|g| !used.gpus.contains(g)).count() as u32;
    let mut cap = free_cpus / req.cpus_per_task;
    if let Some(n) = req.ntasks_per_node {
        cap = cap.min(n);
    }
    if req.gpus_per_node > free_gpus {
        return 0;
    }
    if let Some(per_gpus) = free_gpus.checked_div(req.gpus_per_task) {
        cap = cap.min(per_gpus);
    }
    match req.memory {
        MemReq::None => {}
        MemReq::PerNode(0) => {
            if used.memory_mb > 0 {
                return 0;
            }
        }
        MemReq::PerNode(m) => {
            if m > free_mem {
                return 0;
            }
        }
        MemReq::PerCpu(m) => {
            let per_task = m.saturating_mul(u64::from(req.cpus_per_task)).max(1);
            cap = cap.min(u32::try_from(free_mem / per_task).unwrap_or(u32::MAX));
        }
        MemReq::PerGpu(m) => {
            let gpus = req.gpus_per_node.max(req.gpus_per_task);
            if m.saturating_mul(u64::from(gpus)) > free_mem {
                return 0;
            }
        }
    }
    cap
}

/// Where the job fits now, all or nothing: one [`NodeAlloc`] per node used,
/// in node order, or `None`.
pub fn place(req: &Request, nodes: &[NodeConf], usage: &Usage) -> Option<Vec<NodeAlloc>> {
    let empty = NodeUse::default();
    let in_partition = |n: &NodeConf| req.partition_nodes.contains(&n.name);
    if req
        .required
        .iter()
        .any(|r| !nodes.iter().any(|n| n.name == *r && in_partition(n)))
    {
        return None;
    }
    // Required nodes first, then the rest in configuration order.
    let mut order: Vec<&NodeConf> = nodes
        .iter()
        .filter(|n| req.required.contains(&n.name))
        .collect();
    order.extend(nodes.iter().filter(|n| {
        in_partition(n) && !req.required.contains(&n.name) && !req.excluded.contains(&n.name)
    }));
    let mut chosen: Vec<(&NodeConf, u32)> = Vec::new();
    let mut total = 0u32;
    let mut gpus = 0u32;
    for node in order {
        let required = req.required.contains(&node.name);
        let used = usage.get(&node.name).unwrap_or(&empty);
        let cap = node_capacity(req, node, used);
        let need_full = req.tasks_from_per_node && req.ntasks_per_node.is_some_and(|n| cap < n);
        if cap == 0 || need_full {
            if required {
                return None;
            }
            continue;
        }
        let enough = total >= req.tasks
            && gpus >= req.gpus_total
            && chosen.len() as u32 >= req.min_nodes
            && chosen.len() >= req.required.len();
        if !required && enough {
            break;
        }
        if req.max_nodes.is_some_and(|m| chosen.len() as u32 >= m) {
            return None;
        }
        chosen.push((node, cap));
        total = total.saturating_add(cap);
        gpus += node.gpus.iter().filter(|g| !used.gpus.contains(g)).count() as u32;
    }
    if total < req.tasks || (chosen.len() as u32) < req.min_nodes {
        return None;
    }
    // Tasks: one on every node first (Slurm wants each node used), then
    // fill in order.
    let mut counts: Vec<u32> = chosen.iter().map(|_| 0).collect();
    let mut left = req.tasks;
    if req.tasks_from_per_node {
        let per = req.ntasks_per_node.unwrap_or(1);
        counts.iter_mut().for_each(|c| *c = per);
    } else {
        for c in counts.iter_mut() {
            if left == 0 {
                break;
            }
            *c = 1;
            left -= 1;
        }
        for (c, (_, cap)) in counts.iter_mut().zip(&chosen) {
            let more = (cap - *c).min(left);
            *c += more;
            left -= more;
        }
    }
    let mut gpus_left = req.gpus_total;
    let mut out = Vec::new();
    for ((node, _), tasks) in chosen.iter().zip(counts) {
        let used = usage.get(&node.name).unwrap_or(&empty);
        let free: Vec<u32> = node
            .gpus
            .iter()
            .copied()
            .filter(|g| !used.gpus.contains(g))
            .collect();
        let mut want = req.gpus_per_node.max(req.gpus_per_task * tasks);
        if gpus_left > 0 {
            let extra = gpus_left.min(free.len() as u32 - want.min(free.len() as u32));
            want += extra;
            gpus_left -= extra;
        }
        let gpus: Vec<u32> = free.into_iter().take(want as usize).collect();
        let cpus = if req.exclusive {
            node.cpus
        } else {
            tasks.max(1) * req.cpus_per_task
        };
        let memory_mb = match req.memory {
            MemReq::None => 0,
            MemReq::PerNode(0) => node.memory_mb,
            MemReq::PerNode(m) => m,
            MemReq::PerCpu(m) => m * u64::from(cpus),
            MemReq::PerGpu(m) => m * gpus.len() as u64,
        };
        out.push(NodeAlloc {
            node: node.name.clone(),
            cpus,
            memory_mb,
            gpus,
            tasks,
            exclusive: req.exclusive,
        });
    }
    if gpus_left > 0 {
        return None;
    }
    // Keep configuration order so the first node (the batch host) is stable.
    out.sort_by_key(|a| nodes.iter().position(|n| n.name == a.node));
    Some(out)
}

/// A job holding resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// Its id.
    pub id: u32,
    /// When its time limit ends it (`None`: no limit).
    pub end: Option<i64>,
    /// What it holds.
    pub alloc: Vec<NodeAlloc>,
}

/// A pending job the pass considers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its id (an array's id for its pending tasks).
    pub id: u32,
    /// Higher goes first.
    pub priority: u32,
    /// What it asks for.
    pub req: Request,
    /// Its time limit in seconds (`None`: no limit).
    pub limit: Option<i64>,
    /// Why it may not start at all now (`JobHeldUser`, `Dependency`, ...);
    /// `None` when only resources decide.
    pub blocked: Option<String>,
    /// How many instances may start (array tasks under the throttle; 1 for
    /// a plain job).
    pub count: u32,
}

/// What the pass decided for one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start one instance here.
    Start {
        /// The candidate.
        id: u32,
        /// Where.
        alloc: Vec<NodeAlloc>,
    },
    /// Keep waiting, for this reason.
    Wait {
        /// The candidate.
        id: u32,
        /// Slurm's reason name.
        reason: String,
    },
}

/// When the job could start at the earliest, given the running jobs' ends:
/// the time, or `None` when no end frees enough.
pub fn earliest_start(
    req: &Request,
    nodes: &[NodeConf],
    usage: &Usage,
    running: &[Running],
    now: i64,
) -> Option<i64> {
    if place(req, nodes, usage).is_some() {
        return Some(now);
    }
    let mut ends: Vec<&Running> = running.iter().filter(|r| r.end.is_some()).collect();
    ends.sort_by_key(|r| r.end);
    let mut usage = usage.clone();
    for r in ends {
        account(&mut usage, &r.alloc, false);
        if place(req, nodes, &usage).is_some() {
            return r.end.map(|e| e.max(now));
        }
    }
    None
}

/// One scheduling pass at time `now`: candidates by priority (then id),
/// each started where it fits; the first that does not fit reserves its
/// earliest start, and later ones start only if they do not delay it.
pub fn plan(
    now: i64,
    nodes: &[NodeConf],
    running: &[Running],
    candidates: &[Candidate],
) -> Vec<Decision> {
    let mut usage = Usage::new();
    let mut running: Vec<Running> = running.to_vec();
    for r in &running {
        account(&mut usage, &r.alloc, true);
    }
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    order.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
    let mut out = Vec::new();
    // The top blocked job and its earliest start (`None`: never, as far as
    // the limits tell).
    let mut top: Option<(&Candidate, Option<i64>)> = None;
    for cand in order {
        if let Some(reason) = &cand.blocked {
            out.push(Decision::Wait {
                id: cand.id,
                reason: reason.clone(),
            });
            continue;
        }
        let mut started = 0;
        while started < cand.count {
            let Some(alloc) = place(&cand.req, nodes, &usage) else {
                break;
            };
            if let Some((blocked, Some(shadow))) = &top {
                let end = cand.limit.map(|l| now + l);
                let harmless = end.is_some_and(|e| e <= *shadow) || {
                    let mut later = running.clone();
                    later.push(Running {
                        id: cand.id,
                        end,
                        alloc: alloc.clone(),
                    });
                    let mut with = usage.clone();
                    account(&mut with, &alloc, true);
                    earliest_start(&blocked.req, nodes, &with, &later, now)
                        .is_some_and(|t| t <= *shadow)
                };
                if !harmless {
                    break;
                }
            }
            account(&mut usage, &alloc, true);
            running.push(Running {
                id: cand.id,
                end: cand.limit.map(|l| now + l),
                alloc: alloc.clone(),
            });
            out.push(Decision::Start { id: cand.id, alloc });
            started += 1;
        }
        if started == cand.count {
            continue;
        }
        let reason = if top.is_none() {
            let shadow = earliest_start(&cand.req, nodes, &usage, &running, now);
            top = Some((cand, shadow));
            "Resources"
        } else {
            "Priority"
        };
        out.push(Decision::Wait {
            id: cand.id,
            reason: reason.into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, cpus: u32, mem: u64, gpus: u32) -> NodeConf {
        NodeConf {
            name: name.into(),
            cpus,
            memory_mb: mem,
            gpus: (0..gpus).collect(),
            gpu_type: None,
            features: vec![],
        }
    }

    fn cluster() -> Vec<NodeConf> {
        vec![
            node("n1", 4, 1000, 2),
            node("n2", 4, 1000, 2),
            node("n3", 2, 500, 0),
        ]
    }

    fn req(tasks: u32) -> Request {
        Request {
            min_nodes: 1,
            max_nodes: None,
            tasks,
            cpus_per_task: 1,
            ntasks_per_node: None,
            tasks_from_per_node: false,
            memory: MemReq::None,
            gpus_per_node: 0,
            gpus_per_task: 0,
            gpus_total: 0,
            exclusive: false,
            required: vec![],
            excluded: vec![],
            partition_nodes: vec!["n1".into(), "n2".into(), "n3".into()],
        }
    }

    /// (node, cpus, gpus) of each node of a placement.
    type Shape = Option<Vec<(String, u32, usize)>>;

    /// A placement's [`Shape`], for compact tables.
    fn shape(a: &Option<Vec<NodeAlloc>>) -> Shape {
        a.as_ref().map(|v| {
            v.iter()
                .map(|n| (n.node.clone(), n.cpus, n.gpus.len()))
                .collect()
        })
    }

    fn s(v: &[(&str, u32, usize)]) -> Shape {
        Some(v.iter().map(|(n, c, g)| (n.to_string(), *c, *g)).collect())
    }

    #[test]
    fn placement_table() {
        let nodes = cluster();
        let cases: Vec<(&str, Request, Shape)> = vec![
            ("one task", req(1), s(&[("n1", 1, 0)])),
            ("fills the first node", req(4), s(&[("n1", 4, 0)])),
            (
                "spills to the second",
                req(6),
                s(&[("n1", 4, 0), ("n2", 2, 0)]),
            ),
            (
                "all ten cpus",
                req(10),
                s(&[("n1", 4, 0), ("n2", 4, 0), ("n3", 2, 0)]),
            ),
            ("eleven never fit", req(11), None),
            (
                "-N2 spreads",
                Request {
                    min_nodes: 2,
                    ..req(2)
                },
                s(&[("n1", 1, 0), ("n2", 1, 0)]),
            ),
            (
                "-N1 caps",
                Request {
                    max_nodes: Some(1),
                    ..req(5)
                },
                None,
            ),
            (
                "-c2",
                Request {
                    cpus_per_task: 2,
                    ..req(3)
                },
                s(&[("n1", 4, 0), ("n2", 2, 0)]),
            ),
            (
                "--ntasks-per-node=1 -N3",
                Request {
                    min_nodes: 3,
                    ntasks_per_node: Some(1),
                    tasks_from_per_node: true,
                    ..req(3)
                },
                s(&[("n1", 1, 0), ("n2", 1, 0), ("n3", 1, 0)]),
            ),
            (
                "--ntasks-per-node=3 needs 3 cpus on each",
                Request {
                    min_nodes: 3,
                    ntasks_per_node: Some(3),
                    tasks_from_per_node: true,
                    ..req(9)
                },
                None,
            ),
            (
                "--gres=gpu:2 on each of 2 nodes",
                Request {
                    min_nodes: 2,
                    gpus_per_node: 2,
                    ..req(2)
                },
                s(&[("n1", 1, 2), ("n2", 1, 2)]),
            ),
            (
                "--gpus=3 spans nodes",
                Request {
                    gpus_total: 3,
                    ..req(2)
                },
                s(&[("n1", 1, 2), ("n2", 1, 1)]),
            ),
            (
                "gpus the cluster lacks",
                Request {
                    gpus_per_node: 3,
                    ..req(1)
                },
                None,
            ),
            (
                "--gpus-per-task=1 -n3",
                Request {
                    gpus_per_task: 1,
                    ..req(3)
                },
                s(&[("n1", 2, 2), ("n2", 1, 1)]),
            ),
            (
                "--mem=600",
                Request {
                    memory: MemReq::PerNode(600),
                    ..req(1)
                },
                s(&[("n1", 1, 0)]),
            ),
            (
                "--mem too big",
                Request {
                    memory: MemReq::PerNode(2000),
                    ..req(1)
                },
                None,
            ),
            (
                "--mem-per-cpu=400 -n3",
                Request {
                    memory: MemReq::PerCpu(400),
                    ..req(3)
                },
                s(&[("n1", 2, 0), ("n2", 1, 0)]),
            ),
            (
                "--exclusive",
                Request {
                    exclusive: true,
                    ..req(1)
                },
                s(&[("n1", 4, 0)]),
            ),
            (
                "--nodelist=n3",
                Request {
                    required: vec!["n3".into()],
                    ..req(1)
                },
                s(&[("n3", 1, 0)]),
            ),
            (
                "--nodelist=n2 plus more",
                Request {
                    required: vec!["n2".into()],
                    ..req(6)
                },
                s(&[("n1", 2, 0), ("n2", 4, 0)]),
            ),
            (
                "--nodelist=nope",
                Request {
                    required: vec!["nope".into()],
                    ..req(1)
                },
                None,
            ),
            (
                "--exclude=n1",
                Request {
                    excluded: vec!["n1".into()],
                    ..req(1)
                },
                s(&[("n2", 1, 0)]),
            ),
            (
                "partition of n3 only",
                Request {
                    partition_nodes: vec!["n3".into()],
                    ..req(2)
                },
                s(&[("n3", 2, 0)]),
            ),
            (
                "partition too small",
                Request {
                    partition_nodes: vec!["n3".into()],
                    ..req(3)
                },
                None,
            ),
        ];
        for (name, r, want) in cases {
            assert_eq!(shape(&place(&r, &nodes, &Usage::new())), want, "{name}");
        }
    }

    #[test]
    fn placement_respects_usage() {
        let nodes = cluster();
        let mut usage = Usage::new();
        let first = place(&req(3), &nodes, &usage).unwrap();
        account(&mut usage, &first, true);
        // One CPU left on n1: a 2-task job goes where it can, all or nothing.
        assert_eq!(
            shape(&place(&req(2), &nodes, &usage)),
            s(&[("n1", 1, 0), ("n2", 1, 0)])
        );
        // An exclusive job skips the busy node; and nothing shares its node.
        let ex = place(
            &Request {
                exclusive: true,
                ..req(1)
            },
            &nodes,
            &usage,
        )
        .unwrap();
        assert_eq!(ex[0].node, "n2");
        account(&mut usage, &ex, true);
        assert_eq!(
            shape(&place(&req(2), &nodes, &usage)),
            s(&[("n1", 1, 0), ("n3", 1, 0)])
        );
        // GPUs in use are not handed out twice.
        let g = place(
            &Request {
                gpus_per_node: 1,
                ..req(1)
            },
            &nodes,
            &usage,
        )
        .unwrap();
        assert_eq!(g[0].gpus, vec![0]);
        account(&mut usage, &g, true);
        // With n1's CPUs freed, the next GPU job there gets the other device.
        account(&mut usage, &first, false);
        let g2 = place(
            &Request {
                gpus_per_node: 1,
                ..req(1)
            },
            &nodes,
            &usage,
        )
        .unwrap();
        assert_eq!((g2[0].node.as_str(), g2[0].gpus.clone()), ("n1", vec![1]));
        account(&mut usage, &first, true);
        // Freeing gives everything back.
        account(&mut usage, &g, false);
        account(&mut usage, &ex, false);
        account(&mut usage, &first, false);
        assert!(usage.values().all(|u| *u == NodeUse::default()));
    }

    fn cand(id: u32, tasks: u32, limit: Option<i64>) -> Candidate {
        Candidate {
            id,
            priority: 1000 - id,
            req: req(tasks),
            limit,
            blocked: None,
            count: 1,
        }
    }

    fn started(d: &[Decision]) -> Vec<u32> {
        d.iter()
            .filter_map(|d| match d {
                Decision::Start { id, .. } => Some(*id),
                Decision::Wait { .. } => None,
            })
            .collect()
    }

    fn reason(d: &[Decision], id: u32) -> Option<String> {
        d.iter().find_map(|d| match d {
            Decision::Wait { id: i, reason } if *i == id => Some(reason.clone()),
            _ => None,
        })
    }

    fn busy(cpus_n1: u32, end: Option<i64>) -> Running {
        Running {
            id: 99,
            end,
            alloc: vec![NodeAlloc {
                node: "n1".into(),
                cpus: cpus_n1,
                memory_mb: 0,
                gpus: vec![],
                tasks: cpus_n1,
                exclusive: false,
            }],
        }
    }

    #[test]
    fn fifo_by_priority_then_id() {
        let nodes = cluster();
        // 10 CPUs: 6 then 4 fit, the third waits for resources.
        let d = plan(
            0,
            &nodes,
            &[],
            &[cand(1, 6, None), cand(2, 4, None), cand(3, 1, None)],
        );
        assert_eq!(started(&d), vec![1, 2]);
        assert_eq!(reason(&d, 3).as_deref(), Some("Resources"));
        // A higher priority jumps the queue.
        let mut hi = cand(3, 6, None);
        hi.priority = 5000;
        let d = plan(0, &nodes, &[], &[cand(1, 6, None), cand(2, 4, None), hi]);
        assert_eq!(started(&d), vec![3, 2]);
        assert_eq!(reason(&d, 1).as_deref(), Some("Resources"));
    }

    #[test]
    fn blocked_candidates_keep_their_reason_and_block_nothing() {
        let nodes = cluster();
        let mut held = cand(1, 10, None);
        held.blocked = Some("JobHeldUser".into());
        let mut dep = cand(2, 1, None);
        dep.blocked = Some("Dependency".into());
        let d = plan(0, &nodes, &[], &[held, dep, cand(3, 10, None)]);
        assert_eq!(started(&d), vec![3]);
        assert_eq!(reason(&d, 1).as_deref(), Some("JobHeldUser"));
        assert_eq!(reason(&d, 2).as_deref(), Some("Dependency"));
    }

    #[test]
    fn easy_backfill() {
        let nodes = cluster();
        // n1 busy with 4 CPUs until t=100; 6 free. Job 1 wants all 10: it
        // waits and reserves t=100.
        let running = [busy(4, Some(100))];
        let cases: Vec<(&str, Candidate, bool)> = vec![
            (
                "short job ends before the reservation",
                cand(2, 2, Some(50)),
                true,
            ),
            ("ends exactly at it", cand(2, 2, Some(100)), true),
            (
                "runs past it on nodes job 1 needs",
                cand(2, 2, Some(500)),
                false,
            ),
            ("no limit on nodes job 1 needs", cand(2, 2, None), false),
        ];
        for (name, c, starts) in cases {
            let d = plan(0, &nodes, &running, &[cand(1, 10, Some(1000)), c]);
            assert_eq!(started(&d) == vec![2], starts, "{name}");
            assert_eq!(reason(&d, 1).as_deref(), Some("Resources"), "{name}");
            if !starts {
                assert_eq!(reason(&d, 2).as_deref(), Some("Priority"), "{name}");
            }
        }
        // When the top job can never start (the running job has no limit),
        // smaller jobs still backfill.
        let d = plan(
            0,
            &nodes,
            &[busy(4, None)],
            &[cand(1, 10, None), cand(2, 2, None)],
        );
        assert_eq!(started(&d), vec![2]);
        // A lower job that does not touch what the top job needs runs past
        // its reservation: job 1 needs only n1, job 2 fits on n2.
        let mut top = cand(1, 4, Some(10));
        top.req.required = vec!["n1".into()];
        let mut other = cand(2, 4, None);
        other.req.excluded = vec!["n1".into()];
        let d = plan(0, &nodes, &running, &[top, other]);
        assert_eq!(started(&d), vec![2]);
    }

    #[test]
    fn array_instances_and_throttle() {
        let nodes = cluster();
        let mut arr = cand(1, 2, None);
        arr.count = 3; // throttle leaves room for 3
        let d = plan(0, &nodes, &[], &[arr.clone()]);
        assert_eq!(started(&d), vec![1, 1, 1]);
        // Only 10 CPUs: 5 instances of 2 fit, the rest wait for resources.
        arr.count = 8;
        let d = plan(0, &nodes, &[], &[arr]);
        assert_eq!(started(&d).len(), 5);
        assert_eq!(reason(&d, 1).as_deref(), Some("Resources"));
    }
}
