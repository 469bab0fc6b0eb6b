//! API flows of the Kubernetes backend against a simulated API server (sk8-kubesim).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sk8_backend::{Backend, Error, JobFilter, JobRef, JobState, SignalScope, SubmitRequest};
use sk8_kube::KubeBackend;
use sk8_kubesim::{Fault, Sim, SimConfig, SimNode, SimProvider};
use sk8_manifest::config::{KubeConfig, Provider};
use sk8_manifest::{labels, names};
use sk8_opts::sbatch::{Action, Context, Host, parse};

const NS: &str = "default";
const SCRIPT: &str = "/work/job.sh";

/// Volcano's PodGroup (the simulator serves it when it plays Volcano).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct VolcanoPodGroup {
    metadata: ObjectMeta,
    #[serde(default)]
    spec: Value,
    #[serde(default)]
    status: Value,
}

impl Resource for VolcanoPodGroup {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;
    fn kind(_: &()) -> Cow<'_, str> {
        "PodGroup".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        "scheduling.volcano.sh".into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        "v1beta1".into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        "podgroups".into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// Kueue's Workload (Kueue, and the simulator playing it, makes one per pod group).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct KueueWorkload {
    metadata: ObjectMeta,
    #[serde(default)]
    spec: Value,
    #[serde(default)]
    status: Value,
}

impl Resource for KueueWorkload {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;
    fn kind(_: &()) -> Cow<'_, str> {
        "Workload".into()
    }
    fn group(_: &()) -> Cow<'_, str> {
        "kueue.x-k8s.io".into()
    }
    fn version(_: &()) -> Cow<'_, str> {
        "v1beta1".into()
    }
    fn plural(_: &()) -> Cow<'_, str> {
        "workloads".into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// One script file, nothing else.
struct OneScript;
impl Host for OneScript {
    fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if path == SCRIPT {
            Ok(b"#!/bin/sh\necho hello\n".to_vec())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn is_readable_file(&self, path: &str) -> bool {
        path == SCRIPT
    }
}

/// What `sbatch ARGS /work/job.sh` submits.
fn request(args: &[&str]) -> SubmitRequest {
    let ctx = Context {
        argv0: "sbatch".into(),
        cwd: "/work".into(),
        env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        user: "alice".into(),
        uid: 1000,
        gid: 1000,
        host: "laptop".into(),
        default_partition: None,
    };
    let mut argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    argv.push(SCRIPT.into());
    match parse(&argv, &ctx, &OneScript) {
        Ok(Action::Submit(s)) => SubmitRequest {
            jobs: s.jobs,
            script: s.script,
        },
        other => panic!("sbatch {args:?}: {other:?}"),
    }
}

/// A simulated API server (sk8-kubesim, over HTTP on 127.0.0.1), a runtime
/// that keeps running for the clients to it (their request buffers live
/// there), and helpers to look inside.
///
/// Each backend gets a client of its own: a client's pooled connections are
/// driven by the runtime that opened them, and a backend's runtime runs only
/// while the backend is busy, so a connection shared with the helpers would
/// stall between backend calls.
///
/// The simulator runs its scheduler (the gang scheduler it plays, when one)
/// but no pods (`run_pods: false`), and starts with no nodes: its scheduler
/// then places nothing and only writes `PodScheduled=False` conditions, so
/// the tests play the scheduler and kubelet themselves ([`Fake::set_pod`]).
struct Fake {
    sim: Sim,
    rt: tokio::runtime::Runtime,
    config: kube::Config,
    /// The helpers' client (its connections are driven by `rt`).
    client: kube::Client,
}

impl Fake {
    fn start(cfg: SimConfig) -> Self {
        // Name rustls' crypto provider, as `KubeBackend::connect` does (kube
        // builds its TLS connector even for a plain-HTTP server).
        let _ = rustls::crypto::ring::default_provider().install_default();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let sim = Sim::start(SimConfig {
            run_pods: false,
            nodes: Vec::new(),
            ..cfg
        })
        .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "sk8-kube-api-flows-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let path = dir.join("config");
        sim.write_kubeconfig(&path).unwrap();
        let kc = kube::config::Kubeconfig::read_from(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let config = rt
            .block_on(kube::Config::from_custom_kubeconfig(
                kc,
                &Default::default(),
            ))
            .unwrap();
        let client = {
            let _rt = rt.enter();
            kube::Client::try_from(config.clone()).unwrap()
        };
        Self {
            sim,
            rt,
            config,
            client,
        }
    }

    /// A simulator playing `provider` (Volcano serves `podgroups`, Kueue
    /// `workloads`).
    fn new(provider: SimProvider) -> Self {
        Self::start(SimConfig {
            provider,
            ..SimConfig::default()
        })
    }

    fn plain() -> Self {
        Self::new(SimProvider::None)
    }

    fn backend(&self, gang: Provider) -> KubeBackend {
        self.backend_with(KubeConfig {
            gang: Some(gang),
            ..KubeConfig::default()
        })
    }

    fn backend_with(&self, cfg: KubeConfig) -> KubeBackend {
        let client = {
            let _rt = self.rt.enter();
            kube::Client::try_from(self.config.clone()).unwrap()
        };
        KubeBackend::from_client(client, NS, cfg)
    }

    fn list<K>(&self) -> Vec<K>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned,
    {
        let api: Api<K> = Api::namespaced(self.client.clone(), NS);
        self.rt
            .block_on(api.list(&ListParams::default()))
            .unwrap()
            .items
    }

    /// The names of the objects that are not being deleted: a pod deleted
    /// with a grace period stays, with a deletionTimestamp, until its
    /// kubelet (here the simulator's, within a tick) confirms it is gone,
    /// as on a real cluster.
    fn names<K>(&self) -> BTreeSet<String>
    where
        K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + serde::de::DeserializeOwned,
    {
        self.list::<K>()
            .iter()
            .filter(|o| o.meta().deletion_timestamp.is_none())
            .map(ResourceExt::name_any)
            .collect()
    }

    fn record(&self, id: u32) -> ConfigMap {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), NS);
        self.rt.block_on(api.get(&names::record_name(id))).unwrap()
    }

    /// Binds a pod to `node` (when given), as a scheduler does, and sets
    /// its status, as a kubelet does.
    fn set_pod(&self, name: &str, node: Option<&str>, status: Value) {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), NS);
        self.rt.block_on(async {
            if let Some(node) = node {
                let binding = json!({
                    "apiVersion": "v1", "kind": "Binding",
                    "metadata": { "name": name },
                    "target": { "apiVersion": "v1", "kind": "Node", "name": node }
                });
                let pp = PostParams::default();
                api.create_subresource::<Value, Value>("binding", name, &pp, &binding)
                    .await
                    .unwrap();
            }
            let p = json!({ "status": status });
            api.patch_status(name, &PatchParams::default(), &Patch::Merge(&p))
                .await
                .unwrap();
        });
    }

    fn create_node(&self, name: &str, cpus: u32, memory_mb: u64) {
        self.sim.set_node(SimNode::new(name, cpus, memory_mb));
    }

    /// How many requests with this verb on this resource the server answered.
    fn served(&self, verb: &str, resource: &str) -> usize {
        self.sim
            .served()
            .iter()
            .filter(|(v, r, _)| v == verb && r == resource)
            .count()
    }
}

/// Waits until `ready` holds (a controller of the simulator acts within a
/// tick of 50 ms; the bound only keeps a broken run from hanging).
fn eventually(what: &str, ready: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Every name and label the backend wrote is one a real API server accepts
/// (checked here by sk8-manifest's rules, whatever the simulator checks).
fn check_names(cms: &[ConfigMap], secrets: &[Secret], services: &[Service], pods: &[Pod]) {
    let metas = cms
        .iter()
        .map(|o| (o.meta(), false))
        .chain(secrets.iter().map(|o| (o.meta(), false)))
        .chain(services.iter().map(|o| (o.meta(), true)))
        .chain(pods.iter().map(|o| (o.meta(), false)));
    for (meta, label_only) in metas {
        let name = meta.name.as_deref().unwrap_or_default();
        let ok = if label_only {
            names::is_dns_label(name)
        } else {
            names::is_dns_subdomain(name)
        };
        assert!(ok, "invalid object name {name:?}");
        for (k, v) in meta.labels.iter().flatten() {
            assert!(
                names::is_qualified_name(k),
                "invalid label key {k:?} on {name}"
            );
            assert!(
                names::is_label_value(v),
                "invalid label value {v:?} on {name}"
            );
        }
    }
    for pod in pods {
        let host = pod
            .spec
            .as_ref()
            .and_then(|s| s.hostname.as_deref())
            .unwrap_or_default();
        assert!(names::is_dns_label(host), "invalid hostname {host:?}");
    }
}

fn owner_uid(obj: &impl Resource) -> Vec<(String, Option<bool>, Option<bool>)> {
    obj.meta()
        .owner_references
        .iter()
        .flatten()
        .map(|o| (o.uid.clone(), o.controller, o.block_owner_deletion))
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn submit_creates_exactly_the_job_objects_owned_by_the_record() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let id = be.submit(&request(&["-N2", "-J", "two nodes!"])).unwrap();
    assert_eq!(id, 1);
    // Counter GET, counter create, SelfSubjectReview, record, secret,
    // service, two pods: the configured provider needs no discovery.
    assert!(be.requests() <= 8, "{} requests", be.requests());

    let (cms, secrets) = (fake.list::<ConfigMap>(), fake.list::<Secret>());
    let (services, pods) = (fake.list::<Service>(), fake.list::<Pod>());
    check_names(&cms, &secrets, &services, &pods);
    assert_eq!(
        fake.names::<ConfigMap>(),
        set(&[labels::COUNTER, "sk8-job-1"])
    );
    assert_eq!(fake.names::<Secret>(), set(&["sk8-job-1-token"]));
    assert_eq!(fake.names::<Service>(), set(&["sk8-job-1"]));
    assert_eq!(fake.names::<Pod>(), set(&["sk8-job-1-0", "sk8-job-1-1"]));

    let record = fake.record(1);
    let uid = record.metadata.uid.clone().unwrap();
    let want = vec![(uid, Some(false), Some(true))];
    for owned in [owner_uid(&secrets[0]), owner_uid(&services[0])]
        .into_iter()
        .chain(pods.iter().map(owner_uid))
    {
        assert_eq!(owned, want);
    }
    assert!(owner_uid(&record).is_empty());
    let token = secrets[0]
        .string_data
        .as_ref()
        .and_then(|d| d.get(labels::TOKEN_KEY).cloned())
        .or_else(|| {
            secrets[0]
                .data
                .as_ref()
                .and_then(|d| d.get(labels::TOKEN_KEY))
                .map(|b| String::from_utf8(b.0.clone()).unwrap())
        })
        .unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    // The next job takes the next id; its listing shows both.
    assert_eq!(be.submit(&request(&[])).unwrap(), 2);
    let jobs = be.jobs(&JobFilter::default()).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![1, 2]);
    assert!(
        jobs.iter().all(|j| j.state == JobState::Pending),
        "{jobs:?}"
    );
    assert_eq!(jobs[0].spec.name, "two nodes!");
    // Filters that narrow the listing by label still find them.
    let me = be.whoami().unwrap();
    let narrowed = [
        (
            JobFilter {
                users: vec![me.clone()],
                ..JobFilter::default()
            },
            2,
        ),
        (
            JobFilter {
                users: vec!["someone-else".into()],
                ..JobFilter::default()
            },
            0,
        ),
        (
            JobFilter {
                partitions: vec!["k8s".into()],
                ..JobFilter::default()
            },
            2,
        ),
        (
            JobFilter {
                users: vec![me],
                partitions: vec!["gpu".into()],
                ..JobFilter::default()
            },
            0,
        ),
        (
            JobFilter {
                names: vec!["two nodes!".into()],
                ..JobFilter::default()
            },
            1,
        ),
    ];
    for (filter, want) in narrowed {
        assert_eq!(be.jobs(&filter).unwrap().len(), want, "{filter:?}");
    }
}

#[test]
fn volcano_pod_group_is_created_and_owned() {
    let fake = Fake::new(SimProvider::Volcano);
    let be = fake.backend(Provider::Volcano);
    let id = be.submit(&request(&["-N2"])).unwrap();
    let groups = fake.list::<VolcanoPodGroup>();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name_any(), names::record_name(id));
    let uid = fake.record(id).metadata.uid.unwrap();
    assert_eq!(owner_uid(&groups[0]), vec![(uid, Some(false), Some(true))]);
    assert_eq!(groups[0].spec["minMember"], json!(2));
    for pod in fake.list::<Pod>() {
        assert_eq!(pod.spec.unwrap().scheduler_name.as_deref(), Some("volcano"));
    }
}

#[test]
fn array_takes_one_id_per_task() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let first = be.submit(&request(&["--array=1-3"])).unwrap();
    assert_eq!(first, 1);
    assert_eq!(be.submit(&request(&[])).unwrap(), 4);
    let records: Vec<ConfigMap> = fake
        .list::<ConfigMap>()
        .into_iter()
        .filter(|c| c.labels().contains_key(labels::ARRAY_JOB_ID))
        .collect();
    let tasks: BTreeSet<(String, String)> = records
        .iter()
        .map(|c| {
            (
                c.labels()[labels::JOB_ID].clone(),
                c.labels()[labels::ARRAY_TASK_ID].clone(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = (1..=3)
        .map(|i: u32| (i.to_string(), i.to_string()))
        .collect();
    assert_eq!(tasks, want);
    // The array's id names all its tasks; one task by its index.
    let all = be
        .jobs(&JobFilter {
            ids: vec![JobRef::job(1)],
            ..JobFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3);
    let one = be
        .job(JobRef {
            id: 1,
            task: Some(2),
        })
        .unwrap();
    assert_eq!(one.id, 2);
}

/// Submits one after another, every other write of the counter failing
/// with 409 as if another writer had won. Concurrent sbatch processes are
/// in `tests/tests/kube.rs`.
#[test]
fn submits_under_injected_conflicts_get_distinct_dense_ids() {
    let fake = Fake::plain();
    const N: usize = 6;
    // Fault k sees only the requests the earlier faults let through (the
    // 2nd, 4th, ... 2k-th), lets those k pass and fails the next: the 1st,
    // 3rd, 5th... update of a ConfigMap fails. The counter is the only ConfigMap
    // sbatch updates (records are patched); the first sbatch creates it.
    for k in 0..N {
        fake.sim.inject(Fault {
            verb: "update".into(),
            resource: "configmaps".into(),
            status: 409,
            times: 1,
            after: u32::try_from(k).unwrap(),
        });
    }
    let ids: Vec<u32> = (0..N)
        .map(|_| fake.backend(Provider::None).submit(&request(&[])).unwrap())
        .collect();
    let distinct: BTreeSet<u32> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), N, "{ids:?}");
    // Ids stay dense: the counter moved once per successful write.
    assert_eq!(
        distinct.iter().max().copied(),
        Some(u32::try_from(N).unwrap())
    );
    assert!(fake.served("update", "configmaps") >= N - 1);
    assert_eq!(fake.names::<Pod>().len(), N);
}

#[test]
fn a_500_in_the_middle_of_the_pod_group_leaves_nothing_behind() {
    for gang in [Provider::None, Provider::Volcano] {
        // Volcano is installed either way, so that a PodGroup left behind
        // would show. The first pod's create passes; the second's fail.
        let fake = Fake::new(SimProvider::Volcano);
        fake.sim.inject(Fault {
            verb: "create".into(),
            resource: "pods".into(),
            status: 500,
            times: u32::MAX,
            after: 1,
        });
        let be = fake.backend(gang);
        let err = be.submit(&request(&["-N2"])).unwrap_err();
        let Error::Backend(msg) = &err else {
            panic!("{err:?}")
        };
        assert!(msg.starts_with("Kubernetes API: "), "{msg}");
        assert!(
            msg.contains("injected fault: create pods answers 500"),
            "{msg}"
        );
        assert_eq!(fake.names::<ConfigMap>(), set(&[labels::COUNTER]), "{gang}");
        assert!(fake.names::<Secret>().is_empty(), "{gang}");
        assert!(fake.names::<Service>().is_empty(), "{gang}");
        assert!(fake.names::<Pod>().is_empty(), "{gang}");
        assert!(fake.names::<VolcanoPodGroup>().is_empty(), "{gang}");
        // The failed create was retried (5 tries) before giving up.
        assert!(be.requests() >= 5 + 4, "{gang}: {} requests", be.requests());
    }
}

fn running(node: &str) -> Value {
    json!({
        "phase": "Running",
        "containerStatuses": [{
            "name": labels::CONTAINER, "image": "ubuntu:22.04", "imageID": "", "ready": true,
            "restartCount": 0, "state": { "running": { "startedAt": stamp() } }
        }],
        "hostIP": node
    })
}

/// Now, as the API writes times (the records of jobs that ended longer
/// than `min_job_age_secs` ago are pruned).
fn stamp() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .round(k8s_openapi::jiff::Unit::Second)
        .unwrap()
        .to_string()
}

fn terminated(phase: &str, exit: i32, reason: &str, pod_reason: Option<&str>) -> Value {
    let mut v = json!({
        "phase": phase,
        "containerStatuses": [{
            "name": labels::CONTAINER, "image": "ubuntu:22.04", "imageID": "", "ready": false,
            "restartCount": 0,
            "state": { "terminated": {
                "exitCode": exit, "reason": reason,
                "startedAt": stamp(), "finishedAt": stamp()
            } }
        }]
    });
    if let Some(r) = pod_reason {
        v["reason"] = json!(r);
    }
    v
}

#[test]
fn pod_statuses_map_to_slurm_states() {
    let waiting = json!({
        "phase": "Pending",
        "containerStatuses": [{
            "name": labels::CONTAINER, "image": "ubuntu:22.04", "imageID": "", "ready": false,
            "restartCount": 0, "state": { "waiting": { "reason": "ContainerCreating" } }
        }]
    });
    // (node, status, state, exit code)
    let cases: Vec<(Option<&str>, Value, JobState, u8)> = vec![
        (None, json!({ "phase": "Pending" }), JobState::Pending, 0),
        (Some("n1"), waiting, JobState::Configuring, 0),
        (Some("n1"), running("n1"), JobState::Running, 0),
        (
            Some("n1"),
            terminated("Succeeded", 0, "Completed", None),
            JobState::Completed,
            0,
        ),
        (
            Some("n1"),
            terminated("Failed", 3, "Error", None),
            JobState::Failed,
            3,
        ),
        (
            Some("n1"),
            terminated("Failed", 137, "OOMKilled", None),
            JobState::OutOfMemory,
            0,
        ),
        (
            Some("n1"),
            terminated("Failed", 137, "Error", Some("DeadlineExceeded")),
            JobState::Timeout,
            0,
        ),
        (
            Some("n1"),
            terminated("Failed", 137, "Error", Some("Evicted")),
            JobState::NodeFail,
            0,
        ),
    ];
    for (node, status, want, exit) in cases {
        let fake = Fake::plain();
        let be = fake.backend(Provider::None);
        let id = be.submit(&request(&[])).unwrap();
        fake.set_pod(&names::pod_name(id, 0), node, status.clone());
        let job = be.job(JobRef::job(id)).unwrap();
        assert_eq!(job.state, want, "{status}");
        if want == JobState::Failed {
            assert_eq!(job.exit.code, exit, "{status}");
        }
        // squeue shows it unless finished; a finished state is recorded.
        let listed = be.jobs(&JobFilter::default()).unwrap();
        assert_eq!(listed.len(), usize::from(!want.is_finished()), "{status}");
        let recorded = fake.record(id).annotations().contains_key(labels::STATE);
        assert_eq!(recorded, want.is_finished(), "{status}");
        if want.is_finished() {
            // The record wins once the pod is gone.
            let api: Api<Pod> = Api::namespaced(fake.client.clone(), NS);
            fake.rt
                .block_on(api.delete(&names::pod_name(id, 0), &Default::default()))
                .unwrap();
            assert_eq!(be.job(JobRef::job(id)).unwrap().state, want, "{status}");
        }
    }
}

#[test]
fn rank_zero_ending_ends_the_other_ranks() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let id = be.submit(&request(&["-N3"])).unwrap();
    for rank in 0..3 {
        fake.set_pod(&names::pod_name(id, rank), Some("n1"), running("n1"));
    }
    assert_eq!(be.job(JobRef::job(id)).unwrap().state, JobState::Running);
    fake.set_pod(
        &names::pod_name(id, 0),
        None,
        terminated("Succeeded", 0, "Completed", None),
    );
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(fake.names::<Pod>(), set(&["sk8-job-1-0"]));
}

#[test]
fn cancel_annotates_then_deletes_and_refuses_a_second_time() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let id = be.submit(&request(&["-N2"])).unwrap();
    for rank in 0..2 {
        fake.set_pod(&names::pod_name(id, rank), Some("n1"), running("n1"));
    }
    be.signal(JobRef::job(id), None, SignalScope::default())
        .unwrap();
    let record = fake.record(id);
    let state: Value = serde_json::from_str(&record.annotations()[labels::STATE]).unwrap();
    assert_eq!(state["state"], json!("Cancelled"), "{state}");
    assert_eq!(state["exit"], json!([0, 15]));
    assert!(fake.names::<Pod>().is_empty());
    // Running pods go with a grace period: the job is CG until their
    // kubelet confirms they are gone.
    eventually("the kubelet removes the pods", || {
        fake.sim.objects("pods").is_empty()
    });
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    let again = be.signal(JobRef::job(id), None, SignalScope::default());
    assert_eq!(again, Err(Error::AlreadyDone));
    let unknown = be.signal(JobRef::job(99), None, SignalScope::default());
    assert_eq!(unknown, Err(Error::InvalidJobId));
    let id2 = be.submit(&request(&[])).unwrap();
    let usr1 = be.signal(JobRef::job(id2), Some(10), SignalScope::default());
    assert_eq!(
        usr1,
        Err(Error::Unsupported("scancel --signal".into(), "kubernetes"))
    );
    // SIGKILL cancels too (grace 0); a pending job shows exit 0:0.
    be.signal(JobRef::job(id2), Some(9), SignalScope::default())
        .unwrap();
    let job = be.job(JobRef::job(id2)).unwrap();
    assert_eq!((job.state, job.exit.signal), (JobState::Cancelled, 0));
}

#[test]
fn hold_and_release() {
    let fake = Fake::new(SimProvider::Volcano);
    let be = fake.backend(Provider::Volcano);
    let id = be.submit(&request(&["-N2"])).unwrap();
    be.hold(JobRef::job(id), true).unwrap();
    assert!(fake.names::<Pod>().is_empty());
    assert!(fake.names::<VolcanoPodGroup>().is_empty());
    assert_eq!(
        fake.record(id)
            .annotations()
            .get(labels::HOLD)
            .map(String::as_str),
        Some("user")
    );
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(
        (job.state, job.reason.as_str()),
        (JobState::Pending, "JobHeldUser")
    );

    be.release_hold(JobRef::job(id)).unwrap();
    assert!(!fake.record(id).annotations().contains_key(labels::HOLD));
    assert_eq!(fake.names::<Pod>(), set(&["sk8-job-1-0", "sk8-job-1-1"]));
    assert_eq!(fake.names::<VolcanoPodGroup>(), set(&["sk8-job-1"]));
    let uid = fake.record(id).metadata.uid.unwrap();
    for pod in fake.list::<Pod>() {
        assert_eq!(
            owner_uid(&pod),
            vec![(uid.clone(), Some(false), Some(true))]
        );
    }
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(
        (job.state, job.reason.as_str()),
        (JobState::Pending, "Resources")
    );

    // A running job cannot be held; a held submission creates no pods.
    fake.set_pod(&names::pod_name(id, 0), Some("n1"), running("n1"));
    fake.set_pod(&names::pod_name(id, 1), Some("n1"), running("n1"));
    assert!(matches!(
        be.hold(JobRef::job(id), true),
        Err(Error::Invalid(_))
    ));
    let held = be.submit(&request(&["--hold"])).unwrap();
    assert!(
        fake.names::<Pod>()
            .iter()
            .all(|n| !n.starts_with(&format!("sk8-job-{held}-")))
    );
    assert_eq!(be.job(JobRef::job(held)).unwrap().reason, "JobHeldUser");
}

#[test]
fn update_rewrites_a_pending_job() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let id = be.submit(&request(&["-J", "before"])).unwrap();
    let update = sk8_backend::JobUpdate {
        name: Some("after".into()),
        ..Default::default()
    };
    be.update(JobRef::job(id), &update).unwrap();
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(job.spec.name, "after");
    assert_eq!(fake.record(id).labels()[labels::JOB_NAME], "after");
    assert_eq!(fake.names::<Pod>(), set(&["sk8-job-1-0"]));
    let bad = sk8_backend::JobUpdate {
        partition: Some("nope".into()),
        ..Default::default()
    };
    assert_eq!(
        be.update(JobRef::job(id), &bad),
        Err(Error::InvalidPartition("nope".into()))
    );
}

#[test]
fn requeue_of_a_finished_job_starts_it_over() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let id = be.submit(&request(&[])).unwrap();
    assert_eq!(be.requeue(JobRef::job(id)), Err(Error::InvalidState));
    fake.set_pod(
        &names::pod_name(id, 0),
        Some("n1"),
        terminated("Failed", 1, "Error", None),
    );
    assert_eq!(be.job(JobRef::job(id)).unwrap().state, JobState::Failed);
    be.requeue(JobRef::job(id)).unwrap();
    assert!(!fake.record(id).annotations().contains_key(labels::STATE));
    assert_eq!(be.job(JobRef::job(id)).unwrap().state, JobState::Pending);
    assert_eq!(fake.names::<Pod>(), set(&["sk8-job-1-0"]));
}

#[test]
fn nodes_and_partitions() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let id = be.submit(&request(&["-c", "2"])).unwrap();
    // Bound by the test before the nodes exist, so that the simulator's
    // scheduler has nowhere to place the pod first.
    fake.set_pod(&names::pod_name(id, 0), Some("gpu-a"), running("gpu-a"));
    fake.create_node("gpu-a", 8, 32 * 1024);
    fake.create_node("gpu-b", 16, 64 * 1024);
    let nodes = be.nodes().unwrap();
    let by_name: BTreeMap<&str, (u32, u32)> = nodes
        .iter()
        .map(|n| (n.name.as_str(), (n.cpus, n.cpus_alloc)))
        .collect();
    assert_eq!(
        by_name,
        BTreeMap::from([("gpu-a", (8, 2)), ("gpu-b", (16, 0))])
    );
    let parts = be.partitions().unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].name, "k8s");
    assert!(parts[0].default);
    assert_eq!(
        parts[0].nodes,
        vec!["gpu-a".to_string(), "gpu-b".to_string()]
    );
}

#[test]
fn unsupported_options_create_nothing() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let err = be
        .submit(&request(&["--dependency=afterok:1"]))
        .unwrap_err();
    assert!(
        matches!(err, Error::Unsupported(_, "kubernetes")),
        "{err:?}"
    );
    assert_eq!(be.requests(), 0);
    assert!(fake.names::<ConfigMap>().is_empty());
    let err = be.submit(&request(&["-p", "nowhere"])).unwrap_err();
    assert_eq!(err, Error::InvalidPartition("nowhere".into()));
}

/// whoami without a SelfSubjectReview (the simulator serves none here): the
/// kubeconfig's current user, else `$USER`. Run in a child process, since
/// the environment cannot be changed safely in this one.
#[test]
fn whoami_falls_back_to_the_kubeconfig_user_then_user() {
    let dir = std::env::temp_dir().join(format!("sk8-kube-whoami-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("config");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: lab\n\
         clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n\
         contexts:\n- name: lab\n  context:\n    cluster: c\n    user: carol@lab\n\
         users:\n- name: carol@lab\n  user:\n    token: x\n",
    )
    .unwrap();
    let missing = dir.join("missing");
    let user = std::path::Path::new("dave");
    run_child(
        "whoami_child",
        &[("KUBECONFIG", &kubeconfig), ("USER", user)],
        "carol@lab",
    );
    run_child(
        "whoami_child",
        &[("KUBECONFIG", &missing), ("USER", user)],
        "dave",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "run by whoami_falls_back_to_the_kubeconfig_user_then_user"]
fn whoami_child() {
    let Ok(want) = std::env::var("SK8_CHILD_WANT") else {
        eprintln!("whoami_child: a helper of whoami_falls_back_to_the_kubeconfig_user_then_user");
        return;
    };
    let fake = Fake::start(SimConfig {
        serve_self_subject_review: false,
        ..SimConfig::default()
    });
    let be = fake.backend(Provider::None);
    assert_eq!(be.whoami().unwrap(), want);
    // The submitted job is the caller's, so `squeue --me` finds it.
    let id = be.submit(&request(&[])).unwrap();
    assert_eq!(be.job(JobRef::job(id)).unwrap().spec.user, want);
}

#[test]
fn old_finished_records_are_pruned_on_list() {
    let fake = Fake::plain();
    let be = fake.backend(Provider::None);
    let old = be.submit(&request(&[])).unwrap();
    let fresh = be.submit(&request(&[])).unwrap();
    let mut ended_long_ago = terminated("Succeeded", 0, "Completed", None);
    let t = &mut ended_long_ago["containerStatuses"][0]["state"]["terminated"];
    t["startedAt"] = json!("2020-01-01T00:00:00Z");
    t["finishedAt"] = json!("2020-01-01T00:01:00Z");
    fake.set_pod(&names::pod_name(old, 0), Some("n1"), ended_long_ago);
    fake.set_pod(
        &names::pod_name(fresh, 0),
        Some("n1"),
        terminated("Succeeded", 0, "Completed", None),
    );
    let all = JobFilter {
        include_finished: true,
        ..JobFilter::default()
    };
    let listed: Vec<u32> = be.jobs(&all).unwrap().iter().map(|j| j.id).collect();
    assert_eq!(listed, vec![fresh]);
    assert_eq!(
        fake.names::<ConfigMap>(),
        set(&[labels::COUNTER, "sk8-job-2"])
    );
    assert_eq!(be.job(JobRef::job(old)), Err(Error::InvalidJobId));
}

#[test]
fn unplaced_multi_node_job_without_gang_scheduler_is_requeued() {
    let fake = Fake::plain();
    // A timeout already passed, so that the test does not wait for one.
    let cfg = KubeConfig {
        gang: Some(Provider::None),
        bind_timeout_secs: -1,
        ..KubeConfig::default()
    };
    let be = fake.backend_with(cfg);
    let id = be.submit(&request(&["-N2"])).unwrap();
    let before: BTreeSet<String> = fake
        .list::<Pod>()
        .iter()
        .filter_map(|p| p.metadata.uid.clone())
        .collect();
    fake.set_pod(&names::pod_name(id, 0), Some("n1"), running("n1"));
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(job.state, JobState::Pending);
    let after: BTreeSet<String> = fake
        .list::<Pod>()
        .iter()
        .filter_map(|p| p.metadata.uid.clone())
        .collect();
    assert_eq!(after.len(), 2);
    assert!(before.is_disjoint(&after), "pods were not recreated");
    assert!(
        fake.list::<Pod>()
            .iter()
            .all(|p| p.spec.as_ref().unwrap().node_name.is_none())
    );
    let record = fake.record(id);
    assert_eq!(
        record
            .annotations()
            .get(sk8_kube::RESTARTS)
            .map(String::as_str),
        Some("1")
    );
    assert!(record.annotations().contains_key(sk8_kube::REQUEUE_REASON));
    assert_eq!(job.restarts, 1);
    // A single-node job is never torn down for that.
    let single = be.submit(&request(&[])).unwrap();
    let uid = |fake: &Fake| {
        fake.list::<Pod>()
            .into_iter()
            .find(|p| p.name_any() == names::pod_name(single, 0))
            .and_then(|p| p.metadata.uid)
    };
    let first = uid(&fake);
    be.jobs(&JobFilter::default()).unwrap();
    assert_eq!(uid(&fake), first);
}

#[test]
fn kueue_workload_conditions_give_the_pending_reason() {
    let fake = Fake::new(SimProvider::Kueue);
    let be = fake.backend(Provider::Kueue);
    let id = be.submit(&request(&["-N2"])).unwrap();
    assert_eq!(be.job(JobRef::job(id)).unwrap().reason, "Resources");
    let pod = fake.list::<Pod>().into_iter().next().unwrap();
    let group = pod.labels()[labels::KUEUE_POD_GROUP].clone();
    // The simulated Kueue makes the group's Workload once both pods exist
    // (and reserves no quota: there are no nodes); then the Workload says
    // it was preempted and waits behind higher priority workloads.
    eventually("Kueue makes the Workload", || {
        fake.sim
            .objects("workloads")
            .iter()
            .any(|w| w["metadata"]["name"] == group.as_str())
    });
    let status = json!({ "status": { "conditions": [{
        "type": "QuotaReserved", "status": "False", "reason": "Pending",
        "message": "couldn't assign flavors: insufficient quota, waiting behind higher priority workloads"
    }, {
        "type": "Evicted", "status": "True", "reason": "Preempted", "message": "preempted"
    }] } });
    let api: Api<KueueWorkload> = Api::namespaced(fake.client.clone(), NS);
    fake.rt
        .block_on(api.patch_status(&group, &PatchParams::default(), &Patch::Merge(&status)))
        .unwrap();
    let job = be.job(JobRef::job(id)).unwrap();
    assert_eq!(
        (job.state, job.reason.as_str()),
        (JobState::Pending, "Priority")
    );
}

/// Requests per command stay few (each is a round trip to the API server).
#[test]
fn request_counts_per_command() {
    let fake = Fake::new(SimProvider::Volcano);
    let be = fake.backend(Provider::Volcano);
    be.submit(&request(&[])).unwrap();
    let step = |what: &str, max: u64, f: &dyn Fn()| {
        let before = be.requests();
        f();
        let used = be.requests() - before;
        eprintln!("{what}: {used} requests");
        assert!(used <= max, "{what}: {used} requests");
    };
    // Counter GET+PUT, record, secret, service, PodGroup, 2 pods (the
    // user was asked once already).
    step("sbatch -N2", 8, &|| {
        be.submit(&request(&["-N2"])).unwrap();
    });
    step("squeue", 3, &|| {
        be.jobs(&JobFilter::default()).unwrap();
    });
    step("squeue -j", 3, &|| {
        be.job(JobRef::job(2)).unwrap();
    });
    step("scancel (2 pods)", 7, &|| {
        be.signal(JobRef::job(2), None, SignalScope::default())
            .unwrap();
    });
    step("sinfo", 2, &|| {
        be.nodes().unwrap();
    });
}

/// Runs the ignored test `name` of this binary in a child with `env`.
fn run_child(name: &str, env: &[(&str, &std::path::Path)], want: &str) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", name, "--ignored", "--nocapture"])
        .env("SK8_CHILD_WANT", want);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} {want}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "{text}");
}
