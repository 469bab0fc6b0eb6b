//! Deferred start times (`--begin=now+1hour`, `16:00`, `2026-01-01T12:00`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BeginSpec;

