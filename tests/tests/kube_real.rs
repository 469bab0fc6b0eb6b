//! The Kubernetes backend against a real kube-apiserver and etcd (1.20.2,
//! built from Debian's source by `../shared/kube/start.sh`, which `.ci/run`
//! starts), with its real RBAC authorizer, admission chain and garbage
//! collector. No scheduler and no kubelet run there: pods stay Pending and
//! unbound, which is exactly what these tests look at (what a job is
//! before a node takes it). What needs a kubelet (a script running to its
//! end, logs) runs in `kube.rs`, on the simulator and (`real::*`) on this same
//! server with sk8-kubesim's node side as its nodes, scheduler and kubelet.
//!
//! Each test is `#[ignore = "needs a real kube-apiserver"]`: a plain
//! `cargo test` reports it ignored; CI runs it (`--include-ignored`) with
//! `SK8_KUBE_KUBECONFIG` set, and without it the test fails, never skips.
//! Every test works in a namespace of its own, deleted at its end.

use std::collections::BTreeSet;

use serde_json::Value;
use std::process::Command;

use sk8_kubesim::Recorder;
use sk8_tests::kube::{Ns, assert_deploy_grants_exactly, rules_used, run, server, without_block};
use sk8_tests::refslurm::workspace_root;

fn uid(obj: &Value) -> &str {
    obj["metadata"]["uid"].as_str().unwrap_or_default()
}

/// `sk8 render` prints YAML the real server takes as it is, for every
/// example and shape of job and every gang provider sk8 renders for; one
/// render is applied for real and makes the objects it shows.
#[test]
#[ignore = "needs a real kube-apiserver"]
fn render_output_applies_to_the_real_server_for_every_example_and_provider() {
    let ns = Ns::new("render", "");
    let root = workspace_root().join("examples");
    let mut scripts: Vec<(String, Vec<&str>)> = vec![
        (root.join("hello.sh").display().to_string(), vec![]),
        (
            root.join("two-nodes/train.sh").display().to_string(),
            vec![],
        ),
    ];
    for (name, text, args) in [
        (
            "gpus.sh",
            "#!/bin/bash\n#SBATCH -N2 --gpus-per-node=8 --cpus-per-task=4 --mem=64G -t 1:00:00\nsrun torchrun train.py\n",
            vec![],
        ),
        (
            "array.sh",
            "#!/bin/bash\n#SBATCH --array=0-3\necho $SLURM_ARRAY_TASK_ID\n",
            vec![],
        ),
        (
            "held.sh",
            "#!/bin/bash\necho held\n",
            vec!["--hold", "-J", "odd name's job"],
        ),
        (
            "exclusive.sh",
            "#!/bin/bash\n#SBATCH --exclusive -N3 --ntasks-per-node=2\nsrun hostname\n",
            vec![],
        ),
    ] {
        scripts.push((ns.write(name, text), args));
    }
    let mut applied = 0;
    for provider in ["none", "kueue", "volcano", "coscheduling"] {
        for (script, args) in &scripts {
            let flag = format!("--provider={provider}");
            let mut all = vec!["render", flag.as_str(), script.as_str()];
            all.extend(args.iter().copied());
            let p = ns.sk8("sk8", &all);
            let yaml = p.ok(&format!("sk8 {all:?}"));
            assert!(
                !yaml.contains("ownerReferences"),
                "{all:?}: placeholder owners"
            );
            let check = ns.kubectl(&["apply", "--dry-run=server", "-f", "-"], Some(yaml));
            check.ok(&format!(
                "kubectl apply --dry-run=server of `sk8 {all:?}`:\n{yaml}"
            ));
            applied += 1;
        }
    }
    assert_eq!(applied, 4 * scripts.len());

    // Applied for real: the objects are there as rendered, the Secret with
    // the stand-ins only (the server stores them base64, as `data`).
    let hello = &scripts[0].0;
    let yaml = ns.sk8("sk8", &["render", "--provider=none", "--id=7", hello]);
    ns.kubectl(&["apply", "-f", "-"], Some(yaml.ok("sk8 render")))
        .ok("kubectl apply");
    let sel = Some("sk8.dev/job-id=7");
    assert_eq!(ns.items("pods", sel).len(), 1);
    assert_eq!(ns.items("services", sel).len(), 1);
    let secrets = ns.items("secrets", sel);
    let keys: BTreeSet<&str> = secrets[0]["data"]
        .as_object()
        .expect("the Secret has data")
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        keys.contains("environment") && keys.contains("token"),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .all(|k| ["environment", "token"].contains(k) || k.starts_with("env.")),
        "{keys:?}"
    );
}

/// `sbatch` on a real server: a two-node job is a record, a Secret, a
/// headless Service and two pods, every one owned by the record (by the
/// uid the server gave it); the pods wait unbound (no scheduler here) and
/// squeue shows the job pending. `scancel` takes the pods away, and
/// deleting a record by hand lets the real garbage collector remove all
/// the rest.
#[test]
#[ignore = "needs a real kube-apiserver"]
fn sbatch_makes_owned_objects_and_the_garbage_collector_follows_the_record() {
    let ns = Ns::new("gang", "");
    let script = ns.write(
        "two.sh",
        "#!/bin/bash\n#SBATCH -N2 -J pair\nsrun hostname\n",
    );
    let p = ns.sk8("sbatch", &["--parsable", &script]);
    assert_eq!(p.ok("sbatch").trim(), "1");

    let sel = Some("sk8.dev/job-id=1");
    let records = ns.items("configmaps", sel);
    let record = records
        .iter()
        .find(|c| c["metadata"]["ownerReferences"].is_null())
        .expect("a record without an owner");
    let pods = ns.items("pods", sel);
    assert_eq!(pods.len(), 2, "one pod per node");
    let mut owned = pods.clone();
    owned.extend(ns.items("secrets", sel));
    owned.extend(ns.items("services", sel));
    assert_eq!(owned.len(), 4);
    for o in &owned {
        let owner = &o["metadata"]["ownerReferences"][0];
        assert_eq!(
            owner["uid"].as_str(),
            Some(uid(record)),
            "{} is owned by the record",
            o["metadata"]["name"]
        );
    }
    for pod in &pods {
        assert!(pod["spec"]["nodeName"].is_null(), "nothing binds pods here");
        assert_eq!(pod["status"]["phase"], "Pending");
        // The admission chain adds what a real cluster adds.
        let tolerations = pod["spec"]["tolerations"].to_string();
        assert!(
            tolerations.contains("node.kubernetes.io/not-ready"),
            "DefaultTolerationSeconds: {tolerations}"
        );
    }
    let q = ns.sk8("squeue", &["-h", "-o", "%i %j %t"]);
    assert_eq!(q.ok("squeue").trim(), "1 pair PD");

    ns.sk8("scancel", &["1"]).ok("scancel");
    ns.wait_gone("pods", 1);
    let q = ns.sk8("squeue", &["-h", "-o", "%i"]);
    assert_eq!(
        q.ok("squeue").trim(),
        "",
        "a cancelled job leaves the queue"
    );

    // The garbage collector: the record goes, its objects follow.
    let p = ns.sk8("sbatch", &["--parsable", &script]);
    assert_eq!(p.ok("sbatch").trim(), "2");
    let records = ns.items("configmaps", Some("sk8.dev/job-id=2"));
    let name = records
        .iter()
        .find(|c| c["metadata"]["ownerReferences"].is_null())
        .and_then(|c| c["metadata"]["name"].as_str())
        .expect("job 2's record")
        .to_string();
    ns.kubectl(
        &["delete", "configmap", &name, "--cascade=background"],
        None,
    )
    .ok("deleting the record");
    for kind in ["pods", "secrets", "services"] {
        ns.wait_gone(kind, 2);
    }
}

/// The submitter's exported environment (where tokens live) is stored in
/// the job's Secret and nowhere else the API server holds.
#[test]
#[ignore = "needs a real kube-apiserver"]
fn the_exported_environment_lives_only_in_the_jobs_secret() {
    const CANARY: &str = "hf_sk8canary_0123456789abcdef";
    let ns = Ns::new("secret", "gang = \"volcano\"\n");
    let script = ns.write("env.sh", "#!/bin/bash\n#SBATCH -N2\nprintenv HF_TOKEN\n");
    let p = ns.sk8_as(
        &server().admin,
        "sbatch",
        &["--parsable", "--export=ALL", &script],
        &[("HF_TOKEN", CANARY)],
    );
    assert_eq!(p.ok("sbatch").trim(), "1");
    assert!(!p.out.contains(CANARY) && !p.err.contains(CANARY));
    let everything = ns.kubectl(
        &[
            "get",
            "pods,configmaps,services,podgroups.scheduling.volcano.sh,events",
            "-o",
            "json",
        ],
        None,
    );
    let text = everything.ok("kubectl get");
    assert!(text.contains("sk8-job-1"), "the job's objects are listed");
    assert!(!text.contains(CANARY), "the token is outside the Secret");
    // In the Secret it is (base64, as the server stores every value).
    let secrets = ns.items("secrets", Some("sk8.dev/job-id=1"));
    assert_eq!(secrets.len(), 1);
    let env = secrets[0]["data"]["environment"]
        .as_str()
        .expect("an environment key");
    let decoded = run(
        {
            let mut c = Command::new("base64");
            c.arg("-d");
            c
        },
        Some(env),
    );
    assert!(decoded.ok("base64 -d").contains(CANARY));
    for cmd in [
        vec!["squeue", "-o", "%all"],
        vec!["scontrol", "show", "job", "1"],
        vec!["sacct", "-j", "1", "-o", "ALL"],
    ] {
        let p = ns.sk8(cmd[0], &cmd[1..]);
        assert!(
            !p.out.contains(CANARY) && !p.err.contains(CANARY),
            "{cmd:?} prints it"
        );
    }
}

/// Parallel `sbatch` against the real server's optimistic concurrency
/// (409 Conflict on the counter): every submission gets its own id, and
/// the ids are 1..=N with none skipped.
#[test]
#[ignore = "needs a real kube-apiserver"]
fn parallel_sbatch_get_distinct_dense_ids_from_the_real_server() {
    const N: u32 = 12;
    let ns = Ns::new("ids", "");
    let script = ns.write("held.sh", "#!/bin/bash\ntrue\n");
    let ids: BTreeSet<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|_| s.spawn(|| ns.sk8("sbatch", &["--parsable", "--hold", &script])))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let p = h.join().expect("a submitting thread");
                p.ok("sbatch").trim().parse().expect("an id")
            })
            .collect()
    });
    assert_eq!(ids, (1..=N).collect());
    let q = ns.sk8("squeue", &["-h", "-o", "%i"]);
    let listed: BTreeSet<u32> = q
        .ok("squeue")
        .lines()
        .map(|l| l.trim().parse().expect("an id"))
        .collect();
    assert_eq!(listed, ids);
}

/// The non-admin user bound by `deploy/rbac.yaml`, through the real RBAC
/// authorizer, can do everything the commands do; in a namespace where
/// nothing binds them, each command is refused with Slurm's message form,
/// not a panic.
#[test]
#[ignore = "needs a real kube-apiserver"]
fn the_non_admin_user_can_do_everything_with_the_deploy_role_and_nothing_without() {
    let s = server();
    let ns = Ns::new("rbac", "gang = \"volcano\"\n");
    ns.apply_deploy_rbac();
    let as_alice = |bin: &str, args: &[&str]| ns.sk8_as(&s.alice, bin, args, &[]);
    let quick = ns.write("quick.sh", "#!/bin/bash\n#SBATCH -N2\ntrue\n");
    let held = ns.write("held.sh", "#!/bin/bash\nsleep 300\n");
    let init = format!("--output={}", ns.path("init.toml").display());
    let flow = commands_flow(&quick, &held, &init);
    for (bin, args) in &flow {
        let p = as_alice(bin, args);
        p.ok(&format!("as sk8-alice: {bin} {args:?}"));
    }
    let doctor = as_alice("sk8", &["doctor"]);
    assert!(
        !doctor.out.contains("forbidden") && !doctor.err.contains("forbidden"),
        "sk8 doctor as sk8-alice:\n{}{}",
        doctor.out,
        doctor.err
    );

    // Unbound: a namespace where deploy/rbac.yaml was not applied.
    let bare = Ns::new("unbound", "");
    for bin in ["squeue", "sbatch"] {
        let args: Vec<&str> = if bin == "sbatch" {
            vec![&quick]
        } else {
            vec![]
        };
        let p = bare.sk8_as(&s.alice, bin, &args, &[]);
        assert_eq!(p.code, 1, "{bin} as an unbound user: {}{}", p.out, p.err);
        // Slurm's forms: `squeue` says what it could not load.
        let form = if bin == "squeue" {
            "slurm_load_jobs error: ".to_string()
        } else {
            format!("{bin}: error: ")
        };
        assert!(p.err.starts_with(&form), "{bin}'s message form: {}", p.err);
        assert!(!p.err.contains("panicked"), "{}", p.err);
    }
    assert!(
        bare.items("configmaps", Some("sk8.dev/job-id")).is_empty(),
        "a refused sbatch leaves nothing"
    );
}

/// deploy/rbac.yaml grants exactly what the commands use, on the real
/// server: every provider's flow (a submission that fails half-way among
/// them) as `sk8-alice`, bound by that Role and nothing else, through a
/// proxy that notes each request. The real authorizer allows every
/// request (none missing), and the requests made are exactly the rules
/// granted (none extra).
#[test]
#[ignore = "needs a real kube-apiserver"]
fn the_deploy_role_grants_exactly_what_the_commands_use() {
    let s = server();
    let mut used: BTreeSet<(String, String, String)> = BTreeSet::new();
    for gang in ["kueue", "volcano", "coscheduling", "none"] {
        let ns = Ns::new("least", &format!("gang = \"{gang}\"\n"));
        ns.apply_deploy_rbac();
        let rec = Recorder::start(&s.alice).expect("the recording proxy starts");
        let kubeconfig = ns.path("recorded.kubeconfig");
        rec.write_kubeconfig(&kubeconfig, &ns.name)
            .expect("its kubeconfig is written");
        let run = |bin: &str, args: &[&str]| ns.sk8_as(&kubeconfig, bin, args, &[]);
        let quick = ns.write("quick.sh", "#!/bin/sh\n#SBATCH -N2 --gres=gpu:1\ntrue\n");
        let long = ns.write("long.sh", "#!/bin/sh\nsleep 300\n");
        let init = format!("--output={}", ns.path("init.toml").display());
        let flow = commands_flow(&quick, &long, &init);
        for (bin, args) in &flow {
            run(bin, args).ok(&format!("{gang}: as sk8-alice: {bin} {args:?}"));
        }
        let _ = run("sk8", &["doctor"]);
        // Half-way: job 3's second pod cannot be made (its name is taken),
        // so what was made of it is deleted again.
        let taken = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "sk8-job-3-1"},
            "spec": {"containers": [{"name": "c", "image": "none"}]}});
        ns.kubectl(&["create", "-f", "-"], Some(&taken.to_string()))
            .ok("taking job 3's pod name");
        let failed = run("sbatch", &[&quick]);
        assert_eq!(failed.code, 1, "{gang}: {}", failed.err);
        assert!(
            failed.err.contains("already exists"),
            "{gang}: {}",
            failed.err
        );
        used.extend(rules_used(rec.served()));
    }
    assert_deploy_grants_exactly(&used);
}

/// One job's life through every command, as a user runs it: a two-node
/// job and a held one (jobs 1 and 2 of a fresh namespace), updated,
/// released, listed, shown, cancelled; `sk8 init` and `sk8 render`.
fn commands_flow<'a>(
    quick: &'a str,
    held: &'a str,
    init: &'a str,
) -> Vec<(&'static str, Vec<&'a str>)> {
    vec![
        ("sbatch", vec![quick]),
        ("sbatch", vec!["--hold", held]),
        ("scontrol", vec!["update", "JobId=2", "TimeLimit=10"]),
        ("scontrol", vec!["release", "2"]),
        ("squeue", vec![]),
        ("squeue", vec!["--me", "-p", "k8s"]),
        ("sinfo", vec![]),
        ("scontrol", vec!["show", "job", "2"]),
        ("scontrol", vec!["show", "node"]),
        ("scontrol", vec!["show", "partition"]),
        ("sacct", vec![]),
        ("scancel", vec!["1", "2"]),
        ("sk8", vec!["init", init]),
        ("sk8", vec!["render", quick]),
    ]
}

#[test]
fn without_block_drops_exactly_the_block() {
    let text = "a:\n  selectableFields:\n  - jsonPath: .x\n    more: 1\n  b: 2\nc: 3\n";
    assert_eq!(
        without_block(text, "selectableFields:"),
        "a:\n  b: 2\nc: 3\n"
    );
}
