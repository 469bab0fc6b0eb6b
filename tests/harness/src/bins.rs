//! Finding the built binaries, and the links that give `sk8` each Slurm
//! name.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The Slurm names the multi-call `sk8` answers to (sk8-backend's
/// `COMMANDS`; restated here so the harness builds with std alone, and
/// checked against it by bins/sk8's tests).
pub const COMMANDS: [&str; 8] = [
    "sbatch", "srun", "salloc", "squeue", "scancel", "sinfo", "scontrol", "sacct",
];

static CARGO_BIN: OnceLock<PathBuf> = OnceLock::new();

/// Tells the harness where cargo put `sk8` for this test
/// (`env!("CARGO_BIN_EXE_sk8")`, which only tests of the `sk8` package
/// see). Call it before the first lookup; later calls are ignored.
pub fn use_cargo_bin(sk8: &str) {
    let _ = CARGO_BIN.set(PathBuf::from(sk8));
}

/// The directory holding `sk8` and `sk8-agent`.
///
/// `$SK8_BIN` when set (CI may point it at installed release binaries);
/// else the directory of [`use_cargo_bin`]'s path; else the target
/// directory of the running test (`<target>/<profile>/deps/test-HASH` ->
/// `<target>/<profile>`), where they are built (`cargo build --bin sk8
/// --bin sk8-agent`, a no-op when fresh) once per test process, so a test
/// run with `-p` never runs a stale binary.
pub fn dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os("SK8_BIN").filter(|d| !d.is_empty()) {
            return PathBuf::from(d);
        }
        if let Some(d) = CARGO_BIN.get().and_then(|p| p.parent()) {
            return d.to_path_buf();
        }
        let profile = profile_dir();
        build(&profile);
        profile
    })
    .clone()
}

/// The multi-call binary.
pub fn sk8() -> PathBuf {
    dir().join("sk8")
}

/// The step agent.
pub fn agent() -> PathBuf {
    dir().join("sk8-agent")
}

/// The path of command `name` (`sbatch`, ..., `sk8`, `sk8-agent`): a link in
/// [`links`] for a Slurm name, the binary itself otherwise.
pub fn command(name: &str) -> PathBuf {
    if COMMANDS.contains(&name) {
        links().join(name)
    } else {
        dir().join(name)
    }
}

/// A directory of links named after [`COMMANDS`] (and `sk8`,
/// `sk8-agent`) to the binaries: one per binaries directory and user, in
/// the temporary directory, shared by concurrent test processes (each link
/// is replaced atomically, so no process sees a name missing).
pub fn links() -> PathBuf {
    static LINKS: OnceLock<PathBuf> = OnceLock::new();
    LINKS
        .get_or_init(|| {
            use std::hash::{Hash, Hasher};
            let bins = dir();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bins.hash(&mut h);
            std::env::var_os("USER").hash(&mut h);
            let links = std::env::temp_dir().join(format!("sk8-links-{:016x}", h.finish()));
            std::fs::create_dir_all(&links).expect("the links directory can be made");
            for name in COMMANDS.iter().copied().chain(["sk8"]) {
                link(&bins.join("sk8"), &links.join(name));
            }
            link(&bins.join("sk8-agent"), &links.join("sk8-agent"));
            links
        })
        .clone()
}

fn link(target: &Path, at: &Path) {
    if std::fs::read_link(at).is_ok_and(|t| t == target) {
        return;
    }
    let tmp = at.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)
        .and_then(|()| std::fs::rename(&tmp, at))
        .unwrap_or_else(|e| panic!("cannot link {} -> {}: {e}", at.display(), target.display()));
}

/// `<target>/<profile>` of the running test executable.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe.parent().expect("the test runs from a directory");
    // Integration tests and benches run from `<profile>/deps`.
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().expect("deps has a parent").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// `cargo build --bin sk8 --bin sk8-agent` into `profile`.
fn build(profile: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).args([
        "build",
        "--quiet",
        "--bin",
        "sk8",
        "--bin",
        "sk8-agent",
    ]);
    if let Some(target) = profile.parent() {
        cmd.arg("--target-dir").arg(target);
    }
    if profile.file_name().is_some_and(|p| p == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("cargo runs");
    assert!(
        status.success(),
        "cargo build --bin sk8 --bin sk8-agent failed"
    );
}

/// The workspace root (the directory of the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the harness sits at tests/harness in the workspace")
        .to_path_buf()
}
