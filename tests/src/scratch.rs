//! Running one of our query commands against a scratch local backend: one
//! node `n1` with 2 CPUs, partitions `debug` (default) and `long` (2 days),
//! in a state directory of the test process's own.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a command printed and how it exited.
pub type Printed = (String, String, i32);

/// The configuration every scratch home holds.
pub const CONFIG: &str = "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n";

/// The scratch `SK8_HOME` for `tag` in this process (created on first use).
pub fn home(tag: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("sk8-{tag}-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("the scratch home is made");
    write_config(&home, CONFIG).expect("the scratch config is written");
    home
}

/// Writes the config through a rename, so that tests running in parallel
/// never read it half-written (and fall back to the host's own shape).
fn write_config(home: &Path, text: &str) -> std::io::Result<()> {
    let tmp = home.join(format!("config.toml.{:?}", std::thread::current().id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, home.join("config.toml"))
}

/// Runs `exe args` with `env` against the scratch home for `tag`, without
/// the caller's SQUEUE_*/SINFO_*/SACCT_* variables.
pub fn run(exe: &str, tag: &str, args: &[&str], env: &[(&str, &str)]) -> Printed {
    let mut c = Command::new(exe);
    c.args(args).env("SK8_HOME", home(tag));
    for (k, _) in std::env::vars() {
        if k.starts_with("SQUEUE_") || k.starts_with("SINFO_") || k.starts_with("SACCT_") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().copied());
    let out = c.output().expect("the command starts");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}
