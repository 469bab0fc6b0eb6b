//! [`TestEnv`]: one hermetic place to run sk8's commands, and [`Run`], what
//! a command did.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::bins;
use crate::filter::Filters;

/// A private `SK8_HOME`, a working directory and a cleared environment.
///
/// Only what a command needs reaches it: `PATH` (the command links first,
/// then `/usr/bin:/bin`), `HOME` (the environment's own root, so no user's
/// config is read), `USER`/`LOGNAME` (this process's user), `TZ=UTC`,
/// `LC_ALL=C` and `SK8_HOME`; no `SLURM_*`, `SBATCH_*`, `SQUEUE_*`, ...
/// of the caller's leaks in. The root is removed when the value is dropped.
#[derive(Debug)]
pub struct TestEnv {
    root: PathBuf,
    home: PathBuf,
    dir: PathBuf,
    vars: BTreeMap<String, String>,
}

impl TestEnv {
    /// A fresh environment; `tag` names its directory (for a failing test's
    /// leftovers).
    pub fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "sk8-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        let home = root.join("home");
        let dir = root.join("work");
        for d in [&home, &dir] {
            std::fs::create_dir_all(d).expect("the test environment's directories can be made");
        }
        let mut vars = BTreeMap::new();
        vars.insert(
            "PATH".into(),
            format!("{}:/usr/bin:/bin", bins::links().display()),
        );
        vars.insert("HOME".into(), root.display().to_string());
        vars.insert("SK8_HOME".into(), home.display().to_string());
        vars.insert("TZ".into(), "UTC".into());
        vars.insert("LC_ALL".into(), "C".into());
        // The user's name as the commands would find it; CI's root may run
        // with no USER at all, and the snapshots filter it by name.
        let user = std::env::var("USER").ok().or_else(|| {
            Command::new("id")
                .arg("-un")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .filter(|u| !u.is_empty())
        });
        if let Some(user) = user {
            vars.insert("USER".into(), user.clone());
            vars.insert("LOGNAME".into(), user);
        }
        Self {
            root,
            home,
            dir,
            vars,
        }
    }

    /// Writes `text` as the local backend's `$SK8_HOME/config.toml`.
    #[must_use]
    pub fn with_config(self, text: &str) -> Self {
        std::fs::write(self.home.join("config.toml"), text).expect("the config can be written");
        self
    }

    /// Sets variable `key` for every command run here.
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    /// The state directory (`SK8_HOME`).
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The working directory commands run in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes file `name` in the working directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("the file can be written");
        p
    }

    /// Command `name` (`sbatch`, `sk8`, ...) set up to run here, by that
    /// name, with standard input from `/dev/null`.
    pub fn command(&self, name: &str) -> Command {
        let mut c = Command::new(bins::command(name));
        c.env_clear()
            .envs(&self.vars)
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        c
    }

    /// Runs `name args` here.
    pub fn run(&self, name: &str, args: &[&str]) -> Run {
        self.run_cmd(self.command(name).args(args))
    }

    /// Runs `name args` here with `input` on standard input.
    pub fn run_with_input(&self, name: &str, args: &[&str], input: &str) -> Run {
        let mut c = self.command(name);
        c.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("the command starts");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().expect("the command runs");
        Run::from_output(&out, self.filters())
    }

    /// Runs a command set up by [`TestEnv::command`].
    pub fn run_cmd(&self, cmd: &mut Command) -> Run {
        let out = cmd.output().expect("the command runs");
        Run::from_output(&out, self.filters())
    }

    /// The filters for this environment's output: its paths, the command
    /// links, the user, times and the host name.
    pub fn filters(&self) -> Filters {
        let mut f = Filters::new()
            .literal(self.home.display().to_string(), "[HOME]")
            .literal(self.dir.display().to_string(), "[DIR]")
            .literal(self.root.display().to_string(), "[ROOT]")
            .literal(bins::links().display().to_string(), "[BIN]");
        if let Some(user) = self.vars.get("USER") {
            f = f.word(user, "[USER]");
        }
        // Numeric ids differ between machines (root in CI, a user here); the
        // local backend's priority ages with the time of submission.
        f.field("UserId").field("GroupId").field("Priority")
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// What one command did: its exit code and both streams.
#[derive(Debug, Clone)]
pub struct Run {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Standard output, as text (lossy).
    pub stdout: String,
    /// Standard error, as text (lossy).
    pub stderr: String,
    filters: Filters,
}

impl Run {
    fn from_output(out: &std::process::Output, filters: Filters) -> Self {
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            filters,
        }
    }

    /// Adds `id` (a job this test submitted) to the filters as `placeholder`.
    #[must_use]
    pub fn with_job_id(mut self, id: u32, placeholder: &str) -> Self {
        self.filters = self.filters.job_id(id, placeholder);
        self
    }

    /// Adds `key` to the filters (see [`Filters::field`]).
    #[must_use]
    pub fn with_field(mut self, key: &str) -> Self {
        self.filters = self.filters.field(key);
        self
    }

    /// True when the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics with both streams unless the command exited `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout\n{}--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The exit code and both streams, filtered, as one text for a snapshot.
    pub fn snapshot(&self) -> String {
        let code = self
            .code
            .map_or_else(|| "signal".to_string(), |c| c.to_string());
        self.filters.apply(&format!(
            "exit: {code}\n--- stdout\n{}--- stderr\n{}",
            self.stdout, self.stderr
        ))
    }
}
