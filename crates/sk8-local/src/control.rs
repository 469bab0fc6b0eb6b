//! The control channel of a running job's supervisor: a Unix socket in the
//! job's directory, one line per request, answered `ok` or `error: ...`.
//! Only the job owner can reach it (the directory is 0700).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a just-started supervisor may take to bind its socket.
const SUPERVISOR_START: Duration = Duration::from_secs(5);

/// What a backend call asks a supervisor to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// Cancel the job (SIGTERM, then SIGKILL after KillWait).
    Cancel,
    /// Send a signal: to the batch shell only, to the shell and every step
    /// (`full`), or to the steps only (neither).
    Signal {
        /// The signal number.
        signal: i32,
        /// `scancel -b`.
        batch_only: bool,
        /// `scancel -f`.
        full: bool,
    },
    /// The allocation's holder is done with it (`salloc` leaving).
    Release {
        /// Its exit code.
        code: u8,
        /// Its terminating signal.
        signal: u8,
    },
    /// Requeue the job: stop it and put it back in the queue.
    Requeue,
    /// The job's record changed (time limit): read it again.
    Reload,
}

impl Msg {
    /// The line on the wire.
    pub fn to_line(self) -> String {
        match self {
            Self::Cancel => "cancel".into(),
            Self::Signal {
                signal,
                batch_only,
                full,
            } => format!(
                "signal {signal} {} {}",
                u8::from(batch_only),
                u8::from(full)
            ),
            Self::Release { code, signal } => format!("release {code} {signal}"),
            Self::Requeue => "requeue".into(),
            Self::Reload => "reload".into(),
        }
    }

    /// Parses a line.
    pub fn parse(line: &str) -> Option<Self> {
        let w: Vec<&str> = line.split_whitespace().collect();
        Some(match w.as_slice() {
            ["cancel"] => Self::Cancel,
            ["signal", s, b, f] => Self::Signal {
                signal: s.parse().ok()?,
                batch_only: *b == "1",
                full: *f == "1",
            },
            ["release", c, s] => Self::Release {
                code: c.parse().ok()?,
                signal: s.parse().ok()?,
            },
            ["requeue"] => Self::Requeue,
            ["reload"] => Self::Reload,
            _ => return None,
        })
    }
}

/// The job's directory.
pub fn job_dir(home: &Path, id: u32) -> PathBuf {
    home.join("jobs").join(id.to_string())
}

/// The socket's path.
pub fn socket_path(home: &Path, id: u32) -> PathBuf {
    job_dir(home, id).join("ctl")
}

/// Sends `msg` to the job's supervisor and waits for its answer.
///
/// A job is recorded as running before its supervisor has bound the
/// socket: a missing or refusing socket is tried again for a few seconds.
pub fn send(home: &Path, id: u32, msg: Msg) -> std::io::Result<()> {
    let path = socket_path(home, id);
    let begun = std::time::Instant::now();
    let mut stream = loop {
        match UnixStream::connect(&path) {
            Ok(s) => break s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) && begun.elapsed() < SUPERVISOR_START =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(format!("{}\n", msg.to_line()).as_bytes())?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer)?;
    match answer.trim_end() {
        "ok" => Ok(()),
        other => Err(std::io::Error::other(
            other.strip_prefix("error: ").unwrap_or(other).to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        for m in [
            Msg::Cancel,
            Msg::Signal {
                signal: 10,
                batch_only: true,
                full: false,
            },
            Msg::Signal {
                signal: 2,
                batch_only: false,
                full: true,
            },
            Msg::Release { code: 3, signal: 0 },
            Msg::Requeue,
            Msg::Reload,
        ] {
            assert_eq!(Msg::parse(&m.to_line()), Some(m));
        }
        assert_eq!(Msg::parse("rm -rf /"), None);
        assert_eq!(Msg::parse("signal x 0 0"), None);
    }
}
