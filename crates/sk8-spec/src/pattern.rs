//! Output file name patterns (`slurm-%j.out`, `%3a`) and their expansion.

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilePattern;

