//! Differential test harness: runs scripts under the reference Slurm and under our commands.

pub mod kube;
pub mod mirror;
pub mod outcome;
pub mod refslurm;
pub mod scontrol;
pub mod scratch;
pub mod sidebyside;
mod tempdir;

pub use outcome::{Outcome, Verdict};
pub use scontrol::{JobFields, ScontrolError};
pub use tempdir::TempDir;
