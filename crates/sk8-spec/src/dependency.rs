//! Job dependencies (`--dependency=afterok:12:13,singleton`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dependency;

