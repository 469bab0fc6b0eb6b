//! Issue 13: an agent survives hostile clients. Anyone who reaches its port
//! may connect; none of them may keep it busy, take its threads or
//! descriptors for good, or shut out the job's own `srun`.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use sk8_proto::{Event, Frame, Request, read_frame};
use sk8_step::Client;
use sk8_step::agent::{HELLO_TIMEOUT, MAX_PENDING};

use super::harness::{Job, TIMEOUT, TOKEN, bin, eventually, tempdir};

/// `Threads:` of `/proc/PID/status`.
fn threads(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU time of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    // Fields after the name: state is the first; utime and stime are 12th and 13th.
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    n(11) + n(12)
}

fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn hello(job: &Job) -> Vec<u8> {
    Frame::request(&Request::Hello {
        token: TOKEN.to_string(),
        job_id: job.job_id,
    })
    .encode()
}

/// Slowloris: each byte of the `Hello` arrives well within the old
/// per-read timeout, the whole never does. One deadline covers the frame.
#[test]
fn a_hello_trickled_byte_by_byte_is_dropped_at_its_deadline() {
    let job = Job::start(201, &[("n1", 1)], None);
    let addr = job.agents[0].addr;
    let hello = hello(&job);
    let gap = Duration::from_secs(2);
    // The whole Hello would take far longer than its deadline.
    assert!(gap * hello.len() as u32 > HELLO_TIMEOUT * 4);
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let begun = Instant::now();
    let (mut sent, mut answer, mut closed) = (0, Vec::new(), false);
    'trickle: for &byte in &hello[..hello.len() - 1] {
        if conn.write_all(&[byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        let next = Instant::now() + gap;
        while Instant::now() < next {
            let mut buf = [0_u8; 256];
            match conn.read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break 'trickle;
                }
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    closed = true;
                    break 'trickle;
                }
            }
        }
        assert!(
            begun.elapsed() < TIMEOUT,
            "still connected after {sent} bytes"
        );
    }
    assert!(
        closed,
        "the agent kept a trickling Hello ({sent} bytes sent)"
    );
    assert!(sent < hello.len() - 1);
    let event = read_frame(&mut answer.as_slice())
        .ok()
        .flatten()
        .and_then(|f| f.to_event().ok());
    assert_eq!(
        event,
        Some(Event::Refused {
            reason: format!("no whole Hello within {} s", HELLO_TIMEOUT.as_secs())
        })
    );
    eventually("the refusal in the log", || {
        job.log("n1").contains("no whole Hello within")
    });
    // It still serves the job.
    let client = Client::connect(addr, TOKEN, job.job_id).unwrap();
    assert_eq!(client.next_step_id().unwrap(), 0);
}

/// Idle connections, more than the agent holds: none gets a thread, the
/// oldest make room for new ones, and the job's `srun` runs at once.
#[test]
fn idle_connections_past_the_cap_take_no_threads_and_srun_still_runs() {
    let job = Job::start(202, &[("n1", 1)], None);
    let addr = job.agents[0].addr;
    let pid = job.agents[0].child.id();
    let extra = 72;
    let mut idle = Vec::new();
    for _ in 0..MAX_PENDING + extra {
        let mut c = TcpStream::connect(addr).unwrap();
        // Half a length prefix: a Hello that has begun and stalls.
        c.write_all(&[0, 0]).unwrap();
        idle.push(c);
    }
    eventually("the oldest idle connections to be pushed out", || {
        job.log("n1")
            .matches("connections were waiting for a Hello")
            .count()
            >= extra
    });
    let n = threads(pid);
    assert!(
        n < 16,
        "{n} threads in the agent for {} idle connections",
        idle.len()
    );
    let out = job.srun(&["-n1", "echo", "through"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through\n");
    drop(idle);
}

/// At its descriptor limit the agent's `accept` fails with EMFILE while the
/// listener stays readable: it must rest, not spin, and serve `srun` once
/// descriptors are free again.
#[test]
fn at_the_descriptor_limit_the_agent_backs_off_and_recovers() {
    let dir = tempdir("lowfd");
    let wrapper = dir.join("sk8-agent-lowfd");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nulimit -n 24 || exit 99\nexec '{}' \"$@\"\n",
            bin("sk8-agent").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let job = Job::start_with(203, &[("n1", 1)], None, &wrapper);
    let addr = job.agents[0].addr;
    let pid = job.agents[0].child.id();
    let limit = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    assert!(
        limit
            .lines()
            .any(|l| l.starts_with("Max open files") && l.split_whitespace().nth(3) == Some("24")),
        "{limit}"
    );
    let idle: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(addr).unwrap()).collect();
    eventually("the agent to run out of descriptors", || {
        job.log("n1")
            .contains("cannot accept a connection: Too many open files")
    });
    let ticks = clock_ticks_per_second();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let used = cpu_ticks(pid) - before;
    // A spinning accept loop burns most of a CPU; resting costs next to nothing.
    assert!(
        used * 4 < ticks * 2,
        "the agent used {used} of {} CPU ticks in 2 s at its descriptor limit",
        ticks * 2
    );
    assert_eq!(
        job.log("n1").matches("pausing accepts").count(),
        1,
        "one line per run of failures:\n{}",
        job.log("n1")
    );
    drop(idle);
    let out = job.srun(&["-n1", "echo", "after"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "after\n");
    let _ = std::fs::remove_dir_all(&dir);
}
