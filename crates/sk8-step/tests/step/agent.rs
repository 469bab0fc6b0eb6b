//! The agent, driven through the client: tokens, launching, streaming,
//! signals, shutdown and the supervisor lifeline.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;

use sk8_proto::{
    BatchSpec, Event, ExitStatus, Frame, Input, LaunchSpec, Output, Request, TaskSpec, read_frame,
    write_frame,
};
use sk8_step::{Client, Error, StepEvent};

use super::harness::{Job, TOKEN, alive, eventually, tempdir};

fn base_env() -> Vec<(String, String)> {
    vec![(
        "PATH".to_string(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
    )]
}

fn task(task: u32, argv: &[&str]) -> TaskSpec {
    TaskSpec {
        task,
        argv: argv.iter().map(|s| (*s).to_string()).collect(),
        env: vec![("SLURM_PROCID".into(), task.to_string())],
        stdin: Input::Null,
        stdout: Output::Stream,
        stderr: Output::Stream,
    }
}

fn launch(job: &Job, tasks: Vec<TaskSpec>) -> LaunchSpec {
    LaunchSpec {
        job_id: job.job_id,
        step_id: 0,
        env: base_env(),
        cwd: job.dir.display().to_string(),
        umask: None,
        pty: false,
        tasks,
    }
}

#[test]
fn wrong_or_missing_token_is_refused_logged_and_runs_nothing() {
    let job = Job::start(101, &[("n1", 2)], None);
    let addr = job.agents[0].addr;
    let marker = job.dir.join("marker");
    let touch = |j: &Job| launch(j, vec![task(0, &["touch", marker.to_str().unwrap()])]);

    // A wrong token.
    let err = Client::connect(addr, "wrong-token", job.job_id).unwrap_err();
    assert!(
        matches!(err, Error::Refused(ref r) if r == "wrong token"),
        "{err:?}"
    );
    // The right token for another job.
    let err = Client::connect(addr, TOKEN, job.job_id + 1).unwrap_err();
    assert!(matches!(err, Error::Refused(_)), "{err:?}");

    // No Hello at all: a Launch as the first frame.
    let mut raw = TcpStream::connect(addr).unwrap();
    write_frame(&mut raw, &Frame::request(&Request::Launch(touch(&job)))).unwrap();
    let answer = read_frame(&mut raw).unwrap().unwrap().to_event().unwrap();
    assert!(matches!(answer, Event::Refused { .. }), "{answer:?}");
    // The connection is closed: a Launch sent after the refusal is not read.
    let _ = write_frame(&mut raw, &Frame::request(&Request::Launch(touch(&job))));
    assert!(read_frame(&mut raw).map_or(true, |f| f.is_none()));

    // An empty token.
    let mut raw = TcpStream::connect(addr).unwrap();
    write_frame(
        &mut raw,
        &Frame::request(&Request::Hello {
            token: String::new(),
            job_id: job.job_id,
        }),
    )
    .unwrap();
    let answer = read_frame(&mut raw).unwrap().unwrap().to_event().unwrap();
    assert_eq!(
        answer,
        Event::Refused {
            reason: "no token".into()
        }
    );

    // Garbage instead of a frame.
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let _ = read_frame(&mut raw);

    eventually("four refusals in the log", || {
        job.log("n1")
            .matches("refused connection from 127.0.0.1:")
            .count()
            >= 4
    });
    let log = job.log("n1");
    assert!(log.contains("wrong token"), "{log}");
    assert!(log.contains("no token"), "{log}");
    assert!(!log.contains(TOKEN), "the log must never hold the token");
    assert!(!log.contains("wrong-token"), "nor what a peer offered");
    assert!(!marker.exists(), "a refused request ran something");

    // The right token still works after all that.
    let statuses = Client::connect(addr, TOKEN, job.job_id)
        .unwrap()
        .launch(touch(&job))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(statuses, vec![(0, ExitStatus::Code(0))]);
    assert!(marker.exists());
}

#[test]
fn two_tasks_stream_output_and_exit_codes() {
    let job = Job::start(102, &[("n1", 2)], None);
    let script = "echo out-$SLURM_PROCID; echo err-$SLURM_PROCID >&2; exit $((SLURM_PROCID + 3))";
    let running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(launch(
            &job,
            vec![
                task(0, &["sh", "-c", script]),
                task(1, &["sh", "-c", script]),
            ],
        ))
        .unwrap();
    assert_eq!(running.pids().len(), 2);
    let mut out: BTreeMap<u32, String> = BTreeMap::new();
    let mut err: BTreeMap<u32, String> = BTreeMap::new();
    let mut exits = BTreeMap::new();
    for ev in running {
        match ev.unwrap() {
            StepEvent::Stdout { task, data } => {
                out.entry(task)
                    .or_default()
                    .push_str(&String::from_utf8_lossy(&data));
            }
            StepEvent::Stderr { task, data } => {
                err.entry(task)
                    .or_default()
                    .push_str(&String::from_utf8_lossy(&data));
            }
            StepEvent::Exit { task, status } => {
                assert!(
                    out.contains_key(&task),
                    "a task's output arrives before its exit"
                );
                exits.insert(task, status);
            }
        }
    }
    assert_eq!(out[&0], "out-0\n");
    assert_eq!(out[&1], "out-1\n");
    assert_eq!(err[&0], "err-0\n");
    assert_eq!(err[&1], "err-1\n");
    assert_eq!(exits[&0], ExitStatus::Code(3));
    assert_eq!(exits[&1], ExitStatus::Code(4));
}

#[test]
fn tasks_get_their_own_pid_and_the_exec_failure_message() {
    let job = Job::start(103, &[("n1", 2)], None);
    let running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(launch(
            &job,
            vec![
                task(0, &["sh", "-c", "echo $SLURM_TASK_PID $$"]),
                task(1, &["no-such-program-sk8"]),
            ],
        ))
        .unwrap();
    let pids = running.pids().to_vec();
    let mut out = String::new();
    let mut err = String::new();
    let mut exits = BTreeMap::new();
    for ev in running {
        match ev.unwrap() {
            StepEvent::Stdout { data, .. } => out.push_str(&String::from_utf8_lossy(&data)),
            StepEvent::Stderr { data, .. } => err.push_str(&String::from_utf8_lossy(&data)),
            StepEvent::Exit { task, status } => {
                exits.insert(task, status);
            }
        }
    }
    // The trampoline execs the program, so the pid the agent reports, the
    // shell's `$$` and `SLURM_TASK_PID` are one.
    assert_eq!(out, format!("{0} {0}\n", pids[0]));
    assert_eq!(
        err,
        "slurmstepd-n1: error: execve(): no-such-program-sk8: No such file or directory\n"
    );
    assert_eq!(exits[&1], ExitStatus::Code(2));
}

#[test]
fn signal_frames_reach_the_tasks() {
    let job = Job::start(104, &[("n1", 2)], None);
    let script = "trap 'echo got USR1; exit 0' USR1; echo ready; while :; do sleep 0.05; done";
    let mut running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(launch(&job, vec![task(0, &["sh", "-c", script])]))
        .unwrap();
    let control = running.control();
    let mut out = String::new();
    let mut status = None;
    while let Some(ev) = running.next_event().unwrap() {
        match ev {
            StepEvent::Stdout { data, .. } => {
                out.push_str(&String::from_utf8_lossy(&data));
                if out == "ready\n" {
                    control.signal(10).unwrap();
                }
            }
            StepEvent::Exit { status: s, .. } => status = Some(s),
            StepEvent::Stderr { .. } => {}
        }
    }
    assert_eq!(out, "ready\ngot USR1\n");
    assert_eq!(status, Some(ExitStatus::Code(0)));
}

#[test]
fn stdin_frames_reach_the_task() {
    let job = Job::start(105, &[("n1", 1)], None);
    let mut t = task(0, &["tr", "a-z", "A-Z"]);
    t.stdin = Input::Stream;
    let mut running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(launch(&job, vec![t]))
        .unwrap();
    let control = running.control();
    control.stdin(0, b"hello ").unwrap();
    control.stdin(0, b"world\n").unwrap();
    control.close_stdin(0).unwrap();
    let mut out = String::new();
    while let Some(ev) = running.next_event().unwrap() {
        if let StepEvent::Stdout { data, .. } = ev {
            out.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert_eq!(out, "HELLO WORLD\n");
}

#[test]
fn shutdown_ends_every_task_and_the_agent() {
    let mut job = Job::start(106, &[("n1", 1)], None);
    let running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(launch(&job, vec![task(0, &["sleep", "1000"])]))
        .unwrap();
    let pid = running.pids()[0];
    assert!(alive(pid));
    Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .shutdown()
        .unwrap();
    let statuses = running.wait().unwrap();
    assert_eq!(
        statuses,
        vec![(
            0,
            ExitStatus::Signal {
                signal: 15,
                core_dumped: false
            }
        )]
    );
    assert!(!alive(pid));
    let status = job.agents[0].child.wait().unwrap();
    assert!(status.success(), "the agent exits after Shutdown");
}

#[test]
fn losing_the_supervisor_ends_the_tasks() {
    let mut job = Job::start(107, &[("n1", 1)], None);
    let running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(launch(&job, vec![task(0, &["sleep", "1000"])]))
        .unwrap();
    let pid = running.pids()[0];
    assert!(alive(pid));
    // The supervisor's end of the lifeline closes, as when it is killed.
    job.agents[0].release();
    eventually("the task to end", || !alive(pid));
    let _ = running.wait();
    let status = job.agents[0].child.wait().unwrap();
    assert!(status.success());
    assert!(job.log("n1").contains("supervisor gone"));
}

#[test]
fn next_step_ids_count_from_zero() {
    let job = Job::start(108, &[("n1", 1)], None);
    let ids: Vec<u32> = (0..3)
        .map(|_| {
            Client::connect(job.agents[0].addr, TOKEN, job.job_id)
                .unwrap()
                .next_step_id()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, vec![0, 1, 2]);
}

#[test]
fn batch_script_runs_with_files_and_stdin() {
    let job = Job::start(109, &[("n1", 1)], None);
    let dir = tempdir("batch");
    let script = dir.join("job.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"script $1 in $(pwd)\"\necho oops >&2\nread line; echo \"read $line\"\nexit 7\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("in.txt"), "from-file\n").unwrap();
    let out = dir.join("slurm-109.out");
    std::fs::write(&out, "old contents that must go\n").unwrap();
    let spec = BatchSpec {
        job_id: job.job_id,
        argv: vec![script.display().to_string(), "arg1".into()],
        env: base_env(),
        cwd: dir.display().to_string(),
        umask: None,
        stdin: Input::File(dir.join("in.txt").display().to_string()),
        stdout: Output::File {
            path: out.display().to_string(),
            append: false,
        },
        stderr: Output::File {
            path: out.display().to_string(),
            append: false,
        },
    };
    let statuses = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .run_batch(spec)
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(statuses, vec![(0, ExitStatus::Code(7))]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("script arg1 in {}\noops\nread from-file\n", dir.display())
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_argv_and_cwd_run_nothing_extra() {
    let job = Job::start(110, &[("n1", 1)], None);
    let odd = job
        .dir
        .join("d '$(touch pwned-cwd)' \"x\n y`touch pwned-bq`");
    std::fs::create_dir_all(&odd).unwrap();
    let args = [
        "printf",
        "[%s]\\n",
        "it's",
        "$(touch pwned-arg)",
        "a b; touch pwned-semi",
        "x\ny",
        "`touch pwned-bq2`",
    ];
    let mut spec = launch(&job, vec![task(0, &args)]);
    spec.cwd = odd.display().to_string();
    let mut out = String::new();
    for ev in Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(spec)
        .unwrap()
    {
        if let StepEvent::Stdout { data, .. } = ev.unwrap() {
            out.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert_eq!(
        out,
        "[it's]\n[$(touch pwned-arg)]\n[a b; touch pwned-semi]\n[x\ny]\n[`touch pwned-bq2`]\n"
    );
    for dir in [&job.dir, &odd] {
        let names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with("pwned")), "{names:?}");
    }
}

#[test]
fn a_pty_task_leads_its_session_on_the_terminal_and_takes_signals() {
    let job = Job::start(120, &[("n1", 1)], None);
    // Field 6 of /proc/PID/stat is the session id.
    let script = "read -r _ _ _ _ _ sid _ < /proc/$$/stat; echo \"$$ $sid $(tty)\"; \
                  while :; do sleep 0.05; done";
    let mut spec = launch(&job, vec![task(0, &["sh", "-c", script])]);
    spec.pty = true;
    let mut running = Client::connect(job.agents[0].addr, TOKEN, job.job_id)
        .unwrap()
        .launch(spec)
        .unwrap();
    let pid = running.pids()[0];
    let control = running.control();
    let mut out = String::new();
    let mut status = None;
    let mut signalled = false;
    while let Some(ev) = running.next_event().unwrap() {
        match ev {
            StepEvent::Stdout { task, data } => {
                assert_eq!(task, 0);
                out.push_str(&String::from_utf8_lossy(&data));
                if out.ends_with("\r\n") && !signalled {
                    signalled = true;
                    control.signal(15).unwrap();
                }
            }
            StepEvent::Stderr { data, .. } => {
                panic!(
                    "a pty task has no stderr: {}",
                    String::from_utf8_lossy(&data)
                )
            }
            StepEvent::Exit { status: s, .. } => status = Some(s),
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words.len(), 3, "{out:?}");
    assert_eq!(words[0], pid.to_string(), "{out:?}");
    assert_eq!(
        words[1],
        pid.to_string(),
        "the task leads its session: {out:?}"
    );
    assert!(words[2].starts_with("/dev/pts/"), "{out:?}");
    assert_eq!(
        status,
        Some(ExitStatus::Signal {
            signal: 15,
            core_dumped: false
        })
    );
}
