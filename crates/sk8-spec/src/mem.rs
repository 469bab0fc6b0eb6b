//! Memory sizes in Slurm's units (`--mem=4G`, default megabytes).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemSize;

