//! Node mapping for sinfo: readiness, cordons, taints, GPUs and allocations.

use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};
use sk8_backend::NodeState;
use sk8_manifest::config::KubeConfig;
use sk8_manifest::status::{node_infos, partitions};
use sk8_spec::TimeLimit;

use crate::common::partitioned_config;

fn node(name: &str, ready: &str, extra: Value) -> Node {
    let mut v = json!({
        "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name, "pool": "cpu" } },
        "spec": {},
        "status": {
            "allocatable": { "cpu": "7910m", "memory": "32Gi" },
            "addresses": [{ "type": "InternalIP", "address": format!("10.0.0.{}", name.len()) }],
            "conditions": [{ "type": "Ready", "status": ready, "message": "kubelet stopped posting node status" }]
        }
    });
    merge(&mut v, extra);
    serde_json::from_value(v).unwrap()
}

fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b,
    }
}

fn pod(node: &str, cpu: &str, gpus: u32, phase: &str) -> Pod {
    let mut req = json!({ "cpu": cpu, "memory": "1Gi" });
    if gpus > 0 {
        req["nvidia.com/gpu"] = json!(gpus.to_string());
    }
    serde_json::from_value(json!({
        "metadata": { "name": format!("p-{node}-{cpu}") },
        "spec": { "nodeName": node, "containers": [{ "name": "job", "resources": { "requests": req, "limits": req } }] },
        "status": { "phase": phase }
    }))
    .unwrap()
}

#[test]
fn node_table() {
    let gpu_labels = json!({ "metadata": { "labels": { "pool": "gpu", "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3" } },
        "status": { "allocatable": { "nvidia.com/gpu": "8" } } });
    let cases: Vec<(Node, Vec<Pod>, NodeState, Option<&str>)> = vec![
        (
            node("idle", "True", json!({})),
            vec![],
            NodeState::Idle,
            None,
        ),
        (
            node("idle2", "True", json!({})),
            vec![pod("idle2", "2", 0, "Succeeded")],
            NodeState::Idle,
            None,
        ),
        (
            node("mixed", "True", json!({})),
            vec![pod("mixed", "2", 0, "Running")],
            NodeState::Mixed,
            None,
        ),
        (
            node("full", "True", json!({})),
            vec![
                pod("full", "4", 0, "Running"),
                pod("full", "3500m", 0, "Pending"),
            ],
            NodeState::Allocated,
            None,
        ),
        (
            node("notready", "False", json!({})),
            vec![],
            NodeState::Down,
            Some("kubelet stopped posting node status"),
        ),
        (
            node("unknown", "Unknown", json!({})),
            vec![pod("unknown", "1", 0, "Running")],
            NodeState::Down,
            Some("kubelet stopped posting node status"),
        ),
        (
            node(
                "cordoned",
                "True",
                json!({ "spec": { "unschedulable": true } }),
            ),
            vec![],
            NodeState::Drained,
            Some("cordoned"),
        ),
        (
            node(
                "draining",
                "True",
                json!({ "spec": { "unschedulable": true } }),
            ),
            vec![pod("draining", "1", 0, "Running")],
            NodeState::Draining,
            Some("cordoned"),
        ),
        (
            node(
                "tainted",
                "True",
                json!({ "spec": { "taints": [{ "key": "maintenance", "value": "yes", "effect": "NoSchedule" }] } }),
            ),
            vec![],
            NodeState::Drained,
            Some("maintenance=yes:NoSchedule"),
        ),
        (
            node(
                "prefer",
                "True",
                json!({ "spec": { "taints": [{ "key": "soft", "effect": "PreferNoSchedule" }] } }),
            ),
            vec![],
            NodeState::Idle,
            None,
        ),
        (
            node("gpu-idle", "True", gpu_labels.clone()),
            vec![],
            NodeState::Idle,
            None,
        ),
        (
            node("gpu-busy", "True", gpu_labels.clone()),
            vec![pod("gpu-busy", "4", 4, "Running")],
            NodeState::Mixed,
            None,
        ),
        // The gpu partition tolerates `dedicated=gpu`; the GPU resource taint is tolerated by admission.
        (
            node("gpu-tainted", "True", {
                let mut g = gpu_labels.clone();
                merge(
                    &mut g,
                    json!({ "spec": { "taints": [
            { "key": "dedicated", "value": "gpu", "effect": "NoSchedule" },
            { "key": "nvidia.com/gpu", "effect": "NoSchedule" } ] } }),
                );
                g
            }),
            vec![],
            NodeState::Idle,
            None,
        ),
    ];
    let cfg = partitioned_config();
    let nodes: Vec<Node> = cases.iter().map(|c| c.0.clone()).collect();
    let pods: Vec<Pod> = cases.iter().flat_map(|c| c.1.clone()).collect();
    let infos = node_infos(&nodes, &pods, &cfg);
    assert_eq!(infos.len(), cases.len());
    for (n, _, state, reason) in &cases {
        let name = n.metadata.name.as_deref().unwrap();
        let info = infos.iter().find(|i| i.name == name).unwrap();
        assert_eq!(
            (info.state, info.reason.as_deref()),
            (*state, *reason),
            "{name}"
        );
        assert_eq!((info.cpus, info.memory_mb), (7, 32 * 1024), "{name}");
    }
    let busy = infos.iter().find(|i| i.name == "gpu-busy").unwrap();
    assert_eq!(busy.gpus, [(Some("h100".to_string()), 8)]);
    assert_eq!(
        (busy.gpus_alloc, busy.cpus_alloc, busy.memory_alloc_mb),
        (4, 4, 1024)
    );
    assert_eq!(busy.partitions, ["gpu"]);
    let full = infos.iter().find(|i| i.name == "full").unwrap();
    assert_eq!(
        (
            full.cpus_alloc,
            full.addr.as_str(),
            full.partitions.as_slice()
        ),
        (7, "10.0.0.4", &["cpu".to_string()][..])
    );
    assert!(
        infos
            .iter()
            .find(|i| i.name == "idle")
            .unwrap()
            .gpus
            .is_empty()
    );
    // Unknown products keep the label's value.
    let odd = node(
        "odd",
        "True",
        json!({ "metadata": { "labels": { "nvidia.com/gpu.product": "Radeon-X" } },
        "status": { "allocatable": { "nvidia.com/gpu": "2" } } }),
    );
    assert_eq!(
        node_infos(&[odd], &[], &cfg)[0].gpus,
        [(Some("Radeon-X".to_string()), 2)]
    );
}

/// (name, default, nodes, max time, default time) of a partition.
type Summary<'a> = (&'a str, bool, Vec<&'a str>, TimeLimit, Option<TimeLimit>);

#[test]
fn partition_table() {
    let nodes = vec![
        node("c2", "True", json!({})),
        node("c1", "True", json!({})),
        node(
            "g1",
            "True",
            json!({ "metadata": { "labels": { "pool": "gpu" } } }),
        ),
    ];
    let parts = partitions(&nodes, &partitioned_config());
    let summary: Vec<Summary<'_>> = parts
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.default,
                p.nodes.iter().map(String::as_str).collect(),
                p.max_time,
                p.default_time,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "cpu",
                true,
                vec!["c1", "c2"],
                TimeLimit::Minutes(1440),
                Some(TimeLimit::Minutes(60))
            ),
            ("gpu", false, vec!["g1"], TimeLimit::Unlimited, None),
        ]
    );
    let plain = partitions(&nodes, &KubeConfig::default());
    assert_eq!(plain.len(), 1);
    assert_eq!((plain[0].name.as_str(), plain[0].default), ("k8s", true));
    assert_eq!(plain[0].nodes, ["c1", "c2", "g1"]);
    let infos = node_infos(&nodes, &[], &KubeConfig::default());
    assert!(infos.iter().all(|i| i.partitions == ["k8s"]));
}
