//! Table-driven state mapping: pods, PodGroup and Workload statuses to Slurm states.

use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};
use sk8_backend::JobState;
use sk8_manifest::config::{KubeConfig, Provider};
use sk8_manifest::labels;
use sk8_manifest::status::{FinalState, Observed, detect_provider, job_info};

use crate::common::{render_with, sbatch};

const T0: &str = "2025-10-09T08:00:00Z";
const T0_SECS: i64 = 1_759_996_800;
const T1: &str = "2025-10-09T08:10:00Z";
const NOW: i64 = 1_760_100_000;

fn container(state: Value) -> Value {
    json!([{ "name": "job", "image": "ubuntu:22.04", "imageID": "", "ready": false,
             "restartCount": 0, "state": state }])
}

fn running() -> Value {
    json!({ "phase": "Running", "startTime": T0,
            "containerStatuses": container(json!({ "running": { "startedAt": T0 } })) })
}

fn waiting(reason: &str) -> Value {
    json!({ "phase": "Pending", "startTime": T0,
            "containerStatuses": container(json!({ "waiting": { "reason": reason } })) })
}

fn ended(code: i32, reason: &str) -> Value {
    let phase = if code == 0 { "Succeeded" } else { "Failed" };
    json!({ "phase": phase, "startTime": T0,
            "containerStatuses": container(json!({ "terminated": {
                "exitCode": code, "reason": reason, "startedAt": T0, "finishedAt": T1 } })) })
}

fn unschedulable() -> Value {
    json!({ "phase": "Pending", "conditions": [{ "type": "PodScheduled", "status": "False",
            "reason": "Unschedulable", "message": "0/3 nodes are available" }] })
}

/// A pod of the case: its rank, node (bound or not), status and extras.
struct P {
    rank: u32,
    node: Option<&'static str>,
    status: Value,
    deleting: bool,
    gated: bool,
}

fn p(rank: u32, node: Option<&'static str>, status: Value) -> P {
    P {
        rank,
        node,
        status,
        deleting: false,
        gated: false,
    }
}

struct Case {
    name: &'static str,
    pods: Vec<P>,
    hold: bool,
    final_state: Option<FinalState>,
    pod_group: Option<Value>,
    workload: Option<Value>,
    want: (&'static str, &'static str, (u8, u8)),
}

fn case(name: &'static str, pods: Vec<P>, want: (&'static str, &'static str, (u8, u8))) -> Case {
    Case {
        name,
        pods,
        hold: false,
        final_state: None,
        pod_group: None,
        workload: None,
        want,
    }
}

fn evicted() -> Value {
    json!({ "phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory." })
}

fn cases() -> Vec<Case> {
    let b = Some("node-a");
    let c = Some("node-b");
    let cancelled = FinalState {
        state: JobState::Cancelled,
        exit: (0, 15),
        end: NOW - 5,
        reason: String::new(),
    };
    let mut deleting = p(0, b, running());
    deleting.deleting = true;
    let gated = |rank| P {
        gated: true,
        ..p(rank, None, json!({ "phase": "Pending" }))
    };
    let workload = |cond: Value| json!({ "status": { "conditions": [cond] } });
    vec![
        case("no pods yet", vec![], ("PD", "Resources", (0, 0))),
        Case {
            hold: true,
            ..case("held", vec![], ("PD", "JobHeldUser", (0, 0)))
        },
        case(
            "unschedulable",
            vec![p(0, None, unschedulable()), p(1, None, unschedulable())],
            ("PD", "Resources", (0, 0)),
        ),
        case(
            "half bound",
            vec![
                p(0, b, waiting("ContainerCreating")),
                p(1, None, unschedulable()),
            ],
            ("PD", "Resources", (0, 0)),
        ),
        case(
            "one pod missing",
            vec![p(0, b, waiting("ContainerCreating"))],
            ("PD", "Resources", (0, 0)),
        ),
        Case {
            workload: Some(workload(
                json!({ "type": "QuotaReserved", "status": "False", "reason": "Pending",
                "message": "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu" }),
            )),
            ..case(
                "kueue gated, no quota",
                vec![gated(0), gated(1)],
                ("PD", "Resources", (0, 0)),
            )
        },
        Case {
            workload: Some(workload(
                json!({ "type": "QuotaReserved", "status": "False", "reason": "Pending",
                "message": "Workload waits for higher priority workloads" }),
            )),
            ..case(
                "kueue gated behind priority",
                vec![gated(0), gated(1)],
                ("PD", "Priority", (0, 0)),
            )
        },
        Case {
            workload: Some(workload(
                json!({ "type": "Evicted", "status": "True", "reason": "Preempted",
                "message": "Preempted to accommodate a higher priority Workload" }),
            )),
            ..case(
                "kueue preempted",
                vec![gated(0), gated(1)],
                ("PD", "Priority", (0, 0)),
            )
        },
        Case {
            pod_group: Some(json!({ "status": { "phase": "Inqueue" } })),
            ..case(
                "volcano inqueue",
                vec![
                    p(0, None, json!({"phase": "Pending"})),
                    p(1, None, json!({"phase": "Pending"})),
                ],
                ("PD", "Resources", (0, 0)),
            )
        },
        case(
            "bound, creating",
            vec![
                p(0, b, waiting("ContainerCreating")),
                p(1, c, waiting("ContainerCreating")),
            ],
            ("CF", "None", (0, 0)),
        ),
        case(
            "bad image",
            vec![
                p(0, b, waiting("ImagePullBackOff")),
                p(1, c, waiting("ContainerCreating")),
            ],
            ("CF", "ImagePullBackOff", (0, 0)),
        ),
        case(
            "rank 0 running",
            vec![p(0, b, running()), p(1, c, waiting("ContainerCreating"))],
            ("R", "None", (0, 0)),
        ),
        case(
            "all running",
            vec![p(0, b, running()), p(1, c, running())],
            ("R", "None", (0, 0)),
        ),
        Case {
            hold: true,
            ..case(
                "hold ignored once running",
                vec![p(0, b, running()), p(1, c, running())],
                ("R", "None", (0, 0)),
            )
        },
        case(
            "rank 0 done, rank 1 still up",
            vec![p(0, b, ended(0, "Completed")), p(1, c, running())],
            ("CG", "None", (0, 0)),
        ),
        case(
            "completed",
            vec![p(0, b, ended(0, "Completed"))],
            ("CD", "None", (0, 0)),
        ),
        case(
            "failed",
            vec![p(0, b, ended(3, "Error"))],
            ("F", "NonZeroExitCode", (3, 0)),
        ),
        case(
            "killed by signal",
            vec![p(0, b, ended(137, "Error"))],
            ("F", "NonZeroExitCode", (0, 9)),
        ),
        case(
            "oom",
            vec![p(0, b, ended(137, "OOMKilled"))],
            ("OOM", "OutOfMemory", (0, 125)),
        ),
        case(
            "deadline",
            vec![p(0, b, {
                let mut s = ended(137, "Error");
                s["reason"] = json!("DeadlineExceeded");
                s
            })],
            ("TO", "TimeLimit", (0, 0)),
        ),
        case(
            "deadline while pending",
            vec![p(
                0,
                None,
                json!({ "phase": "Failed", "reason": "DeadlineExceeded" }),
            )],
            ("TO", "None", (0, 0)),
        ),
        case(
            "rank 1 evicted, rank 0 up",
            vec![p(0, b, running()), p(1, c, evicted())],
            ("CG", "NodeDown", (0, 0)),
        ),
        case(
            "evicted",
            vec![p(0, b, evicted())],
            ("NF", "NodeDown", (0, 0)),
        ),
        case(
            "disruption target",
            vec![p(0, b, {
                let mut s = ended(143, "Error");
                s["conditions"] = json!([{ "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager" }]);
                s
            })],
            ("NF", "NodeDown", (0, 0)),
        ),
        case(
            "node lost",
            vec![p(0, b, json!({ "phase": "Failed", "reason": "NodeLost" }))],
            ("NF", "NodeDown", (0, 0)),
        ),
        Case {
            final_state: Some(cancelled.clone()),
            ..case(
                "cancelled, pods going",
                vec![deleting],
                ("CG", "None", (0, 15)),
            )
        },
        Case {
            final_state: Some(cancelled),
            ..case("cancelled", vec![], ("CA", "None", (0, 15)))
        },
        Case {
            final_state: Some(FinalState {
                state: JobState::Timeout,
                exit: (0, 0),
                end: NOW,
                reason: "TimeLimit".into(),
            }),
            ..case(
                "sk8 timeout wins over pods",
                vec![p(0, b, ended(0, "Completed"))],
                ("TO", "TimeLimit", (0, 0)),
            )
        },
        case(
            "succeeded but being deleted",
            vec![{
                let mut x = p(0, b, ended(0, "Completed"));
                x.deleting = true;
                x
            }],
            ("CG", "None", (0, 0)),
        ),
    ]
}

fn build_pod(template: &Pod, p: &P) -> Pod {
    let mut v = serde_json::to_value(template).unwrap();
    v["metadata"]["name"] = json!(format!("sk8-job-4242-{}", p.rank));
    v["metadata"]["labels"][labels::RANK] = json!(p.rank.to_string());
    if let Some(n) = p.node {
        v["spec"]["nodeName"] = json!(n);
    }
    if p.gated {
        v["spec"]["schedulingGates"] = json!([{ "name": labels::KUEUE_GATE }]);
    }
    if p.deleting {
        v["metadata"]["deletionTimestamp"] = json!(T1);
    }
    v["status"] = p.status.clone();
    serde_json::from_value(v).unwrap()
}

#[test]
fn state_table() {
    let cfg = KubeConfig::default();
    let (spec, script) = sbatch(&["-N2", "-c", "4", "-t", "60"], "#!/bin/sh\ntrue\n");
    let table = cases();
    assert!(table.len() >= 20);
    for c in &table {
        let mut objs = render_with(&spec, &script, Provider::Kueue, &cfg, None).unwrap();
        let ann = objs.record.metadata.annotations.get_or_insert_default();
        if c.hold {
            ann.insert(labels::HOLD.into(), "user".into());
        }
        if let Some(f) = &c.final_state {
            ann.insert(labels::STATE.into(), serde_json::to_string(f).unwrap());
        }
        let pods: Vec<Pod> = c.pods.iter().map(|p| build_pod(&objs.pods[0], p)).collect();
        let obs = Observed {
            record: &objs.record,
            pods: pods.iter().collect(),
            pod_group: c.pod_group.as_ref(),
            workload: c.workload.as_ref(),
        };
        let info = job_info(&obs, &cfg, NOW).unwrap();
        let got = (
            info.state.code(),
            info.reason.as_str(),
            (info.exit.code, info.exit.signal),
        );
        assert_eq!(got, c.want, "{}", c.name);
        assert_eq!(info.id, 4242);
        assert_eq!(info.submit_time, 1_760_000_000);
        if info.state == JobState::Pending {
            assert!(
                info.nodes.is_empty() && info.start_time.is_none(),
                "{}",
                c.name
            );
            assert_eq!(info.cpus, 8, "{}: requested CPUs", c.name);
        }
    }
}

/// Everything `job_info` reports for each case of the state table (but the
/// spec, of which it only fills in the partition), so that a change to any
/// field, not only the state, shows as a snapshot diff.
#[test]
fn state_table_snapshot() {
    let cfg = KubeConfig::default();
    let (spec, script) = sbatch(&["-N2", "-c", "4", "-t", "60"], "#!/bin/sh\ntrue\n");
    let mut out = String::new();
    for c in &cases() {
        let mut objs = render_with(&spec, &script, Provider::Kueue, &cfg, None).unwrap();
        let ann = objs.record.metadata.annotations.get_or_insert_default();
        if c.hold {
            ann.insert(labels::HOLD.into(), "user".into());
        }
        if let Some(f) = &c.final_state {
            ann.insert(labels::STATE.into(), serde_json::to_string(f).unwrap());
        }
        let pods: Vec<Pod> = c.pods.iter().map(|p| build_pod(&objs.pods[0], p)).collect();
        let obs = Observed {
            record: &objs.record,
            pods: pods.iter().collect(),
            pod_group: c.pod_group.as_ref(),
            workload: c.workload.as_ref(),
        };
        let info = job_info(&obs, &cfg, NOW).unwrap();
        let mut v = serde_json::to_value(&info).unwrap();
        let partition = v["spec"]["partition"].take();
        v["spec"] = json!({ "partition": partition });
        out.push_str(&format!(
            "{}\n{}\n",
            c.name,
            serde_json::to_string(&v).unwrap()
        ));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn running_job_fields() {
    let cfg = KubeConfig::default();
    let (spec, script) = sbatch(
        &["-N2", "-c", "4", "-t", "60", "--array=1-3"],
        "#!/bin/sh\ntrue\n",
    );
    let objs = render_with(&spec, &script, Provider::None, &cfg, Some((7, 2))).unwrap();
    let pods: Vec<Pod> = [
        p(1, Some("node-b"), running()),
        p(0, Some("node-a"), running()),
    ]
    .iter()
    .map(|x| build_pod(&objs.pods[0], x))
    .collect();
    let obs = Observed {
        record: &objs.record,
        pods: pods.iter().collect(),
        pod_group: None,
        workload: None,
    };
    let info = job_info(&obs, &cfg, NOW).unwrap();
    assert_eq!(info.state, JobState::Running);
    assert_eq!(info.nodes, ["node-a", "node-b"], "rank order");
    assert_eq!(info.node_cpus, [4, 4]);
    assert_eq!(info.cpus, 8);
    assert_eq!(info.batch_host.as_deref(), Some("node-a"));
    assert_eq!(info.start_time, Some(T0_SECS));
    assert_eq!(info.end_time, Some(T0_SECS + 3600), "start + time limit");
    assert_eq!(info.time_limit, Some(sk8_spec::TimeLimit::Minutes(60)));
    assert_eq!(info.spec.partition.as_deref(), Some("k8s"));
    let array = info.array.unwrap();
    assert_eq!((array.job_id, array.task_id), (7, Some(2)));
    assert_eq!(info.id, 9);
    assert_eq!(info.steps.len(), 1);
    assert_eq!(
        (info.steps[0].id.as_str(), info.steps[0].state),
        ("batch", JobState::Running)
    );

    let done: Vec<Pod> = [p(0, Some("node-a"), ended(2, "Error"))]
        .iter()
        .map(|x| build_pod(&objs.pods[0], x))
        .collect();
    let obs = Observed {
        record: &objs.record,
        pods: done.iter().collect(),
        pod_group: None,
        workload: None,
    };
    let info = job_info(&obs, &cfg, NOW).unwrap();
    assert_eq!(info.state, JobState::Failed);
    assert_eq!(info.end_time, Some(T0_SECS + 600));
    assert_eq!(info.steps[0].state, JobState::Failed);
    assert_eq!(info.steps[0].exit.code, 2);
}

#[test]
fn provider_detection() {
    let r = |g: &str, v: &str, res: &str| (g.to_string(), v.to_string(), res.to_string());
    let cases = [
        (vec![], Provider::None),
        (vec![r("apps", "v1", "deployments")], Provider::None),
        (
            vec![r("scheduling.k8s.io", "v1", "priorityclasses")],
            Provider::None,
        ),
        (
            vec![r("scheduling.k8s.io", "v1alpha1", "podgroups")],
            Provider::Native,
        ),
        (
            vec![r("scheduling.x-k8s.io", "v1alpha1", "podgroups")],
            Provider::Coscheduling,
        ),
        (
            vec![
                r("scheduling.x-k8s.io", "v1alpha1", "podgroups"),
                r("scheduling.volcano.sh", "v1beta1", "podgroups"),
            ],
            Provider::Volcano,
        ),
        (
            vec![
                r("scheduling.volcano.sh", "v1beta1", "podgroups"),
                r("kueue.x-k8s.io", "v1beta1", "workloads"),
            ],
            Provider::Kueue,
        ),
        (
            vec![r("kueue.x-k8s.io", "v1beta1", "localqueues")],
            Provider::None,
        ),
    ];
    for (served, want) in cases {
        assert_eq!(detect_provider(&served), want, "{served:?}");
    }
}
