//! Task distribution methods (`--distribution=block:cyclic`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Distribution;

