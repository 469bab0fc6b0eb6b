//! [`render`]: one `JobSpec` to the objects of one job (record, token, service, pod group, pods).
//!
//! Everything here is a plain value; `sk8-kube` creates the objects in the
//! order of [`JobObjects`]' fields after setting their owner with
//! [`JobObjects::set_owner`].

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMap, ConfigMapVolumeSource, Container, EnvVar, EnvVarSource,
    HostPathVolumeSource, KeyToPath, NodeAffinity, NodeSelector, NodeSelectorRequirement,
    NodeSelectorTerm, Pod, PodAffinityTerm, PodAntiAffinity, PodSpec, ResourceRequirements, Secret,
    SecretKeySelector, SecretVolumeSource, Service, ServicePort, ServiceSpec, Toleration, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta, OwnerReference,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;
use sk8_spec::JobSpec;
use sk8_spec::TimeLimit;
use sk8_spec::constraint::Token;
use sk8_spec::job::{Command, Memory, Sharing};

use crate::config::{KubeConfig, Provider};
use crate::labels as l;
use crate::names;
use crate::shape::{NodeShape, gpu_type, node_shapes};
use crate::status::StatusError;

/// The largest record (script plus spec) a ConfigMap holds, leaving room for metadata.
pub const MAX_RECORD_BYTES: usize = 1_000_000;

/// Ranks above 0 wait here until the backend deletes them (TERM ends them at once).
pub const WAIT_COMMAND: [&str; 3] = [
    "/bin/sh",
    "-c",
    "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done",
];

/// Submit-side variables never copied into pods (the pod has its own).
const DROPPED_ENV: [&str; 6] = ["PATH", "HOME", "HOSTNAME", "PWD", "SHLVL", "_"];

/// What [`render`] needs besides the configuration.
#[derive(Debug, Clone)]
pub struct RenderInput<'a> {
    /// The job id (for an array task: the task's own id).
    pub job_id: u32,
    /// The resolved request.
    pub spec: &'a JobSpec,
    /// The batch script text.
    pub script: &'a str,
    /// The step token (hex); goes into the Secret only.
    pub token: &'a str,
    /// The namespace of every object.
    pub namespace: &'a str,
    /// The gang scheduler.
    pub provider: Provider,
    /// The cluster name (`SLURM_CLUSTER_NAME`).
    pub cluster: &'a str,
    /// Submit time (Unix seconds).
    pub submit_time: i64,
    /// (array job id, task index) for an array task.
    pub array: Option<(u32, u32)>,
    /// Held (`--hold`, or `scontrol hold`): the record says so.
    pub hold: bool,
}

/// The objects of one job, in creation order.
#[derive(Clone, PartialEq)]
pub struct JobObjects {
    /// The record ConfigMap `sk8-job-<id>`.
    pub record: ConfigMap,
    /// The token Secret `sk8-job-<id>-token`.
    pub secret: Secret,
    /// The headless Service `sk8-job-<id>`.
    pub service: Service,
    /// The gang PodGroup (whole object with apiVersion/kind), if the provider has one.
    pub pod_group: Option<serde_json::Value>,
    /// The pods, by rank.
    pub pods: Vec<Pod>,
}

impl std::fmt::Debug for JobObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobObjects")
            .field("record", &self.record.metadata.name)
            .field("secret", &"<redacted>")
            .field("service", &self.service.metadata.name)
            .field("pod_group", &self.pod_group.is_some())
            .field(
                "pods",
                &self
                    .pods
                    .iter()
                    .map(|p| p.metadata.name.as_deref())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a job cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// An option this backend cannot honour (the option, as the user wrote it).
    #[error("{0} is not supported by the kubernetes backend")]
    Unsupported(String),
    /// The partition does not exist (Slurm's words).
    #[error("invalid partition specified: {0}")]
    Partition(String),
    /// A value that cannot be expressed (the reason).
    #[error("{0}")]
    Invalid(String),
}

/// The first option of `spec` this backend refuses (e.g. `--dependency`), `None` if fine.
///
/// These need a controller that acts later (start after, start at, signal
/// before the end, throttle an array); without one they would be ignored, and
/// sk8 refuses rather than ignores (DESIGN §1).
pub fn unsupported(spec: &JobSpec) -> Option<String> {
    if spec.dependency.is_some() {
        return Some("--dependency".into());
    }
    if spec.begin.is_some() {
        return Some("--begin".into());
    }
    if spec.deadline.is_some() {
        return Some("--deadline".into());
    }
    if spec.signal.is_some() {
        return Some("--signal".into());
    }
    if spec.reservation.is_some() {
        return Some("--reservation".into());
    }
    if let Some(t) = spec.array.as_ref().and_then(sk8_spec::ArraySpec::throttle) {
        return Some(format!("--array throttle `%{t}`"));
    }
    if matches!(spec.sharing, Sharing::Mcs) {
        return Some("--exclusive=mcs".into());
    }
    None
}

/// The spec and script stored in a record (for release and requeue).
pub fn spec_of(record: &ConfigMap) -> Result<(JobSpec, String), StatusError> {
    let name = record.metadata.name.clone().unwrap_or_default();
    let data = record.data.as_ref();
    let get = |key: &str| {
        data.and_then(|d| d.get(key))
            .ok_or_else(|| StatusError::Missing(name.clone(), key.to_string()))
    };
    let spec = serde_json::from_str(get(l::DATA_SPEC)?)
        .map_err(|e| StatusError::Bad(name.clone(), l::DATA_SPEC.into(), e.to_string()))?;
    Ok((spec, get(l::DATA_SCRIPT)?.clone()))
}

/// The job's environment, from its token Secret (the record holds the spec
/// without it).
pub fn environment_of(secret: &Secret) -> Result<BTreeMap<String, String>, StatusError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let Some(raw) = secret.data.as_ref().and_then(|d| d.get(l::ENVIRONMENT_KEY)) else {
        return Err(StatusError::Missing(name, l::ENVIRONMENT_KEY.into()));
    };
    serde_json::from_slice(&raw.0)
        .map_err(|e| StatusError::Bad(name, l::ENVIRONMENT_KEY.into(), e.to_string()))
}

/// The partition a job runs in, checked against the configuration.
pub fn partition_of(spec: &JobSpec, cfg: &KubeConfig) -> Result<String, RenderError> {
    let p = spec
        .partition
        .clone()
        .unwrap_or_else(|| cfg.default_partition_name());
    if cfg.partition_names().contains(&p) {
        Ok(p)
    } else {
        Err(RenderError::Partition(p))
    }
}

/// The time limit in force: the job's, else the partition's default; checked
/// against the partition's maximum as slurmctld does.
pub fn time_limit_of(
    spec: &JobSpec,
    cfg: &KubeConfig,
    partition: &str,
) -> Result<Option<TimeLimit>, RenderError> {
    let pc = cfg.partition(partition);
    let parse = |s: &Option<String>, key: &str| -> Result<Option<TimeLimit>, RenderError> {
        s.as_deref()
            .map(|t| {
                t.parse::<TimeLimit>().map_err(|e| {
                    RenderError::Invalid(format!(
                        "bad `{key}` of partition `{partition}` in config.toml: {e}"
                    ))
                })
            })
            .transpose()
    };
    let default = parse(&pc.and_then(|p| p.default_time.clone()), "default_time")?;
    let max = parse(&pc.and_then(|p| p.max_time.clone()), "max_time")?;
    let limit = spec.time_limit.or(default).or(max);
    if let (Some(TimeLimit::Minutes(want)), Some(TimeLimit::Minutes(most))) = (limit, max)
        && want > most
    {
        return Err(RenderError::Invalid(
            "Requested time limit is invalid (missing or exceeds some limit)".into(),
        ));
    }
    if let (Some(TimeLimit::Unlimited), Some(TimeLimit::Minutes(_))) = (limit, max) {
        return Err(RenderError::Invalid(
            "Requested time limit is invalid (missing or exceeds some limit)".into(),
        ));
    }
    Ok(limit)
}

/// Everything computed once per job and shared by the objects.
struct Plan<'a> {
    input: &'a RenderInput<'a>,
    cfg: &'a KubeConfig,
    name: String,
    partition: String,
    labels: BTreeMap<String, String>,
    shapes: Vec<NodeShape>,
    gpu_product: Option<String>,
    deadline: Option<i64>,
    image: String,
}

/// Renders the objects of one job.
pub fn render(input: &RenderInput<'_>, cfg: &KubeConfig) -> Result<JobObjects, RenderError> {
    let spec = input.spec;
    if let Some(opt) = unsupported(spec) {
        return Err(RenderError::Unsupported(opt));
    }
    if input.provider == Provider::Native {
        return Err(RenderError::Unsupported(
            "the native `scheduling.k8s.io` gang scheduler (gang = \"native\")".into(),
        ));
    }
    let partition = partition_of(spec, cfg)?;
    let limit = time_limit_of(spec, cfg, &partition)?;
    let shapes = node_shapes(spec)?;
    let gpu_product = match gpu_type(spec)? {
        None => None,
        Some(t) => Some(cfg.gpu_types.get(&t).cloned().ok_or_else(|| {
            RenderError::Invalid(format!(
                "unknown GPU type `{t}`\n(hint: add `{t} = \"<value of the {} node label>\"` to `[kubernetes.gpu_types]` in config.toml)",
                cfg.gpu_product_label
            ))
        })?),
    };
    let deadline = match limit {
        Some(TimeLimit::Minutes(m)) => Some(i64::from(m) * 60 + cfg.deadline_slack_secs),
        _ => None,
    };
    let image = match &spec.container.image {
        Some(i) => container_image(i)?,
        None => cfg.image.clone(),
    };
    let mut labels = BTreeMap::from([
        (l::JOB_ID.to_string(), input.job_id.to_string()),
        (l::USER.to_string(), names::label_value(&spec.user)),
        (l::PARTITION.to_string(), names::label_value(&partition)),
        (l::JOB_NAME.to_string(), names::label_value(&spec.name)),
        (l::MANAGED_BY.to_string(), l::MANAGED_BY_VALUE.to_string()),
    ]);
    if let Some((array_id, task)) = input.array {
        labels.insert(l::ARRAY_JOB_ID.into(), array_id.to_string());
        labels.insert(l::ARRAY_TASK_ID.into(), task.to_string());
    }
    let plan = Plan {
        input,
        cfg,
        name: names::record_name(input.job_id),
        partition,
        labels,
        shapes,
        gpu_product,
        deadline,
        image,
    };
    let record = plan.record()?;
    let pods = (0..plan.shapes.len())
        .map(|r| plan.pod(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(JobObjects {
        record,
        secret: plan.secret()?,
        service: plan.service(),
        pod_group: plan.pod_group(),
        pods,
    })
}

/// pyxis' image names to registry references: `nvcr.io#nvidia/pytorch:24.01`
/// -> `nvcr.io/nvidia/pytorch:24.01`; `docker://` dropped; squashfs files refused.
pub fn container_image(image: &str) -> Result<String, RenderError> {
    let i = image.strip_prefix("docker://").unwrap_or(image);
    if i.starts_with('/') || i.starts_with('.') || i.ends_with(".sqsh") {
        return Err(RenderError::Unsupported(format!(
            "--container-image={image} (a squashfs file; give a registry image)"
        )));
    }
    // enroot's `[USER@]REGISTRY#IMAGE`: credentials come from imagePullSecrets on Kubernetes.
    let i = match i.split_once('#') {
        Some((reg, rest)) => {
            let reg = reg.rsplit_once('@').map_or(reg, |(_, r)| r);
            format!("{reg}/{rest}")
        }
        None => i.to_string(),
    };
    if i.is_empty() {
        return Err(RenderError::Invalid("empty --container-image".into()));
    }
    Ok(i)
}

/// A `--container-mounts` entry `SRC[:DST[:FLAGS]]` as (source, destination, read-only).
pub fn container_mount(m: &str) -> Result<(String, String, bool), RenderError> {
    let mut parts = m.splitn(3, ':');
    let src = parts.next().unwrap_or_default().to_string();
    let dst = parts.next().map_or_else(|| src.clone(), str::to_string);
    let flags = parts.next().unwrap_or_default();
    if !src.starts_with('/') || !dst.starts_with('/') {
        return Err(RenderError::Invalid(format!(
            "--container-mounts: `{m}` needs absolute paths (host paths of the node)"
        )));
    }
    let mut ro = false;
    for f in flags.split([':', '+']).filter(|f| !f.is_empty()) {
        match f {
            "ro" => ro = true,
            "rw" | "rbind" | "bind" | "private" | "rprivate" | "slave" | "rslave" | "nosuid"
            | "nodev" | "noexec" => {}
            other => {
                return Err(RenderError::Unsupported(format!(
                    "--container-mounts flag `{other}`"
                )));
            }
        }
    }
    Ok((src, dst, ro))
}

fn q(s: impl Into<String>) -> Quantity {
    Quantity(s.into())
}

impl Plan<'_> {
    fn meta(&self, name: &str, labels: BTreeMap<String, String>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(self.input.namespace.to_string()),
            labels: Some(labels),
            ..ObjectMeta::default()
        }
    }

    fn nnodes(&self) -> u32 {
        u32::try_from(self.shapes.len()).unwrap_or(u32::MAX)
    }

    fn record(&self) -> Result<ConfigMap, RenderError> {
        // The environment goes to the Secret (see `ENVIRONMENT_KEY`).
        let stored = JobSpec {
            environment: BTreeMap::new(),
            ..self.input.spec.clone()
        };
        let spec_json = serde_json::to_string(&stored)
            .map_err(|e| RenderError::Invalid(format!("cannot store the job spec: {e}")))?;
        if spec_json.len() + self.input.script.len() > MAX_RECORD_BYTES {
            return Err(RenderError::Invalid(format!(
                "batch script too large: {} bytes with the job spec, the kubernetes backend stores at most {MAX_RECORD_BYTES}",
                spec_json.len() + self.input.script.len()
            )));
        }
        let mut meta = self.meta(&self.name, self.labels.clone());
        if self.input.hold {
            meta.annotations = Some(BTreeMap::from([(l::HOLD.to_string(), "user".to_string())]));
        }
        Ok(ConfigMap {
            metadata: meta,
            data: Some(BTreeMap::from([
                (l::DATA_SCRIPT.to_string(), self.input.script.to_string()),
                (l::DATA_SPEC.to_string(), spec_json),
                (
                    l::DATA_SUBMIT_TIME.to_string(),
                    self.input.submit_time.to_string(),
                ),
            ])),
            ..ConfigMap::default()
        })
    }

    fn secret(&self) -> Result<Secret, RenderError> {
        let env = serde_json::to_vec(&self.input.spec.environment)
            .map_err(|e| RenderError::Invalid(format!("cannot store the environment: {e}")))?;
        let mut data = BTreeMap::from([
            (
                l::TOKEN_KEY.to_string(),
                ByteString(self.input.token.as_bytes().to_vec()),
            ),
            (l::ENVIRONMENT_KEY.to_string(), ByteString(env)),
        ]);
        // Each variable a pod receives from the submitter again under its
        // own key, which the pods' `secretKeyRef`s name: the values never
        // enter a pod spec.
        for (name, value) in self.secret_vars() {
            data.insert(env_key(name), ByteString(value.as_bytes().to_vec()));
        }
        let size: usize = data.iter().map(|(k, v)| k.len() + v.0.len()).sum();
        if size > MAX_RECORD_BYTES {
            return Err(RenderError::Invalid(format!(
                "environment too large: {size} bytes, the kubernetes backend stores at most {MAX_RECORD_BYTES}"
            )));
        }
        Ok(Secret {
            metadata: self.meta(&names::secret_name(self.input.job_id), self.labels.clone()),
            type_: Some("Opaque".into()),
            data: Some(data),
            ..Secret::default()
        })
    }

    /// The submitter's variables a pod receives (the rest stay behind:
    /// [`DROPPED_ENV`], the cluster's `KUBERNETES_*`, names a pod cannot carry).
    fn exported(&self) -> impl Iterator<Item = (&String, &String)> {
        self.input.spec.environment.iter().filter(|(k, _)| {
            !DROPPED_ENV.contains(&k.as_str())
                && !k.starts_with("KUBERNETES_")
                && names::is_env_name(k)
        })
    }

    /// Every variable a pod takes from the submitter, so from the Secret:
    /// the exported ones and pyxis' `--container-env` names (which pass
    /// even the filter of [`Self::exported`]: PATH, HOME, ...).
    fn secret_vars(&self) -> BTreeMap<&str, &str> {
        let spec = self.input.spec;
        let container_env = spec.container.env.iter().filter_map(|name| {
            spec.environment
                .get_key_value(name)
                .filter(|_| names::is_env_name(name))
        });
        self.exported()
            .chain(container_env)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    fn service(&self) -> Service {
        Service {
            metadata: self.meta(&self.name, self.labels.clone()),
            spec: Some(ServiceSpec {
                cluster_ip: Some("None".into()),
                selector: Some(BTreeMap::from([(
                    l::JOB_ID.to_string(),
                    self.input.job_id.to_string(),
                )])),
                // Pods resolve each other by hostname before they are ready.
                publish_not_ready_addresses: Some(true),
                ports: Some(vec![ServicePort {
                    name: Some("agent".into()),
                    port: l::AGENT_PORT,
                    target_port: Some(IntOrString::Int(l::AGENT_PORT)),
                    protocol: Some("TCP".into()),
                    ..ServicePort::default()
                }]),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    }

    /// The queue of the partition: configured, else the partition's name
    /// (the implicit `k8s` partition uses the scheduler's `default` queue).
    fn queue(&self) -> String {
        match self.cfg.partition(&self.partition) {
            Some(p) => p.queue.clone().unwrap_or_else(|| self.partition.clone()),
            None => "default".into(),
        }
    }

    /// Requests = limits of every resource the job asks for.
    fn resources(&self, s: &NodeShape) -> BTreeMap<String, Quantity> {
        let mut r = BTreeMap::from([("cpu".to_string(), q(s.cpus.to_string()))]);
        if let Some(mb) = s.memory_mb {
            r.insert("memory".into(), q(format!("{mb}Mi")));
        }
        if s.gpus > 0 {
            r.insert(self.cfg.gpu_resource.clone(), q(s.gpus.to_string()));
        }
        r
    }

    fn pod_group(&self) -> Option<serde_json::Value> {
        let (api, scheduler_specific) = match self.input.provider {
            Provider::Volcano => (
                "scheduling.volcano.sh/v1beta1",
                json!({ "queue": self.queue() }),
            ),
            Provider::Coscheduling => ("scheduling.x-k8s.io/v1alpha1", json!({})),
            Provider::Kueue | Provider::Native | Provider::None => return None,
        };
        let mut total: BTreeMap<String, u64> = BTreeMap::new();
        for s in &self.shapes {
            *total.entry("cpu".into()).or_default() += u64::from(s.cpus);
            if let Some(mb) = s.memory_mb {
                *total.entry("memory".into()).or_default() += mb;
            }
            if s.gpus > 0 {
                *total.entry(self.cfg.gpu_resource.clone()).or_default() += u64::from(s.gpus);
            }
        }
        let min_resources: serde_json::Map<String, serde_json::Value> = total
            .into_iter()
            .map(|(k, v)| {
                let v = if k == "memory" {
                    format!("{v}Mi")
                } else {
                    v.to_string()
                };
                (k, serde_json::Value::String(v))
            })
            .collect();
        let mut spec = json!({ "minMember": self.nnodes(), "minResources": min_resources });
        if let (Some(spec), serde_json::Value::Object(extra)) =
            (spec.as_object_mut(), scheduler_specific)
        {
            spec.extend(extra);
        }
        let meta = serde_json::to_value(self.meta(&self.name, self.labels.clone())).ok()?;
        Some(json!({ "apiVersion": api, "kind": "PodGroup", "metadata": meta, "spec": spec }))
    }

    fn env(&self, rank: usize) -> Vec<EnvVar> {
        let spec = self.input.spec;
        let hostnames: Vec<String> = (0..self.nnodes())
            .map(|r| names::pod_name(self.input.job_id, r))
            .collect();
        let mut req = sk8_env::JobRequest::from_spec(spec);
        req.environment = self
            .exported()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let array = self.input.array.and_then(|(job_id, task_id)| {
            spec.array.as_ref().map(|a| sk8_env::ArrayTask {
                job_id,
                task_id,
                count: u32::try_from(a.len()).unwrap_or(u32::MAX),
                min: a.min().unwrap_or(0),
                max: a.max().unwrap_or(0),
                step: a.step(),
            })
        });
        let memory = spec.memory.as_ref().and_then(|m| match m {
            Memory::PerNode(m) if m.is_all() => None,
            Memory::PerNode(m) => Some(sk8_env::MemoryGrant::PerNode(m.megabytes())),
            Memory::PerCpu(m) => Some(sk8_env::MemoryGrant::PerCpu(m.megabytes())),
            Memory::PerGpu(m) => Some(sk8_env::MemoryGrant::PerGpu(m.megabytes())),
        });
        let alloc = sk8_env::Allocation {
            job_id: self.input.job_id,
            cluster: self.input.cluster.to_string(),
            partition: self.partition.clone(),
            account: spec.account.clone(),
            qos: spec.qos.clone(),
            reservation: None,
            nodes: hostnames
                .iter()
                .zip(&self.shapes)
                .map(|(h, s)| sk8_env::Node {
                    name: h.clone(),
                    addr: format!("{h}.{}", self.name),
                    cpus: s.cpus,
                    gpus: (0..s.gpus).collect(),
                })
                .collect(),
            array,
            memory,
            times: None,
        };
        let host = sk8_env::HostFacts {
            gpus_renumbered: true,
            prio_process: spec.nice.unwrap_or(0),
            ..sk8_env::HostFacts::default()
        };
        let mut env: BTreeMap<String, String> = sk8_env::batch_env(&req, &alloc, &host, 1)
            .into_iter()
            .collect();
        if rank > 0 {
            // What differs on the other nodes (they run no batch script, but
            // steps started there inherit this).
            let me = &alloc.nodes[rank];
            for k in ["HOSTNAME", "SLURMD_NODENAME", "SLURM_TOPOLOGY_ADDR"] {
                env.insert(k.into(), me.name.clone());
            }
            env.insert("SLURM_CPUS_ON_NODE".into(), me.cpus.to_string());
            env.insert("SLURM_NODEID".into(), rank.to_string());
        }
        env.extend(sk8_env::skypilot_env(&alloc, rank));
        // pyxis' --container-env: these names come from the submit side even
        // when the filter above drops them (PATH, HOME, ...).
        for name in &spec.container.env {
            if let Some(v) = spec.environment.get(name)
                && names::is_env_name(name)
            {
                env.insert(name.clone(), v.clone());
            }
        }
        // A value the submitter exported (not one Slurm's variables set over
        // it) is read from the job's Secret by name; the rest are sk8's own.
        let secret = names::secret_name(self.input.job_id);
        let from_submitter = self.secret_vars();
        env.into_iter()
            .map(|(name, value)| {
                if from_submitter.get(name.as_str()) == Some(&value.as_str()) {
                    let key = env_key(&name);
                    EnvVar {
                        name,
                        value_from: Some(EnvVarSource {
                            secret_key_ref: Some(SecretKeySelector {
                                name: secret.clone(),
                                key,
                                optional: Some(false),
                            }),
                            ..EnvVarSource::default()
                        }),
                        ..EnvVar::default()
                    }
                } else {
                    EnvVar {
                        name,
                        value: Some(value),
                        ..EnvVar::default()
                    }
                }
            })
            .collect()
    }

    fn affinity(&self) -> Result<Option<Affinity>, RenderError> {
        let spec = self.input.spec;
        // Node side: (--constraint terms, OR-ed) x (--nodelist, --exclude), AND-ed in each term.
        let mut common: Vec<NodeSelectorRequirement> = Vec::new();
        let hosts = |expr: &str, opt: &str| {
            sk8_hostlist::expand(expr)
                .map_err(|e| RenderError::Invalid(format!("invalid {opt} `{expr}`: {e}")))
        };
        if let Some(list) = &spec.nodelist {
            common.push(NodeSelectorRequirement {
                key: l::HOSTNAME.into(),
                operator: "In".into(),
                values: Some(hosts(list, "--nodelist")?),
            });
        }
        if let Some(list) = &spec.exclude {
            common.push(NodeSelectorRequirement {
                key: l::HOSTNAME.into(),
                operator: "NotIn".into(),
                values: Some(hosts(list, "--exclude")?),
            });
        }
        let mut terms: Vec<Vec<NodeSelectorRequirement>> = Vec::new();
        if let Some(c) = spec.constraint.as_ref().filter(|c| !c.is_empty()) {
            let mut term = Vec::new();
            for t in c.tokens() {
                match t {
                    Token::Feature { name, count: None } => {
                        let key = format!("{}{name}", l::FEATURE_PREFIX);
                        if !names::is_qualified_name(&key) {
                            return Err(RenderError::Invalid(format!(
                                "--constraint: feature `{name}` cannot be a node label (`{key}`)"
                            )));
                        }
                        term.push(NodeSelectorRequirement {
                            key,
                            operator: "Exists".into(),
                            values: None,
                        });
                    }
                    Token::And => {}
                    Token::Or => terms.push(std::mem::take(&mut term)),
                    _ => {
                        return Err(RenderError::Unsupported(format!(
                            "--constraint={c} (counts, brackets and parentheses)"
                        )));
                    }
                }
            }
            terms.push(term);
        }
        if terms.is_empty() && !common.is_empty() {
            terms.push(Vec::new());
        }
        let node_affinity = (!terms.is_empty()).then(|| NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                node_selector_terms: terms
                    .into_iter()
                    .map(|mut t| {
                        t.extend(common.iter().cloned());
                        NodeSelectorTerm {
                            match_expressions: Some(t),
                            ..NodeSelectorTerm::default()
                        }
                    })
                    .collect(),
            }),
            ..NodeAffinity::default()
        });
        // Pod side: a job's pods are on distinct nodes, as a job's nodes are.
        // `--exclusive` cannot ask for a whole node's resources on Kubernetes;
        // the nearest is keeping every other sk8 pod off the job's nodes
        // (pods of other workloads may still share them).
        let select = |key: &str, op: &str, values: Vec<String>| LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: op.into(),
                values: Some(values),
            }]),
            ..LabelSelector::default()
        };
        let mut pod_terms = Vec::new();
        match spec.sharing {
            Sharing::Exclusive => {
                pod_terms.push(select(
                    l::MANAGED_BY,
                    "In",
                    vec![l::MANAGED_BY_VALUE.into()],
                ));
            }
            Sharing::User => {
                // Other users' sk8 pods stay off; the job's own pods spread too.
                pod_terms.push(select(
                    l::USER,
                    "NotIn",
                    vec![names::label_value(&spec.user)],
                ));
                if self.nnodes() > 1 {
                    pod_terms.push(select(l::JOB_ID, "In", vec![self.input.job_id.to_string()]));
                }
            }
            _ if self.nnodes() > 1 => {
                pod_terms.push(select(l::JOB_ID, "In", vec![self.input.job_id.to_string()]));
            }
            _ => {}
        }
        let pod_anti_affinity = (!pod_terms.is_empty()).then(|| PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(
                pod_terms
                    .into_iter()
                    .map(|s| PodAffinityTerm {
                        label_selector: Some(s),
                        topology_key: l::HOSTNAME.into(),
                        ..PodAffinityTerm::default()
                    })
                    .collect(),
            ),
            ..PodAntiAffinity::default()
        });
        if node_affinity.is_none() && pod_anti_affinity.is_none() {
            return Ok(None);
        }
        Ok(Some(Affinity {
            node_affinity,
            pod_anti_affinity,
            ..Affinity::default()
        }))
    }

    fn pod(&self, rank: usize) -> Result<Pod, RenderError> {
        let spec = self.input.spec;
        let rank32 = u32::try_from(rank).unwrap_or(u32::MAX);
        let name = names::pod_name(self.input.job_id, rank32);
        let mut labels = self.labels.clone();
        labels.insert(l::RANK.into(), rank.to_string());
        let mut annotations = BTreeMap::new();
        match self.input.provider {
            Provider::Kueue => {
                labels.insert(l::KUEUE_QUEUE.into(), names::label_value(&self.queue()));
                labels.insert(l::KUEUE_POD_GROUP.into(), self.name.clone());
                annotations.insert(l::KUEUE_TOTAL_COUNT.to_string(), self.nnodes().to_string());
            }
            Provider::Volcano => {
                annotations.insert(l::VOLCANO_GROUP.to_string(), self.name.clone());
            }
            Provider::Coscheduling => {
                labels.insert(l::COSCHED_GROUP.into(), self.name.clone());
            }
            Provider::Native | Provider::None => {}
        }
        let mut meta = self.meta(&name, labels);
        if !annotations.is_empty() {
            meta.annotations = Some(annotations);
        }

        let mut volumes = vec![Volume {
            name: "token".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(names::secret_name(self.input.job_id)),
                default_mode: Some(0o400),
                // Only the token: the environment is in the pod's env already.
                items: Some(vec![KeyToPath {
                    key: l::TOKEN_KEY.into(),
                    path: l::TOKEN_KEY.into(),
                    mode: None,
                }]),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        }];
        let mut mounts = vec![VolumeMount {
            name: "token".into(),
            mount_path: l::TOKEN_DIR.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        }];
        // An interactive allocation (`salloc`, `srun` alone: `Command::Exec`) has
        // no batch script: every rank waits for steps.
        let batch = !matches!(spec.command, Command::Exec(_));
        let command: Vec<String> = if rank == 0 && batch {
            volumes.push(Volume {
                name: "script".into(),
                config_map: Some(ConfigMapVolumeSource {
                    name: self.name.clone(),
                    items: Some(vec![KeyToPath {
                        key: l::DATA_SCRIPT.into(),
                        path: "script".into(),
                        mode: Some(0o755),
                    }]),
                    default_mode: Some(0o755),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            });
            let dir = l::SCRIPT_PATH.rsplit_once('/').map_or("/", |(d, _)| d);
            mounts.push(VolumeMount {
                name: "script".into(),
                mount_path: dir.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            });
            let mut c = vec![l::SCRIPT_PATH.to_string()];
            if let Command::Script { args, .. } = &spec.command {
                c.extend(args.iter().cloned());
            }
            c
        } else {
            WAIT_COMMAND.iter().map(ToString::to_string).collect()
        };
        // pyxis' --container-mounts as hostPath volumes: the source is a path
        // on the Kubernetes node (not the submit host), as it is on the
        // Slurm compute node with pyxis.
        for (i, m) in spec.container.mounts.iter().enumerate() {
            let (src, dst, ro) = container_mount(m)?;
            let vname = format!("mount-{i}");
            volumes.push(Volume {
                name: vname.clone(),
                host_path: Some(HostPathVolumeSource {
                    path: src,
                    type_: None,
                }),
                ..Volume::default()
            });
            mounts.push(VolumeMount {
                name: vname,
                mount_path: dst,
                read_only: ro.then_some(true),
                ..VolumeMount::default()
            });
        }

        let resources = self.resources(&self.shapes[rank]);
        let container = Container {
            name: l::CONTAINER.into(),
            image: Some(self.image.clone()),
            command: Some(command),
            env: Some(self.env(rank)),
            resources: Some(ResourceRequirements {
                requests: Some(resources.clone()),
                limits: Some(resources),
                ..ResourceRequirements::default()
            }),
            volume_mounts: Some(mounts),
            working_dir: spec.container.workdir.clone(),
            ..Container::default()
        };

        let pc = self.cfg.partition(&self.partition);
        let mut node_selector = pc.map(|p| p.node_selector.clone()).unwrap_or_default();
        if let Some(product) = &self.gpu_product {
            node_selector.insert(self.cfg.gpu_product_label.clone(), product.clone());
        }
        let tolerations: Vec<Toleration> = pc
            .map(|p| {
                p.tolerations
                    .iter()
                    .map(|t| Toleration {
                        key: Some(t.key.clone()),
                        operator: t.operator.clone(),
                        value: t.value.clone(),
                        effect: t.effect.clone(),
                        ..Toleration::default()
                    })
                    .collect()
            })
            .unwrap_or_default();

        Ok(Pod {
            metadata: meta,
            spec: Some(PodSpec {
                hostname: Some(name.clone()),
                subdomain: Some(self.name.clone()),
                restart_policy: Some("Never".into()),
                containers: vec![container],
                volumes: Some(volumes),
                active_deadline_seconds: self.deadline,
                termination_grace_period_seconds: Some(self.cfg.grace_period_secs),
                scheduler_name: self.cfg.scheduler_for(self.input.provider),
                node_selector: (!node_selector.is_empty()).then_some(node_selector),
                tolerations: (!tolerations.is_empty()).then_some(tolerations),
                affinity: self.affinity()?,
                // No KUBERNETES_*/service variables and no API credentials in jobs.
                enable_service_links: Some(false),
                automount_service_account_token: Some(false),
                ..PodSpec::default()
            }),
            ..Pod::default()
        })
    }
}

/// The key of the job's Secret that holds exported variable `name`.
pub fn env_key(name: &str) -> String {
    format!("env.{name}")
}

/// What [`JobObjects::to_yaml`] shows for a key of the job's Secret: a
/// valid value of the right form, never the job's own (`sbatch` writes a
/// fresh token and the submitter's environment).
pub fn secret_stand_in(key: &str) -> &'static str {
    if key == l::ENVIRONMENT_KEY {
        "{}"
    } else {
        "set-by-sbatch-at-submit"
    }
}

impl JobObjects {
    /// Sets the ownerReference (the record, `record_uid`) on every other object.
    pub fn set_owner(&mut self, record_uid: &str) {
        let owner = OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: self.record.metadata.name.clone().unwrap_or_default(),
            uid: record_uid.to_string(),
            controller: Some(false),
            block_owner_deletion: Some(true),
        };
        self.secret.metadata.owner_references = Some(vec![owner.clone()]);
        self.service.metadata.owner_references = Some(vec![owner.clone()]);
        for p in &mut self.pods {
            p.metadata.owner_references = Some(vec![owner.clone()]);
        }
        if let Some(meta) = self
            .pod_group
            .as_mut()
            .and_then(|g| g.get_mut("metadata"))
            .and_then(serde_json::Value::as_object_mut)
            && let Ok(v) = serde_json::to_value(vec![owner])
        {
            meta.insert("ownerReferences".into(), v);
        }
    }

    /// Multi-document YAML (`---`-separated), in creation order, that an
    /// API server accepts as it is (`kubectl apply -f -`). The Secret's
    /// values never appear: its `data` becomes `stringData` holding, per
    /// key, its [`secret_stand_in`] (the keys show, the token and the
    /// submitter's environment do not).
    pub fn to_yaml(&self) -> String {
        let mut docs = vec![
            crate::yaml::object(&self.record),
            crate::yaml::object(&self.secret),
            crate::yaml::object(&self.service),
        ];
        if let Some(secret) = docs[1].as_object_mut()
            && let Some(serde_json::Value::Object(data)) = secret.remove("data")
        {
            let stand_ins = data
                .keys()
                .map(|k| (k.clone(), secret_stand_in(k).into()))
                .collect();
            secret.insert("stringData".into(), serde_json::Value::Object(stand_ins));
        }
        if let Some(g) = &self.pod_group {
            docs.push(g.clone());
        }
        docs.extend(self.pods.iter().map(crate::yaml::object));
        crate::yaml::documents(&docs)
    }
}
