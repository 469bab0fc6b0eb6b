//! Environment export specifications (`--export=ALL,FOO=bar`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportSpec;

