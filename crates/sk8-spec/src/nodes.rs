//! Node count ranges (`--nodes=2-4`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeRange;

