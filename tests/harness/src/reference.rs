//! The guard of differential tests, which compare sk8 with the reference
//! Slurm (`/usr/bin/sbatch`, started by `../shared/refslurm/start.sh`).
//!
//! A differential test is marked `#[ignore = "needs the reference Slurm"]`,
//! so a plain `cargo test` on a machine without Slurm reports it as ignored
//! rather than pretending it passed; it calls [`require`] first. CI (and the
//! README's test command) runs `cargo test ... -- --include-ignored`, and
//! there [`require`] fails the test when the reference is not answering:
//! nothing is skipped silently.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The `#[ignore]` reason every differential test gives.
pub const IGNORED: &str = "needs the reference Slurm";

/// Where the reference's commands are installed.
pub const BIN_DIR: &str = "/usr/bin";

/// The path of a reference Slurm command (`sbatch` -> `/usr/bin/sbatch`).
pub fn command(cmd: &str) -> PathBuf {
    Path::new(BIN_DIR).join(cmd)
}

/// Whether the reference Slurm is installed and its controller answers
/// (`scontrol ping` says UP). Asked once per test process.
pub fn available() -> bool {
    static UP: OnceLock<bool> = OnceLock::new();
    *UP.get_or_init(|| {
        command("sbatch").is_file()
            && Command::new(command("scontrol"))
                .arg("ping")
                .stdin(Stdio::null())
                .output()
                .is_ok_and(|o| {
                    o.status.success() && String::from_utf8_lossy(&o.stdout).contains(" is UP")
                })
    })
}

/// Fails test `name` unless the reference Slurm answers.
///
/// # Panics
///
/// When the reference is not running: a differential test that runs
/// (CI's `--include-ignored`) must compare, never skip.
pub fn require(name: &str) {
    assert!(
        available(),
        "{name} {IGNORED}, which is not answering (start it with `bash ../shared/refslurm/start.sh`)"
    );
}
