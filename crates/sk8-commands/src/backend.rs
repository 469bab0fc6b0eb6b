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
    let (choice, from) = match std::env::var("SK8_BACKEND") {
        Ok(v) if !v.is_empty() => (v, "SK8_BACKEND".to_string()),
        _ => config::backend_key()?,
    };
    match choice.as_str() {
        "" | "local" => local(),
        "kubernetes" | "k8s" => kubernetes(),
        other => Err(Failure::refused(format!(
            "unknown backend `{other}` in {from} (hint: local or kubernetes)"
        ))),
    }
}

#[cfg(any(feature = "local", feature = "kubernetes"))]
fn failure(e: &sk8_backend::Error) -> Failure {
    Failure::refused(e.to_string())
}

/// The local backend at [`config::home`].
#[cfg(feature = "local")]
pub fn local_backend() -> Result<sk8_local::LocalBackend, Failure> {
    sk8_local::LocalBackend::open(&config::home(), &config::files()).map_err(|e| failure(&e.into()))
}

#[cfg(feature = "local")]
fn local() -> Result<Box<dyn Backend>, Failure> {
    local_backend().map(|b| Box::new(b) as Box<dyn Backend>)
}

#[cfg(not(feature = "local"))]
fn local() -> Result<Box<dyn Backend>, Failure> {
    Err(not_built("local"))
}

/// The Kubernetes backend, configured by the config's `[kubernetes]` table.
#[cfg(feature = "kubernetes")]
pub fn kube_backend() -> Result<sk8_kube::KubeBackend, Failure> {
    let cfg = sk8_kube::load_config(&config::files()).map_err(|e| failure(&e))?;
    sk8_kube::KubeBackend::connect(cfg).map_err(|e| failure(&e))
}

#[cfg(feature = "kubernetes")]
fn kubernetes() -> Result<Box<dyn Backend>, Failure> {
    kube_backend().map(|b| Box::new(b) as Box<dyn Backend>)
}

#[cfg(not(feature = "kubernetes"))]
fn kubernetes() -> Result<Box<dyn Backend>, Failure> {
    Err(not_built("kubernetes"))
}

#[cfg(any(not(feature = "local"), not(feature = "kubernetes")))]
fn not_built(name: &str) -> Failure {
    Failure::refused(format!(
        "the {name} backend is not built into this sk8 (hint: build it with the `{name}` feature)"
    ))
}
