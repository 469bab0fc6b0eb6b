//! Signal numbers, names and glibc's descriptions (what `srun` prints), and
//! sending a signal to process groups.
//!
//! The workspace forbids unsafe code and std has no `kill(2)` beyond
//! `Child::kill` (SIGKILL to one process), so signals to process groups go
//! through the `kill` command (procps), with an argv, never a shell.

use std::process::{Command, Stdio};

/// SIGINT.
pub const SIGINT: i32 = 2;
/// SIGKILL.
pub const SIGKILL: i32 = 9;
/// SIGTERM.
pub const SIGTERM: i32 = 15;

/// Linux signals: number, name without `SIG`, glibc's `strsignal` text.
const SIGNALS: &[(i32, &str, &str)] = &[
    (1, "HUP", "Hangup"),
    (2, "INT", "Interrupt"),
    (3, "QUIT", "Quit"),
    (4, "ILL", "Illegal instruction"),
    (5, "TRAP", "Trace/breakpoint trap"),
    (6, "ABRT", "Aborted"),
    (7, "BUS", "Bus error"),
    (8, "FPE", "Floating point exception"),
    (9, "KILL", "Killed"),
    (10, "USR1", "User defined signal 1"),
    (11, "SEGV", "Segmentation fault"),
    (12, "USR2", "User defined signal 2"),
    (13, "PIPE", "Broken pipe"),
    (14, "ALRM", "Alarm clock"),
    (15, "TERM", "Terminated"),
    (16, "STKFLT", "Stack fault"),
    (17, "CHLD", "Child exited"),
    (18, "CONT", "Continued"),
    (19, "STOP", "Stopped (signal)"),
    (20, "TSTP", "Stopped"),
    (21, "TTIN", "Stopped (tty input)"),
    (22, "TTOU", "Stopped (tty output)"),
    (23, "URG", "Urgent I/O condition"),
    (24, "XCPU", "CPU time limit exceeded"),
    (25, "XFSZ", "File size limit exceeded"),
    (26, "VTALRM", "Virtual timer expired"),
    (27, "PROF", "Profiling timer expired"),
    (28, "WINCH", "Window changed"),
    (29, "IO", "I/O possible"),
    (30, "PWR", "Power failure"),
    (31, "SYS", "Bad system call"),
];

/// glibc's description of `signal` (`Killed`, `Terminated`, ...), or
/// `Real-time signal N` / `Unknown signal N` as glibc prints them.
#[must_use]
pub fn strsignal(signal: i32) -> String {
    if let Some((_, _, text)) = SIGNALS.iter().find(|(n, _, _)| *n == signal) {
        return (*text).to_string();
    }
    if (34..=64).contains(&signal) {
        return format!("Real-time signal {}", signal - 34);
    }
    format!("Unknown signal {signal}")
}

/// The name of `signal` without `SIG` (`TERM`), if it has one.
#[must_use]
pub fn signal_name(signal: i32) -> Option<&'static str> {
    SIGNALS
        .iter()
        .find(|(n, _, _)| *n == signal)
        .map(|(_, name, _)| *name)
}

/// Sends `signal` to every process group in `pgids` with one `kill` run.
/// Groups that are already gone are not an error.
pub(crate) fn signal_groups(pgids: &[u32], signal: i32) {
    if pgids.is_empty() {
        return;
    }
    let mut cmd = Command::new("kill");
    cmd.arg("-s").arg(signal.to_string()).arg("--");
    for pg in pgids {
        cmd.arg(format!("-{pg}"));
    }
    let _ = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_match_glibc() {
        assert_eq!(strsignal(9), "Killed");
        assert_eq!(strsignal(15), "Terminated");
        assert_eq!(strsignal(11), "Segmentation fault");
        assert_eq!(strsignal(36), "Real-time signal 2");
        assert_eq!(strsignal(99), "Unknown signal 99");
        assert_eq!(signal_name(10), Some("USR1"));
    }
}
