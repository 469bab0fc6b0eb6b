//! Slurm 22.05's output formats for squeue, sinfo, sacct and scontrol, as
//! pure functions of the backend's records ([`sk8_backend::JobInfo`],
//! [`sk8_backend::NodeInfo`], [`sk8_backend::PartitionInfo`]).
//!
//! The commands parse their options, ask the backend for records, and hand
//! both to these engines: [`squeue::Format`] (`-o`, `-O`, defaults),
//! [`sinfo::render`], [`sacct::render`], [`scontrol::show_job`] and
//! friends, [`json::jobs`], and the shared filter and sort model in
//! [`filter`]. Nothing here reads the clock, the environment or a file:
//! "now", the time zone offset and group names come in a [`Context`].

#![recursion_limit = "512"]

pub mod filter;
pub mod job;
pub mod json;
pub mod sacct;
pub mod scontrol;
pub mod sinfo;
pub mod squeue;
pub mod text;
pub mod time;

pub use job::{Context, GroupNames};
pub use sk8_spec::civil::Zone;
