//! sk8-manifest's integration tests: golden manifests, CRD schemas, state and node mapping.

mod common;
mod golden;
mod nodes;
mod schema;
mod states;
