//! The control channel of a running job's supervisor: a Unix socket in the
//! job's directory, one line per request, answered `ok` or `error: ...`.
//! Only the job owner can reach it (the directory is 0700).
//!
//! The supervisor serves it with [`serve`]: each connection on a short-lived
//! thread of its own, at most [`MAX_CLIENTS`] at once, and each must send
//! its whole line (at most [`MAX_LINE`] bytes) within [`LINE_DEADLINE`] of
//! being accepted. A client that connects and sends half a line, or
//! nothing, is dropped then, and never holds up `scancel`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a just-started supervisor may take to bind its socket.
const SUPERVISOR_START: Duration = Duration::from_secs(5);

/// How long a client may take, from being accepted, to send its whole line.
pub const LINE_DEADLINE: Duration = Duration::from_secs(2);

/// The longest request line read (the longest real one,
/// `signal 2147483647 1 1`, has 21 bytes).
pub const MAX_LINE: usize = 256;

/// Clients read at once; more wait in the socket's backlog until one of
/// them is answered or dropped.
pub const MAX_CLIENTS: usize = 16;

/// How long the accept loop rests when `accept` fails (out of descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

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

/// Serves the control socket until `deliver` returns `false`: reads one
/// line per connection (see the module docs for the limits) and hands the
/// message, with the connection to answer on, to `deliver`; a line that is
/// not a request is answered `error: bad request` here.
pub fn serve<F>(listener: &UnixListener, deliver: F)
where
    F: Fn(Msg, UnixStream) -> bool + Send + Sync + 'static,
{
    let deliver = Arc::new(deliver);
    let clients = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let stop = Arc::new(AtomicBool::new(false));
    while !stop.load(Ordering::SeqCst) {
        let permit = Permit::wait(&clients);
        let conn = match listener.accept() {
            Ok((conn, _)) => conn,
            Err(e) => {
                drop(permit);
                if e.kind() != std::io::ErrorKind::Interrupted {
                    std::thread::sleep(ACCEPT_BACKOFF);
                }
                continue;
            }
        };
        let deliver = Arc::clone(&deliver);
        let stop = Arc::clone(&stop);
        // A thread that cannot start drops its closure, and the permit in it.
        let spawned = std::thread::Builder::new()
            .name("sk8-control".into())
            .spawn(move || {
                let _permit = permit;
                let line = read_line(&conn, Instant::now() + LINE_DEADLINE);
                let _ = conn.set_read_timeout(None);
                match line.as_deref().map(Msg::parse) {
                    Ok(Some(msg)) => {
                        if !deliver(msg, conn) {
                            stop.store(true, Ordering::SeqCst);
                        }
                    }
                    Ok(None) => {
                        let _ = (&conn).write_all(b"error: bad request\n");
                    }
                    // Too slow, too long, or gone: nothing to answer.
                    Err(_) => {}
                }
            });
        if spawned.is_err() {
            std::thread::sleep(ACCEPT_BACKOFF);
        }
    }
}

/// One of the [`MAX_CLIENTS`] places; given back when dropped.
struct Permit(Arc<(Mutex<usize>, Condvar)>);

impl Permit {
    /// Waits for a free place.
    fn wait(clients: &Arc<(Mutex<usize>, Condvar)>) -> Self {
        let (count, freed) = &**clients;
        let mut n = count.lock().unwrap_or_else(PoisonError::into_inner);
        while *n >= MAX_CLIENTS {
            n = freed.wait(n).unwrap_or_else(PoisonError::into_inner);
        }
        *n += 1;
        Self(Arc::clone(clients))
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let (count, freed) = &*self.0;
        let mut n = count.lock().unwrap_or_else(PoisonError::into_inner);
        *n -= 1;
        freed.notify_one();
    }
}

/// Reads one line (without its newline) of at most [`MAX_LINE`] bytes, all
/// of it before `deadline`.
fn read_line(conn: &UnixStream, deadline: Instant) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0_u8; 64];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        conn.set_read_timeout(Some(left))?;
        // Never read past the newline: the answer goes back on this socket.
        let n = match (&*conn).read(&mut byte[..1]) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if byte[..n] == *b"\n" {
            return String::from_utf8(line).map_err(|_| std::io::ErrorKind::InvalidData.into());
        }
        line.extend_from_slice(&byte[..n]);
        if line.len() > MAX_LINE {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
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
