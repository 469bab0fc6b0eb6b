//! Warning signal specifications (`--signal=B:USR1@90`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignalSpec;

