//! How sk8's tests run the real binaries (STYLE.md, "Run the real binary
//! and snapshot it"), in one place instead of one copy per crate:
//!
//! - [`bins`]: where the built `sk8` and `sk8-agent` are — `$SK8_BIN` (a
//!   directory), else the directory cargo gave the test
//!   (`CARGO_BIN_EXE_sk8`, through [`bins::use_cargo_bin`]), else the
//!   target directory of the running test (`target/<profile>/`, whatever
//!   the target dir and profile), built there once when missing; and a
//!   directory of links named `sbatch`, `srun`, ... to `sk8`, so every
//!   command runs by its Slurm name as users run it.
//! - [`TestEnv`]: a private `SK8_HOME` and working directory, an
//!   environment cleared of everything Slurm or sk8 reads, and a run of any
//!   command by its name, returning an [`Run`] whose
//!   [`Run::snapshot`] text is filtered for job ids, times, hosts and
//!   paths (jj's `TestEnvironment`, uv's `uv_snapshot!`).
//! - [`reference`]: the guard of differential tests. They are marked
//!   `#[ignore = "needs the reference Slurm"]`, run by CI with
//!   `--include-ignored`, and fail there (never skip) when the reference is
//!   not answering.

pub mod bins;
mod env;
pub mod filter;
pub mod reference;

pub use env::{Run, TestEnv};
pub use filter::Filters;
