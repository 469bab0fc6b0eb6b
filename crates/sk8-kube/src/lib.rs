//! The Kubernetes backend: every sbatch job is one pod group, and all API-server I/O lives here.
//!
//! [`KubeBackend`] implements [`sk8_backend::Backend`] over one `kube::Client`
//! driven by one current-thread tokio runtime per process. The objects and
//! the meaning of their statuses come from `sk8-manifest` (pure); this crate
//! only reads and writes them:
//!
//! - `submit`: ids from the counter ConfigMap (optimistic concurrency), then
//!   record -> Secret, Service, PodGroup, Pods; any failure after the record
//!   deletes what was created and the record.
//! - `jobs`/`job`/`history`: one list of records and one of pods (plus the
//!   gang objects their pods name), mapped by `sk8_manifest::status`; each
//!   list also does the small duties no controller does yet (records final
//!   states, deletes the helper pods of finished jobs, requeues unplaced
//!   multi-node jobs without a gang scheduler, prunes old records).
//! - `signal`/`hold`/`release_hold`/`requeue`/`update`: annotate the record,
//!   delete or recreate pods.
//!
//! Every API failure is `Kubernetes API: <message>`; 429, 5xx and (for
//! idempotent steps) 409 are retried with backoff (50 ms, doubling, 5 tries).

mod admin;
mod api;
mod config;
mod discovery;
mod jobs;
mod submit;

use std::sync::OnceLock;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, PostParams};
use sk8_backend::{
    AllocEvent, AllocRequest, Backend, Error, ExitStatus, Granted, JobFilter, JobId, JobInfo,
    JobRef, JobUpdate, NodeInfo, PartitionInfo, SignalScope, StepAccess, SubmitRequest, WillRun,
};
use sk8_host::now;
use sk8_manifest::config::{KubeConfig, Provider};
use sk8_spec::JobSpec;

use crate::api::{Kube, Retry, kerr};

pub use crate::admin::{
    CLUSTER_RULES, Check, NAMESPACED_RULES, Verdict, config_toml, render_checks,
};
pub use crate::config::kube_config;
pub use crate::discovery::kubeconfig_namespace;
pub use crate::jobs::{REQUEUE_REASON, RESTARTS};

/// The backend's name in messages.
pub const NAME: &str = "kubernetes";

/// `Result` with the backend error.
type Result<T, E = Error> = std::result::Result<T, E>;

/// The Kubernetes backend: one client, one namespace, one runtime.
pub struct KubeBackend {
    rt: tokio::runtime::Runtime,
    kube: Kube,
    cfg: KubeConfig,
    served: OnceLock<Vec<(String, String, String)>>,
    user: OnceLock<String>,
}

impl std::fmt::Debug for KubeBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeBackend")
            .field("namespace", &self.kube.ns)
            .field("gang", &self.cfg.gang)
            .finish_non_exhaustive()
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Backend(format!("cannot start the I/O runtime: {e}")))
}

impl KubeBackend {
    /// Connects with the inferred kubeconfig (`KUBECONFIG`, `~/.kube/config`,
    /// in-cluster); the namespace is `cfg.namespace`, else the kubeconfig's,
    /// else `default`.
    pub fn connect(cfg: KubeConfig) -> Result<Self> {
        // Name the TLS crypto provider: should a second one ever be compiled
        // in (a dependency turning on aws-lc-rs), rustls would refuse to
        // pick one. An error means one is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = runtime()?;
        let (client, ns) = rt.block_on(async {
            let config = kube::Config::infer().await.map_err(|e| {
                Error::Backend(format!("Kubernetes API: no usable kubeconfig: {e}"))
            })?;
            let ns = namespace_for(cfg.namespace.as_deref(), &config.default_namespace);
            let client = kube::Client::try_from(config).map_err(kerr)?;
            Ok::<_, Error>((client, ns))
        })?;
        Ok(Self::with_runtime(rt, client, &ns, cfg))
    }

    /// A backend over an existing client (tests: sk8-kubesim). The
    /// client must have been built on a runtime that keeps running (its
    /// request buffer lives there).
    pub fn from_client(client: kube::Client, namespace: &str, cfg: KubeConfig) -> Self {
        let rt = runtime().unwrap_or_else(|e| panic!("{e}"));
        Self::with_runtime(rt, client, namespace, cfg)
    }

    fn with_runtime(
        rt: tokio::runtime::Runtime,
        client: kube::Client,
        ns: &str,
        cfg: KubeConfig,
    ) -> Self {
        Self {
            rt,
            kube: Kube::new(client, ns),
            cfg,
            served: OnceLock::new(),
            user: OnceLock::new(),
        }
    }

    /// The namespace jobs live in.
    pub fn namespace(&self) -> &str {
        &self.kube.ns
    }

    /// The configuration in force.
    pub fn config(&self) -> &KubeConfig {
        &self.cfg
    }

    /// API requests made so far by this backend (every retry counts).
    pub fn requests(&self) -> u64 {
        self.kube.requests()
    }

    /// The gang scheduler jobs go through: the config's, else discovery's.
    pub fn provider(&self) -> Result<Provider> {
        self.rt.block_on(self.provider_async())
    }

    /// The warning `sbatch` prints for a multi-node job that no gang
    /// scheduler places as one; `None` when there is nothing to say.
    pub fn gang_warning(&self, spec: &JobSpec) -> Option<String> {
        let nodes = spec.min_nodes();
        if nodes < 2 || self.provider().ok()? != Provider::None {
            return None;
        }
        Some(format!(
            "no gang scheduler on this cluster: the {nodes} pods of this job are placed one by one, \
             and requeued if not all are placed within {}s",
            self.cfg.bind_timeout_secs
        ))
    }

    /// What `/apis` serves, read once per process.
    async fn served(&self) -> Result<&[(String, String, String)]> {
        if let Some(s) = self.served.get() {
            return Ok(s);
        }
        let doc: serde_json::Value = self
            .kube
            .get_raw("/apis", discovery::accept())
            .await
            .map_err(kerr)?;
        Ok(self.served.get_or_init(|| discovery::served(&doc)))
    }

    async fn provider_async(&self) -> Result<Provider> {
        if let Some(p) = self.cfg.gang {
            return Ok(p);
        }
        Ok(sk8_manifest::status::detect_provider(self.served().await?))
    }

    async fn whoami_async(&self) -> String {
        if let Some(u) = self.user.get() {
            return u.clone();
        }
        let user = match self.review().await {
            Some(u) => u,
            None => discovery::kubeconfig_user()
                .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
                .unwrap_or_else(|| "nobody".to_string()),
        };
        self.user.get_or_init(|| user).clone()
    }

    /// The user name a SelfSubjectReview returns, where the server serves one.
    async fn review(&self) -> Option<String> {
        let served = self.served.get().map(Vec::as_slice);
        let listed = |s: &[(String, String, String)]| {
            s.iter().any(|(g, v, r)| {
                g == "authentication.k8s.io" && v == "v1" && r == "selfsubjectreviews"
            })
        };
        if served.is_some_and(|s| !listed(s)) {
            return None;
        }
        let api: Api<SelfSubjectReview> = Api::all(self.kube.client.clone());
        let pp = PostParams::default();
        let review = SelfSubjectReview::default();
        let got = self
            .kube
            .call(Retry::Transient, || api.create(&pp, &review))
            .await
            .ok()?;
        got.status?.user_info?.username.filter(|u| !u.is_empty())
    }
}

/// The namespace: the config's, else the kubeconfig's (kube says `default`
/// when the kubeconfig names none).
fn namespace_for(configured: Option<&str>, kubeconfig: &str) -> String {
    match configured.filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None if kubeconfig.is_empty() => "default".to_string(),
        None => kubeconfig.to_string(),
    }
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported(what.to_string(), NAME)
}

impl Backend for KubeBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn whoami(&self) -> Result<String> {
        Ok(self.rt.block_on(self.whoami_async()))
    }

    fn submit(&self, req: &SubmitRequest) -> Result<JobId> {
        self.rt.block_on(self.submit_async(req))
    }

    fn local_users(&self) -> bool {
        false
    }

    fn submit_warnings(&self, req: &SubmitRequest) -> Vec<String> {
        req.jobs
            .first()
            .and_then(|spec| self.gang_warning(spec))
            .into_iter()
            .collect()
    }

    fn will_run(&self, _req: &SubmitRequest) -> Result<WillRun> {
        Err(unsupported("--test-only"))
    }

    fn allocate(
        &self,
        _req: &AllocRequest,
        _progress: &mut dyn FnMut(AllocEvent),
    ) -> Result<Granted> {
        Err(unsupported(
            "an interactive allocation (salloc, srun outside a job)",
        ))
    }

    fn release(&self, _id: JobId, _exit: ExitStatus) -> Result<()> {
        Err(unsupported(
            "an interactive allocation (salloc, srun outside a job)",
        ))
    }

    fn step_access(&self, _id: JobId) -> Result<StepAccess> {
        Err(unsupported("srun into a job from outside it"))
    }

    fn jobs(&self, filter: &JobFilter) -> Result<Vec<JobInfo>> {
        self.rt.block_on(self.jobs_async(filter))
    }

    fn job(&self, job: JobRef) -> Result<JobInfo> {
        let mut infos = self.rt.block_on(self.resolve(job))?.1;
        Ok(infos.remove(0))
    }

    fn signal(&self, job: JobRef, signal: Option<i32>, _scope: SignalScope) -> Result<()> {
        const SIGKILL: i32 = 9;
        const SIGTERM: i32 = 15;
        let grace = match signal {
            None | Some(SIGTERM) => None,
            Some(SIGKILL) => Some(0),
            Some(_) => return Err(unsupported("scancel --signal")),
        };
        self.rt.block_on(self.cancel(job, grace))
    }

    fn hold(&self, job: JobRef, user: bool) -> Result<()> {
        self.rt.block_on(self.hold_async(job, user))
    }

    fn release_hold(&self, job: JobRef) -> Result<()> {
        self.rt.block_on(self.release_async(job))
    }

    fn requeue(&self, job: JobRef) -> Result<()> {
        self.rt.block_on(self.requeue_async(job))
    }

    fn update(&self, job: JobRef, update: &JobUpdate) -> Result<()> {
        self.rt.block_on(self.update_async(job, update))
    }

    fn nodes(&self) -> Result<Vec<NodeInfo>> {
        self.rt.block_on(async {
            let nodes: Api<Node> = Api::all(self.kube.client.clone());
            let pods = self.kube.api::<Pod>();
            let lp = ListParams::default();
            let (nodes, pods) = tokio::join!(
                self.kube.call(Retry::Transient, || nodes.list(&lp)),
                self.kube.call(Retry::Transient, || pods.list(&lp)),
            );
            let (nodes, pods) = (nodes.map_err(kerr)?.items, pods.map_err(kerr)?.items);
            Ok(sk8_manifest::status::node_infos(&nodes, &pods, &self.cfg))
        })
    }

    fn partitions(&self) -> Result<Vec<PartitionInfo>> {
        self.rt.block_on(async {
            let nodes: Api<Node> = Api::all(self.kube.client.clone());
            let lp = ListParams::default();
            let nodes = self.kube.call(Retry::Transient, || nodes.list(&lp)).await;
            Ok(sk8_manifest::status::partitions(
                &nodes.map_err(kerr)?.items,
                &self.cfg,
            ))
        })
    }

    fn history(&self, filter: &JobFilter) -> Result<Vec<JobInfo>> {
        let filter = JobFilter {
            include_finished: true,
            ..filter.clone()
        };
        self.rt.block_on(self.jobs_async(&filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_choice() {
        let cases = [
            (Some("team"), "ctx", "team"),
            (Some(""), "ctx", "ctx"),
            (None, "ctx", "ctx"),
            (None, "", "default"),
        ];
        for (configured, kubeconfig, want) in cases {
            assert_eq!(namespace_for(configured, kubeconfig), want);
        }
    }
}
