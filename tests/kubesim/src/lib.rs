//! A Kubernetes API server, scheduler and kubelet for tests, over real HTTP on 127.0.0.1.
//!
//! [`Sim::start`] serves enough of the Kubernetes REST API (discovery, CRUD,
//! selectors, watch, patch, validation worded as the real server words it)
//! for kube's client and kubectl, plays the chosen gang scheduler (Kueue,
//! Volcano, coscheduling) and runs bound pods as local processes (see
//! the `kubelet` module for how a host process sees the pod's files).
//! [`NodeSide::start`] plays the same scheduler and kubelet, and the node
//! lifecycle, against a real API server instead (see the `nodeside` module);
//! [`Recorder::start`] lists the requests made to a real server, as
//! [`Sim::served`] lists the simulator's.
//!
//! Limits: JSON only (kubectl's typed generators such as `kubectl create
//! configmap` send protobuf and get 415; `kubectl create -f`, `apply -f`,
//! `get`, `logs`, `delete` work); no server-side Table printing; no schema
//! validation of unknown fields; every request needs `Authorization: Bearer
//! <token>`, except kubectl's (client-go sends no token over plain HTTP).

mod kubelet;
mod nodeside;
mod patch;
mod quantity;
mod recorder;
mod resources;
mod sched;
mod select;
mod server;
mod status;
mod store;
mod util;
mod validate;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

pub use nodeside::{NODE_SIDE_LABEL, NodeSide};
pub use recorder::{Recorder, Served};
pub use status::ApiError;

/// Which gang scheduler the simulator plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimProvider {
    /// Kueue (kueue.x-k8s.io/v1beta1): scheduling gate + Workload admission.
    Kueue,
    /// Volcano (scheduling.volcano.sh/v1beta1 PodGroup).
    Volcano,
    /// scheduler-plugins coscheduling (scheduling.x-k8s.io/v1alpha1 PodGroup).
    Coscheduling,
    /// No gang scheduler: every pod alone.
    #[default]
    None,
}

impl std::str::FromStr for SimProvider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "kueue" => Ok(Self::Kueue),
            "volcano" => Ok(Self::Volcano),
            "coscheduling" => Ok(Self::Coscheduling),
            "none" => Ok(Self::None),
            other => Err(format!(
                "unknown provider `{other}` (kueue, volcano, coscheduling, none)"
            )),
        }
    }
}

impl std::fmt::Display for SimProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Kueue => "kueue",
            Self::Volcano => "volcano",
            Self::Coscheduling => "coscheduling",
            Self::None => "none",
        })
    }
}

/// One simulated node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimNode {
    /// Node name.
    pub name: String,
    /// Allocatable CPUs.
    pub cpus: u32,
    /// Allocatable memory in MiB.
    pub memory_mb: u64,
    /// Allocatable `nvidia.com/gpu`.
    pub gpus: u32,
    /// Label `nvidia.com/gpu.product`.
    pub gpu_product: Option<String>,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// Ready condition True (else False).
    pub ready: bool,
    /// Taints (key, value, effect).
    pub taints: Vec<(String, String, String)>,
}

impl SimNode {
    /// A ready node with `cpus` CPUs, `memory_mb` MiB and no GPUs.
    pub fn new(name: &str, cpus: u32, memory_mb: u64) -> Self {
        Self {
            name: name.to_owned(),
            cpus,
            memory_mb,
            gpus: 0,
            gpu_product: None,
            labels: BTreeMap::new(),
            unschedulable: false,
            ready: true,
            taints: Vec::new(),
        }
    }
}

/// The simulator's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Gang scheduler played.
    pub provider: SimProvider,
    /// The kubeconfig's namespace (created at start).
    pub namespace: String,
    /// The user SelfSubjectReview answers.
    pub user: String,
    /// Nodes at start.
    pub nodes: Vec<SimNode>,
    /// Run bound pods as processes (false: bind but never start).
    pub run_pods: bool,
    /// Serve authentication.k8s.io/v1 selfsubjectreviews.
    pub serve_self_subject_review: bool,
    /// (verb, resource) pairs SelfSubjectAccessReview denies.
    pub denied: Vec<(String, String)>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            provider: SimProvider::None,
            namespace: "default".to_owned(),
            user: "sk8-user".to_owned(),
            nodes: vec![SimNode::new("node-0", 8, 16 * 1024)],
            run_pods: true,
            serve_self_subject_review: true,
            denied: Vec::new(),
        }
    }
}

/// Fails matching requests: after `after` matches, the next `times` get `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Verb (`create`, `get`, `list`, `watch`, `update`, `patch`, `delete`,
    /// `deletecollection`) or `*`.
    pub verb: String,
    /// Resource (`pods`, `pods/log`, `configmaps`, ...) or `*`.
    pub resource: String,
    /// HTTP status to answer (a `Status` object with the matching reason).
    pub status: u16,
    /// How many requests fail.
    pub times: u32,
    /// How many matching requests pass first.
    pub after: u32,
}

/// The taints a node carries on a real cluster: the configured ones,
/// `node.kubernetes.io/not-ready` while it is not Ready (`ready_on_server`:
/// the node side waits for the server to hold the Ready condition first)
/// and `node.kubernetes.io/unschedulable` while it is cordoned, as the node
/// lifecycle controller keeps them.
pub(crate) fn lifecycle_taints(node: &SimNode, ready_on_server: bool) -> Vec<Value> {
    let mut out: Vec<Value> = node
        .taints
        .iter()
        .map(|(k, v, e)| {
            if v.is_empty() {
                json!({"key": k, "effect": e})
            } else {
                json!({"key": k, "value": v, "effect": e})
            }
        })
        .collect();
    if !(node.ready && ready_on_server) {
        out.push(json!({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}));
    }
    if node.unschedulable {
        out.push(json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}));
    }
    out
}

/// The Node object for a simulated node.
pub(crate) fn node_object(n: &SimNode) -> Value {
    let mut labels: BTreeMap<String, String> = [
        ("kubernetes.io/hostname".to_owned(), n.name.clone()),
        ("kubernetes.io/os".to_owned(), "linux".to_owned()),
        ("kubernetes.io/arch".to_owned(), "amd64".to_owned()),
    ]
    .into();
    if let Some(p) = &n.gpu_product {
        labels.insert("nvidia.com/gpu.product".to_owned(), p.clone());
        labels.insert("nvidia.com/gpu.count".to_owned(), n.gpus.to_string());
    }
    labels.extend(n.labels.clone());
    let mut res = json!({"cpu": n.cpus.to_string(), "memory": format!("{}Mi", n.memory_mb), "pods": "110",
        "ephemeral-storage": "100Gi"});
    if n.gpus > 0 {
        res["nvidia.com/gpu"] = json!(n.gpus.to_string());
    }
    let taints = lifecycle_taints(n, n.ready);
    let mut spec = json!({});
    if n.unschedulable {
        spec["unschedulable"] = json!(true);
    }
    if !taints.is_empty() {
        spec["taints"] = json!(taints);
    }
    let now = util::now_rfc3339();
    let (status, reason, message) = if n.ready {
        ("True", "KubeletReady", "kubelet is posting ready status")
    } else {
        (
            "False",
            "KubeletNotReady",
            "container runtime network not ready",
        )
    };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": n.name, "labels": labels},
        "spec": spec,
        "status": {
            "capacity": res, "allocatable": res,
            "conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now}],
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": n.name}],
            "nodeInfo": {"kubeletVersion": "v1.32.0-sk8-kubesim", "operatingSystem": "linux", "architecture": "amd64",
                "containerRuntimeVersion": "sk8-kubesim://0", "kernelVersion": "", "osImage": "sk8-kubesim",
                "kubeProxyVersion": "", "machineID": "", "systemUUID": "", "bootID": ""},
        },
    })
}

/// A client of the server of `kubeconfig`, as its user, and the
/// single-threaded runtime its connections run on (the node side's and the
/// recorder's).
pub(crate) fn client_for(
    kubeconfig: &Path,
) -> std::io::Result<(tokio::runtime::Runtime, kube::Client)> {
    // Name rustls' crypto provider (an error: one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let io = |e: String| std::io::Error::other(e);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)
        .map_err(|e| io(format!("{}: {e}", kubeconfig.display())))?;
    let client = rt.block_on(async {
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .map_err(|e| io(e.to_string()))?;
        kube::Client::try_from(config).map_err(|e| io(e.to_string()))
    })?;
    Ok((rt, client))
}

type Shared = Arc<Mutex<store::State>>;

fn lock(s: &Shared) -> MutexGuard<'_, store::State> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running simulator; dropping it stops the server and kills every pod process.
pub struct Sim {
    addr: SocketAddr,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    root: PathBuf,
}

impl Sim {
    /// Starts the server on 127.0.0.1 (a free port) in its own thread and runtime.
    pub fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let root = std::env::temp_dir().join(format!(
            "sk8-kubesim-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&root)?;
        let defs = resources::served(cfg.provider, cfg.serve_self_subject_review);
        let state: Shared = Arc::new(Mutex::new(store::State::new(cfg, defs, root.clone())));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("sk8-kubesim".to_owned())
            .spawn(move || rt.block_on(server::run(listener, shared, stopped)))?;
        Ok(Sim {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
            root,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig: cluster, user and context `sk8-sim`, the
    /// configured namespace, token authentication.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        let ns = lock(&self.state).cfg.namespace.clone();
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sk8-sim\n  cluster:\n    server: {url}\nusers:\n- name: sk8-sim\n  user:\n    token: sk8-kubesim-token\ncontexts:\n- name: sk8-sim\n  context:\n    cluster: sk8-sim\n    user: sk8-sim\n    namespace: {ns}\ncurrent-context: sk8-sim\npreferences: {{}}\n",
            url = self.url()
        );
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)
    }

    /// (verb, resource[/subresource], API group) of every request so far;
    /// non-resource requests (discovery) are (`get`, the path, ``).
    pub fn served(&self) -> Vec<(String, String, String)> {
        lock(&self.state).served.clone()
    }

    /// Every stored object of a resource (`pods`, `configmaps`, `podgroups`, ...).
    pub fn objects(&self, resource: &str) -> Vec<Value> {
        lock(&self.state)
            .list(resource, None)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Fails matching requests from now on.
    pub fn inject(&self, fault: Fault) {
        lock(&self.state).faults.push(store::FaultState {
            fault,
            seen: 0,
            fired: 0,
        });
    }

    /// Adds or replaces a node.
    pub fn set_node(&self, node: SimNode) {
        let mut st = lock(&self.state);
        let obj = node_object(&node);
        match st.get("nodes", "", &node.name).cloned() {
            Some(old) => {
                let mut new = obj;
                new["metadata"]["uid"] = old["metadata"]["uid"].clone();
                new["metadata"]["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
                st.replace("nodes", new);
            }
            None => {
                st.create_system("nodes", obj);
            }
        }
    }

    /// Replaces a pod's status (tests drive states: evictions, OOM kills...).
    pub fn set_pod_status(&self, ns: &str, name: &str, status: Value) {
        lock(&self.state).modify("pods", ns, name, |p| p["status"] = status);
    }
}

/// Kills every pod process the kubelet runs and removes its files (a
/// simulator or node side stopping).
pub(crate) fn stop_pods(state: &Shared, root: &Path) {
    let mut st = lock(state);
    for rt in st.pods.values_mut() {
        rt.kill();
    }
    st.pods.clear();
    drop(st);
    let _ = std::fs::remove_dir_all(root);
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        stop_pods(&self.state, &self.root);
    }
}
