//! The task trampoline: `sk8-agent exec-task`, run by the agent in place of
//! each task. It does what `slurmstepd` does between `fork` and `execve`
//! and std cannot do before `exec` without unsafe code: set
//! `SLURM_TASK_PID` to the task's own pid, change to the working directory
//! (falling back to `/tmp` with Slurm's message), apply the umask, then
//! replace itself with the program. A program that cannot be executed gets
//! Slurm's message and the `errno` as exit code, as with `slurmstepd`.
//!
//! Command line: `exec-task --node NAME --cwd DIR [--umask OOOO] -- PROGRAM ARGS...`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

/// Arguments of the trampoline, in the agent's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskExec {
    /// The node name for messages (`slurmstepd-NODE: error: ...`).
    pub node: String,
    /// The working directory.
    pub cwd: String,
    /// The umask to set, when it differs from the agent's.
    pub umask: Option<u32>,
    /// Program and arguments.
    pub argv: Vec<String>,
}

impl TaskExec {
    /// The trampoline's arguments after `exec-task`.
    #[must_use]
    pub fn to_args(&self) -> Vec<String> {
        let mut out = vec![
            "--node".to_string(),
            self.node.clone(),
            "--cwd".to_string(),
            self.cwd.clone(),
        ];
        if let Some(m) = self.umask {
            out.push("--umask".to_string());
            out.push(format!("{m:04o}"));
        }
        out.push("--".to_string());
        out.extend(self.argv.iter().cloned());
        out
    }

    /// Parses the arguments after `exec-task`.
    pub fn from_args(args: &[String]) -> Option<Self> {
        let mut it = args.iter();
        let mut node = None;
        let mut cwd = None;
        let mut umask = None;
        while let Some(a) = it.next() {
            match a.as_str() {
                "--node" => node = Some(it.next()?.clone()),
                "--cwd" => cwd = Some(it.next()?.clone()),
                "--umask" => umask = Some(u32::from_str_radix(it.next()?, 8).ok()? & 0o777),
                "--" => break,
                _ => return None,
            }
        }
        Some(Self {
            node: node?,
            cwd: cwd?,
            umask,
            argv: it.cloned().collect(),
        })
    }
}

/// The process's umask, from `/proc/self/status`.
#[must_use]
pub fn current_umask() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(line.trim(), 8).ok()
}

/// `strerror` text of an I/O error: Rust's message without ` (os error N)`.
pub fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Runs the trampoline; returns only when the program could not be executed.
pub fn exec_task(args: &[String]) -> ExitCode {
    let Some(t) = TaskExec::from_args(args) else {
        let _ = writeln!(
            std::io::stderr(),
            "sk8-agent: exec-task: usage: exec-task --node NAME --cwd DIR [--umask OOOO] -- PROGRAM [ARGS...]"
        );
        return ExitCode::from(2);
    };
    let mut err = std::io::stderr().lock();
    if let Err(e) = std::env::set_current_dir(&t.cwd) {
        let _ = writeln!(
            err,
            "slurmstepd-{}: error: couldn't chdir to `{}': {}: going to /tmp instead",
            t.node,
            t.cwd,
            strerror(&e)
        );
        let _ = std::env::set_current_dir("/tmp");
    }
    let Some(program) = t.argv.first() else {
        let _ = writeln!(
            err,
            "slurmstepd-{}: error: execve(): : No such file or directory",
            t.node
        );
        return ExitCode::from(2);
    };
    let pid = std::process::id().to_string();
    let e = match t.umask.filter(|m| Some(*m) != current_umask()) {
        // std cannot set a umask; a POSIX shell can, with the program
        // passed as positional parameters, never as shell text.
        Some(m) => Command::new("/bin/sh")
            .arg("-c")
            .arg("umask \"$0\" && exec \"$@\"")
            .arg(format!("{m:04o}"))
            .args(&t.argv)
            .env("SLURM_TASK_PID", &pid)
            .exec(),
        None => Command::new(program)
            .args(&t.argv[1..])
            .env("SLURM_TASK_PID", &pid)
            .exec(),
    };
    let _ = writeln!(
        err,
        "slurmstepd-{}: error: execve(): {}: {}",
        t.node,
        program,
        strerror(&e)
    );
    let code = e.raw_os_error().unwrap_or(1);
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_round_trip() {
        let t = TaskExec {
            node: "n1".into(),
            cwd: "/a b/$(x)".into(),
            umask: Some(0o27),
            argv: vec!["--".into(), "it's".into(), "\n".into()],
        };
        assert_eq!(TaskExec::from_args(&t.to_args()), Some(t));
        assert_eq!(TaskExec::from_args(&["--bogus".into()]), None);
    }

    #[test]
    fn umask_is_read() {
        assert!(current_umask().is_some());
    }
}
