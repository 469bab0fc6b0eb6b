//! The node side against any API server: the parts a cluster has and a
//! bare control plane lacks, played against a real kube-apiserver.
//!
//! A real kube-apiserver with its controller-manager stores, validates,
//! authorizes and garbage-collects, but nothing binds a pod, runs it or
//! writes its status. [`NodeSide`] plays those parts through the server's
//! own API, with the same scheduler and kubelet the simulator uses:
//!
//! - **nodes**: it registers its configured Nodes (the server's
//!   `TaintNodesByCondition` admission taints each
//!   `node.kubernetes.io/not-ready:NoSchedule`), and, as the node lifecycle
//!   controller, lifts that taint only once the Node's `Ready` condition is
//!   `True` on the server, and keeps `not-ready` and `unschedulable` taints
//!   on nodes configured down or cordoned;
//! - **the gang scheduler** (Kueue's pod groups and Workloads, Volcano's
//!   and coscheduling's PodGroups, or none): it binds through the `binding`
//!   subresource, all of a group or none of it, and writes PodGroup and
//!   Workload status as those controllers do. Kueue's webhook, which would
//!   gate a queued pod at creation, is not there: a queued pod is treated as
//!   gated until its Workload is admitted;
//! - **the kubelet**: it runs bound pods as local processes (pod IPs
//!   127.0.0.x), writes their status through the `status` subresource in
//!   the kubelet's order (containers waiting, running, terminated), and
//!   finishes a deletion (`gracePeriodSeconds: 0`, uid precondition) once
//!   the processes are gone.
//!
//! It works by rounds: list what the parts read (the namespace's pods,
//! Secrets, ConfigMaps, PodGroups or Workloads, and its own Nodes), run one
//! scheduler and kubelet pass over that snapshot, and write back what the
//! pass changed. A write that loses to another writer (409) is tried again
//! from the next snapshot; statuses of pods it runs are its own and are
//! carried from round to round until the server holds them.
//!
//! Limits: only the pods of one namespace; no kubelet API, so `pods/log`
//! through the server answers what a real server answers for an unreachable
//! kubelet, and logs are read with [`NodeSide::log`]; no node heartbeats (no
//! node lifecycle controller runs to miss them).

use crate::sched::KUEUE_GATE;
use crate::store::{State, name_of};
use crate::{
    Shared, SimConfig, SimNode, SimProvider, kubelet, lifecycle_taints, lock, node_object,
    resources, sched, stop_pods,
};
use kube::core::Request;
use kube::core::params::{DeleteParams, ListParams, PostParams, Preconditions};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a round waits after the last one.
const ROUND: Duration = Duration::from_millis(100);

/// The label every Node it registers carries (its value: this node side).
pub const NODE_SIDE_LABEL: &str = "sk8.dev/kubesim-node-side";

/// Error messages kept for [`NodeSide::errors`].
const MAX_ERRORS: usize = 200;

type Key = (&'static str, String, String);

/// A request the server refused (or that never reached it).
#[derive(Debug)]
struct Refused {
    code: Option<u16>,
    text: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The node side of one namespace of a real cluster; dropping it stops
/// every pod process and deletes the Nodes it registered.
pub struct NodeSide {
    state: Shared,
    errors: Arc<Mutex<Vec<String>>>,
    settled: Arc<AtomicBool>,
    wanted: Arc<Mutex<Vec<SimNode>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    root: PathBuf,
}

/// What one round works with, kept between rounds.
struct Rounds {
    client: kube::Client,
    state: Shared,
    errors: Arc<Mutex<Vec<String>>>,
    settled: Arc<AtomicBool>,
    /// The Nodes as configured now ([`NodeSide::set_node`]).
    wanted: Arc<Mutex<Vec<SimNode>>>,
    /// `wanted` as this round read it.
    nodes: Vec<SimNode>,
    tag: String,
    /// Pod statuses the kubelet wrote, by pod uid: the server's copy may lag.
    statuses: BTreeMap<String, Value>,
    /// Plurals whose objects have no `status` subresource (Volcano's PodGroup).
    no_status: BTreeSet<&'static str>,
    /// The status last written, by (object, uid): the server may add to
    /// what it stores, so a status is written when it changes here.
    written: BTreeMap<(Key, String), Value>,
}

impl NodeSide {
    /// Registers `cfg.nodes` on the server of `kubeconfig` and starts
    /// playing scheduler (`cfg.provider`), kubelet and node lifecycle for
    /// the pods of `cfg.namespace`.
    ///
    /// # Errors
    ///
    /// When the kubeconfig cannot be read, the server cannot be reached,
    /// or a Node cannot be registered.
    pub fn start(cfg: SimConfig, kubeconfig: &Path) -> std::io::Result<NodeSide> {
        let (rt, client) = crate::client_for(kubeconfig)?;
        let io = |e: String| std::io::Error::other(e);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tag = format!("{}-{nanos}", std::process::id());
        let root = std::env::temp_dir().join(format!("sk8-kubesim-nodes-{tag}"));
        std::fs::create_dir_all(&root)?;
        let nodes = cfg.nodes.clone();
        let defs = resources::served(cfg.provider, false);
        let state: Shared = Arc::new(Mutex::new(State::new(cfg, defs, root.clone())));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let settled = Arc::new(AtomicBool::new(false));
        let wanted = Arc::new(Mutex::new(nodes.clone()));
        let mut rounds = Rounds {
            wanted: Arc::clone(&wanted),
            client,
            state: Arc::clone(&state),
            errors: Arc::clone(&errors),
            settled: Arc::clone(&settled),
            nodes,
            tag,
            statuses: BTreeMap::new(),
            no_status: BTreeSet::new(),
            written: BTreeMap::new(),
        };
        rt.block_on(rounds.register())
            .map_err(|e| io(e.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("sk8-kubesim-nodes".to_owned())
            .spawn(move || {
                rt.block_on(async {
                    while !stopping.load(Ordering::Relaxed) {
                        rounds.round().await;
                        tokio::time::sleep(ROUND).await;
                    }
                    rounds.unregister().await;
                });
            })?;
        Ok(NodeSide {
            state,
            errors,
            settled,
            wanted,
            stop,
            thread: Some(thread),
            root,
        })
    }

    /// The log of a pod's first container, as far as it is written; `None`
    /// before the container started here.
    pub fn log(&self, ns: &str, pod: &str) -> Option<String> {
        let st = lock(&self.state);
        let obj = st.get("pods", ns, pod)?;
        let uid = obj.pointer("/metadata/uid").and_then(Value::as_str)?;
        let first = obj
            .pointer("/spec/containers/0/name")
            .and_then(Value::as_str)?;
        let (path, _) = kubelet::log_of(&st, uid, first).ok()?;
        std::fs::read_to_string(path).ok()
    }

    /// Waits until the server shows every Node as configured (Ready or
    /// not, and no taint but those the lifecycle keeps): a Node just
    /// registered is tainted `not-ready` for a round or two, as on a real
    /// cluster. False if that takes longer than `timeout`.
    pub fn wait_settled(&self, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while !self.settled.load(Ordering::Relaxed) {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Changes a registered Node (by name): made Ready or not, cordoned or
    /// not, tainted, as its kubelet and the node lifecycle controller would
    /// show it; [`NodeSide::wait_settled`] waits for the server to show it.
    /// False if no Node of that name was registered.
    pub fn set_node(&self, node: SimNode) -> bool {
        let mut nodes = self.wanted.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(slot) = nodes.iter_mut().find(|n| n.name == node.name) else {
            return false;
        };
        *slot = node;
        self.settled.store(false, Ordering::Relaxed);
        true
    }

    /// The requests the server refused so far (for a failing test to show).
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl Drop for NodeSide {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        stop_pods(&self.state, &self.root);
    }
}

/// The collection path of a resource in a namespace (`""`: cluster scope).
fn collection(st: &State, plural: &str, ns: &str) -> Option<(String, &'static str)> {
    let d = st.def(plural)?;
    let base = if d.group.is_empty() {
        format!("/api/{}", d.version)
    } else {
        format!("/apis/{}/{}", d.group, d.version)
    };
    let path = if d.namespaced {
        format!("{base}/namespaces/{ns}/{}", d.plural)
    } else {
        format!("{base}/{}", d.plural)
    };
    Some((path, d.plural))
}

/// An object as the server would take it back: what it read, minus the
/// fields the server owns when it is created anew.
fn for_create(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
        ] {
            m.remove(k);
        }
    }
    v
}

fn without_rv(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    v
}

fn uid_of(v: &Value) -> &str {
    v.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn node_of(v: &Value) -> &str {
    v.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A Node's conditions without their times (heartbeats change them all).
fn conditions_of(node: &Value) -> BTreeSet<(String, String, String)> {
    node.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (s("type"), s("status"), s("reason"))
        })
        .collect()
}

fn ready(node: &Value) -> bool {
    node.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// Taints compared as the server keeps them (it adds `timeAdded` to some).
fn taint_keys(node: &Value) -> BTreeSet<(String, String, String)> {
    node.pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (s("key"), s("value"), s("effect"))
        })
        .collect()
}

impl Rounds {
    fn note(&self, what: String) {
        if let Ok(mut e) = self.errors.lock() {
            if e.len() >= MAX_ERRORS {
                e.remove(0);
            }
            e.push(what);
        }
    }

    async fn send(
        &self,
        req: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    ) -> Result<Value, Refused> {
        let req = req.map_err(|e| Refused {
            code: None,
            text: e.to_string(),
        })?;
        let what = format!("{} {}", req.method(), req.uri());
        self.client
            .request::<Value>(req)
            .await
            .map_err(|e| Refused {
                code: match &e {
                    kube::Error::Api(s) => Some(s.code),
                    _ => None,
                },
                text: format!("{what}: {e}"),
            })
    }

    fn node_object(&self, n: &SimNode) -> Value {
        let mut obj = node_object(n);
        obj["metadata"]["labels"][NODE_SIDE_LABEL] = json!(self.tag);
        // Registered as a kubelet registers: taints come from the server's
        // admission and the lifecycle below, not from the request.
        if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("taints");
        }
        obj
    }

    /// Creates the configured Nodes (replacing leftovers of the same name).
    async fn register(&mut self) -> Result<(), String> {
        let path = "/api/v1/nodes";
        let pp = PostParams::default();
        for n in self.nodes.clone() {
            let body = serde_json::to_vec(&self.node_object(&n)).unwrap_or_default();
            let why = |e: Refused| format!("cannot register node {}: {e}", n.name);
            match self
                .send(Request::new(path).create(&pp, body.clone()))
                .await
            {
                Ok(_) => {}
                Err(e) if e.code == Some(409) => {
                    // A leftover of an earlier run: replaced, not adopted.
                    let dp = DeleteParams::default();
                    self.send(Request::new(path).delete(&n.name, &dp))
                        .await
                        .map_err(why)?;
                    self.send(Request::new(path).create(&pp, body))
                        .await
                        .map_err(why)?;
                }
                Err(e) => return Err(why(e)),
            }
        }
        Ok(())
    }

    async fn unregister(&self) {
        let dp = DeleteParams::default();
        for n in &self.nodes {
            let _ = self
                .send(Request::new("/api/v1/nodes").delete(&n.name, &dp))
                .await;
        }
    }

    /// What the parts read, as the server holds it now.
    async fn pull(&self) -> Result<BTreeMap<Key, Value>, String> {
        let (ns, wanted) = {
            let st = lock(&self.state);
            let mut plurals = vec!["pods", "secrets", "configmaps"];
            match st.cfg.provider {
                SimProvider::Kueue => plurals.push("workloads"),
                SimProvider::Volcano | SimProvider::Coscheduling => plurals.push("podgroups"),
                SimProvider::None => {}
            }
            let ns = st.cfg.namespace.clone();
            let mut wanted = Vec::new();
            for p in plurals {
                if let (Some((path, plural)), Some(d)) = (collection(&st, p, &ns), st.def(p)) {
                    wanted.push((path, plural, resources::api_version(&d), d.kind));
                }
            }
            let (path, plural) = collection(&st, "nodes", "").ok_or("no nodes")?;
            wanted.push((path, plural, "v1".to_owned(), "Node"));
            (ns, wanted)
        };
        let mut out = BTreeMap::new();
        for (path, plural, api_version, kind) in wanted {
            let lp = if plural == "nodes" {
                ListParams::default().labels(&format!("{NODE_SIDE_LABEL}={}", self.tag))
            } else {
                ListParams::default()
            };
            let list = self
                .send(Request::new(path).list(&lp))
                .await
                .map_err(|e| e.text)?;
            for mut item in list["items"].as_array().cloned().unwrap_or_default() {
                item["apiVersion"] = json!(api_version);
                item["kind"] = json!(kind);
                let item_ns = if plural == "nodes" { "" } else { ns.as_str() };
                out.insert(
                    (plural, item_ns.to_owned(), name_of(&item).to_owned()),
                    item,
                );
            }
        }
        Ok(out)
    }

    /// One round: snapshot, one pass of scheduler, kubelet and node
    /// lifecycle, and the writes that pass asks for.
    async fn round(&mut self) {
        self.nodes = self
            .wanted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let server = match self.pull().await {
            Ok(s) => s,
            Err(e) => {
                self.note(format!("snapshot: {e}"));
                return;
            }
        };
        let settled = self.nodes.iter().all(|n| {
            server
                .get(&("nodes", String::new(), n.name.clone()))
                .is_some_and(|o| {
                    ready(o) == n.ready
                        && taint_keys(o)
                            == taint_keys(
                                &json!({"spec": {"taints": lifecycle_taints(n, ready(o))}}),
                            )
                })
        });
        self.settled.store(settled, Ordering::Relaxed);
        let after = {
            let mut st = lock(&self.state);
            let mut view = server.clone();
            let kueue = st.cfg.provider == SimProvider::Kueue;
            for ((plural, _, _), obj) in &mut view {
                if *plural != "pods" {
                    continue;
                }
                if let Some(s) = self.statuses.get(uid_of(obj)) {
                    obj["status"] = s.clone();
                }
                // Kueue's webhook: a queued, unbound pod is gated.
                let queued = obj
                    .pointer("/metadata/labels")
                    .and_then(|l| l.get("kueue.x-k8s.io/queue-name"))
                    .is_some();
                if kueue && queued && node_of(obj).is_empty() {
                    obj["spec"]["schedulingGates"] = json!([{"name": KUEUE_GATE}]);
                }
            }
            st.objects = view;
            // The kubelet first: it starts only what the server has bound,
            // never a pod whose binding is still to be written.
            kubelet::tick(&mut st);
            sched::tick(&mut st);
            self.lifecycle(&mut st);
            let running: BTreeSet<String> = st.pods.keys().cloned().collect();
            self.statuses.retain(|uid, _| running.contains(uid));
            for obj in st.list("pods", None) {
                if running.contains(uid_of(obj)) {
                    self.statuses
                        .insert(uid_of(obj).to_owned(), obj["status"].clone());
                }
            }
            st.objects.clone()
        };
        self.push(&server, &after).await;
    }

    /// The node lifecycle controller's pass over the snapshot.
    fn lifecycle(&self, st: &mut State) {
        for n in &self.nodes {
            let Some(on_server) = st.get("nodes", "", &n.name).cloned() else {
                continue;
            };
            let want = node_object(n);
            let taints = lifecycle_taints(n, ready(&on_server));
            st.modify("nodes", "", &n.name, |o| {
                if conditions_of(o) != conditions_of(&want) {
                    o["status"]["conditions"] = want["status"]["conditions"].clone();
                }
                let mut kept: Vec<Value> = Vec::new();
                let wanted: BTreeSet<_> = taint_keys(&json!({"spec": {"taints": taints}}));
                // Keep the server's copy of a wanted taint (with its timeAdded).
                for t in o
                    .pointer("/spec/taints")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                {
                    let k = taint_keys(&json!({"spec": {"taints": [t.clone()]}}));
                    if k.is_subset(&wanted) {
                        kept.push(t);
                    }
                }
                let have = taint_keys(&json!({"spec": {"taints": kept.clone()}}));
                for t in &taints {
                    let k = taint_keys(&json!({"spec": {"taints": [t.clone()]}}));
                    if !k.is_subset(&have) {
                        kept.push(t.clone());
                    }
                }
                o["spec"]["taints"] = json!(kept);
                o["spec"]["unschedulable"] = json!(n.unschedulable);
                if !n.unschedulable {
                    if let Some(s) = o["spec"].as_object_mut() {
                        s.remove("unschedulable");
                    }
                }
                if kept.is_empty() {
                    if let Some(s) = o["spec"].as_object_mut() {
                        s.remove("taints");
                    }
                }
            });
        }
    }

    /// Writes what the pass changed: new objects, Node updates, bindings,
    /// statuses, then finished deletions.
    async fn push(&mut self, server: &BTreeMap<Key, Value>, after: &BTreeMap<Key, Value>) {
        let mut created = Vec::new();
        let mut nodes = Vec::new();
        let mut binds = Vec::new();
        let mut statuses = Vec::new();
        let mut deletes = Vec::new();
        self.written.retain(|(k, _), _| after.contains_key(k));
        for (key, new) in after {
            let Some(old) = server.get(key) else {
                if key.0 != "pods" && key.0 != "nodes" {
                    created.push((key.clone(), new.clone()));
                }
                continue;
            };
            if without_rv(old) == without_rv(new) {
                continue;
            }
            let rv = old["metadata"]["resourceVersion"].clone();
            let mut body = new.clone();
            body["metadata"]["resourceVersion"] = rv;
            match key.0 {
                "pods" if node_of(old).is_empty() && !node_of(new).is_empty() => {
                    binds.push((key.clone(), uid_of(new).to_owned(), node_of(new).to_owned()));
                }
                // A spec write changes the resourceVersion: the status
                // follows from the next snapshot.
                "nodes" if old["spec"] != new["spec"] => nodes.push((key.clone(), body, false)),
                "nodes" if old["status"] != new["status"] => nodes.push((key.clone(), body, true)),
                "nodes" => {}
                _ => {
                    let seen = (key.clone(), uid_of(new).to_owned());
                    if old["status"] != new["status"]
                        && self.written.get(&seen) != Some(&new["status"])
                    {
                        statuses.push((key.clone(), body));
                    }
                }
            }
        }
        for (key, old) in server {
            if key.0 == "pods" && !after.contains_key(key) {
                deletes.push((key.clone(), uid_of(old).to_owned()));
            }
        }
        let paths = |st: &State, key: &Key| collection(st, key.0, &key.1).map(|(p, _)| p);
        let pp = PostParams::default();
        for (key, obj) in created {
            let Some(path) = paths(&lock(&self.state), &key) else {
                continue;
            };
            let body = serde_json::to_vec(&for_create(&obj)).unwrap_or_default();
            match self.send(Request::new(path).create(&pp, body)).await {
                Ok(_) => {}
                Err(e) if e.code == Some(409) => {}
                Err(e) => self.note(e.text),
            }
        }
        for (key, obj, status) in nodes {
            let Some(path) = paths(&lock(&self.state), &key) else {
                continue;
            };
            let body = serde_json::to_vec(&obj).unwrap_or_default();
            let r = Request::new(path);
            let req = if status {
                r.replace_subresource("status", &key.2, &pp, body)
            } else {
                r.replace(&key.2, &pp, body)
            };
            if let Err(e) = self.send(req).await {
                self.note(e.text);
            }
        }
        for (key, uid, node) in binds {
            let Some(path) = paths(&lock(&self.state), &key) else {
                continue;
            };
            let binding = json!({"apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": key.2, "namespace": key.1, "uid": uid},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}});
            let body = serde_json::to_vec(&binding).unwrap_or_default();
            let req = Request::new(path).create_subresource("binding", &key.2, &pp, body);
            match self.send(req).await {
                Ok(_) => {}
                // Deleted, or bound already: the next snapshot shows which.
                Err(e) if matches!(e.code, Some(404 | 409)) => {}
                Err(e) => self.note(e.text),
            }
        }
        for (key, obj) in statuses {
            let Some(path) = paths(&lock(&self.state), &key) else {
                continue;
            };
            let body = serde_json::to_vec(&obj).unwrap_or_default();
            let r = Request::new(path);
            let req = if self.no_status.contains(key.0) {
                r.replace(&key.2, &pp, body)
            } else {
                r.replace_subresource("status", &key.2, &pp, body)
            };
            match self.send(req).await {
                Ok(_) => {
                    let seen = (key, uid_of(&obj).to_owned());
                    self.written.insert(seen, obj["status"].clone());
                }
                Err(e)
                    if e.code == Some(404)
                        && key.0 != "pods"
                        && !self.no_status.contains(key.0) =>
                {
                    // Either the object is gone, or its resource has no
                    // status subresource (Volcano's PodGroup) and the status
                    // is part of the object: the object itself tells.
                    if self.send(r.get(&key.2, &Default::default())).await.is_ok() {
                        self.no_status.insert(key.0);
                    }
                }
                // Gone, or lost to another writer: the next snapshot decides.
                Err(e) if matches!(e.code, Some(404 | 409)) => {}
                Err(e) => self.note(e.text),
            }
        }
        for (key, uid) in deletes {
            let Some(path) = paths(&lock(&self.state), &key) else {
                continue;
            };
            let dp = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(uid),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match self.send(Request::new(path).delete(&key.2, &dp)).await {
                Ok(_) => {}
                Err(e) if matches!(e.code, Some(404 | 409)) => {}
                Err(e) => self.note(e.text),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_keeps_not_ready_until_the_server_says_ready() {
        let n = SimNode::new("n", 1, 1);
        let keys = |ts: Vec<Value>| taint_keys(&json!({"spec": {"taints": ts}}));
        let not_ready = (
            "node.kubernetes.io/not-ready".to_owned(),
            String::new(),
            "NoSchedule".to_owned(),
        );
        assert!(keys(lifecycle_taints(&n, false)).contains(&not_ready));
        assert!(keys(lifecycle_taints(&n, true)).is_empty());
        let mut down = n.clone();
        down.ready = false;
        down.unschedulable = true;
        let got = keys(lifecycle_taints(&down, true));
        assert!(got.contains(&not_ready));
        assert!(
            got.iter()
                .any(|(k, _, _)| k == "node.kubernetes.io/unschedulable")
        );
    }

    #[test]
    fn objects_sent_for_create_carry_no_server_fields() {
        let obj = json!({"metadata": {"name": "w", "uid": "u", "resourceVersion": "7",
            "creationTimestamp": "t", "labels": {"a": "b"}}, "spec": {}});
        let v = for_create(&obj);
        assert_eq!(v["metadata"], json!({"name": "w", "labels": {"a": "b"}}));
        assert_eq!(without_rv(&obj)["metadata"]["uid"], "u");
    }
}
