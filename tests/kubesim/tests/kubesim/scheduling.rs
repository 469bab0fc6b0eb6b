//! Placement: all-or-nothing gangs per provider, and node fit (resources,
//! selectors, affinity, anti-affinity, taints, cordons, readiness).

use crate::common::{NS, create, get_pod, merge, node, node_of, req, sized_pod, start, wait_for};
use serde_json::{Value, json};
use sk8_kubesim::SimProvider;

fn scheduled_condition(pod: &Value) -> Option<(String, String)> {
    pod.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == "PodScheduled")
        .map(|c| {
            (
                c["status"].as_str().unwrap_or("").to_owned(),
                c["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
}

/// Waits until the pod has a PodScheduled condition; returns the pod.
fn decided(sim: &sk8_kubesim::Sim, name: &str) -> Value {
    wait_for(&format!("scheduling decision for {name}"), || {
        get_pod(sim, name).filter(|p| scheduled_condition(p).is_some())
    })
}

/// Two 4-GPU pods of one group for each provider, on nodes with `gpus_per_node`.
fn gang_pods(provider: SimProvider, group: &str) -> Vec<Value> {
    (0..2)
        .map(|rank| {
            let mut p = sized_pod(&format!("{group}-{rank}"), "1", 4);
            let extra = match provider {
                SimProvider::Kueue => json!({"metadata": {
                    "labels": {"kueue.x-k8s.io/queue-name": "q", "kueue.x-k8s.io/pod-group-name": group},
                    "annotations": {"kueue.x-k8s.io/pod-group-total-count": "2"}}}),
                SimProvider::Volcano => json!({"metadata": {"annotations": {"scheduling.k8s.io/group-name": group}},
                    "spec": {"schedulerName": "volcano"}}),
                SimProvider::Coscheduling => json!({"metadata": {"labels": {"scheduling.x-k8s.io/pod-group": group}},
                    "spec": {"schedulerName": "scheduler-plugins-scheduler"}}),
                SimProvider::None => json!({}),
            };
            merge(&mut p, &extra);
            p
        })
        .collect()
}

fn podgroup(provider: SimProvider, name: &str) -> Option<(String, Value)> {
    match provider {
        SimProvider::Volcano => Some((
            "/apis/scheduling.volcano.sh/v1beta1/namespaces/default/podgroups".to_owned(),
            json!({"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "PodGroup", "metadata": {"name": name},
                "spec": {"minMember": 2, "queue": "default"}}),
        )),
        SimProvider::Coscheduling => Some((
            "/apis/scheduling.x-k8s.io/v1alpha1/namespaces/default/podgroups".to_owned(),
            json!({"apiVersion": "scheduling.x-k8s.io/v1alpha1", "kind": "PodGroup", "metadata": {"name": name},
                "spec": {"minMember": 2}}),
        )),
        _ => None,
    }
}

#[test]
fn gangs_are_all_or_nothing_for_every_provider() {
    for provider in [
        SimProvider::Kueue,
        SimProvider::Volcano,
        SimProvider::Coscheduling,
    ] {
        // 2 nodes x 4 GPUs; one node cordoned: the 2 x 4-GPU group cannot fit.
        let mut cordoned = node("n1", 8, 4);
        cordoned.unschedulable = true;
        let sim = start(provider, false, vec![node("n0", 8, 4), cordoned]);
        if let Some((path, pg)) = podgroup(provider, "big") {
            create(&sim, &path, &pg);
        }
        for p in gang_pods(provider, "big") {
            create(&sim, &format!("{NS}/pods"), &p);
        }
        for rank in 0..2 {
            let pod = decided(&sim, &format!("big-{rank}"));
            assert_eq!(node_of(&pod), "", "{provider}: rank {rank} bound alone");
            assert_eq!(scheduled_condition(&pod).unwrap().0, "False", "{provider}");
        }
        match provider {
            SimProvider::Kueue => {
                let wl = wait_for("workload", || {
                    sim.objects("workloads")
                        .into_iter()
                        .find(|w| w["metadata"]["name"] == "big")
                });
                let conds = wl["status"]["conditions"].as_array().unwrap();
                let qr = conds
                    .iter()
                    .find(|c| c["type"] == "QuotaReserved")
                    .expect("QuotaReserved");
                assert_eq!(qr["status"], "False");
                assert!(
                    qr["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("couldn't assign flavors"),
                    "{qr}"
                );
                assert!(
                    qr["message"].as_str().unwrap().contains("insufficient"),
                    "{qr}"
                );
                let gates = &get_pod(&sim, "big-0").unwrap()["spec"]["schedulingGates"];
                assert_eq!(gates, &json!([{"name": "kueue.x-k8s.io/admission"}]));
            }
            _ => {
                let pg = wait_for("podgroup phase", || {
                    sim.objects("podgroups")
                        .into_iter()
                        .find(|g| g["status"]["phase"].is_string())
                });
                assert_eq!(pg["status"]["phase"], "Pending", "{provider}");
            }
        }
        // Uncordon: the whole group binds, on two different nodes.
        sim.set_node(node("n1", 8, 4));
        let nodes: Vec<String> = (0..2)
            .map(|rank| {
                wait_for("bound", || {
                    get_pod(&sim, &format!("big-{rank}"))
                        .map(|p| node_of(&p))
                        .filter(|n| !n.is_empty())
                })
            })
            .collect();
        assert_ne!(nodes[0], nodes[1], "{provider}");
        match provider {
            SimProvider::Kueue => {
                let wl = wait_for("admitted", || {
                    sim.objects("workloads").into_iter().find(|w| {
                        w["status"]["conditions"].as_array().is_some_and(|c| {
                            c.iter()
                                .any(|c| c["type"] == "Admitted" && c["status"] == "True")
                        })
                    })
                });
                assert_eq!(wl["spec"]["podSets"][0]["count"], 2);
                assert_eq!(
                    get_pod(&sim, "big-0").unwrap()["spec"]["schedulingGates"],
                    json!([])
                );
            }
            SimProvider::Volcano => {
                wait_for("Inqueue", || {
                    sim.objects("podgroups")
                        .into_iter()
                        .find(|g| g["status"]["phase"] == "Inqueue")
                });
            }
            _ => {
                wait_for("Scheduled", || {
                    sim.objects("podgroups")
                        .into_iter()
                        .find(|g| g["status"]["phase"] == "Scheduled")
                });
            }
        }
    }
}

#[test]
fn a_gang_waits_for_its_podgroup_and_min_member() {
    let sim = start(SimProvider::Volcano, false, vec![node("n0", 16, 8)]);
    let pods = gang_pods(SimProvider::Volcano, "g");
    create(&sim, &format!("{NS}/pods"), &pods[0]);
    create(&sim, &format!("{NS}/pods"), &pods[1]);
    // No PodGroup yet: the scheduler says so and binds nothing.
    for rank in 0..2 {
        let pod = decided(&sim, &format!("g-{rank}"));
        assert_eq!(node_of(&pod), "");
        let msg = pod["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "PodScheduled")
            .unwrap()["message"]
            .clone();
        assert_eq!(msg, "podgroup default/g not found");
    }
    let (path, pg) = podgroup(SimProvider::Volcano, "g").unwrap();
    create(&sim, &path, &pg);
    for rank in 0..2 {
        wait_for("bound", || {
            get_pod(&sim, &format!("g-{rank}")).filter(|p| !node_of(p).is_empty())
        });
    }
}

/// (pod name, cpu, gpus, extra spec, nodes it may land on (none: stays pending), reason text).
type FitCase<'a> = (&'a str, &'a str, u32, Value, Vec<&'a str>, &'a str);

#[test]
fn plain_pods_fit_by_resources_selectors_affinity_and_taints() {
    let mut gpu = node("gpu", 8, 2);
    gpu.labels.insert("pool".to_owned(), "gpu".to_owned());
    gpu.taints.push((
        "nvidia.com/gpu".to_owned(),
        "present".to_owned(),
        "NoSchedule".to_owned(),
    ));
    let mut down = node("down", 64, 8);
    down.ready = false;
    let cpu_nodes = [node("cpu0", 4, 0), node("cpu1", 4, 0)];
    let sim = start(
        SimProvider::None,
        false,
        vec![gpu, down, cpu_nodes[0].clone(), cpu_nodes[1].clone()],
    );
    let tolerate = json!({"spec": {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}});
    let anti = |app: &str| {
        json!({"metadata": {"labels": {"app": app}}, "spec": {"affinity": {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname",
            "labelSelector": {"matchLabels": {"app": app}}}]}}}})
    };
    let affinity = |op: &str, vals: Value| {
        json!({"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": op, "values": vals}]}]}}}}})
    };
    // (name, cpu, gpus, extra, allowed nodes; empty = stays pending, with the reason's text)
    let cases: Vec<FitCase<'_>> = vec![
        (
            "gpu-untolerated",
            "1",
            1,
            json!({}),
            vec![],
            "untolerated taint",
        ),
        ("gpu-tolerated", "1", 1, tolerate.clone(), vec!["gpu"], ""),
        (
            "too-many-gpus",
            "1",
            4,
            tolerate.clone(),
            vec![],
            "Insufficient nvidia.com/gpu",
        ),
        (
            "too-much-cpu",
            "5",
            0,
            json!({}),
            vec![],
            "Insufficient cpu",
        ),
        (
            "selector",
            "1",
            0,
            json!({"spec": {"nodeSelector": {"pool": "gpu"}}}),
            vec![],
            "didn't match Pod's node affinity/selector",
        ),
        (
            "selector-tolerated",
            "1",
            0,
            {
                let mut v = tolerate.clone();
                merge(&mut v, &json!({"spec": {"nodeSelector": {"pool": "gpu"}}}));
                v
            },
            vec!["gpu"],
            "",
        ),
        (
            "affinity-in",
            "1",
            0,
            affinity("In", json!(["cpu1"])),
            vec!["cpu1"],
            "",
        ),
        (
            "affinity-notin",
            "1",
            0,
            affinity("NotIn", json!(["cpu0", "cpu1"])),
            vec![],
            "didn't match",
        ),
        ("anti-a", "1", 0, anti("spread"), vec!["cpu0", "cpu1"], ""),
        ("anti-b", "1", 0, anti("spread"), vec!["cpu0", "cpu1"], ""),
        ("anti-c", "1", 0, anti("spread"), vec![], "anti-affinity"),
    ];
    let mut placed: Vec<(String, String)> = Vec::new();
    for (name, cpu, gpus, extra, allowed, reason) in &cases {
        let mut p = sized_pod(name, cpu, *gpus);
        merge(&mut p, extra);
        create(&sim, &format!("{NS}/pods"), &p);
        let pod = decided(&sim, name);
        let n = node_of(&pod);
        if allowed.is_empty() {
            assert_eq!(n, "", "{name} bound");
            let msg = pod["status"]["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["type"] == "PodScheduled")
                .unwrap()["message"]
                .clone();
            assert!(msg.as_str().unwrap().contains(reason), "{name}: {msg}");
            assert!(
                msg.as_str().unwrap().starts_with("0/4 nodes are available"),
                "{name}: {msg}"
            );
            // Pending pods do not hold resources: delete them.
            assert_eq!(
                req(&sim, "DELETE", &format!("{NS}/pods/{name}"), None).status,
                200
            );
        } else {
            assert!(allowed.contains(&n.as_str()), "{name} on {n}");
            placed.push(((*name).to_owned(), n));
        }
    }
    let spread: Vec<&String> = placed
        .iter()
        .filter(|(p, _)| p.starts_with("anti"))
        .map(|(_, n)| n)
        .collect();
    assert_eq!(spread.len(), 2);
    assert_ne!(spread[0], spread[1]);
    assert_eq!(sim.objects("pods").len(), placed.len());
}

#[test]
fn other_schedulers_pods_wait_for_a_binding_and_tests_drive_status() {
    let sim = start(SimProvider::None, false, vec![node("n0", 4, 0)]);
    let mut p = sized_pod("custom", "1", 0);
    p["spec"]["schedulerName"] = json!("someone-else");
    create(&sim, &format!("{NS}/pods"), &p);
    // A default-scheduler pod created after it is bound: the scheduler has
    // passed over the custom one.
    create(&sim, &format!("{NS}/pods"), &sized_pod("plain", "1", 0));
    wait_for("plain bound", || {
        get_pod(&sim, "plain").filter(|p| !node_of(p).is_empty())
    });
    assert_eq!(node_of(&get_pod(&sim, "custom").unwrap()), "");
    let bind = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "custom"}, "target": {"kind": "Node", "name": "n0"}});
    let r = req(
        &sim,
        "POST",
        &format!("{NS}/pods/custom/binding"),
        Some(&bind),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(node_of(&get_pod(&sim, "custom").unwrap()), "n0");
    assert_eq!(
        req(
            &sim,
            "POST",
            &format!("{NS}/pods/custom/binding"),
            Some(&bind)
        )
        .status,
        409
    );
    // set_pod_status replaces the status as a kubelet would.
    sim.set_pod_status(
        "default",
        "custom",
        json!({"phase": "Failed", "reason": "Evicted", "message": "node lost"}),
    );
    let pod = get_pod(&sim, "custom").unwrap();
    assert_eq!(
        (
            pod["status"]["phase"].as_str(),
            pod["status"]["reason"].as_str()
        ),
        (Some("Failed"), Some("Evicted"))
    );
}

#[test]
fn podgroups_report_running_once_min_member_pods_run() {
    for provider in [SimProvider::Volcano, SimProvider::Coscheduling] {
        let sim = start(provider, true, vec![node("n0", 8, 8), node("n1", 8, 8)]);
        let (path, pg) = podgroup(provider, "run").unwrap();
        create(&sim, &path, &pg);
        for p in gang_pods(provider, "run") {
            create(&sim, &format!("{NS}/pods"), &p);
        }
        let pg = wait_for("Running", || {
            sim.objects("podgroups")
                .into_iter()
                .find(|g| g["status"]["phase"] == "Running")
        });
        assert_eq!(pg["status"]["running"], 2, "{provider}");
    }
}
