//! A local-backend state directory whose cluster mirrors the reference's
//! (same node name, CPUs and memory; partitions `debug` and `batch` with
//! the same limits), so that the checks a scheduler makes come out the
//! same on both sides and differences left are the parser's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::refslurm::reference;
use crate::tempdir::TempDir;

/// The mirrored `SK8_HOME`, made once per test binary (kept until it exits).
pub fn mirror_home() -> &'static Path {
    static HOME: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &HOME
        .get_or_init(|| {
            let dir = TempDir::new("sk8-mirror").expect("a temp dir");
            let path = dir.path().to_path_buf();
            std::fs::write(path.join("config.toml"), config()).expect("the config is written");
            (dir, path)
        })
        .1
}

/// `key=value` pairs of one `scontrol show ... -o` record.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn scontrol(what: &str) -> Vec<Vec<(String, String)>> {
    Command::new(reference("scontrol"))
        .args(["show", what, "-o"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(fields)
                .collect()
        })
        .unwrap_or_default()
}

/// The TOML config: the reference's nodes and partitions when it answers,
/// else one 2-CPU node `vm` with `debug` and `batch` as start.sh makes them.
fn config() -> String {
    let get = |rec: &[(String, String)], k: &str| {
        rec.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
    };
    let mut out = String::from("cluster = \"sk8\"\n");
    let nodes = scontrol("node");
    if nodes.is_empty() {
        out.push_str("[[node]]\nname = \"vm\"\ncpus = 2\nmemory_mb = 1024\n");
    }
    for n in &nodes {
        out.push_str(&format!(
            "[[node]]\nname = \"{}\"\ncpus = {}\nmemory_mb = {}\n",
            get(n, "NodeName").unwrap_or_else(|| "vm".into()),
            get(n, "CPUTot").unwrap_or_else(|| "2".into()),
            get(n, "RealMemory").unwrap_or_else(|| "1024".into()),
        ));
    }
    let mut parts = scontrol("partition");
    if parts.is_empty() {
        parts = vec![
            fields("PartitionName=debug Default=YES MaxTime=UNLIMITED"),
            fields("PartitionName=batch Default=NO MaxTime=2-00:00:00"),
        ];
    }
    let names: Vec<String> = nodes
        .iter()
        .filter_map(|n| get(n, "NodeName"))
        .map(|n| format!("\"{n}\""))
        .collect();
    let names = if names.is_empty() {
        "\"vm\"".to_string()
    } else {
        names.join(", ")
    };
    for p in &parts {
        let max = get(p, "MaxTime").unwrap_or_else(|| "UNLIMITED".into());
        out.push_str(&format!(
            "[[partition]]\nname = \"{}\"\nnodes = [{names}]\ndefault = {}\n{}",
            get(p, "PartitionName").unwrap_or_default(),
            get(p, "Default").as_deref() == Some("YES"),
            if max == "UNLIMITED" {
                String::new()
            } else {
                format!("max_time = \"{max}\"\n")
            },
        ));
    }
    out
}
