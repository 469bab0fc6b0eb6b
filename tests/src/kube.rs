//! What the Kubernetes end-to-end tests (against sk8-kubesim and against a
//! real kube-apiserver) share: running one of our commands on a cluster.

use std::path::Path;
use std::process::Command;

use crate::refslurm::ours;

/// Our command `bin` in `dir`, talking to the cluster of `kubeconfig`
/// through the sk8 home `home` (whose config selects the Kubernetes
/// backend), with none of the caller's query-format variables.
pub fn command(bin: &str, dir: &Path, kubeconfig: &Path, home: &Path) -> Command {
    let mut c = Command::new(ours(bin));
    c.current_dir(dir)
        .env("KUBECONFIG", kubeconfig)
        .env("SK8_HOME", home)
        .env("HOME", dir)
        .env_remove("SK8_BACKEND")
        .env_remove("XDG_CONFIG_HOME");
    for (k, _) in std::env::vars() {
        if k.starts_with("SQUEUE_") || k.starts_with("SINFO_") || k.starts_with("SACCT_") {
            c.env_remove(k);
        }
    }
    c
}
