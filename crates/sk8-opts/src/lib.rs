//! The one option table of `sbatch`, `srun` and `salloc`, and the parsing
//! that turns a command line, its input variables and a script's `#SBATCH`
//! directives into [`sk8_spec::JobSpec`]s exactly as Slurm would.
//!
//! - [`table`]: the rows (long/short names, value kind, commands, input
//!   variables, help text);
//! - [`getopt`]: glibc's getopt_long behaviour over the rows;
//! - [`state`]: the setters, with Slurm's validation and messages;
//! - [`sbatch`]: `sbatch`'s passes and precedence;
//! - [`help`]: `--help`/`--usage` rendered from the table.

pub mod alloc;
pub mod error;
pub mod getopt;
pub mod help;
mod help_layout;
pub mod query;
mod resolve;
pub use resolve::SUBMISSION_FAILED;
pub mod sbatch;
pub mod state;
pub mod table;
pub(crate) mod xlate;

pub use error::{Line, ParseError};
pub use table::{Cmd, OPTIONS, OptDef, OptId};

/// What `--version` prints: the Slurm release whose behaviour sk8 follows, so
/// that scripts which parse it keep working, then sk8's own version.
pub const VERSION_LINE: &str = concat!("slurm 22.05.8 (sk8 ", env!("CARGO_PKG_VERSION"), ")\n");
