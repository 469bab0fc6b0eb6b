//! Choosing the backend a command talks to (DESIGN.md §3):
//! `SK8_BACKEND=local|kubernetes`, else the config's `backend` key, else
//! the local one, so a fresh machine needs no setup. Each backend is
//! compiled in only with its cargo feature (`local`, `kubernetes`); a build
//! without one says so instead of choosing it.

use sk8_backend::Backend;

use crate::config;
use crate::failure::Failure;

/// The backend this process talks to.
pub fn backend() -> Result<Box<dyn Backend>, Failure> {
    let cfg = config::Config::load()?;
    let (choice, from) = match std::env::var("SK8_BACKEND") {
        Ok(v) if !v.is_empty() => (v, "SK8_BACKEND".to_string()),
        _ => (cfg.backend.clone().unwrap_or_default(), cfg.origin()),
    };
    match choice.as_str() {
        "" | "local" => local(cfg),
        "kubernetes" | "k8s" => kubernetes(cfg),
        other => Err(Failure::refused(format!(
            "unknown backend `{other}` in {from} (hint: local or kubernetes)"
        ))),
    }
}

#[cfg(any(feature = "local", feature = "kubernetes"))]
fn failure(e: &sk8_backend::Error) -> Failure {
    Failure::refused(e.to_string())
}

/// The local backend at [`config::home`], configured by `cfg`'s local keys.
#[cfg(feature = "local")]
pub fn local_backend(mut cfg: config::Config) -> Result<sk8_local::LocalBackend, Failure> {
    let section = std::mem::take(&mut cfg.local);
    let local = sk8_local::Config::from_table(section, &sk8_local::HostShape::detect)
        .map_err(|e| cfg.invalid(&e))?;
    sk8_local::LocalBackend::with_config(&config::home(), local).map_err(|e| failure(&e.into()))
}

#[cfg(feature = "local")]
fn local(cfg: config::Config) -> Result<Box<dyn Backend>, Failure> {
    local_backend(cfg).map(|b| Box::new(b) as Box<dyn Backend>)
}

#[cfg(not(feature = "local"))]
fn local(_: config::Config) -> Result<Box<dyn Backend>, Failure> {
    Err(not_built("local"))
}

/// The Kubernetes configuration `cfg`'s `[kubernetes]` table says.
#[cfg(feature = "kubernetes")]
pub fn kube_config(mut cfg: config::Config) -> Result<sk8_manifest::config::KubeConfig, Failure> {
    sk8_kube::kube_config(cfg.kubernetes.take()).map_err(|e| cfg.invalid(&e))
}

/// The Kubernetes backend, configured by `cfg`'s `[kubernetes]` table.
#[cfg(feature = "kubernetes")]
pub fn kube_backend(cfg: config::Config) -> Result<sk8_kube::KubeBackend, Failure> {
    sk8_kube::KubeBackend::connect(kube_config(cfg)?).map_err(|e| failure(&e))
}

#[cfg(feature = "kubernetes")]
fn kubernetes(cfg: config::Config) -> Result<Box<dyn Backend>, Failure> {
    kube_backend(cfg).map(|b| Box::new(b) as Box<dyn Backend>)
}

#[cfg(not(feature = "kubernetes"))]
fn kubernetes(_: config::Config) -> Result<Box<dyn Backend>, Failure> {
    Err(not_built("kubernetes"))
}

#[cfg(any(not(feature = "local"), not(feature = "kubernetes")))]
fn not_built(name: &str) -> Failure {
    Failure::refused(format!(
        "the {name} backend is not built into this sk8 (hint: build it with the `{name}` feature)"
    ))
}
