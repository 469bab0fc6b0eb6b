//! Compares our output with real Slurm's for every captured command line.
//!
//! Only two things are normalised: "now" may be the capture's second or the
//! next one (a command can straddle a second), and keys whose values the
//! records do not carry (`LastSchedEval`, a node's `OS`, ...) are masked on
//! both sides. Command lines whose output still differs are listed in
//! [`KNOWN_DIFFERENCES`] with the reason; the test fails if one of them
//! starts matching (so the list stays true) or if any other differs.

use std::path::Path;

use serde_json::Value;
use sk8_format::scontrol::{JOB_KEYS_APPROXIMATED, NODE_KEYS_APPROXIMATED};

use crate::convert::{self, Snapshot};
use crate::run::run;

/// Command templates whose output we know differs, and why.
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        r#"sinfo -o "%n %c %m %G %f %T %C %O %e""#,
        "CPU_LOAD and FREE_MEM are measured by slurmd; NodeInfo has neither",
    ),
    (
        "scontrol --json show job {RUN}",
        "Slurm 22.05's scontrol has no --json (it exits 1); ours prints squeue's schema",
    ),
];

/// Command templates that print the backfill scheduler's planned nodes
/// (`%Y`, `--start`, `SchedNodeList=`): they differ when the snapshot has
/// some, since `JobInfo` has no field for them.
pub const SCHED_NODES_TEMPLATES: &[&str] = &[
    r#"squeue -j {IDS} -o "%all""#,
    "squeue -j {IDS} --start",
    "scontrol show job -o {PEND}",
    "scontrol show job -o {ARR}",
    "scontrol show job -o {DEP}",
];

pub struct Capture {
    pub template: String,
    pub cmd: String,
    pub now: i64,
    pub status: i64,
    pub stdout: String,
}

pub fn load(dir: &Path) -> (Snapshot, Vec<Capture>) {
    let snap = convert::snapshot(&std::fs::read_to_string(dir.join("snapshot.txt")).unwrap());
    let caps = std::fs::read_to_string(dir.join("captures.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            Capture {
                template: v["template"].as_str().unwrap().to_owned(),
                cmd: v["cmd"].as_str().unwrap().to_owned(),
                now: v["now"].as_i64().unwrap(),
                status: v["status"].as_i64().unwrap(),
                stdout: v["stdout"].as_str().unwrap().to_owned(),
            }
        })
        .collect();
    (snap, caps)
}

/// Masks the values of `keys` in `Key=value` text (values may run over
/// several space-separated words, like a node's `OS=`).
pub fn mask(text: &str, keys: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut masking = false;
        let mut words = Vec::new();
        for word in line.split(' ') {
            let key = word.split_once('=').map(|(k, _)| k.trim_start());
            match key {
                Some(k) if keys.contains(&k) => {
                    masking = true;
                    words.push(format!("{k}=*"));
                }
                Some(_) => {
                    masking = false;
                    words.push(word.to_owned());
                }
                None if masking && !word.is_empty() && !word.ends_with('\n') => {}
                None => words.push(word.to_owned()),
            }
        }
        out.push_str(&words.join(" "));
    }
    out
}

/// The JSON keys every job record must have, and the ones whose values must match.
const JSON_VALUE_KEYS: &[&str] = &[
    "job_id",
    "name",
    "job_state",
    "partition",
    "nodes",
    "user_name",
    "user_id",
    "group_id",
    "time_limit",
    "exit_code",
    "array_job_id",
    "array_task_id",
    "array_task_string",
    "array_max_tasks",
    "state_reason",
    "dependency",
    "submit_time",
    "start_time",
    "end_time",
    "eligible_time",
    "cpus",
    "node_count",
    "tasks",
    "priority",
    "qos",
    "account",
    "batch_host",
    "batch_flag",
    "current_working_directory",
    "standard_input",
    "standard_output",
    "memory_per_node",
    "requeue",
    "restart_cnt",
];

/// Compares `squeue --json` documents: same meta, same jobs, every key
/// present, and, for the scenario's jobs (`ids`; squeue 22.05 prints every
/// job whatever `-j` says), the values scripts read equal.
pub fn compare_json(ours: &str, theirs: &str, ids: &[u32]) -> Result<usize, String> {
    let a: Value = serde_json::from_str(ours).map_err(|e| e.to_string())?;
    let b: Value = serde_json::from_str(theirs).map_err(|e| e.to_string())?;
    if a["meta"] != b["meta"] {
        return Err(format!("meta: {} vs {}", a["meta"], b["meta"]));
    }
    let (ja, jb) = (a["jobs"].as_array().unwrap(), b["jobs"].as_array().unwrap());
    if ja.len() != jb.len() {
        return Err(format!("{} jobs vs {}", ja.len(), jb.len()));
    }
    let mut checked = 0;
    for (x, y) in ja.iter().zip(jb) {
        let (ox, oy) = (x.as_object().unwrap(), y.as_object().unwrap());
        for k in oy.keys() {
            if !ox.contains_key(k) {
                return Err(format!("job {}: key {k} missing", y["job_id"]));
            }
        }
        for k in ox.keys() {
            if !oy.contains_key(k) {
                return Err(format!("job {}: extra key {k}", y["job_id"]));
            }
        }
        let id = y["job_id"].as_u64().unwrap_or(0) as u32;
        let array_id = y["array_job_id"].as_u64().unwrap_or(0) as u32;
        if !ids.contains(&id) && !ids.contains(&array_id) {
            continue;
        }
        for k in JSON_VALUE_KEYS {
            if x[k] != y[k] {
                return Err(format!("job {}: {k} = {} vs {}", y["job_id"], x[k], y[k]));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

/// Renders `cap` with our engines and says how it compares.
pub fn check(cap: &Capture, snap: &Snapshot) -> Result<(), String> {
    if cap.status != 0 {
        return Err(format!("reference exited {}", cap.status));
    }
    if cap.cmd.contains("--json") {
        let ours = run(&cap.cmd, snap, cap.now);
        let ids: Vec<u32> = crate::run::words(&cap.cmd)
            .iter()
            .skip_while(|w| *w != "-j")
            .nth(1)
            .map(|l| l.split(',').filter_map(|i| i.parse().ok()).collect())
            .unwrap_or_default();
        return match compare_json(&ours, &cap.stdout, &ids) {
            Ok(n) if n > 0 => Ok(()),
            Ok(_) => Err("no scenario job in the JSON".to_owned()),
            Err(e) => Err(e),
        };
    }
    let keys: Vec<&str> = JOB_KEYS_APPROXIMATED
        .iter()
        .chain(NODE_KEYS_APPROXIMATED)
        .copied()
        .collect();
    let scontrol = cap.cmd.starts_with("scontrol");
    let norm = |s: &str| {
        if scontrol {
            mask(s, &keys)
        } else {
            s.to_owned()
        }
    };
    let want = norm(&cap.stdout);
    let mut last = String::new();
    for now in [cap.now, cap.now + 1] {
        let ours = norm(&run(&cap.cmd, snap, now));
        if ours == want {
            return Ok(());
        }
        last = ours;
    }
    Err(diff(&want, &last))
}

pub fn diff(want: &str, got: &str) -> String {
    let mut s = String::new();
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            s.push_str(&format!("line {i}:\n  slurm: {a:?}\n  ours:  {b:?}\n"));
        }
    }
    let (wl, gl) = (want.lines().count(), got.lines().count());
    if wl != gl {
        s.push_str(&format!("{wl} lines vs {gl}\n"));
    }
    if s.is_empty() {
        s = format!("whitespace differs: {want:?} vs {got:?}");
    }
    s
}

/// Runs every capture in `dir`; returns (matched, known differences).
pub fn compare_dir(dir: &Path) -> (usize, usize) {
    let (snap, caps) = load(dir);
    assert!(caps.len() >= 60, "only {} captures", caps.len());
    let mut failures = Vec::new();
    let (mut matched, mut known) = (0, 0);
    for cap in &caps {
        let result = check(cap, &snap);
        let is_known = KNOWN_DIFFERENCES.iter().any(|(t, _)| *t == cap.template);
        let situational =
            snap.sched_nodes && SCHED_NODES_TEMPLATES.contains(&cap.template.as_str());
        match (result, is_known) {
            (Err(_), false) if situational => known += 1,
            (Ok(()), false) => matched += 1,
            (Err(_), true) => known += 1,
            (Ok(()), true) => failures.push(format!(
                "{}: now matches, drop it from KNOWN_DIFFERENCES",
                cap.cmd
            )),
            (Err(e), false) => failures.push(format!("{}\n{e}", cap.cmd)),
        }
    }
    eprintln!(
        "compared {} command lines: {matched} identical, {known} known differences",
        caps.len()
    );
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (matched, known)
}

#[test]
fn captured_reference_output_matches() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ref");
    let (matched, _) = compare_dir(&dir);
    assert!(matched >= 60, "{matched}");
}

#[test]
fn masking_hides_only_the_named_keys() {
    let text = "NodeName=vm Arch=x86_64 OS=Linux 6.1 #1 SMP  RealMemory=10\n";
    assert_eq!(
        mask(text, &["Arch", "OS"]),
        "NodeName=vm Arch=* OS=*  RealMemory=10\n"
    );
}
