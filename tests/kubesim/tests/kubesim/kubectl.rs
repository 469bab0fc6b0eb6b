//! kubectl against the simulator (skipped, loudly, where kubectl is not installed).

use crate::common::{node, start, wait_done};
use sk8_kubesim::{Sim, SimProvider};
use std::process::Command;

fn kubectl(sim: &Sim, dir: &std::path::Path, args: &[&str]) -> Option<(bool, String, String)> {
    let path = dir.join("kubeconfig");
    sim.write_kubeconfig(&path).unwrap();
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", &path)
        .output()
        .ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn kubectl_creates_gets_logs_and_deletes() {
    let sim = start(SimProvider::Kueue, true, vec![node("n0", 4, 0)]);
    let dir = std::env::temp_dir().join(format!("sk8-kubesim-kubectl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("objects.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: bench-}\ndata: {key: value}\n---\n\
         apiVersion: kueue.x-k8s.io/v1beta1\nkind: LocalQueue\nmetadata: {name: default}\nspec: {clusterQueue: cq}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: hello}\nspec:\n  restartPolicy: Never\n  containers:\n  \
         - {name: job, image: busybox, command: [/bin/sh, -c, echo hello from kubectl]}\n",
    )
    .unwrap();
    let Some((ok, out, err)) = kubectl(&sim, &dir, &["create", "-f", manifest.to_str().unwrap()])
    else {
        eprintln!("SKIPPED: kubectl not installed");
        return;
    };
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("localqueue.kueue.x-k8s.io/default created"),
        "{out}"
    );
    wait_done(&sim, "hello");
    let (ok, out, err) = kubectl(&sim, &dir, &["logs", "hello"]).unwrap();
    assert!(ok, "{err}");
    assert_eq!(out, "hello from kubectl\n");
    let (ok, out, _) = kubectl(&sim, &dir, &["get", "configmaps", "-o", "name"]).unwrap();
    assert!(ok);
    assert!(out.starts_with("configmap/bench-"), "{out}");
    // The server validates, kubectl shows its message.
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n",
    )
    .unwrap();
    let (ok, _, err) = kubectl(&sim, &dir, &["create", "-f", manifest.to_str().unwrap()]).unwrap();
    assert!(!ok);
    assert!(
        err.contains("The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"),
        "{err}"
    );
    let (ok, _, err) = kubectl(&sim, &dir, &["delete", "pod", "hello"]).unwrap();
    assert!(ok, "{err}");
    assert!(sim.objects("pods").is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
