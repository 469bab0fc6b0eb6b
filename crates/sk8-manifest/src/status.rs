//! Kubernetes statuses to Slurm: job states (squeue), node states and partitions (sinfo).
//!
//! The mapping (issue 5): a held record is `PD (JobHeldUser)`; pods not all
//! bound to nodes are `PD` (`Resources`, or `Priority` when a Kueue Workload
//! says so); all bound but not all started is `CF`; rank 0 running is `R`;
//! rank 0 ended is `CD` (exit 0), `F` (non-zero), `OOM` (OOMKilled), `TO`
//! (DeadlineExceeded) or `NF` (evicted, node lost, disruption), shown as
//! `CG` while other pods of the job still run or are being deleted. A state
//! sk8 wrote on the record (`sk8.dev/state`) wins over the pods, with the same
//! `CG` while pods linger.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ConfigMap, ContainerStateTerminated, Node, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sk8_backend::{
    ArrayInfo, ExitStatus, JobInfo, JobState, NodeInfo, NodeState, PartitionInfo, StepInfo,
};
use sk8_spec::TimeLimit;

use crate::config::{KubeConfig, Provider};
use crate::labels as l;

/// A final state sk8 itself set (record annotation `sk8.dev/state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalState {
    /// The state.
    pub state: JobState,
    /// (exit code, signal).
    pub exit: (u8, u8),
    /// When it ended (Unix seconds).
    pub end: i64,
    /// Slurm's reason name.
    #[serde(default)]
    pub reason: String,
}

/// What the backend read about one job.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    /// The record ConfigMap.
    pub record: &'a ConfigMap,
    /// Its pods (any order).
    pub pods: Vec<&'a Pod>,
    /// Its gang PodGroup, if any.
    pub pod_group: Option<&'a Value>,
    /// Its Kueue Workload, if any.
    pub workload: Option<&'a Value>,
}

/// Why a record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// A data key or label is missing.
    #[error("record `{0}` has no `{1}`")]
    Missing(String, String),
    /// A value does not parse.
    #[error("record `{0}`: bad `{1}`: {2}")]
    Bad(String, String, String),
}

/// Seconds since the epoch of a Kubernetes time.
fn secs(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>) -> Option<i64> {
    t.map(|t| t.0.as_second())
}

/// A pod's rank label (pods without one sort last).
fn rank(p: &Pod) -> u32 {
    p.metadata
        .labels
        .as_ref()
        .and_then(|m| m.get(l::RANK))
        .and_then(|r| r.parse().ok())
        .unwrap_or(u32::MAX)
}

/// The job container's terminated state, if it ended.
fn terminated(p: &Pod) -> Option<&ContainerStateTerminated> {
    job_status(p)?.state.as_ref()?.terminated.as_ref()
}

fn job_status(p: &Pod) -> Option<&k8s_openapi::api::core::v1::ContainerStatus> {
    p.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|c| c.name == l::CONTAINER)
}

fn phase(p: &Pod) -> &str {
    p.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

fn pod_reason(p: &Pod) -> &str {
    p.status
        .as_ref()
        .and_then(|s| s.reason.as_deref())
        .unwrap_or("")
}

fn condition_true(p: &Pod, kind: &str) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == kind && c.status == "True"))
}

/// The pod ended, or never will run again.
fn pod_done(p: &Pod) -> bool {
    matches!(phase(p), "Succeeded" | "Failed") || terminated(p).is_some()
}

/// The pod's node was lost, it was evicted or disrupted.
fn node_failed(p: &Pod) -> bool {
    matches!(
        pod_reason(p),
        "Evicted" | "NodeLost" | "Preempting" | "Terminated" | "UnexpectedAdmissionError"
    ) || condition_true(p, "DisruptionTarget")
}

fn bound(p: &Pod) -> bool {
    p.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

fn running(p: &Pod) -> bool {
    job_status(p)
        .and_then(|c| c.state.as_ref())
        .is_some_and(|s| s.running.is_some())
}

fn kueue_gated(p: &Pod) -> bool {
    p.spec
        .as_ref()
        .and_then(|s| s.scheduling_gates.as_ref())
        .is_some_and(|g| g.iter().any(|g| g.name == l::KUEUE_GATE))
}

/// Why pending pods wait: `Priority` when the Kueue Workload says it waits
/// behind others or was preempted, else `Resources`.
fn pending_reason(obs: &Observed<'_>) -> &'static str {
    let conds = obs
        .workload
        .and_then(|w| w.pointer("/status/conditions"))
        .and_then(Value::as_array);
    let Some(conds) = conds else {
        return "Resources";
    };
    let says_priority = conds.iter().any(|c| {
        let text = |k: &str| {
            c.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        let status_false_or_evicted = c.get("status").and_then(Value::as_str) == Some("False")
            || c.get("type").and_then(Value::as_str) == Some("Evicted");
        status_false_or_evicted
            && (text("reason").contains("preempt") || text("message").contains("priority"))
    });
    if says_priority {
        "Priority"
    } else {
        "Resources"
    }
}

/// Whether a gang scheduler still holds the job back.
fn gang_pending(obs: &Observed<'_>) -> bool {
    let pg_phase = obs
        .pod_group
        .and_then(|g| g.pointer("/status/phase"))
        .and_then(Value::as_str);
    let pg_waiting = matches!(pg_phase, Some("Pending" | "Inqueue"));
    let wl_admitted = obs.workload.map(|w| {
        w.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.get("type").and_then(Value::as_str) == Some("Admitted")
                        && c.get("status").and_then(Value::as_str) == Some("True")
                })
            })
    });
    pg_waiting || wl_admitted == Some(false)
}

/// Exit status of a terminated container: `signal` when the runtime gives
/// one, else codes above 128 as death by signal `code - 128`, as a shell shows it.
fn exit_of(t: &ContainerStateTerminated) -> ExitStatus {
    let code = t.exit_code.clamp(0, 255);
    match t.signal.filter(|s| *s > 0) {
        Some(s) => ExitStatus {
            code: 0,
            signal: u8::try_from(s).unwrap_or(0),
        },
        None if code > 128 && code < 128 + 65 => ExitStatus {
            code: 0,
            signal: u8::try_from(code - 128).unwrap_or(0),
        },
        None => ExitStatus {
            code: u8::try_from(code).unwrap_or(255),
            signal: 0,
        },
    }
}

/// A CPU quantity in millicores (`2`, `500m`, `1.5`).
pub fn millicores(q: &Quantity) -> u64 {
    let v = parse_quantity(&q.0).unwrap_or(0.0);
    (v * 1000.0).round().max(0.0) as u64
}

/// A memory quantity in MiB (rounded down).
pub fn mebibytes(q: &Quantity) -> u64 {
    let v = parse_quantity(&q.0).unwrap_or(0.0);
    (v / f64::from(1u32 << 20)).floor().max(0.0) as u64
}

/// A Kubernetes quantity as a number (`1Gi`, `500m`, `1e3`, `2k`).
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

/// A pod's requests summed over its containers: (millicores, MiB, GPUs).
fn pod_requests(p: &Pod, gpu_resource: &str) -> (u64, u64, u64) {
    let mut out = (0, 0, 0);
    for c in p.spec.iter().flat_map(|s| &s.containers) {
        let Some(r) = c
            .resources
            .as_ref()
            .and_then(|r| r.requests.as_ref().or(r.limits.as_ref()))
        else {
            continue;
        };
        out.0 += r.get("cpu").map_or(0, millicores);
        out.1 += r.get("memory").map_or(0, mebibytes);
        out.2 += r
            .get(gpu_resource)
            .map_or(0, |q| parse_quantity(&q.0).unwrap_or(0.0) as u64);
    }
    out
}

/// The job a record and its objects describe, at time `now`.
pub fn job_info(obs: &Observed<'_>, cfg: &KubeConfig, now: i64) -> Result<JobInfo, StatusError> {
    let rec = Record::read(obs.record, cfg)?;
    let shapes = crate::node_shapes(&rec.spec).unwrap_or_default();
    let pods = JobPods::new(obs, shapes.len().max(1));
    let start_time = pods.rank0.and_then(started_at);
    let v = verdict(obs, &rec, &pods, now);
    let placed = Placement::of(v.state, &pods.pods, cfg);
    let cpus = if placed.node_cpus.is_empty() {
        shapes.iter().map(|s| s.cpus).sum()
    } else {
        placed.node_cpus.iter().sum()
    };
    let end_time = v
        .end_time
        .or_else(|| match (v.state, start_time, rec.time_limit) {
            (JobState::Running | JobState::Configuring, Some(s), Some(TimeLimit::Minutes(m))) => {
                Some(s + i64::from(m) * 60)
            }
            _ => None,
        });
    let batch_host = placed.nodes.first().cloned();
    let steps = match (start_time, &batch_host) {
        (Some(start), Some(host)) => vec![batch_step(
            &v,
            rec.final_state.as_ref(),
            host,
            start,
            end_time,
        )],
        _ => Vec::new(),
    };
    Ok(JobInfo {
        id: rec.id,
        array: rec.array,
        het: None,
        priority: rec.spec.priority.unwrap_or(1),
        spec: rec.spec,
        state: v.state,
        reason: v.reason,
        time_limit: rec.time_limit,
        submit_time: rec.submit_time,
        eligible_time: (!rec.held).then_some(rec.submit_time),
        start_time,
        end_time,
        nodes: placed.nodes,
        node_cpus: placed.node_cpus,
        node_gpus: placed.node_gpus,
        cpus,
        exit: v.exit,
        restarts: 0,
        batch_host,
        steps,
    })
}

/// What the record ConfigMap says of the job, before its pods are looked at.
struct Record {
    id: u32,
    spec: sk8_spec::JobSpec,
    submit_time: i64,
    time_limit: Option<TimeLimit>,
    array: Option<ArrayInfo>,
    /// A final state sk8 wrote, which wins over the pods.
    final_state: Option<FinalState>,
    held: bool,
}

impl Record {
    /// Reads the labels, data and annotations; the spec's partition is
    /// filled in (the record's label, else the default) since squeue shows it.
    fn read(record: &ConfigMap, cfg: &KubeConfig) -> Result<Self, StatusError> {
        let name = record.metadata.name.clone().unwrap_or_default();
        let labels = record.metadata.labels.clone().unwrap_or_default();
        let label = |k: &str| labels.get(k).cloned();
        let bad = |k: &str, e: String| StatusError::Bad(name.clone(), k.to_string(), e);
        let id: u32 = label(l::JOB_ID)
            .ok_or_else(|| StatusError::Missing(name.clone(), l::JOB_ID.into()))?
            .parse()
            .map_err(|e: std::num::ParseIntError| bad(l::JOB_ID, e.to_string()))?;
        let (mut spec, _script) = crate::spec_of(record)?;
        let submit_time: i64 = record
            .data
            .as_ref()
            .and_then(|d| d.get(l::DATA_SUBMIT_TIME))
            .ok_or_else(|| StatusError::Missing(name.clone(), l::DATA_SUBMIT_TIME.into()))?
            .parse()
            .map_err(|e: std::num::ParseIntError| bad(l::DATA_SUBMIT_TIME, e.to_string()))?;
        let partition = spec
            .partition
            .clone()
            .or_else(|| label(l::PARTITION))
            .unwrap_or_else(|| cfg.default_partition_name());
        spec.partition = Some(partition.clone());
        let time_limit = crate::time_limit_of(&spec, cfg, &partition).unwrap_or(spec.time_limit);
        let array = match (label(l::ARRAY_JOB_ID), label(l::ARRAY_TASK_ID)) {
            (Some(a), t) => Some(ArrayInfo {
                job_id: a
                    .parse()
                    .map_err(|e: std::num::ParseIntError| bad(l::ARRAY_JOB_ID, e.to_string()))?,
                task_id: t.and_then(|t| t.parse().ok()),
                pending: None,
            }),
            _ => None,
        };
        let annotations = record.metadata.annotations.clone().unwrap_or_default();
        let final_state: Option<FinalState> = annotations
            .get(l::STATE)
            .map(|s| serde_json::from_str(s).map_err(|e| bad(l::STATE, e.to_string())))
            .transpose()?;
        Ok(Self {
            id,
            spec,
            submit_time,
            time_limit,
            array,
            final_state,
            held: annotations.contains_key(l::HOLD),
        })
    }
}

/// The job's pods in rank order, and the facts about them the state needs.
struct JobPods<'a> {
    pods: Vec<&'a Pod>,
    /// How many pods the job has when all exist.
    want: usize,
    rank0: Option<&'a Pod>,
    /// Some pod still runs or is being deleted.
    lingering: bool,
}

impl<'a> JobPods<'a> {
    fn new(obs: &Observed<'a>, want: usize) -> Self {
        let mut pods = obs.pods.clone();
        pods.sort_by_key(|p| rank(p));
        let rank0 = pods.first().copied().filter(|p| rank(p) == 0);
        let lingering = pods
            .iter()
            .any(|p| p.metadata.deletion_timestamp.is_some() || !pod_done(p));
        Self {
            pods,
            want,
            rank0,
            lingering,
        }
    }

    /// `CG` while pods linger, else `state`.
    fn completing_or(&self, state: JobState) -> JobState {
        if self.lingering {
            JobState::Completing
        } else {
            state
        }
    }
}

/// When rank 0 started: its container's start, else the pod's once it ran.
fn started_at(p: &Pod) -> Option<i64> {
    job_status(p)
        .and_then(|c| c.state.as_ref())
        .and_then(|s| {
            s.running
                .as_ref()
                .and_then(|r| secs(r.started_at.as_ref()))
                .or_else(|| {
                    s.terminated
                        .as_ref()
                        .and_then(|t| secs(t.started_at.as_ref()))
                })
        })
        .or_else(|| {
            secs(p.status.as_ref().and_then(|s| s.start_time.as_ref()))
                .filter(|_| running(p) || pod_done(p))
        })
}

/// The job's state and what goes with it.
struct Verdict {
    state: JobState,
    reason: String,
    exit: ExitStatus,
    end_time: Option<i64>,
}

impl Verdict {
    /// A state with no exit status or end time (yet).
    fn new(state: JobState, reason: impl Into<String>) -> Self {
        Self {
            state,
            reason: reason.into(),
            exit: ExitStatus::default(),
            end_time: None,
        }
    }
}

/// The module's mapping (see the top of this file), first match wins: sk8's
/// own final state, a hold, a failed node, rank 0's end, an end before rank
/// 0 started, rank 0 running, all pods bound, else pending.
fn verdict(obs: &Observed<'_>, rec: &Record, pods: &JobPods<'_>, now: i64) -> Verdict {
    let rank0 = pods.rank0;
    if let Some(f) = &rec.final_state {
        final_verdict(f, pods)
    } else if rec.held && !pods.pods.iter().any(|p| running(p) || pod_done(p)) {
        Verdict::new(JobState::Pending, "JobHeldUser")
    } else if let Some(failed) = pods.pods.iter().find(|p| node_failed(p)) {
        node_failure(failed, pods, now)
    } else if let Some(t) = rank0
        .and_then(terminated)
        .filter(|_| rank0.is_some_and(pod_done))
    {
        let p0 = rank0.expect("rank 0 exists when it terminated");
        rank0_ended(p0, t, pods, now)
    } else if let Some(p0) =
        rank0.filter(|p| pod_reason(p) == "DeadlineExceeded" || phase(p) == "Failed")
    {
        // Ended before its container started (deadline while pending, admission failure).
        let state = if pod_reason(p0) == "DeadlineExceeded" {
            JobState::Timeout
        } else {
            JobState::Failed
        };
        Verdict {
            end_time: Some(now),
            ..Verdict::new(pods.completing_or(state), "None")
        }
    } else if rank0.is_some_and(running) {
        Verdict::new(JobState::Running, "None")
    } else if pods.pods.len() >= pods.want
        && pods.pods.iter().all(|p| bound(p) && !kueue_gated(p))
        && !gang_pending(obs)
    {
        configuring(&pods.pods)
    } else {
        Verdict::new(JobState::Pending, pending_reason(obs))
    }
}

/// The state sk8 wrote, shown `CG` while pods remain.
fn final_verdict(f: &FinalState, pods: &JobPods<'_>) -> Verdict {
    let reason = if f.reason.is_empty() {
        "None".to_string()
    } else {
        f.reason.clone()
    };
    let state = if pods.lingering && !pods.pods.is_empty() {
        JobState::Completing
    } else {
        f.state
    };
    Verdict {
        state,
        reason,
        exit: ExitStatus {
            code: f.exit.0,
            signal: f.exit.1,
        },
        end_time: Some(f.end),
    }
}

/// A pod lost its node: `NF`, or `CG` while other pods still run or go.
fn node_failure(failed: &Pod, pods: &JobPods<'_>, now: i64) -> Verdict {
    let end = terminated(failed)
        .and_then(|t| secs(t.finished_at.as_ref()))
        .unwrap_or(now);
    let state = if pods.lingering
        && pods
            .pods
            .iter()
            .any(|p| !node_failed(p) && !pod_done(p) || p.metadata.deletion_timestamp.is_some())
    {
        JobState::Completing
    } else {
        JobState::NodeFail
    };
    Verdict {
        end_time: Some(end),
        ..Verdict::new(state, "NodeDown")
    }
}

/// Rank 0's container ended: its exit decides, a deadline or the OOM
/// killer overriding it.
fn rank0_ended(p0: &Pod, t: &ContainerStateTerminated, pods: &JobPods<'_>, now: i64) -> Verdict {
    let mut exit = exit_of(t);
    let state = if pod_reason(p0) == "DeadlineExceeded" {
        exit = ExitStatus::default();
        JobState::Timeout
    } else if t.reason.as_deref() == Some("OOMKilled") {
        exit = ExitStatus {
            code: 0,
            signal: 125,
        };
        JobState::OutOfMemory
    } else if exit == ExitStatus::default() {
        JobState::Completed
    } else {
        JobState::Failed
    };
    let reason = match state {
        JobState::Failed => "NonZeroExitCode",
        JobState::Timeout => "TimeLimit",
        JobState::OutOfMemory => "OutOfMemory",
        _ => "None",
    };
    Verdict {
        exit,
        end_time: secs(t.finished_at.as_ref()).or(Some(now)),
        ..Verdict::new(pods.completing_or(state), reason)
    }
}

/// Bound, containers starting: report a waiting reason (a bad image) when
/// there is one.
fn configuring(pods: &[&Pod]) -> Verdict {
    let waiting = pods.iter().find_map(|p| {
        job_status(p)
            .and_then(|c| c.state.as_ref())
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone())
            .filter(|r| r != "ContainerCreating" && r != "PodInitializing")
    });
    Verdict::new(
        JobState::Configuring,
        waiting.unwrap_or_else(|| "None".into()),
    )
}

/// Where the job runs, once it is past pending: the pods' nodes and each
/// bound pod's CPUs and GPUs.
struct Placement {
    nodes: Vec<String>,
    node_cpus: Vec<u32>,
    node_gpus: Vec<Vec<u32>>,
}

impl Placement {
    fn of(state: JobState, pods: &[&Pod], cfg: &KubeConfig) -> Self {
        if matches!(state, JobState::Pending) {
            return Self {
                nodes: Vec::new(),
                node_cpus: Vec::new(),
                node_gpus: Vec::new(),
            };
        }
        let requests = |p: &Pod| pod_requests(p, &cfg.gpu_resource);
        Self {
            nodes: pods
                .iter()
                .filter_map(|p| p.spec.as_ref().and_then(|s| s.node_name.clone()))
                .collect(),
            node_cpus: pods
                .iter()
                .filter(|p| bound(p))
                .map(|p| u32::try_from(requests(p).0.div_ceil(1000)).unwrap_or(u32::MAX))
                .collect(),
            node_gpus: pods
                .iter()
                .filter(|p| bound(p))
                .map(|p| (0..u32::try_from(requests(p).2).unwrap_or(0)).collect())
                .collect(),
        }
    }
}

/// The batch step of a job that started: the job's state as a step sees it
/// (running while configuring, the final state while completing, cancelled
/// on a timeout).
fn batch_step(
    v: &Verdict,
    final_state: Option<&FinalState>,
    host: &str,
    start: i64,
    end_time: Option<i64>,
) -> StepInfo {
    let step_state = match v.state {
        JobState::Completing => final_state.map_or(JobState::Completed, |f| f.state),
        JobState::Configuring => JobState::Running,
        s => s,
    };
    let step_state = if step_state == JobState::Timeout {
        JobState::Cancelled
    } else {
        step_state
    };
    StepInfo {
        id: "batch".into(),
        name: "batch".into(),
        state: step_state,
        nodes: vec![host.to_string()],
        tasks: 1,
        start_time: Some(start),
        end_time: if step_state.is_finished() {
            end_time
        } else {
            None
        },
        exit: v.exit,
    }
}

/// The node labels' features: `sk8.dev/feature.<name>` labels.
fn features(node: &Node) -> Vec<String> {
    node.metadata
        .labels
        .iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix(l::FEATURE_PREFIX).map(str::to_string))
        .collect()
}

/// Whether a node carries every label of `selector`.
fn matches_selector(node: &Node, selector: &BTreeMap<String, String>) -> bool {
    let labels = node.metadata.labels.as_ref();
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|m| m.get(k)) == Some(v))
}

/// The partitions (by name) a node belongs to.
fn node_partitions(node: &Node, cfg: &KubeConfig) -> Vec<String> {
    if cfg.partitions.is_empty() {
        return vec![crate::config::DEFAULT_PARTITION.to_string()];
    }
    cfg.partitions
        .iter()
        .filter(|(_, p)| matches_selector(node, &p.node_selector))
        .map(|(n, _)| n.clone())
        .collect()
}

/// A taint that keeps sk8's pods off the node: NoSchedule/NoExecute, not
/// GPU's own (the ExtendedResourceToleration admission tolerates it), not the
/// cordon taint (reported as drain already), not tolerated by the node's partitions.
fn blocking_taint(node: &Node, cfg: &KubeConfig) -> Option<String> {
    let parts: Vec<String> = node_partitions(node, cfg);
    let taints = node.spec.as_ref()?.taints.as_ref()?;
    taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .filter(|t| t.key != cfg.gpu_resource && t.key != "node.kubernetes.io/unschedulable")
        .find(|t| {
            !parts.iter().filter_map(|p| cfg.partition(p)).any(|p| {
                p.tolerations.iter().any(|tol| {
                    tol.key == t.key
                        && tol.effect.as_ref().is_none_or(|e| *e == t.effect)
                        && (tol.operator.as_deref() == Some("Exists") || tol.value == t.value)
                })
            })
        })
        .map(|t| match &t.value {
            Some(v) => format!("{}={}:{}", t.key, v, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        })
}

/// The nodes as sinfo shows them.
pub fn node_infos(nodes: &[Node], pods: &[Pod], cfg: &KubeConfig) -> Vec<NodeInfo> {
    let products: BTreeMap<&str, &str> = cfg
        .gpu_types
        .iter()
        .map(|(k, v)| (v.as_str(), k.as_str()))
        .collect();
    let mut out: Vec<NodeInfo> = nodes
        .iter()
        .map(|node| {
            let name = node.metadata.name.clone().unwrap_or_default();
            let status = node.status.as_ref();
            let alloc = status.and_then(|s| s.allocatable.as_ref().or(s.capacity.as_ref()));
            let get = |k: &str| alloc.and_then(|a| a.get(k));
            let cpus = u32::try_from(get("cpu").map_or(0, millicores) / 1000).unwrap_or(u32::MAX);
            let memory_mb = get("memory").map_or(0, mebibytes);
            let gpu_count = get(&cfg.gpu_resource)
                .and_then(|q| parse_quantity(&q.0))
                .map_or(0, |g| g as u32);
            let product = node
                .metadata
                .labels
                .as_ref()
                .and_then(|m| m.get(&cfg.gpu_product_label));
            let gpu_kind = product.map(|p| {
                products
                    .get(p.as_str())
                    .map_or_else(|| p.clone(), |k| (*k).to_string())
            });
            let mut used = (0u64, 0u64, 0u64);
            let mut active = 0usize;
            for p in pods.iter().filter(|p| {
                p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str())
                    && !matches!(phase(p), "Succeeded" | "Failed")
            }) {
                let r = pod_requests(p, &cfg.gpu_resource);
                used = (used.0 + r.0, used.1 + r.1, used.2 + r.2);
                active += 1;
            }
            let cpus_alloc = u32::try_from(used.0.div_ceil(1000))
                .unwrap_or(u32::MAX)
                .min(cpus.max(1));
            let ready = status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
            let cordoned = node
                .spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false);
            let (state, reason) = match ready {
                Some(c) if c.status == "True" => {
                    let blocked = if cordoned {
                        Some("cordoned".to_string())
                    } else {
                        blocking_taint(node, cfg)
                    };
                    match blocked {
                        Some(r) if active > 0 => (NodeState::Draining, Some(r)),
                        Some(r) => (NodeState::Drained, Some(r)),
                        None if active == 0 => (NodeState::Idle, None),
                        None if cpus_alloc >= cpus => (NodeState::Allocated, None),
                        None => (NodeState::Mixed, None),
                    }
                }
                Some(c) => (
                    NodeState::Down,
                    Some(
                        c.message
                            .clone()
                            .or_else(|| c.reason.clone())
                            .unwrap_or_else(|| "Not responding".into()),
                    ),
                ),
                None => (NodeState::Down, Some("Not responding".into())),
            };
            let addr = status
                .and_then(|s| s.addresses.as_ref())
                .and_then(|a| a.iter().find(|a| a.type_ == "InternalIP"))
                .map_or_else(|| name.clone(), |a| a.address.clone());
            NodeInfo {
                name,
                addr,
                state,
                reason,
                cpus,
                cpus_alloc,
                memory_mb,
                memory_alloc_mb: used.1,
                gpus: if gpu_count > 0 {
                    vec![(gpu_kind, gpu_count)]
                } else {
                    Vec::new()
                },
                gpus_alloc: u32::try_from(used.2).unwrap_or(u32::MAX),
                features: features(node),
                partitions: node_partitions(node, cfg),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The partitions of the config with their nodes.
pub fn partitions(nodes: &[Node], cfg: &KubeConfig) -> Vec<PartitionInfo> {
    let default = cfg.default_partition_name();
    cfg.partition_names()
        .into_iter()
        .map(|name| {
            let pc = cfg.partition(&name);
            let parse = |s: Option<&String>| s.and_then(|t| t.parse::<TimeLimit>().ok());
            let mut members: Vec<String> = nodes
                .iter()
                .filter(|n| pc.is_none_or(|p| matches_selector(n, &p.node_selector)))
                .filter_map(|n| n.metadata.name.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            members.sort();
            PartitionInfo {
                default: name == default,
                up: true,
                max_time: parse(pc.and_then(|p| p.max_time.as_ref()))
                    .unwrap_or(TimeLimit::Unlimited),
                default_time: parse(pc.and_then(|p| p.default_time.as_ref())),
                nodes: members,
                name,
            }
        })
        .collect()
}

/// From API discovery: (group, version, plural resource) served -> the provider to use.
pub fn detect_provider(served: &[(String, String, String)]) -> Provider {
    let has =
        |group: &str, resource: &str| served.iter().any(|(g, _, r)| g == group && r == resource);
    if has("kueue.x-k8s.io", "workloads") {
        Provider::Kueue
    } else if has("scheduling.volcano.sh", "podgroups") {
        Provider::Volcano
    } else if has("scheduling.x-k8s.io", "podgroups") {
        Provider::Coscheduling
    } else if has("scheduling.k8s.io", "podgroups") {
        Provider::Native
    } else {
        Provider::None
    }
}
