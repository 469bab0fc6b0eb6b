//! The local cluster's shape: its nodes and partitions, from `config.toml` or
//! from this host.

use std::path::Path;

use serde::Deserialize;
use sk8_spec::TimeLimit;

use crate::Error;

/// One node of the local cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConf {
    /// Its name (`SLURMD_NODENAME`, the hostlist entries).
    pub name: String,
    /// CPUs it offers.
    pub cpus: u32,
    /// Memory it offers, in megabytes.
    pub memory_mb: u64,
    /// GPU device indices it offers (`CUDA_VISIBLE_DEVICES` values).
    pub gpus: Vec<u32>,
    /// The GPUs' type (`--gres=gpu:TYPE:N`), if known.
    pub gpu_type: Option<String>,
    /// Features `--constraint` may name.
    pub features: Vec<String>,
}

/// One partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionConf {
    /// Its name.
    pub name: String,
    /// Its nodes, in order.
    pub nodes: Vec<String>,
    /// Jobs that name no partition go here.
    pub default: bool,
    /// Longest time limit a job may have here.
    pub max_time: TimeLimit,
    /// Time limit of jobs that give none.
    pub default_time: Option<TimeLimit>,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `SLURM_CLUSTER_NAME`.
    pub cluster: String,
    /// Nodes in order.
    pub nodes: Vec<NodeConf>,
    /// Partitions in order; exactly one is the default.
    pub partitions: Vec<PartitionConf>,
    /// Seconds between SIGTERM and SIGKILL at a time limit or cancel (Slurm's `KillWait`).
    pub kill_wait: u64,
    /// Whether the nodes are virtual (agents on 127.0.0.1) rather than this host.
    pub virtual_nodes: bool,
    /// How long a write waits for a locked database, in milliseconds.
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    cluster: Option<String>,
    kill_wait: Option<u64>,
    busy_timeout_ms: Option<u64>,
    #[serde(default)]
    node: Vec<FileNode>,
    #[serde(default)]
    partition: Vec<FilePartition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileNode {
    name: String,
    cpus: Option<u32>,
    memory_mb: Option<u64>,
    gpus: Option<u32>,
    gpu_type: Option<String>,
    #[serde(default)]
    features: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePartition {
    name: String,
    nodes: Option<Vec<String>>,
    #[serde(default)]
    default: bool,
    max_time: Option<String>,
    default_time: Option<String>,
}

/// What this host offers (the default single node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostShape {
    /// Short host name.
    pub name: String,
    /// CPUs.
    pub cpus: u32,
    /// Memory in megabytes.
    pub memory_mb: u64,
    /// GPU count (`nvidia-smi -L` lines).
    pub gpus: u32,
}

impl HostShape {
    /// Reads this host: short host name, `available_parallelism`,
    /// `/proc/meminfo`, `nvidia-smi -L`.
    pub fn detect() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        let memory_mb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| parse_meminfo(&m))
            .unwrap_or(1024);
        Self {
            name: sk8_host::short_hostname(),
            cpus,
            memory_mb,
            gpus: count_gpus(),
        }
    }
}

fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn count_gpus() -> u32 {
    // Only ask nvidia-smi when it is installed: spawning a missing program
    // costs a PATH walk, and most hosts have none.
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("nvidia-smi").is_file()));
    if !found {
        return 0;
    }
    std::process::Command::new("nvidia-smi")
        .arg("-L")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or(0, |o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.starts_with("GPU "))
                .count() as u32
        })
}

impl Config {
    /// The default: one node (this host), partition `debug`, cluster `sk8`.
    pub fn for_host(host: &HostShape) -> Self {
        Self {
            cluster: "sk8".into(),
            nodes: vec![NodeConf {
                name: host.name.clone(),
                cpus: host.cpus,
                memory_mb: host.memory_mb,
                gpus: (0..host.gpus).collect(),
                gpu_type: None,
                features: Vec::new(),
            }],
            partitions: vec![PartitionConf {
                name: "debug".into(),
                nodes: vec![host.name.clone()],
                default: true,
                max_time: TimeLimit::Unlimited,
                default_time: None,
            }],
            kill_wait: 30,
            virtual_nodes: false,
            busy_timeout_ms: 10_000,
        }
    }

    /// Reads the file at `path`, whose keys are all the local backend's;
    /// with no file there, this host. (The commands read the one config
    /// file through sk8-commands' `config::Config` and give this crate its
    /// section with [`Config::from_table`]; this is for a state directory
    /// of its own, as tests and benchmarks want it.)
    pub fn read(path: &Path) -> Result<Self, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &|| HostShape::detect())
                .map_err(|e| Error::Config(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Self::for_host(&HostShape::detect()))
            }
            Err(e) => Err(Error::Config(format!("{}: {e}", path.display()))),
        }
    }

    /// Parses a configuration file's text, all of it the local backend's.
    pub fn parse(text: &str, host: &dyn Fn() -> HostShape) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        Self::from_table(table, host)
    }

    /// The configuration the local backend's section of the config file
    /// says; `host` is asked only when it declares no nodes.
    pub fn from_table(table: toml::Table, host: &dyn Fn() -> HostShape) -> Result<Self, String> {
        let file: File = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        let mut cfg = if file.node.is_empty() {
            Self::for_host(&host())
        } else {
            let mut nodes = Vec::new();
            for n in &file.node {
                if n.name.is_empty() || n.name.contains([',', '[', ']', ' ', '=']) {
                    return Err(format!("invalid node name `{}`", n.name));
                }
                if nodes.iter().any(|m: &NodeConf| m.name == n.name) {
                    return Err(format!("node `{}` declared twice", n.name));
                }
                nodes.push(NodeConf {
                    name: n.name.clone(),
                    cpus: n.cpus.unwrap_or(1).max(1),
                    memory_mb: n.memory_mb.unwrap_or(1024),
                    gpus: (0..n.gpus.unwrap_or(0)).collect(),
                    gpu_type: n.gpu_type.clone(),
                    features: n.features.clone(),
                });
            }
            let all: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
            Self {
                cluster: "sk8".into(),
                nodes,
                partitions: vec![PartitionConf {
                    name: "debug".into(),
                    nodes: all,
                    default: true,
                    max_time: TimeLimit::Unlimited,
                    default_time: None,
                }],
                kill_wait: 30,
                virtual_nodes: true,
                busy_timeout_ms: 10_000,
            }
        };
        if let Some(c) = file.cluster {
            cfg.cluster = c;
        }
        if let Some(k) = file.kill_wait {
            cfg.kill_wait = k;
        }
        if let Some(b) = file.busy_timeout_ms {
            cfg.busy_timeout_ms = b;
        }
        if !file.partition.is_empty() {
            let mut parts = Vec::new();
            for p in &file.partition {
                let nodes = match &p.nodes {
                    None => cfg.nodes.iter().map(|n| n.name.clone()).collect(),
                    Some(list) => {
                        let mut out = Vec::new();
                        for item in list {
                            let expanded = sk8_hostlist::expand(item)
                                .map_err(|e| format!("partition `{}`: {e}", p.name))?;
                            out.extend(expanded);
                        }
                        out
                    }
                };
                if let Some(bad) = nodes
                    .iter()
                    .find(|n| !cfg.nodes.iter().any(|c| &c.name == *n))
                {
                    return Err(format!("partition `{}` names unknown node `{bad}`", p.name));
                }
                let time = |s: &Option<String>| -> Result<Option<TimeLimit>, String> {
                    s.as_deref()
                        .map(|t| {
                            t.parse::<TimeLimit>()
                                .map_err(|_| format!("partition `{}`: bad time `{t}`", p.name))
                        })
                        .transpose()
                };
                parts.push(PartitionConf {
                    name: p.name.clone(),
                    nodes,
                    default: p.default,
                    max_time: time(&p.max_time)?.unwrap_or(TimeLimit::Unlimited),
                    default_time: time(&p.default_time)?,
                });
            }
            match parts.iter().filter(|p| p.default).count() {
                0 => parts[0].default = true,
                1 => {}
                _ => return Err("more than one default partition".into()),
            }
            cfg.partitions = parts;
        }
        Ok(cfg)
    }

    /// The default partition.
    pub fn default_partition(&self) -> &PartitionConf {
        self.partitions
            .iter()
            .find(|p| p.default)
            .unwrap_or(&self.partitions[0])
    }

    /// A partition by name.
    pub fn partition(&self, name: &str) -> Option<&PartitionConf> {
        self.partitions.iter().find(|p| p.name == name)
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&NodeConf> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostShape {
        HostShape {
            name: "box".into(),
            cpus: 8,
            memory_mb: 16000,
            gpus: 2,
        }
    }

    #[test]
    fn empty_file_is_this_host() {
        let cfg = Config::parse("", &host).unwrap();
        assert_eq!(cfg.nodes.len(), 1);
        assert_eq!(cfg.nodes[0].name, "box");
        assert_eq!(cfg.nodes[0].gpus, vec![0, 1]);
        assert_eq!(cfg.default_partition().name, "debug");
        assert_eq!(cfg.cluster, "sk8");
        assert!(!cfg.virtual_nodes);
    }

    #[test]
    fn virtual_nodes_and_partitions() {
        let text = r#"
cluster = "lab"
kill_wait = 2
[[node]]
name = "node1"
cpus = 2
memory_mb = 1000
[[node]]
name = "node2"
cpus = 4
gpus = 2
[[partition]]
name = "cpu"
nodes = ["node1"]
[[partition]]
name = "all"
nodes = ["node[1-2]"]
default = true
max_time = "1:00:00"
"#;
        let cfg = Config::parse(text, &|| panic!("host not needed")).unwrap();
        assert_eq!(cfg.cluster, "lab");
        assert_eq!(cfg.kill_wait, 2);
        assert!(cfg.virtual_nodes);
        assert_eq!(cfg.nodes[1].gpus, vec![0, 1]);
        assert_eq!(cfg.default_partition().name, "all");
        assert_eq!(cfg.default_partition().nodes, vec!["node1", "node2"]);
        assert_eq!(cfg.default_partition().max_time, TimeLimit::Minutes(60));
        assert_eq!(cfg.partition("cpu").unwrap().max_time, TimeLimit::Unlimited);
    }

    #[test]
    fn bad_files_are_refused() {
        for text in [
            "bogus = 1",
            "[[node]]\nname = \"a\"\n[[node]]\nname = \"a\"",
            "[[node]]\nname = \"a\"\n[[partition]]\nname = \"p\"\nnodes = [\"b\"]",
            "[[partition]]\nname = \"p\"\ndefault = true\n[[partition]]\nname = \"q\"\ndefault = true",
        ] {
            assert!(Config::parse(text, &host).is_err(), "{text}");
        }
    }

    #[test]
    fn meminfo_is_read_in_megabytes() {
        assert_eq!(
            parse_meminfo("MemTotal:       2048000 kB\nMemFree: 1 kB\n"),
            Some(2000)
        );
    }
}
