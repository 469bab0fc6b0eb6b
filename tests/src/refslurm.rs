//! Running scripts under the reference Slurm (`/usr/bin/sbatch`...) and under our binaries.
//!
//! Every differential test goes through here, so that both sides see the same
//! script, arguments, environment and working directory. The inherited
//! `SLURM_*`, `SBATCH_*`, `SALLOC_*` and `SRUN_*` variables are removed from
//! every child: a test states the input variables it means.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::outcome::Outcome;
use crate::scontrol::JobFields;
use crate::tempdir::TempDir;

/// Where the reference Slurm's commands live; always called by full path so
/// they are never confused with ours.
pub const BIN_DIR: &str = "/usr/bin";

/// The path of a reference Slurm command (`sbatch` -> `/usr/bin/sbatch`).
pub fn reference(cmd: &str) -> PathBuf {
    Path::new(BIN_DIR).join(cmd)
}

/// Whether the reference Slurm is installed and its controller answers
/// (sk8-harness' guard, asked once per test binary).
pub fn available() -> bool {
    sk8_harness::reference::available()
}

/// Fails differential test `name` unless the reference answers. Such tests
/// are `#[ignore = "needs the reference Slurm"]`; CI runs them with
/// `--include-ignored`, so they compare or fail, never skip.
pub fn require(name: &str) {
    sk8_harness::reference::require(name);
}

/// The workspace root (the directory of the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits inside the workspace")
        .to_path_buf()
}

/// The shared folder (corpus, refslurm, CRDs): `$SK8_SHARED_DIR`, else
/// `../shared` beside the workspace, where CI puts it.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SK8_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    workspace_root()
        .parent()
        .expect("the workspace has a parent directory")
        .join("shared")
}

/// The path of our command `bin` (`sbatch`, `srun`..., `sk8-agent`).
///
/// `SK8_OURS_<BIN>` (e.g. `SK8_OURS_SBATCH`) overrides it, which lets a test
/// be pointed at any implementation, the reference included. Otherwise it is
/// sk8-harness' link of that name to the multi-call `sk8`.
pub fn ours(bin: &str) -> PathBuf {
    let var = format!("SK8_OURS_{}", bin.to_uppercase().replace('-', "_"));
    if let Some(path) = std::env::var_os(&var) {
        return PathBuf::from(path);
    }
    sk8_harness::bins::command(bin)
}

/// One sbatch invocation, described once and run under any implementation.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The batch script; `None` runs sbatch without one (`--wrap`).
    pub script: Option<String>,
    /// The script's file name (it is the default job name).
    pub script_name: String,
    /// Feed the script on stdin instead of naming a file.
    pub stdin: bool,
    /// sbatch options, placed before the script path.
    pub args: Vec<String>,
    /// Input variables (`SBATCH_*`, `SLURM_*`...) set for sbatch.
    pub env: Vec<(String, String)>,
}

impl Submission {
    /// A submission of `script`, saved as `job.sh`, with options `args`.
    pub fn new(script: &str, args: &[&str]) -> Self {
        Self {
            script: Some(script.to_owned()),
            script_name: "job.sh".to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// The same submission with input variables set.
    pub fn env(mut self, env: &[(&str, &str)]) -> Self {
        self.env
            .extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        self
    }

    /// Runs `program` (any sbatch) with `extra` options first, in `dir`,
    /// where the script file is written.
    pub fn run(&self, program: &Path, extra: &[&str], dir: &Path) -> Outcome {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir).args(extra).args(&self.args);
        clean_env(&mut cmd);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        let mut feed = None;
        match (&self.script, self.stdin) {
            (Some(script), true) => feed = Some(script.clone()),
            (Some(script), false) => {
                let path = dir.join(&self.script_name);
                std::fs::write(&path, script).expect("the script is written");
                cmd.arg(path);
            }
            (None, _) => {}
        }
        cmd.stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", program.display()));
        if let Some(text) = feed {
            let mut stdin = child.stdin.take().expect("stdin is piped");
            // sbatch may exit before reading it all (bad options); that is its answer.
            let _ = stdin.write_all(text.as_bytes());
        }
        child
            .wait_with_output()
            .expect("the command finishes")
            .into()
    }

    /// `sbatch --test-only` under the reference, in a fresh directory.
    pub fn test_only(&self) -> Outcome {
        let dir = scratch();
        self.run(&reference("sbatch"), &["--test-only"], dir.path())
    }

    /// `sbatch --hold --parsable` under the reference in `dir`, then the
    /// record of every component from `scontrol show job -o`, then
    /// `scancel`. A refused submission gives back sbatch's outcome.
    pub fn submit_held_in(&self, dir: &Path) -> Result<Vec<JobFields>, Outcome> {
        let out = self.run(&reference("sbatch"), &["--hold", "--parsable"], dir);
        if !out.success() {
            return Err(out);
        }
        let id = out
            .stdout
            .trim()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        let _cancel = Cancel(id.clone());
        assert!(
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
            "sbatch --parsable printed no job id: {out}"
        );
        let show = Command::new(reference("scontrol"))
            .args(["show", "job", "-o", &id])
            .stdin(Stdio::null())
            .output()
            .expect("scontrol runs");
        let show = Outcome::from(show);
        assert!(show.success(), "scontrol show job {id} failed: {show}");
        Ok(JobFields::parse_all(&show.stdout)
            .unwrap_or_else(|e| panic!("scontrol show job {id}: {e}")))
    }

    /// `sbatch --wait` under the reference in `dir`.
    pub fn run_wait_in(&self, dir: &Path) -> Outcome {
        self.run(&reference("sbatch"), &["--wait"], dir)
    }
}

/// Cancels a held reference job when dropped, so a failing test leaves no
/// job behind.
struct Cancel(String);

impl Drop for Cancel {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let _ = Command::new(reference("scancel"))
                .arg(&self.0)
                .stdin(Stdio::null())
                .output();
        }
    }
}

/// Removes the inherited input variables of every Slurm command.
fn clean_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if ["SLURM_", "SBATCH_", "SALLOC_", "SRUN_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            cmd.env_remove(&key);
        }
    }
}

fn scratch() -> TempDir {
    TempDir::new("refslurm").expect("a temp dir can be made")
}

/// `/usr/bin/sbatch --test-only args script` on a temp script.
pub fn test_only(script: &str, args: &[&str]) -> Outcome {
    Submission::new(script, args).test_only()
}

/// Submits `script` held under the reference (in a temp directory), reads
/// back its `scontrol show job -o` record and cancels it. For a
/// heterogeneous job this is the first component.
pub fn submit_held(
    script: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<JobFields, Outcome> {
    let dir = scratch();
    Submission::new(script, args)
        .env(env)
        .submit_held_in(dir.path())
        .map(|mut jobs| jobs.swap_remove(0))
}

/// Runs `script` with `sbatch --wait` under the reference in `dir` (which
/// must be readable by the job's user: the output files land there).
pub fn run_wait(script: &str, args: &[&str], env: &[(&str, &str)], dir: &Path) -> Outcome {
    Submission::new(script, args).env(env).run_wait_in(dir)
}

/// The fields of a record that a test names, as a map for comparison.
pub fn pick<'a>(job: &'a JobFields, keys: &[&'a str]) -> BTreeMap<&'a str, Option<&'a str>> {
    keys.iter().map(|k| (*k, job.get(k))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert_eq!(
            shared_dir().file_name().and_then(|n| n.to_str()),
            Some("shared")
        );
        assert_eq!(reference("sbatch"), PathBuf::from("/usr/bin/sbatch"));
    }

    #[test]
    fn submission_runs_any_program_with_a_clean_environment() {
        let dir = TempDir::new("unit").expect("temp dir");
        // `env` stands in for sbatch: it shows what the command would see.
        let sub = Submission::new("#!/bin/bash\ntrue\n", &[]).env(&[("SBATCH_X", "1")]);
        let out = sub.run(Path::new("/usr/bin/env"), &[], dir.path());
        // `env` treats the script path as a command to run.
        assert_eq!(out.exit_code, 126, "{out}");
        assert!(dir.path().join("job.sh").is_file());
        let printed = Submission {
            script: None,
            ..sub
        }
        .run(Path::new("/usr/bin/env"), &[], dir.path());
        assert!(
            printed.stdout.lines().any(|l| l == "SBATCH_X=1"),
            "{printed}"
        );
        let inherited: Vec<_> = printed
            .stdout
            .lines()
            .filter(|l| l.starts_with("SLURM_") || l.starts_with("SRUN_"))
            .collect();
        assert!(inherited.is_empty(), "{inherited:?}");
    }

    #[test]
    fn stdin_script_reaches_the_command() {
        let dir = TempDir::new("unit").expect("temp dir");
        let sub = Submission {
            stdin: true,
            ..Submission::new("line one\nline two\n", &[])
        };
        let out = sub.run(Path::new("/bin/cat"), &[], dir.path());
        assert_eq!(out.stdout, "line one\nline two\n");
        assert!(!dir.path().join("job.sh").exists());
    }
}
