//! `sk8 doctor` and `sk8 init`: what an administrator asks of the cluster
//! before anyone submits (can sk8 reach it, may it do what it needs, which
//! gang scheduler and GPUs are there), and a config written from the answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Node};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use sk8_manifest::config::{KubeConfig, Provider};

use crate::KubeBackend;
use crate::api::{Retry, kerr};

/// Every (API group, resource, verbs) sk8's commands use in the job
/// namespace. `deploy/rbac.yaml` grants exactly these (a test holds the
/// two together), and `sk8 doctor` asks the server about each.
pub const NAMESPACED_RULES: &[(&str, &str, &[&str])] = &[
    (
        "",
        "configmaps",
        &["create", "delete", "get", "list", "patch", "update"],
    ),
    ("", "secrets", &["create", "delete", "get"]),
    ("", "services", &["create", "delete"]),
    ("", "pods", &["create", "delete", "list"]),
    ("kueue.x-k8s.io", "workloads", &["list"]),
    ("kueue.x-k8s.io", "localqueues", &["list"]),
    (
        "scheduling.volcano.sh",
        "podgroups",
        &["create", "delete", "list"],
    ),
    (
        "scheduling.x-k8s.io",
        "podgroups",
        &["create", "delete", "list"],
    ),
];

/// What sk8 reads cluster-wide: nodes for `sinfo`, queues for `sk8 init`.
pub const CLUSTER_RULES: &[(&str, &str, &[&str])] = &[
    ("", "nodes", &["list"]),
    ("scheduling.volcano.sh", "queues", &["list"]),
];

/// How one check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but something is worth knowing.
    Warn,
    /// sk8 will not work until this is fixed.
    Fail,
}

/// One line of `sk8 doctor`'s report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// How it went.
    pub verdict: Verdict,
    /// What was checked (`API server`, `permissions`, ...).
    pub what: String,
    /// What was found.
    pub found: String,
    /// What to do about it (empty when nothing).
    pub fix: String,
}

impl Check {
    fn new(verdict: Verdict, what: &str, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            verdict,
            what: what.to_string(),
            found: found.into(),
            fix: fix.into(),
        }
    }
}

/// Renders checks as `sk8 doctor` prints them.
pub fn render_checks(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let tag = match c.verdict {
            Verdict::Ok => "[ok]  ",
            Verdict::Warn => "[warn]",
            Verdict::Fail => "[FAIL]",
        };
        let _ = writeln!(out, "{tag} {}: {}", c.what, c.found);
        if !c.fix.is_empty() {
            let _ = writeln!(out, "       fix: {}", c.fix);
        }
    }
    let failed = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
    let warned = checks.iter().filter(|c| c.verdict == Verdict::Warn).count();
    let _ = match failed {
        0 if warned == 0 => writeln!(out, "sk8 is ready to submit jobs here."),
        0 => writeln!(out, "sk8 can submit jobs here ({warned} warning(s) above)."),
        n => writeln!(
            out,
            "{n} problem(s) to fix before sk8 can submit jobs here."
        ),
    };
    out
}

impl KubeBackend {
    /// Runs every check of `sk8 doctor`, in order; stops early only when
    /// the API server cannot be reached at all.
    pub fn doctor(&self) -> Vec<Check> {
        self.rt.block_on(self.doctor_async())
    }

    async fn doctor_async(&self) -> Vec<Check> {
        let mut checks = Vec::new();
        let ns = self.kube.ns.clone();
        match self.kube.client.apiserver_version().await {
            Ok(v) => checks.push(Check::new(
                Verdict::Ok,
                "API server",
                format!(
                    "reachable, Kubernetes {}.{} ({})",
                    v.major, v.minor, v.git_version
                ),
                "",
            )),
            Err(e) => {
                checks.push(Check::new(
                    Verdict::Fail,
                    "API server",
                    kerr(e).to_string(),
                    "check KUBECONFIG and `kubectl config current-context`",
                ));
                return checks;
            }
        }
        let user = self.whoami_async().await;
        checks.push(Check::new(
            Verdict::Ok,
            "identity",
            format!("`{user}`, jobs go to namespace `{ns}`"),
            "",
        ));
        let provider = match self.provider_async().await {
            Ok(p) => p,
            Err(e) => {
                checks.push(Check::new(Verdict::Fail, "discovery", e.to_string(), ""));
                return checks;
            }
        };
        checks.push(self.permissions(provider).await);
        checks.extend(self.gang_checks(provider).await);
        checks.push(self.gpu_check().await);
        checks.push(match &self.cfg.agent_image {
            Some(image) => Check::new(Verdict::Ok, "agent image", format!("`{image}`"), ""),
            None => Check::new(
                Verdict::Warn,
                "agent image",
                "not set: batch scripts run, but `srun` steps inside pods need the agent",
                "set `agent_image` under [kubernetes] in the sk8 config",
            ),
        });
        checks
    }

    /// One SelfSubjectAccessReview per (verb, resource) the provider's jobs need.
    async fn permissions(&self, provider: Provider) -> Check {
        let gang_group = match provider {
            Provider::Kueue => Some("kueue.x-k8s.io"),
            Provider::Volcano => Some("scheduling.volcano.sh"),
            Provider::Coscheduling => Some("scheduling.x-k8s.io"),
            Provider::Native | Provider::None => None,
        };
        let mut wanted = Vec::new();
        for (group, resource, verbs) in NAMESPACED_RULES {
            if !group.is_empty() && Some(*group) != gang_group {
                continue;
            }
            for verb in *verbs {
                wanted.push((*group, *resource, *verb, Some(self.kube.ns.as_str())));
            }
        }
        for (group, resource, verbs) in CLUSTER_RULES {
            if group.is_empty() {
                for verb in *verbs {
                    wanted.push((*group, *resource, *verb, None));
                }
            }
        }
        let api: Api<SelfSubjectAccessReview> = Api::all(self.kube.client.clone());
        let pp = PostParams::default();
        let mut denied = Vec::new();
        for (group, resource, verb, namespace) in wanted {
            let review = SelfSubjectAccessReview {
                spec: SelfSubjectAccessReviewSpec {
                    resource_attributes: Some(ResourceAttributes {
                        group: Some(group.to_string()),
                        resource: Some(resource.to_string()),
                        verb: Some(verb.to_string()),
                        namespace: namespace.map(str::to_string),
                        ..ResourceAttributes::default()
                    }),
                    ..SelfSubjectAccessReviewSpec::default()
                },
                ..SelfSubjectAccessReview::default()
            };
            let allowed = self
                .kube
                .call(Retry::Transient, || api.create(&pp, &review))
                .await
                .map(|r| r.status.is_some_and(|s| s.allowed));
            match allowed {
                Ok(true) => {}
                Ok(false) => denied.push(qualified(verb, group, resource)),
                Err(e) => {
                    return Check::new(
                        Verdict::Fail,
                        "permissions",
                        format!("cannot ask the server: {}", kerr(e)),
                        "",
                    );
                }
            }
        }
        if denied.is_empty() {
            Check::new(
                Verdict::Ok,
                "permissions",
                format!("every verb sk8 uses is allowed in `{}`", self.kube.ns),
                "",
            )
        } else {
            Check::new(
                Verdict::Fail,
                "permissions",
                format!("denied: {}", denied.join(", ")),
                format!(
                    "kubectl apply -n {} -f deploy/rbac.yaml (bind the Role and ClusterRole to your user or group)",
                    self.kube.ns
                ),
            )
        }
    }

    async fn gang_checks(&self, provider: Provider) -> Vec<Check> {
        let configured = self.cfg.gang.is_some();
        let how = if configured { "configured" } else { "detected" };
        let mut checks = Vec::new();
        match provider {
            Provider::None => checks.push(Check::new(
                Verdict::Warn,
                "gang scheduler",
                "none: multi-node jobs are placed pod by pod (and requeued when not all placed in time)",
                "install Kueue (v0.16+ has the pod integration on by default) or Volcano",
            )),
            Provider::Native => checks.push(Check::new(
                Verdict::Fail,
                "gang scheduler",
                "native (scheduling.k8s.io) is not supported by sk8 yet",
                "set gang = \"kueue\", \"volcano\" or \"none\" under [kubernetes]",
            )),
            Provider::Kueue => {
                checks.push(self.served_check(provider, how, "kueue.x-k8s.io", "workloads").await);
                checks.push(self.queue_check("kueue.x-k8s.io", "v1beta1", "LocalQueue", true).await);
                checks.extend(self.kueue_settings_checks().await);
            }
            Provider::Volcano => {
                checks.push(
                    self.served_check(provider, how, "scheduling.volcano.sh", "podgroups").await,
                );
                checks.push(
                    self.queue_check("scheduling.volcano.sh", "v1beta1", "Queue", false).await,
                );
            }
            Provider::Coscheduling => {
                checks.push(
                    self.served_check(provider, how, "scheduling.x-k8s.io", "podgroups").await,
                );
                checks.push(Check::new(
                    Verdict::Ok,
                    "scheduler name",
                    format!(
                        "pods name `{}`",
                        self.cfg.scheduler_for(provider).unwrap_or_default()
                    ),
                    "",
                ));
            }
        }
        checks
    }

    /// Kueue's own configuration (`kueue-system/kueue-manager-config`),
    /// where the job namespace's user may read it: all-or-nothing placement
    /// needs `waitForPodsReady`, sk8's pods need the `pod` integration.
    async fn kueue_settings_checks(&self) -> Vec<Check> {
        let api: Api<ConfigMap> = Api::namespaced(self.kube.client.clone(), KUEUE_NAMESPACE);
        let read = self
            .kube
            .call(Retry::Transient, || api.get(KUEUE_CONFIG))
            .await;
        let text = match read {
            Ok(cm) => cm
                .data
                .and_then(|d| d.get(KUEUE_CONFIG_KEY).cloned())
                .unwrap_or_default(),
            Err(e) => {
                return vec![Check::new(
                    Verdict::Warn,
                    "Kueue settings",
                    format!("cannot read {KUEUE_NAMESPACE}/{KUEUE_CONFIG} ({})", kerr(e)),
                    "make sure Kueue's config has waitForPodsReady.enable: true (default since \
                     v0.19) and the `pod` integration (default since v0.16)",
                )];
            }
        };
        let settings = kueue_settings(&text);
        let wait = match settings.wait_for_pods_ready {
            Some(true) => Check::new(
                Verdict::Ok,
                "Kueue all-or-nothing",
                "waitForPodsReady enabled",
                "",
            ),
            Some(false) => Check::new(
                Verdict::Fail,
                "Kueue all-or-nothing",
                "waitForPodsReady is disabled: a multi-node job can hold some nodes while waiting for others",
                format!(
                    "set waitForPodsReady.enable: true in {KUEUE_NAMESPACE}/{KUEUE_CONFIG} and restart Kueue"
                ),
            ),
            None => Check::new(
                Verdict::Warn,
                "Kueue all-or-nothing",
                "waitForPodsReady not set: enabled by default since Kueue v0.19 only",
                "on older Kueue set waitForPodsReady.enable: true",
            ),
        };
        let pod = match settings.pod_integration {
            Some(true) => Check::new(Verdict::Ok, "Kueue pod integration", "enabled", ""),
            Some(false) => Check::new(
                Verdict::Fail,
                "Kueue pod integration",
                "`pod` is not among integrations.frameworks: Kueue will not gate sk8's pods",
                format!(
                    "add \"pod\" to integrations.frameworks in {KUEUE_NAMESPACE}/{KUEUE_CONFIG}"
                ),
            ),
            None => Check::new(
                Verdict::Warn,
                "Kueue pod integration",
                "integrations not set: the pod integration is on by default since Kueue v0.16 only",
                "on older Kueue add \"pod\" to integrations.frameworks",
            ),
        };
        vec![wait, pod]
    }

    async fn served_check(
        &self,
        provider: Provider,
        how: &str,
        group: &str,
        plural: &str,
    ) -> Check {
        let served = self
            .served()
            .await
            .map(|s| s.iter().any(|(g, _, r)| g == group && r == plural));
        match served {
            Ok(true) => Check::new(
                Verdict::Ok,
                "gang scheduler",
                format!("{provider} ({how})"),
                "",
            ),
            Ok(false) => Check::new(
                Verdict::Fail,
                "gang scheduler",
                format!("{provider} is {how} but the server does not serve {plural}.{group}"),
                format!("install {provider}, or set gang = \"none\" under [kubernetes]"),
            ),
            Err(e) => Check::new(Verdict::Fail, "gang scheduler", e.to_string(), ""),
        }
    }

    /// Each partition's queue exists (Kueue LocalQueues in the namespace,
    /// Volcano Queues in the cluster).
    async fn queue_check(&self, group: &str, version: &str, kind: &str, namespaced: bool) -> Check {
        let names = match self.queue_names(group, version, kind, namespaced).await {
            Ok(n) => n,
            Err(e) => {
                return Check::new(
                    Verdict::Warn,
                    "queues",
                    format!("cannot list {kind}s: {e}"),
                    "",
                );
            }
        };
        let mut missing = Vec::new();
        for p in self.cfg.partition_names() {
            let queue = self
                .cfg
                .partition(&p)
                .and_then(|c| c.queue.clone())
                .unwrap_or_else(|| default_queue(&self.cfg, &p));
            if !names.contains(&queue) {
                missing.push(format!("`{queue}` (partition `{p}`)"));
            }
        }
        if missing.is_empty() {
            Check::new(
                Verdict::Ok,
                "queues",
                format!("{kind}s: {}", names.join(", ")),
                "",
            )
        } else {
            Check::new(
                Verdict::Fail,
                "queues",
                format!("no {kind} {}", missing.join(", ")),
                format!(
                    "create them (see deploy/{}) or map partitions to existing queues with `sk8 init`",
                    if namespaced {
                        "kueue/queues.yaml"
                    } else {
                        "volcano/queue.yaml"
                    }
                ),
            )
        }
    }

    async fn queue_names(
        &self,
        group: &str,
        version: &str,
        kind: &str,
        namespaced: bool,
    ) -> Result<Vec<String>, sk8_backend::Error> {
        let ar = ApiResource {
            group: group.to_string(),
            version: version.to_string(),
            api_version: format!("{group}/{version}"),
            kind: kind.to_string(),
            plural: format!("{}s", kind.to_ascii_lowercase()),
        };
        let api: Api<DynamicObject> = if namespaced {
            self.kube.dynamic(&ar)
        } else {
            Api::all_with(self.kube.client.clone(), &ar)
        };
        let lp = ListParams::default();
        let list = self
            .kube
            .call(Retry::Transient, || api.list(&lp))
            .await
            .map_err(kerr)?;
        Ok(list
            .items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect())
    }

    async fn gpu_check(&self) -> Check {
        let nodes = match self.list_nodes().await {
            Ok(n) => n,
            Err(e) => return Check::new(Verdict::Fail, "nodes", e.to_string(), ""),
        };
        let products = gpu_products(&nodes, &self.cfg);
        if products.is_empty() {
            return Check::new(
                Verdict::Warn,
                "GPU nodes",
                format!(
                    "none of {} node(s) has allocatable `{}`",
                    nodes.len(),
                    self.cfg.gpu_resource
                ),
                "GPU jobs will stay pending; install the NVIDIA device plugin on GPU nodes",
            );
        }
        let unknown: Vec<&str> = products
            .iter()
            .filter(|(_, (ty, _))| ty.is_none())
            .map(|(p, _)| p.as_str())
            .collect();
        let summary = products
            .iter()
            .map(|(p, (ty, n))| format!("{n} x {} (`{p}`)", ty.as_deref().unwrap_or("?")))
            .collect::<Vec<_>>()
            .join(", ");
        if unknown.is_empty() {
            Check::new(Verdict::Ok, "GPU nodes", summary, "")
        } else {
            Check::new(
                Verdict::Warn,
                "GPU nodes",
                summary,
                format!(
                    "name these products under [kubernetes.gpu_types] so `--gres=gpu:TYPE:N` can select them: {}",
                    unknown.join(", ")
                ),
            )
        }
    }

    async fn list_nodes(&self) -> Result<Vec<Node>, sk8_backend::Error> {
        let api: Api<Node> = Api::all(self.kube.client.clone());
        let lp = ListParams::default();
        Ok(self
            .kube
            .call(Retry::Transient, || api.list(&lp))
            .await
            .map_err(kerr)?
            .items)
    }

    /// A configuration from what the cluster has: its namespace, gang
    /// scheduler, queues as partitions and GPU products as types.
    pub fn discover_config(&self) -> Result<KubeConfig, sk8_backend::Error> {
        self.rt.block_on(async {
            let mut cfg = self.cfg.clone();
            cfg.namespace = Some(self.kube.ns.clone());
            let provider = sk8_manifest::status::detect_provider(self.served().await?);
            cfg.gang = Some(provider);
            let queues = match provider {
                Provider::Kueue => {
                    self.queue_names("kueue.x-k8s.io", "v1beta1", "LocalQueue", true)
                        .await
                }
                Provider::Volcano => {
                    self.queue_names("scheduling.volcano.sh", "v1beta1", "Queue", false)
                        .await
                }
                _ => Ok(Vec::new()),
            }
            .unwrap_or_default();
            for (i, q) in queues.iter().enumerate() {
                let part = cfg
                    .partitions
                    .entry(sk8_manifest::names::dns_label(q))
                    .or_default();
                part.queue = Some(q.clone());
                part.default = i == 0;
            }
            let nodes = self.list_nodes().await?;
            for (product, (ty, _)) in gpu_products(&nodes, &cfg) {
                if ty.is_none() {
                    cfg.gpu_types.insert(short_type(&product), product);
                }
            }
            Ok(cfg)
        })
    }
}

/// Where Kueue keeps its configuration (its default install).
const KUEUE_NAMESPACE: &str = "kueue-system";
const KUEUE_CONFIG: &str = "kueue-manager-config";
const KUEUE_CONFIG_KEY: &str = "controller_manager_config.yaml";

/// What Kueue's configuration says about sk8's needs; `None` where it
/// says nothing (the version's default applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct KueueSettings {
    wait_for_pods_ready: Option<bool>,
    pod_integration: Option<bool>,
}

fn kueue_settings(yaml: &str) -> KueueSettings {
    let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(yaml) else {
        return KueueSettings::default();
    };
    let wait_for_pods_ready = doc.get("waitForPodsReady").map(|w| {
        w.get("enable")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    });
    let pod_integration = doc
        .get("integrations")
        .and_then(|i| i.get("frameworks"))
        .and_then(serde_json::Value::as_array)
        .map(|f| f.iter().any(|x| x.as_str() == Some("pod")));
    KueueSettings {
        wait_for_pods_ready,
        pod_integration,
    }
}

/// The queue a partition without one goes to (as sk8-manifest renders it).
fn default_queue(cfg: &KubeConfig, partition: &str) -> String {
    if cfg.partitions.is_empty() {
        "default".to_string()
    } else {
        partition.to_string()
    }
}

fn qualified(verb: &str, group: &str, resource: &str) -> String {
    if group.is_empty() {
        format!("{verb} {resource}")
    } else {
        format!("{verb} {resource}.{group}")
    }
}

/// GPU products on the nodes: product label -> (the config's type name for
/// it, if any; the number of nodes).
fn gpu_products(nodes: &[Node], cfg: &KubeConfig) -> BTreeMap<String, (Option<String>, usize)> {
    let mut out: BTreeMap<String, (Option<String>, usize)> = BTreeMap::new();
    for node in nodes {
        let has_gpus = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .and_then(|a| a.get(&cfg.gpu_resource))
            .is_some_and(|q| q.0 != "0");
        if !has_gpus {
            continue;
        }
        let product = node
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(&cfg.gpu_product_label))
            .cloned()
            .unwrap_or_else(|| "unlabelled".to_string());
        let ty = cfg
            .gpu_types
            .iter()
            .find(|(_, p)| **p == product)
            .map(|(t, _)| t.clone());
        out.entry(product).or_insert((ty, 0)).1 += 1;
    }
    out
}

/// A short type name for a GPU product (`NVIDIA-A10G` -> `a10g`).
fn short_type(product: &str) -> String {
    let lower = product.to_ascii_lowercase();
    let core = lower
        .strip_prefix("nvidia-")
        .or_else(|| lower.strip_prefix("tesla-"))
        .unwrap_or(&lower);
    core.split(['-', '_', ' '])
        .next()
        .unwrap_or(core)
        .to_string()
}

/// The config file `sk8 init` writes: the backend choice and the
/// `[kubernetes]` table.
pub fn config_toml(cfg: &KubeConfig) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from(
        "# Written by `sk8 init` from what the cluster has; edit freely.\nbackend = \"kubernetes\"\n\n[kubernetes]\n",
    );
    if let Some(ns) = &cfg.namespace {
        let _ = writeln!(out, "namespace = {}", q(ns));
    }
    if let Some(g) = cfg.gang {
        let _ = writeln!(out, "gang = {}", q(&g.to_string()));
    }
    let _ = writeln!(out, "image = {}", q(&cfg.image));
    if let Some(a) = &cfg.agent_image {
        let _ = writeln!(out, "agent_image = {}", q(a));
    }
    if !cfg.gpu_types.is_empty() {
        out.push_str("\n[kubernetes.gpu_types]\n");
        for (t, p) in &cfg.gpu_types {
            let _ = writeln!(out, "{} = {}", q(t), q(p));
        }
    }
    for (name, p) in &cfg.partitions {
        let _ = writeln!(out, "\n[kubernetes.partitions.{}]", q(name));
        if let Some(queue) = &p.queue {
            let _ = writeln!(out, "queue = {}", q(queue));
        }
        if p.default {
            out.push_str("default = true\n");
        }
        if !p.node_selector.is_empty() {
            let sel: Vec<String> = p
                .node_selector
                .iter()
                .map(|(k, v)| format!("{} = {}", q(k), q(v)))
                .collect();
            let _ = writeln!(out, "node_selector = {{ {} }}", sel.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kueue_configuration_is_read_for_what_sk8_needs() {
        let cases = [
            (
                "apiVersion: config.kueue.x-k8s.io/v1beta1\nkind: Configuration\nwaitForPodsReady:\n  enable: true\n  timeout: 5m\nintegrations:\n  frameworks:\n  - \"batch/job\"\n  - \"pod\"\n",
                Some(true),
                Some(true),
            ),
            (
                "waitForPodsReady:\n  enable: false\nintegrations:\n  frameworks: [\"batch/job\"]\n",
                Some(false),
                Some(false),
            ),
            ("waitForPodsReady: {}\n", Some(false), None),
            ("kind: Configuration\n", None, None),
            ("not: [valid", None, None),
        ];
        for (text, wait, pod) in cases {
            let got = kueue_settings(text);
            assert_eq!(
                (got.wait_for_pods_ready, got.pod_integration),
                (wait, pod),
                "{text}"
            );
        }
    }

    #[test]
    fn short_gpu_type_names() {
        for (product, want) in [
            ("NVIDIA-A10G", "a10g"),
            ("NVIDIA-H100-80GB-HBM3", "h100"),
            ("Tesla-T4", "t4"),
            ("AMD-MI300X", "amd"),
        ] {
            assert_eq!(short_type(product), want, "{product}");
        }
    }

    #[test]
    fn written_config_reads_back() {
        let mut cfg = KubeConfig {
            namespace: Some("ml \"team\"".to_string()),
            gang: Some(Provider::Kueue),
            ..KubeConfig::default()
        };
        cfg.gpu_types
            .insert("a10g".to_string(), "NVIDIA-A10G".to_string());
        let p = cfg.partitions.entry("gpu".to_string()).or_default();
        p.queue = Some("gpu-queue".to_string());
        p.default = true;
        p.node_selector
            .insert("pool".to_string(), "gpu".to_string());
        let text = config_toml(&cfg);
        let back = crate::config::parse_config(&text).expect("it parses");
        assert_eq!(back, cfg, "{text}");
    }
}
