//! Time limits (`--time=1-02:03:04`, `UNLIMITED`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeLimit;

