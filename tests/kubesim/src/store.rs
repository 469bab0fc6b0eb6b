//! The object store: objects by resource, namespace and name; the global
//! resourceVersion; the watch event log and broadcast; garbage collection.

use crate::kubelet::PodRuntime;
use crate::resources::{ResDef, api_version};
use crate::status::ApiError;
use crate::util::{now_rfc3339, rfc3339};
use crate::{Fault, SimConfig};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many past events a watch may resume from.
pub const EVENT_LOG: usize = 20_000;

/// One change, as a watch sends it.
#[derive(Debug, Clone)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// Plural resource name.
    pub plural: &'static str,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// The object after the change.
    pub object: Value,
}

/// An injected fault with its counters.
#[derive(Debug, Clone)]
pub struct FaultState {
    /// The fault as given.
    pub fault: Fault,
    /// Matching requests seen.
    pub seen: u32,
    /// Requests failed so far.
    pub fired: u32,
}

/// Options of one delete.
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    /// `gracePeriodSeconds`.
    pub grace: Option<i64>,
    /// `propagationPolicy` (`Orphan`, `Background`, `Foreground`).
    pub propagation: Option<String>,
    /// `preconditions.resourceVersion`.
    pub precond_rv: Option<String>,
    /// `preconditions.uid`.
    pub precond_uid: Option<String>,
}

/// What a delete did.
pub enum Deleted {
    /// The object is gone; here is its last state.
    Now(Value),
    /// Deletion started (grace period or finalizers); the object as it is now.
    Pending(Value),
}

/// Everything the server, scheduler and kubelet share (behind one mutex).
pub struct State {
    /// The configuration (nodes are objects in the store).
    pub cfg: SimConfig,
    /// Resources served.
    pub defs: Vec<ResDef>,
    /// Objects by (plural, namespace, name).
    pub objects: BTreeMap<(&'static str, String, String), Value>,
    /// The global resourceVersion counter.
    pub rv: u64,
    /// Recent events, oldest first.
    pub log: VecDeque<Arc<Event>>,
    /// Live watches subscribe here.
    pub tx: broadcast::Sender<Arc<Event>>,
    /// (verb, resource[/subresource], group) of every request.
    pub served: Vec<(String, String, String)>,
    /// Injected faults.
    pub faults: Vec<FaultState>,
    /// Running pods by uid.
    pub pods: BTreeMap<String, PodRuntime>,
    /// Next pod IP index.
    pub next_ip: u32,
    /// Next cluster IP index.
    pub next_cluster_ip: u32,
    /// Per-simulator temp directory (pods' files and logs).
    pub root: PathBuf,
    /// The request being served has `dryRun=All`.
    pub dry_run: bool,
    /// The resourceVersion the scheduler and garbage collector last saw
    /// settle: nothing they read changed since, so a tick may skip them.
    pub settled_rv: u64,
    seed: u64,
}

impl State {
    /// An empty store with the default namespaces and the configured nodes.
    pub fn new(cfg: SimConfig, defs: Vec<ResDef>, root: PathBuf) -> Self {
        let (tx, _) = broadcast::channel(4096);
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x5eed, |d| u64::from(d.subsec_nanos()) ^ d.as_secs())
            | 1;
        let mut st = Self {
            cfg,
            defs,
            objects: BTreeMap::new(),
            rv: 1000,
            settled_rv: 0,
            log: VecDeque::new(),
            tx,
            served: Vec::new(),
            faults: Vec::new(),
            pods: BTreeMap::new(),
            next_ip: 0,
            next_cluster_ip: 0,
            root,
            dry_run: false,
            seed,
        };
        let mut namespaces = vec!["default".to_owned(), "kube-system".to_owned()];
        if !namespaces.contains(&st.cfg.namespace) {
            namespaces.push(st.cfg.namespace.clone());
        }
        for ns in namespaces {
            st.create_system(
                "namespaces",
                json!({"metadata": {"name": ns}, "status": {"phase": "Active"}}),
            );
        }
        for node in st.cfg.nodes.clone() {
            st.create_system("nodes", crate::node_object(&node));
        }
        st
    }

    /// The definition of a plural resource name.
    pub fn def(&self, plural: &str) -> Option<ResDef> {
        self.defs
            .iter()
            .find(|d| d.plural == plural && !d.drop && !d.create_only)
            .copied()
    }

    fn rand(&mut self) -> u64 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    /// A fresh UUID-shaped uid.
    pub fn uid(&mut self) -> String {
        let (a, b) = (self.rand(), self.rand());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    /// The 5-character suffix `generateName` gets.
    pub fn name_suffix(&mut self) -> String {
        const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..5)
            .map(|_| {
                let i = usize::try_from(self.rand() % ALPHA.len() as u64).unwrap_or(0);
                char::from(ALPHA[i])
            })
            .collect()
    }

    fn emit(&mut self, plural: &'static str, kind: &'static str, object: Value) {
        let ev = Arc::new(Event {
            rv: self.rv,
            plural,
            kind,
            object,
        });
        if self.log.len() >= EVENT_LOG {
            self.log.pop_front();
        }
        self.log.push_back(Arc::clone(&ev));
        let _ = self.tx.send(ev);
    }

    /// Stores a new object (metadata already complete but for resourceVersion).
    pub fn insert(&mut self, plural: &'static str, mut obj: Value) -> Value {
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let key = (plural, ns_of(&obj).to_owned(), name_of(&obj).to_owned());
        self.objects.insert(key, obj.clone());
        self.emit(plural, "ADDED", obj.clone());
        obj
    }

    /// Creates an object with system defaults (namespaces, nodes, workloads).
    pub fn create_system(&mut self, plural: &'static str, mut obj: Value) -> Value {
        if let Some(d) = self.def(plural) {
            obj["apiVersion"] = json!(api_version(&d));
            obj["kind"] = json!(d.kind);
        }
        obj["metadata"]["uid"] = json!(self.uid());
        obj["metadata"]["creationTimestamp"] = json!(now_rfc3339());
        self.insert(plural, obj)
    }

    /// Replaces a stored object, bumping its resourceVersion (no-op writes are skipped).
    pub fn replace(&mut self, plural: &'static str, mut obj: Value) -> Value {
        let key = (plural, ns_of(&obj).to_owned(), name_of(&obj).to_owned());
        if let Some(old) = self.objects.get(&key) {
            let mut same = obj.clone();
            same["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
            if same == *old {
                return old.clone();
            }
        }
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.objects.insert(key, obj.clone());
        self.emit(plural, "MODIFIED", obj.clone());
        obj
    }

    /// Applies `f` to a stored object and writes it back if it changed.
    pub fn modify(
        &mut self,
        plural: &'static str,
        ns: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Option<Value> {
        let old = self.get(plural, ns, name)?;
        let mut obj = old.clone();
        f(&mut obj);
        if obj == *old {
            // No change, no new resourceVersion and no watch event: the
            // scheduler re-asserts conditions every tick.
            return Some(obj);
        }
        Some(self.replace(plural, obj))
    }

    /// Removes an object at once.
    pub fn remove(&mut self, plural: &'static str, ns: &str, name: &str) -> Option<Value> {
        let mut obj = self
            .objects
            .remove(&(plural, ns.to_owned(), name.to_owned()))?;
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.emit(plural, "DELETED", obj.clone());
        Some(obj)
    }

    /// A stored object.
    pub fn get(&self, plural: &str, ns: &str, name: &str) -> Option<&Value> {
        let p = self.defs.iter().find(|d| d.plural == plural)?.plural;
        self.objects.get(&(p, ns.to_owned(), name.to_owned()))
    }

    /// All objects of a resource (in a namespace, or all when `None`), by namespace and name.
    pub fn list(&self, plural: &str, ns: Option<&str>) -> Vec<&Value> {
        let Some(p) = self
            .defs
            .iter()
            .find(|d| d.plural == plural)
            .map(|d| d.plural)
        else {
            return Vec::new();
        };
        let start = (p, ns.unwrap_or("").to_owned(), String::new());
        self.objects
            .range(start..)
            .take_while(|((q, n, _), _)| *q == p && ns.is_none_or(|x| x == n))
            .map(|(_, v)| v)
            .collect()
    }

    /// Deletes one object as the API server does: preconditions, pods' grace
    /// periods, finalizers and propagation (`Orphan`, `Background`, `Foreground`).
    pub fn delete(
        &mut self,
        def: &ResDef,
        ns: &str,
        name: &str,
        opts: &DeleteOpts,
    ) -> Result<Deleted, ApiError> {
        let plural = def.plural;
        let Some(obj) = self.get(plural, ns, name).cloned() else {
            return Err(ApiError::not_found(def.group, plural, name));
        };
        let rv = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(want) = &opts.precond_rv
            && want != rv
        {
            return Err(ApiError::conflict(
                def.group,
                plural,
                name,
                &format!(
                    "the ResourceVersion in the precondition ({want}) does not match the ResourceVersion in record ({rv}). The object might have been modified"
                ),
            ));
        }
        let uid = obj
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some(want) = &opts.precond_uid
            && *want != uid
        {
            return Err(ApiError::conflict(
                def.group,
                plural,
                name,
                &format!(
                    "the UID in the precondition ({want}) does not match the UID in record ({uid}). The object might have been deleted and then recreated"
                ),
            ));
        }
        let policy = opts.propagation.as_deref().unwrap_or("Background");
        if policy == "Orphan" {
            self.orphan_dependents(&uid);
        }
        let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
        if def.kind == "Pod" {
            let bound = obj
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            let phase = obj
                .pointer("/status/phase")
                .and_then(Value::as_str)
                .unwrap_or("");
            let default = obj
                .pointer("/spec/terminationGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(30);
            let mut grace = opts.grace.unwrap_or(default).max(0);
            if !bound || matches!(phase, "Succeeded" | "Failed") {
                grace = 0;
            }
            let current = obj
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64);
            if grace > 0 {
                if deleting && current.is_some_and(|c| c <= grace) {
                    return Ok(Deleted::Pending(obj));
                }
                let now = sk8_host::now();
                let updated = self
                    .modify(plural, ns, name, |o| {
                        o["metadata"]["deletionTimestamp"] = json!(rfc3339(now + grace));
                        o["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
                    })
                    .unwrap_or(obj);
                return Ok(Deleted::Pending(updated));
            }
        }
        let finalizers: Vec<String> = obj
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if policy == "Foreground" || !finalizers.is_empty() {
            if deleting
                && (policy != "Foreground" || finalizers.iter().any(|f| f == "foregroundDeletion"))
            {
                return Ok(Deleted::Pending(obj));
            }
            let updated = self
                .modify(plural, ns, name, |o| {
                    if o.pointer("/metadata/deletionTimestamp").is_none() {
                        o["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
                        o["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                    }
                    if policy == "Foreground" {
                        let mut f = finalizers.clone();
                        if !f.iter().any(|x| x == "foregroundDeletion") {
                            f.push("foregroundDeletion".to_owned());
                        }
                        o["metadata"]["finalizers"] = json!(f);
                    }
                })
                .unwrap_or(obj);
            return Ok(Deleted::Pending(updated));
        }
        if def.kind == "Namespace" {
            self.delete_namespace_contents(name);
        }
        let gone = self.remove(plural, ns, name).unwrap_or(obj);
        Ok(Deleted::Now(gone))
    }

    fn orphan_dependents(&mut self, uid: &str) {
        let keys: Vec<_> = self
            .objects
            .iter()
            .filter(|(_, v)| owner_uids(v).iter().any(|u| u == uid))
            .map(|(k, _)| k.clone())
            .collect();
        for (p, ns, name) in keys {
            self.modify(p, &ns, &name, |o| {
                if let Some(refs) = o
                    .pointer_mut("/metadata/ownerReferences")
                    .and_then(Value::as_array_mut)
                {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid));
                }
            });
        }
    }

    fn delete_namespace_contents(&mut self, ns: &str) {
        let keys: Vec<_> = self
            .objects
            .keys()
            .filter(|(_, n, _)| n == ns)
            .cloned()
            .collect();
        for (p, n, name) in keys {
            self.remove(p, &n, &name);
        }
    }

    /// One garbage-collector pass: dependents whose owners are all gone are
    /// deleted (pods gracefully); owners waiting in foreground deletion are
    /// finished once no dependent is left; objects being deleted whose
    /// finalizers are empty are removed.
    pub fn collect_garbage(&mut self) {
        let uids: BTreeSet<String> = self
            .objects
            .values()
            .filter_map(|v| {
                v.pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let foreground: BTreeSet<String> = self
            .objects
            .values()
            .filter(|v| has_finalizer(v, "foregroundDeletion"))
            .filter_map(|v| {
                v.pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        let mut doomed = Vec::new();
        for ((p, ns, name), v) in &self.objects {
            let owners = owner_uids(v);
            if owners.is_empty() || v.pointer("/metadata/deletionTimestamp").is_some() {
                continue;
            }
            if owners.iter().all(|u| !uids.contains(u))
                || owners.iter().any(|u| foreground.contains(u))
            {
                doomed.push((*p, ns.clone(), name.clone()));
            }
        }
        for (p, ns, name) in doomed {
            if let Some(def) = self.def(p) {
                let _ = self.delete(&def, &ns, &name, &DeleteOpts::default());
            }
        }
        let referenced: BTreeSet<String> = self.objects.values().flat_map(owner_uids).collect();
        let finished: Vec<_> = self
            .objects
            .iter()
            .filter(|(_, v)| has_finalizer(v, "foregroundDeletion"))
            .filter(|(_, v)| {
                let uid = v
                    .pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                !referenced.contains(uid)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for (p, ns, name) in finished {
            let obj = self.modify(p, &ns, &name, |o| {
                if let Some(f) = o
                    .pointer_mut("/metadata/finalizers")
                    .and_then(Value::as_array_mut)
                {
                    f.retain(|x| x.as_str() != Some("foregroundDeletion"));
                }
            });
            if obj.is_some_and(|o| finalizers_empty(&o)) {
                self.remove(p, &ns, &name);
            }
        }
    }
}

/// `metadata.name`.
pub fn name_of(v: &Value) -> &str {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace` (empty for cluster-scoped objects).
pub fn ns_of(v: &Value) -> &str {
    v.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The uids an object's ownerReferences name.
pub fn owner_uids(v: &Value) -> Vec<String> {
    v.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn has_finalizer(v: &Value, f: &str) -> bool {
    v.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(f)))
}

/// Whether an object has no finalizers left.
pub fn finalizers_empty(v: &Value) -> bool {
    v.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
}
