//! Every sk8 command, one module each, behind one dispatch on the name it
//! was called by: `sbatch`, `srun`, `salloc`, `squeue`, `scancel`, `sinfo`,
//! `scontrol`, `sacct`, and `sk8` (whose `sk8 <command> ARGS` runs any of
//! them). The `sk8` binary is this crate's [`main`]; users install it once
//! and link the Slurm names to it (`sk8 install-links DIR`), as busybox
//! and rustup's proxies are installed, so the backends' dependencies are
//! linked once rather than into eleven binaries.
//!
//! Shared by the commands: [`failure`] (the user-facing error, printed in
//! Slurm's form), [`exit`] (every exit code), [`host`] (this machine's
//! facts), [`config`] (where configuration lives), [`backend`] (which
//! backend serves; each behind its cargo feature, `local` and
//! `kubernetes`), [`allocation`] (what an interactive allocation's command
//! runs with).

pub mod allocation;
pub mod backend;
pub mod config;
pub mod exit;
pub mod failure;
pub mod host;

pub mod sacct;
pub mod salloc;
pub mod sbatch;
pub mod scancel;
pub mod scontrol;
pub mod sinfo;
pub mod sk8;
pub mod squeue;
pub mod srun;

use std::path::Path;
use std::process::ExitCode;

pub use failure::Failure;

/// A command's entry point: the name it was called by (argv\[0\]) and its
/// arguments.
pub type Command = fn(&str, &[String]) -> ExitCode;

/// The command called `name` (a file name, as in argv\[0\]), among
/// [`sk8_backend::COMMANDS`].
#[must_use]
pub fn command(name: &str) -> Option<Command> {
    Some(match name {
        "sbatch" => sbatch::main,
        "srun" => srun::main,
        "salloc" => salloc::main,
        "squeue" => squeue::main,
        "scancel" => scancel::main,
        "sinfo" => sinfo::main,
        "scontrol" => scontrol::main,
        "sacct" => sacct::main,
        _ => return None,
    })
}

/// The multi-call binary: runs the command named by the file name of
/// argv\[0\] (`/usr/local/bin/sbatch` -> `sbatch`), else `sk8` with the
/// arguments (any other name, the binary's own included, is `sk8`).
#[must_use]
pub fn main() -> ExitCode {
    let (argv0, args) = host::args();
    let name = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match command(&name) {
        Some(cmd) => cmd(&argv0, &args),
        None => sk8::main(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slurm_name_has_a_command() {
        for name in sk8_backend::COMMANDS {
            assert!(command(name).is_some(), "no command for `{name}`");
        }
        assert!(command("sk8").is_none());
        assert!(command("sbatch.sh").is_none());
    }
}
