//! The fake scheduler and gang controllers: Kueue's admission (scheduling
//! gate + Workload), Volcano's and coscheduling's PodGroups, or plain pods;
//! every group is bound all or nothing.

use crate::SimProvider;
use crate::quantity::parse_milli;
use crate::select::{LabelSelector, labels_of};
use crate::store::{State, name_of, ns_of};
use crate::util::now_rfc3339;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Kueue's scheduling gate.
pub const KUEUE_GATE: &str = "kueue.x-k8s.io/admission";
const KUEUE_QUEUE: &str = "kueue.x-k8s.io/queue-name";
const KUEUE_GROUP: &str = "kueue.x-k8s.io/pod-group-name";
const KUEUE_COUNT: &str = "kueue.x-k8s.io/pod-group-total-count";
const VOLCANO_GROUP: &str = "scheduling.k8s.io/group-name";
const COSCHED_GROUP: &str = "scheduling.x-k8s.io/pod-group";

type Res = BTreeMap<String, i128>;

fn quantity(v: &Value) -> i128 {
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    parse_milli(&text).unwrap_or(0)
}

/// A pod's requests in thousandths (cpu, memory, extended resources, `pods`).
pub fn pod_requests(pod: &Value) -> Res {
    let mut out = Res::new();
    for c in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (k, v) in c
            .pointer("/resources/requests")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            *out.entry(k.clone()).or_default() += quantity(v);
        }
    }
    for c in pod
        .pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for (k, v) in c
            .pointer("/resources/requests")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let e = out.entry(k.clone()).or_default();
            *e = (*e).max(quantity(v));
        }
    }
    out.insert("pods".to_owned(), 1000);
    out
}

fn terminal(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

fn node_name(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

struct NodeInfo {
    obj: Value,
    name: String,
    free: Res,
    /// (namespace, labels) of the pods on it.
    pods: Vec<(String, Value)>,
}

fn nodes(st: &State) -> Vec<NodeInfo> {
    let mut out: Vec<NodeInfo> = st
        .list("nodes", None)
        .into_iter()
        .map(|n| NodeInfo {
            obj: n.clone(),
            name: name_of(n).to_owned(),
            free: n
                .pointer("/status/allocatable")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), quantity(v))).collect())
                .unwrap_or_default(),
            pods: Vec::new(),
        })
        .collect();
    for p in st.list("pods", None) {
        if terminal(p) {
            continue;
        }
        if let Some(n) = out.iter_mut().find(|n| n.name == node_name(p)) {
            for (k, v) in pod_requests(p) {
                *n.free.entry(k).or_default() -= v;
            }
            n.pods.push((ns_of(p).to_owned(), p.clone()));
        }
    }
    out
}

fn tolerated(pod: &Value, key: &str, value: &str, effect: &str) -> bool {
    pod.pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| {
            let tk = t.get("key").and_then(Value::as_str).unwrap_or("");
            let te = t.get("effect").and_then(Value::as_str).unwrap_or("");
            let exists = t.get("operator").and_then(Value::as_str) == Some("Exists");
            let tv = t.get("value").and_then(Value::as_str).unwrap_or("");
            (te.is_empty() || te == effect)
                && (if exists {
                    tk.is_empty() || tk == key
                } else {
                    tk == key && tv == value
                })
        })
}

fn term_matches(term: &Value, labels: &BTreeMap<String, String>, node: &str) -> bool {
    let exprs = term
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let fields = term
        .get("matchFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let check = |e: &Value, got: Option<&String>| {
        let vals: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let num = |s: &str| s.parse::<i64>().ok();
        match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => got.is_some_and(|g| vals.contains(&g.as_str())),
            "NotIn" => !got.is_some_and(|g| vals.contains(&g.as_str())),
            "Exists" => got.is_some(),
            "DoesNotExist" => got.is_none(),
            "Gt" => got
                .and_then(|g| num(g))
                .zip(vals.first().and_then(|v| num(v)))
                .is_some_and(|(g, v)| g > v),
            "Lt" => got
                .and_then(|g| num(g))
                .zip(vals.first().and_then(|v| num(v)))
                .is_some_and(|(g, v)| g < v),
            _ => false,
        }
    };
    let node = node.to_owned();
    exprs.into_iter().all(|e| {
        check(
            e,
            labels.get(e.get("key").and_then(Value::as_str).unwrap_or("")),
        )
    }) && fields.into_iter().all(|e| check(e, Some(&node)))
}

/// Why `pod` cannot go on `node` (None: it fits); `placed` are pods already
/// placed there in this pass (for anti-affinity).
fn misfit(pod: &Value, node: &NodeInfo, placed: &[Value]) -> Option<String> {
    let n = &node.obj;
    if n.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true)
        && !tolerated(pod, "node.kubernetes.io/unschedulable", "", "NoSchedule")
    {
        return Some("node(s) were unschedulable".to_owned());
    }
    let ready = n
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        });
    if !ready && !tolerated(pod, "node.kubernetes.io/not-ready", "", "NoSchedule") {
        return Some("node(s) had untolerated taint {node.kubernetes.io/not-ready: }".to_owned());
    }
    for t in n
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = t.get("key").and_then(Value::as_str).unwrap_or("");
        let value = t.get("value").and_then(Value::as_str).unwrap_or("");
        let effect = t.get("effect").and_then(Value::as_str).unwrap_or("");
        if matches!(effect, "NoSchedule" | "NoExecute") && !tolerated(pod, key, value, effect) {
            return Some(format!("node(s) had untolerated taint {{{key}: {value}}}"));
        }
    }
    let labels = labels_of(n);
    let selector_ok = pod
        .pointer("/spec/nodeSelector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
    let terms: Vec<&Value> = pod
        .pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if !selector_ok
        || (!terms.is_empty() && !terms.iter().any(|t| term_matches(t, &labels, &node.name)))
    {
        return Some("node(s) didn't match Pod's node affinity/selector".to_owned());
    }
    let anti = pod
        .pointer("/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution")
        .and_then(Value::as_array);
    for term in anti.into_iter().flatten() {
        if term.get("topologyKey").and_then(Value::as_str) != Some("kubernetes.io/hostname") {
            continue;
        }
        let sel = LabelSelector::from_object(term.get("labelSelector").unwrap_or(&Value::Null));
        let namespaces: Vec<&str> = term
            .get("namespaces")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let in_scope = |ns: &str| {
            if namespaces.is_empty() {
                ns == ns_of(pod)
            } else {
                namespaces.contains(&ns)
            }
        };
        let clash = node
            .pods
            .iter()
            .any(|(ns, p)| in_scope(ns) && sel.matches(p))
            || placed.iter().any(|p| in_scope(ns_of(p)) && sel.matches(p));
        if clash {
            return Some("node(s) didn't match pod anti-affinity rules".to_owned());
        }
    }
    let req = pod_requests(pod);
    for (k, v) in &req {
        if *v > 0 && node.free.get(k).copied().unwrap_or(0) < *v {
            return Some(if k == "pods" {
                "Too many pods".to_owned()
            } else {
                format!("Insufficient {k}")
            });
        }
    }
    None
}

/// Places all `pods` at once (first fit, in order) or none; `Err` is the
/// scheduler's message for the first pod that found no node.
fn place_all(nodes: &mut [NodeInfo], pods: &[Value]) -> Result<Vec<String>, String> {
    let mut placed: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut out = Vec::new();
    let backup: Vec<Res> = nodes.iter().map(|n| n.free.clone()).collect();
    for pod in pods {
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        let mut chosen = None;
        for (i, n) in nodes.iter().enumerate() {
            let here = placed.get(&n.name).map_or(&[][..], Vec::as_slice);
            match misfit(pod, n, here) {
                None => {
                    chosen = Some(i);
                    break;
                }
                Some(r) => *reasons.entry(r).or_default() += 1,
            }
        }
        let Some(i) = chosen else {
            for (n, b) in nodes.iter_mut().zip(backup) {
                n.free = b;
            }
            let parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
            let total = nodes.len();
            return Err(if total == 0 {
                "no nodes available to schedule pods".to_owned()
            } else {
                format!("0/{total} nodes are available: {}.", parts.join(", "))
            });
        };
        for (k, v) in pod_requests(pod) {
            *nodes[i].free.entry(k).or_default() -= v;
        }
        placed
            .entry(nodes[i].name.clone())
            .or_default()
            .push(pod.clone());
        out.push(nodes[i].name.clone());
    }
    // Later groups of the same pass see these pods (anti-affinity).
    for (pod, name) in pods.iter().zip(&out) {
        if let Some(n) = nodes.iter_mut().find(|n| n.name == *name) {
            n.pods.push((ns_of(pod).to_owned(), pod.clone()));
        }
    }
    Ok(out)
}

fn set_condition(conds: &mut Value, cond: Value) {
    if !conds.is_array() {
        *conds = json!([]);
    }
    let Some(list) = conds.as_array_mut() else {
        return;
    };
    let ty = cond.get("type").cloned();
    match list.iter_mut().find(|c| c.get("type") == ty.as_ref()) {
        Some(old) => {
            let same = old.get("status") == cond.get("status")
                && old.get("reason") == cond.get("reason")
                && old.get("message") == cond.get("message");
            if !same {
                let mut c = cond;
                if old.get("status") == c.get("status") {
                    c["lastTransitionTime"] = old
                        .get("lastTransitionTime")
                        .cloned()
                        .unwrap_or(Value::Null);
                }
                *old = c;
            }
        }
        None => list.push(cond),
    }
}

fn bind(st: &mut State, pod: &Value, node: &str) {
    let now = now_rfc3339();
    st.modify("pods", ns_of(pod), name_of(pod), |p| {
        p["spec"]["nodeName"] = json!(node);
        if let Some(g) = p.pointer_mut("/spec/schedulingGates").and_then(Value::as_array_mut) {
            g.retain(|x| x.get("name").and_then(Value::as_str) != Some(KUEUE_GATE));
        }
        let cond = json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
        set_condition(&mut p["status"]["conditions"], cond);
    });
}

fn unschedulable(st: &mut State, pod: &Value, reason: &str, message: &str) {
    let already = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("PodScheduled")
                && c.get("status").and_then(Value::as_str) == Some("False")
                && c.get("reason").and_then(Value::as_str) == Some(reason)
                && c.get("message").and_then(Value::as_str) == Some(message)
        });
    if already {
        return;
    }
    let now = now_rfc3339();
    st.modify("pods", ns_of(pod), name_of(pod), |p| {
        let cond = json!({"type": "PodScheduled", "status": "False", "reason": reason, "message": message,
            "lastProbeTime": null, "lastTransitionTime": now});
        set_condition(&mut p["status"]["conditions"], cond);
    });
}

fn gated(pod: &Value) -> bool {
    pod.pointer("/spec/schedulingGates")
        .and_then(Value::as_array)
        .is_some_and(|g| !g.is_empty())
}

fn ours(provider: SimProvider, pod: &Value) -> bool {
    let name = pod
        .pointer("/spec/schedulerName")
        .and_then(Value::as_str)
        .unwrap_or("default-scheduler");
    match provider {
        SimProvider::Volcano => matches!(name, "default-scheduler" | "volcano"),
        SimProvider::Coscheduling => true,
        SimProvider::Kueue | SimProvider::None => name == "default-scheduler",
    }
}

/// Pending pods waiting for a node, oldest first.
fn pending(st: &State) -> Vec<Value> {
    let mut out: Vec<Value> = st
        .list("pods", None)
        .into_iter()
        .filter(|p| {
            node_name(p).is_empty()
                && !terminal(p)
                && p.pointer("/metadata/deletionTimestamp").is_none()
        })
        .filter(|p| ours(st.cfg.provider, p))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        let key = |p: &Value| {
            (
                p.pointer("/metadata/creationTimestamp")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                p.pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .and_then(|r| r.parse::<u64>().ok())
                    .unwrap_or(0),
            )
        };
        key(a).cmp(&key(b))
    });
    out
}

/// One scheduling pass.
pub fn tick(st: &mut State) {
    match st.cfg.provider {
        SimProvider::Kueue => kueue(st),
        SimProvider::Volcano => gangs(st, true),
        SimProvider::Coscheduling => gangs(st, false),
        SimProvider::None => {}
    }
    // Pods that belong to no gang: one at a time.
    let provider = st.cfg.provider;
    for pod in pending(st) {
        if gated(&pod) || group_of(provider, &pod).is_some() {
            continue;
        }
        let mut ns = nodes(st);
        match place_all(&mut ns, std::slice::from_ref(&pod)) {
            Ok(names) => bind(st, &pod, &names[0]),
            Err(msg) => unschedulable(st, &pod, "Unschedulable", &msg),
        }
    }
}

fn group_of(provider: SimProvider, pod: &Value) -> Option<String> {
    match provider {
        SimProvider::Volcano => pod
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(VOLCANO_GROUP))
            .and_then(Value::as_str)
            .map(str::to_owned),
        SimProvider::Coscheduling => labels_of(pod).get(COSCHED_GROUP).cloned(),
        SimProvider::Kueue | SimProvider::None => None,
    }
}

fn kueue(st: &mut State) {
    // Groups of gated pods: (namespace, workload name) -> pods.
    let mut groups: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for pod in pending(st) {
        let gates = pod
            .pointer("/spec/schedulingGates")
            .and_then(Value::as_array);
        if !gates
            .into_iter()
            .flatten()
            .any(|g| g.get("name").and_then(Value::as_str) == Some(KUEUE_GATE))
        {
            continue;
        }
        let labels = labels_of(&pod);
        let wl = labels
            .get(KUEUE_GROUP)
            .cloned()
            .unwrap_or_else(|| format!("pod-{}", name_of(&pod)));
        groups
            .entry((ns_of(&pod).to_owned(), wl))
            .or_default()
            .push(pod);
    }
    // One view of the nodes for the whole pass, kept current as groups are
    // placed (place_all subtracts what it binds and undoes a failed try).
    let mut view = nodes(st);
    for ((ns, wl), pods) in groups {
        let total = pods[0]
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(KUEUE_COUNT))
            .and_then(Value::as_str)
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(1);
        if pods.len() < total {
            continue;
        }
        if st.get("workloads", &ns, &wl).is_none() {
            let queue = labels_of(&pods[0])
                .get(KUEUE_QUEUE)
                .cloned()
                .unwrap_or_default();
            let owners: Vec<Value> = pods
                .iter()
                .map(|p| json!({"apiVersion": "v1", "kind": "Pod", "name": name_of(p),
                    "uid": p.pointer("/metadata/uid").cloned().unwrap_or(Value::Null), "blockOwnerDeletion": true}))
                .collect();
            st.create_system(
                "workloads",
                json!({"metadata": {"name": wl, "namespace": ns, "generation": 1, "ownerReferences": owners,
                        "labels": {"kueue.x-k8s.io/queue-name": queue}},
                    "spec": {"queueName": queue, "active": true, "podSets": [{"name": "main", "count": total,
                        "template": {"spec": pods[0].get("spec").cloned().unwrap_or(Value::Null)}}]},
                    "status": {"conditions": []}}),
            );
        }
        let now = now_rfc3339();
        match place_all(&mut view, &pods) {
            Ok(names) => {
                st.modify("workloads", &ns, &wl, |w| {
                    let conds = &mut w["status"]["conditions"];
                    set_condition(conds, json!({"type": "QuotaReserved", "status": "True", "reason": "QuotaReserved",
                        "message": "Quota reserved in ClusterQueue cluster-queue", "lastTransitionTime": now}));
                    set_condition(conds, json!({"type": "Admitted", "status": "True", "reason": "Admitted",
                        "message": "The workload is admitted", "lastTransitionTime": now}));
                    w["status"]["admission"] = json!({"clusterQueue": "cluster-queue",
                        "podSetAssignments": [{"name": "main", "count": total, "flavors": {}}]});
                });
                for (pod, node) in pods.iter().zip(names) {
                    bind(st, pod, &node);
                }
            }
            Err(msg) => {
                let why = shortfall(&view, &pods);
                let message = format!("couldn't assign flavors to pod set main: {why}");
                st.modify("workloads", &ns, &wl, |w| {
                    set_condition(
                        &mut w["status"]["conditions"],
                        json!({"type": "QuotaReserved", "status": "False",
                        "reason": "Pending", "message": message, "lastTransitionTime": now}),
                    );
                });
                for pod in &pods {
                    unschedulable(
                        st,
                        pod,
                        "SchedulingGated",
                        "Scheduling is blocked due to non-empty scheduling gates",
                    );
                }
                let _ = msg;
            }
        }
    }
    finish_workloads(st);
}

/// Kueue's wording for the resource the group lacks.
fn shortfall(nodes: &[NodeInfo], pods: &[Value]) -> String {
    let mut want = Res::new();
    for p in pods {
        for (k, v) in pod_requests(p) {
            *want.entry(k).or_default() += v;
        }
    }
    for (k, v) in &want {
        let free: i128 = nodes
            .iter()
            .map(|n| n.free.get(k).copied().unwrap_or(0).max(0))
            .sum();
        if k != "pods" && *v > free {
            let more = (v - free + 999) / 1000;
            return format!(
                "insufficient unused quota for {k} in flavor default-flavor, {more} more needed"
            );
        }
    }
    "insufficient quota: the pods do not fit on the nodes at once".to_owned()
}

fn finish_workloads(st: &mut State) {
    let wls: Vec<(String, String, Vec<String>)> = st
        .list("workloads", None)
        .into_iter()
        .map(|w| {
            let owners = crate::store::owner_uids(w);
            (ns_of(w).to_owned(), name_of(w).to_owned(), owners)
        })
        .collect();
    for (ns, name, owners) in wls {
        let pods: Vec<&Value> = st
            .list("pods", Some(&ns))
            .into_iter()
            .filter(|p| {
                p.pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .is_some_and(|u| owners.iter().any(|o| o == u))
            })
            .collect();
        if pods.is_empty() || !pods.iter().all(|p| terminal(p)) {
            continue;
        }
        let failed = pods
            .iter()
            .any(|p| p.pointer("/status/phase").and_then(Value::as_str) == Some("Failed"));
        let now = now_rfc3339();
        st.modify("workloads", &ns, &name, |w| {
            set_condition(&mut w["status"]["conditions"], json!({"type": "Finished", "status": "True",
                "reason": if failed { "Failed" } else { "Succeeded" },
                "message": if failed { "Pods failed" } else { "Pods succeeded" }, "lastTransitionTime": now}));
        });
    }
}

/// Volcano (`volcano`) or coscheduling PodGroups.
fn gangs(st: &mut State, volcano: bool) {
    let provider = st.cfg.provider;
    let groups: Vec<(String, String, usize)> = st
        .list("podgroups", None)
        .into_iter()
        .map(|g| {
            let min = g
                .pointer("/spec/minMember")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            (
                ns_of(g).to_owned(),
                name_of(g).to_owned(),
                usize::try_from(min).unwrap_or(1),
            )
        })
        .collect();
    let pending = pending(st);
    for pod in &pending {
        if let Some(g) = group_of(provider, pod)
            && !groups
                .iter()
                .any(|(ns, name, _)| ns == ns_of(pod) && *name == g)
        {
            let msg = format!("podgroup {}/{g} not found", ns_of(pod));
            unschedulable(st, pod, "Unschedulable", &msg);
        }
    }
    for (ns, name, min) in groups {
        let members: Vec<Value> = st
            .list("pods", Some(&ns))
            .into_iter()
            .filter(|p| group_of(provider, p).as_deref() == Some(name.as_str()))
            .cloned()
            .collect();
        let waiting: Vec<Value> = pending
            .iter()
            .filter(|p| ns_of(p) == ns && group_of(provider, p).as_deref() == Some(name.as_str()))
            .cloned()
            .collect();
        let live = members.iter().filter(|p| !terminal(p)).count();
        let count = |phase: &str| {
            members
                .iter()
                .filter(|p| p.pointer("/status/phase").and_then(Value::as_str) == Some(phase))
                .count()
        };
        let (running, succeeded, failed) = (count("Running"), count("Succeeded"), count("Failed"));
        let bound = members.iter().filter(|p| !node_name(p).is_empty()).count();
        let mut unsched = None;
        if !waiting.is_empty() {
            if live >= min {
                let mut ns_nodes = nodes(st);
                match place_all(&mut ns_nodes, &waiting) {
                    Ok(names) => {
                        for (pod, node) in waiting.iter().zip(names) {
                            bind(st, pod, &node);
                        }
                    }
                    Err(msg) => unsched = Some(msg),
                }
            } else {
                unsched = Some(format!(
                    "pod group is not ready, {live} pods exist, {min} minMember"
                ));
            }
        }
        if let Some(msg) = &unsched {
            for pod in &waiting {
                unschedulable(
                    st,
                    pod,
                    "Unschedulable",
                    &format!(
                        "{}/{} tasks in gang unschedulable: {msg}",
                        waiting.len(),
                        members.len()
                    ),
                );
            }
        }
        let bound_now = if unsched.is_none() {
            bound + waiting.len()
        } else {
            bound
        };
        let phase = if succeeded + failed >= min.max(1) && running == 0 && live == 0 {
            if volcano {
                "Completed"
            } else if failed > 0 {
                "Failed"
            } else {
                "Finished"
            }
        } else if running + succeeded >= min && running > 0 {
            "Running"
        } else if bound_now >= min && bound_now > 0 {
            if volcano { "Inqueue" } else { "Scheduled" }
        } else {
            "Pending"
        };
        let now = now_rfc3339();
        st.modify("podgroups", &ns, &name, |g| {
            let s = &mut g["status"];
            s["phase"] = json!(phase);
            s["running"] = json!(running);
            s["succeeded"] = json!(succeeded);
            s["failed"] = json!(failed);
            if !volcano {
                s["scheduled"] = json!(bound_now);
            }
            if volcano {
                let cond = match &unsched {
                    Some(m) => json!({"type": "Unschedulable", "status": "True", "reason": "NotEnoughResources",
                        "message": m, "lastTransitionTime": now}),
                    // No `message`: Volcano's condition has `omitempty` on it
                    // (and the 1.20 server in CI reads a custom object's ""
                    // as null, which the CRD's `type: string` refuses).
                    None => json!({"type": "Scheduled", "status": "True", "reason": "tasks in gang are ready to be scheduled",
                        "lastTransitionTime": now}),
                };
                if unsched.is_some() || bound_now >= min {
                    set_condition(&mut s["conditions"], cond);
                }
            }
        });
    }
}
