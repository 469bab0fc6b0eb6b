//! The `[kubernetes]` table of `config.toml`: namespace, images, gang scheduler, GPU types, partitions.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The partition used when the config names none.
pub const DEFAULT_PARTITION: &str = "k8s";

/// The `[kubernetes]` table of config.toml; every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubeConfig {
    /// The namespace jobs live in; `None`: the kubeconfig's, else `default`.
    pub namespace: Option<String>,
    /// The job container's image when `--container-image` is not given.
    pub image: String,
    /// The step agent's image (next issue).
    pub agent_image: Option<String>,
    /// The gang scheduler; `None` detects it from API discovery.
    pub gang: Option<Provider>,
    /// The pods' `schedulerName` (coscheduling's default is `scheduler-plugins-scheduler`).
    pub scheduler_name: Option<String>,
    /// The extended resource GPUs are requested as.
    pub gpu_resource: String,
    /// The node label carrying the GPU product name.
    pub gpu_product_label: String,
    /// Lower-case GPU type (`--gres=gpu:h100:8`) -> value of `gpu_product_label`.
    pub gpu_types: BTreeMap<String, String>,
    /// Partitions by name.
    pub partitions: BTreeMap<String, PartitionConfig>,
    /// The partition for jobs naming none (else the one marked `default`, else the first).
    pub default_partition: Option<String>,
    /// Seconds a cancelled pod gets between TERM and KILL (Slurm's KillWait).
    pub grace_period_secs: i64,
    /// Seconds a finished job's record is kept (Slurm's MinJobAge).
    pub min_job_age_secs: i64,
    /// Seconds pods may stay unbound before a job without a gang scheduler fails.
    pub bind_timeout_secs: i64,
    /// Seconds added to the time limit for the pods' `activeDeadlineSeconds`.
    pub deadline_slack_secs: i64,
}

impl Default for KubeConfig {
    fn default() -> Self {
        let gpu_types = [
            ("a100", "NVIDIA-A100-SXM4-80GB"),
            ("h100", "NVIDIA-H100-80GB-HBM3"),
            ("h200", "NVIDIA-H200"),
            ("l4", "NVIDIA-L4"),
            ("t4", "Tesla-T4"),
            ("v100", "Tesla-V100-SXM2-16GB"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Self {
            namespace: None,
            image: "ubuntu:22.04".to_string(),
            agent_image: None,
            gang: None,
            scheduler_name: None,
            gpu_resource: "nvidia.com/gpu".to_string(),
            gpu_product_label: "nvidia.com/gpu.product".to_string(),
            gpu_types,
            partitions: BTreeMap::new(),
            default_partition: None,
            grace_period_secs: 30,
            min_job_age_secs: 300,
            bind_timeout_secs: 300,
            deadline_slack_secs: 60,
        }
    }
}

impl KubeConfig {
    /// The partition names, sorted; `k8s` alone when none is configured.
    pub fn partition_names(&self) -> Vec<String> {
        if self.partitions.is_empty() {
            vec![DEFAULT_PARTITION.to_string()]
        } else {
            self.partitions.keys().cloned().collect()
        }
    }

    /// The partition for jobs that name none: `default_partition`, else the
    /// one marked `default`, else the first by name, else `k8s`.
    pub fn default_partition_name(&self) -> String {
        if let Some(p) = &self.default_partition {
            return p.clone();
        }
        self.partitions
            .iter()
            .find(|(_, p)| p.default)
            .or_else(|| self.partitions.iter().next())
            .map_or_else(|| DEFAULT_PARTITION.to_string(), |(n, _)| n.clone())
    }

    /// The configuration of partition `name` (`None` for the implicit `k8s`).
    pub fn partition(&self, name: &str) -> Option<&PartitionConfig> {
        self.partitions.get(name)
    }

    /// The pods' scheduler name under `provider` (`None`: the default scheduler).
    pub fn scheduler_for(&self, provider: Provider) -> Option<String> {
        match provider {
            Provider::Volcano => Some(
                self.scheduler_name
                    .clone()
                    .unwrap_or_else(|| "volcano".to_string()),
            ),
            Provider::Coscheduling => Some(
                self.scheduler_name
                    .clone()
                    .unwrap_or_else(|| "scheduler-plugins-scheduler".to_string()),
            ),
            Provider::Kueue | Provider::Native | Provider::None => self.scheduler_name.clone(),
        }
    }
}

/// One partition: a node group and/or a scheduler queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartitionConfig {
    /// Kueue LocalQueue / Volcano Queue name; `None`: the partition's name.
    pub queue: Option<String>,
    /// Node labels the partition's pods require (also decides sinfo membership).
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations its pods get.
    pub tolerations: Vec<TolerationConfig>,
    /// Its maximum time limit (Slurm form, `1-00:00:00`); `None`: UNLIMITED.
    pub max_time: Option<String>,
    /// Its default time limit.
    pub default_time: Option<String>,
    /// Whether it is the default partition.
    pub default: bool,
}

/// A toleration, as in a Pod spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TolerationConfig {
    /// The taint key.
    pub key: String,
    /// `Exists` or `Equal` (default).
    pub operator: Option<String>,
    /// The taint value (for `Equal`).
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule`, `NoExecute`, or all when absent.
    pub effect: Option<String>,
}

/// Which gang scheduler places the pods of a job together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Kueue pod groups (labels on plain pods).
    Kueue,
    /// Volcano `PodGroup` (scheduling.volcano.sh/v1beta1).
    Volcano,
    /// scheduler-plugins coscheduling `PodGroup` (scheduling.x-k8s.io/v1alpha1).
    Coscheduling,
    /// Kubernetes' own `scheduling.k8s.io` PodGroup (not supported yet).
    Native,
    /// No gang scheduling: plain pods.
    None,
}

impl Provider {
    /// Every provider, in detection preference order.
    pub const ALL: [Provider; 5] = [
        Self::Kueue,
        Self::Volcano,
        Self::Coscheduling,
        Self::Native,
        Self::None,
    ];

    /// The name used in config.toml and messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Kueue => "kueue",
            Self::Volcano => "volcano",
            Self::Coscheduling => "coscheduling",
            Self::Native => "native",
            Self::None => "none",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A gang scheduler name that names none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown gang scheduler `{0}`\n(hint: one of kueue, volcano, coscheduling, native, none)")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| s.eq_ignore_ascii_case(p.name()))
            .ok_or_else(|| UnknownProvider(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_round_trips() {
        for p in Provider::ALL {
            assert_eq!(p.to_string().parse::<Provider>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{p}\""));
        }
        assert!("slurm".parse::<Provider>().is_err());
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let cfg: KubeConfig = serde_json::from_str(r#"{"image":"busybox"}"#).unwrap();
        assert_eq!(cfg.image, "busybox");
        assert_eq!(cfg.grace_period_secs, 30);
        assert_eq!(
            cfg.gpu_types.get("h100").map(String::as_str),
            Some("NVIDIA-H100-80GB-HBM3")
        );
        assert_eq!(cfg.default_partition_name(), DEFAULT_PARTITION);
        assert_eq!(cfg.partition_names(), vec![DEFAULT_PARTITION.to_string()]);
    }

    #[test]
    fn default_partition_choice() {
        let mut cfg = KubeConfig::default();
        cfg.partitions
            .insert("a".into(), PartitionConfig::default());
        cfg.partitions.insert(
            "gpu".into(),
            PartitionConfig {
                default: true,
                ..PartitionConfig::default()
            },
        );
        assert_eq!(cfg.default_partition_name(), "gpu");
        cfg.partitions.get_mut("gpu").unwrap().default = false;
        assert_eq!(cfg.default_partition_name(), "a");
        cfg.default_partition = Some("gpu".into());
        assert_eq!(cfg.default_partition_name(), "gpu");
    }
}
