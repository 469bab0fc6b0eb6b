//! Processes, without `unsafe`: who is alive (by pid and `/proc` start
//! time, so a reused pid is not mistaken for the old process), this
//! process's umask and nice value, signals through `kill(1)`, and detached
//! children.

use std::path::Path;
use std::process::{Command, Stdio};

/// A process as recorded in the database: its pid and its start time in
/// clock ticks since boot (`/proc/PID/stat` field 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcId {
    /// The pid.
    pub pid: u32,
    /// Its start time.
    pub start: u64,
}

/// Fields of `/proc/PID/stat` after the command name: (state, start time).
fn stat_of(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything: split after
    // the last `)`.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 3 is the state; the start time is field 22, so 19 further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

impl ProcId {
    /// This process.
    pub fn current() -> Self {
        Self::of(std::process::id()).unwrap_or(Self {
            pid: std::process::id(),
            start: 0,
        })
    }

    /// The process with this pid now, if any.
    pub fn of(pid: u32) -> Option<Self> {
        stat_of(pid).map(|(_, start)| Self { pid, start })
    }

    /// Whether this very process still runs (a zombie does not).
    pub fn alive(&self) -> bool {
        matches!(stat_of(self.pid), Some((state, start)) if start == self.start && state != 'Z' && state != 'X')
    }
}

/// This process's umask (`/proc/self/status`), 0o022 when unreadable.
pub fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// This process's nice value (`/proc/self/stat` field 19).
pub fn current_nice() -> i32 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|text| {
            let rest = &text[text.rfind(')')? + 1..];
            rest.split_whitespace().nth(16)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Sends `signal` to a process (or with `group`, its process group) with
/// `kill(1)`: std has no safe way to send any signal but SIGKILL.
pub fn send_signal(pid: u32, signal: i32, group: bool) -> bool {
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts `exe args` detached with `SK8_HOME=home`: its own process group,
/// standard input from `/dev/null`, output appended to `log` (0600). A thread
/// reaps it, so a long-lived caller collects no zombies.
pub fn spawn_detached(
    exe: &Path,
    args: &[String],
    log: &Path,
    home: &Path,
) -> std::io::Result<u32> {
    use std::os::unix::process::CommandExt;
    let out = crate::private::append(log)?;
    let err = out.try_clone()?;
    let mut child = Command::new(exe)
        .args(args)
        .env("SK8_HOME", home)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()?;
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_changed_start_time_is_not() {
        let me = ProcId::current();
        assert!(me.alive());
        let imposter = ProcId {
            start: me.start + 1,
            ..me
        };
        assert!(!imposter.alive());
    }

    #[test]
    fn an_ended_child_is_dead() {
        let mut child = Command::new("true").spawn().unwrap();
        let id = ProcId::of(child.id());
        child.wait().unwrap();
        if let Some(id) = id {
            assert!(!id.alive());
        }
    }

    #[test]
    fn umask_reads_as_octal() {
        // Whatever the test runner's umask, it never exceeds 0o777.
        assert!(current_umask() <= 0o777);
    }

    #[test]
    fn kill_reaches_a_process() {
        let mut child = Command::new("sleep").arg("100").spawn().unwrap();
        assert!(send_signal(child.id(), 15, false));
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(15));
    }
}
