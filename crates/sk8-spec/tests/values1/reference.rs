//! Differential test: the same values through real `/usr/bin/sbatch --hold` and our parsers, compared field by field as `scontrol show job` prints them.

use std::path::{Path, PathBuf};
use std::process::Command;

use sk8_spec::{
    ArraySpec, Distribution, GpuSpec, GresList, MailType, MemSize, NodeRange, OpenMode, TimeLimit,
};

/// What our side predicts: `Ok(Some(text))` for the field's text, `Ok(None)`
/// when scontrol should not print the field, `Err(())` for a refusal.
type Prediction = Result<Option<String>, ()>;

fn time(v: &str) -> Prediction {
    v.parse::<TimeLimit>()
        .map(|t| Some(t.to_string()))
        .map_err(drop)
}
fn mem(v: &str) -> Prediction {
    v.parse::<MemSize>()
        .map(|m| Some(m.to_scontrol()))
        .map_err(drop)
}
fn array(v: &str) -> Prediction {
    v.parse::<ArraySpec>()
        .map(|a| Some(a.to_scontrol()))
        .map_err(drop)
}
fn throttle(v: &str) -> Prediction {
    v.parse::<ArraySpec>()
        .map(|a| a.throttle().map(|t| t.to_string()))
        .map_err(drop)
}
fn nodes(v: &str) -> Prediction {
    v.parse::<NodeRange>()
        .map(|n| Some(n.to_scontrol()))
        .map_err(drop)
}
fn mail(v: &str) -> Prediction {
    v.parse::<MailType>()
        .map(|m| (!m.is_none()).then(|| m.to_string()))
        .map_err(drop)
}
fn gres(v: &str) -> Prediction {
    v.parse::<GresList>().map(|g| g.to_tres()).map_err(drop)
}
fn gpus(v: &str) -> Prediction {
    v.parse::<GpuSpec>()
        .map(|g| Some(g.to_tres()))
        .map_err(drop)
}
/// Options scontrol does not show: only acceptance is compared.
fn accepted<T: std::str::FromStr>(v: &str) -> Prediction {
    v.parse::<T>().map(|_| None).map_err(drop)
}

type Case = (
    &'static str,
    &'static str,
    &'static str,
    fn(&str) -> Prediction,
);

/// (option, value, scontrol field, our prediction).
const CASES: &[Case] = &[
    ("--time", "10", "TimeLimit", time),
    ("--time", "0", "TimeLimit", time),
    ("--time", "1-2:3:4", "TimeLimit", time),
    ("--time", "1:2", "TimeLimit", time),
    ("--time", "59:61", "TimeLimit", time),
    ("--time", "unlimited", "TimeLimit", time),
    ("--time", "-5", "TimeLimit", time),
    ("--time", "100000", "TimeLimit", time),
    ("--time", "abc", "TimeLimit", time),
    ("--time", "1:2:3:4", "TimeLimit", time),
    ("--mem", "100", "MinMemoryNode", mem),
    ("--mem", "0", "MinMemoryNode", mem),
    ("--mem", "1536", "MinMemoryNode", mem),
    ("--mem", "4GB", "MinMemoryNode", mem),
    ("--mem", "1025K", "MinMemoryNode", mem),
    ("--mem", "16777217", "MinMemoryNode", mem),
    ("--mem", "4.5G", "MinMemoryNode", mem),
    ("--mem", "4 G", "MinMemoryNode", mem),
    ("--mem-per-cpu", "2560", "MinMemoryCPU", mem),
    ("--array", "0-15%4", "ArrayTaskId", array),
    ("--array", "0-15%4", "ArrayTaskThrottle", throttle),
    ("--array", "1,3,5-7", "ArrayTaskId", array),
    ("--array", "0-20:2", "ArrayTaskId", array),
    ("--array", "0-10:3,20-24:2", "ArrayTaskId", array),
    ("--array", "1%2,3%4", "ArrayTaskId", array),
    ("--array", "[1-3]", "ArrayTaskId", array),
    ("--array", "1001", "ArrayTaskId", array),
    ("--array", "5-1", "ArrayTaskId", array),
    ("--array", "0-10:0", "ArrayTaskId", array),
    (
        "--array",
        "0,1,4,9,16,25,36,49,64,81,100,121,144,169,196,225,256,289,324,361",
        "ArrayTaskId",
        array,
    ),
    ("--nodes", "2-4", "NumNodes", nodes),
    ("--nodes", "1", "NumNodes", nodes),
    ("--nodes", "2-0", "NumNodes", nodes),
    ("--nodes", "-5", "NumNodes", nodes),
    ("--nodes", "1k", "NumNodes", nodes),
    ("--nodes", "2-1", "NumNodes", nodes),
    ("--nodes", "x", "NumNodes", nodes),
    ("--mail-type", "END,BEGIN", "MailType", mail),
    ("--mail-type", "ALL", "MailType", mail),
    ("--mail-type", "BEGIN,NONE", "MailType", mail),
    (
        "--mail-type",
        "TIME_LIMIT,TIME_LIMIT_80,ARRAY_TASKS",
        "MailType",
        mail,
    ),
    ("--mail-type", "foo", "MailType", mail),
    ("--gres", "gpu:0", "TresPerNode", gres),
    ("--gres", "gpu:a100:0,gres:shard:0", "TresPerNode", gres),
    ("--gres", "none", "TresPerNode", gres),
    ("--gres", "gpu:", "TresPerNode", gres),
    ("--gres", "gpu::1", "TresPerNode", gres),
    ("--gres", "gpu:0,,shard:0", "TresPerNode", gres),
    ("--gpus", "h100:0", "TresPerJob", gpus),
    ("--gpus-per-node", "0,a100:0", "TresPerNode", gpus),
    ("--gpus-per-task", "0", "TresPerTask", gpus),
    ("--gpus-per-socket", "h100:0", "TresPerSocket", gpus),
    (
        "--distribution",
        "block:cyclic,Pack",
        "-",
        accepted::<Distribution>,
    ),
    ("--distribution", "plane=4", "-", accepted::<Distribution>),
    ("--distribution", "fcyclic", "-", accepted::<Distribution>),
    ("--distribution", "plane=0", "-", accepted::<Distribution>),
    ("--open-mode", "app", "-", accepted::<OpenMode>),
    ("--open-mode", "x", "-", accepted::<OpenMode>),
];

fn script() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sk8-spec-values1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hold.sh");
    std::fs::write(&path, "#!/bin/sh\ntrue\n").unwrap();
    path
}

/// Submits held, reads the field, cancels: what real Slurm makes of the value.
fn reference(script: &Path, option: &str, value: &str, field: &str) -> Prediction {
    let out = Command::new("/usr/bin/sbatch")
        .args(["--hold", "--parsable", "-o", "/dev/null"])
        .arg(format!("{option}={value}"))
        .arg(script)
        .current_dir(script.parent().unwrap())
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(());
    }
    let id = String::from_utf8_lossy(&out.stdout)
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let show = Command::new("/usr/bin/scontrol")
        .args(["show", "job", "-o", &id])
        .output()
        .unwrap();
    Command::new("/usr/bin/scancel").arg(&id).status().unwrap();
    let show = String::from_utf8_lossy(&show.stdout).into_owned();
    let prefix = format!("{field}=");
    Ok(show
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(&prefix).map(str::to_owned)))
}

#[test]
#[ignore = "needs the reference Slurm"]
fn values_match_real_slurm() {
    sk8_harness::reference::require("values_match_real_slurm");
    let script = script();
    let mut mismatches = Vec::new();
    for &(option, value, field, ours) in CASES {
        let theirs = reference(&script, option, value, field);
        let ours = ours(value);
        // Fields scontrol does not show are compared on acceptance only.
        let same = if field == "-" {
            theirs.is_ok() == ours.is_ok()
        } else {
            theirs == ours
        };
        if !same {
            mismatches.push(format!("{option}={value}: slurm {theirs:?}, ours {ours:?}"));
        }
    }
    std::fs::remove_dir_all(script.parent().unwrap()).ok();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
