//! `salloc`'s environment: real salloc running `env`, beside ours computed
//! from sk8's own parse of the same options (skipped loudly without the
//! reference).

use std::collections::BTreeMap;
use std::process::Command;

use sk8_env::{Allocation, HostFacts, JobRequest, MemoryGrant, Node, salloc_env};
use sk8_opts::alloc::{Request, parse};
use sk8_opts::sbatch::{Context, Host};
use sk8_opts::table::Cmd;

struct NoFiles;
impl Host for NoFiles {
    fn read_file(&self, _: &str) -> std::io::Result<Vec<u8>> {
        Err(std::io::ErrorKind::NotFound.into())
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn is_readable_file(&self, _: &str) -> bool {
        false
    }
}

/// SLURM_* of real `salloc ARGS /usr/bin/env`.
fn real(args: &[&str]) -> BTreeMap<String, String> {
    let out = Command::new("/usr/bin/salloc")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .current_dir("/tmp")
        .args(args)
        .arg("/usr/bin/env")
        .output()
        .expect("salloc runs");
    assert!(
        out.status.success(),
        "salloc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("SLURM"))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Ours for the same options; the scheduler's decisions (job id, CPUs and
/// memory granted, account, QOS) are taken from the real allocation.
fn ours(args: &[&str], real: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let get = |k: &str| real.get(k).cloned().unwrap_or_default();
    let ctx = Context {
        argv0: "salloc".into(),
        cwd: "/tmp".into(),
        env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        user: "root".into(),
        uid: 0,
        gid: 0,
        host: get("SLURM_SUBMIT_HOST"),
        default_partition: Some("debug".into()),
    };
    let mut words: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    words.push("/usr/bin/env".into());
    let Ok(Request::Run { jobs, .. }) = parse(Cmd::Salloc, &words, &ctx, &NoFiles) else {
        panic!("our salloc refuses {args:?}")
    };
    let spec = &jobs[0];
    let req = JobRequest::from_spec(spec);
    let alloc = Allocation {
        job_id: get("SLURM_JOB_ID").parse().unwrap(),
        cluster: get("SLURM_CLUSTER_NAME"),
        partition: spec.partition.clone().unwrap_or_default(),
        account: real.get("SLURM_JOB_ACCOUNT").cloned(),
        qos: real.get("SLURM_JOB_QOS").cloned(),
        nodes: vec![Node {
            name: get("SLURM_JOB_NODELIST"),
            addr: "127.0.0.1".into(),
            cpus: get("SLURM_JOB_CPUS_PER_NODE").parse().unwrap(),
            gpus: vec![],
        }],
        memory: real
            .get("SLURM_MEM_PER_NODE")
            .map(|m| MemoryGrant::PerNode(m.parse().unwrap()))
            .or_else(|| {
                real.get("SLURM_MEM_PER_CPU")
                    .map(|m| MemoryGrant::PerCpu(m.parse().unwrap()))
            }),
        ..Allocation::default()
    };
    let host = HostFacts {
        conf_path: get("SLURM_CONF"),
        ..HostFacts::default()
    };
    salloc_env(&req, &alloc, &host)
        .into_iter()
        .filter(|(k, _)| k.starts_with("SLURM"))
        .collect()
}

#[test]
#[ignore = "needs the reference Slurm"]
fn salloc_environment_matches_real_salloc() {
    sk8_harness::reference::require("salloc_environment_matches_real_salloc");
    let cases: &[&[&str]] = &[
        &["-n1"],
        &["-n2"],
        &["-c2"],
        &["-N1"],
        &["--mem=100"],
        &["-J", "named", "-p", "batch"],
        &["--ntasks-per-node=2"],
    ];
    let mut diffs = Vec::new();
    for args in cases {
        let want = real(args);
        let got = ours(args, &want);
        if want != got {
            diffs.push(format!(
                "salloc {args:?}\n  real: {want:?}\n  ours: {got:?}"
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
