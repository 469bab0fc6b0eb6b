//! End-to-end tests of the simulator over real HTTP: a tiny std client and kube's client.

mod api;
mod common;
mod kube_client;
mod kubectl;
mod kubelet;
mod scheduling;
