//! The built `srun` inside a fake allocation of virtual nodes on 127.0.0.1,
//! checked against tables, sk8-env's task environment, and the reference
//! Slurm where one node can show the same thing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use sk8_env::{Env, LaunchFacts, StepLayout, StepRequest, compose, step_env, task_env};

use super::harness::{Job, bin, run, sorted_lines};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `N: line` output grouped by task, each task's lines in order.
fn by_task(out: &[u8]) -> BTreeMap<u32, Vec<String>> {
    let mut map: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for line in text(out).lines() {
        let (label, rest) = line.split_once(": ").expect("labelled line");
        map.entry(label.trim().parse().expect("task label"))
            .or_default()
            .push(rest.to_string());
    }
    map
}

#[test]
fn two_nodes_four_tasks_labelled_in_block_order() {
    let job = Job::start(201, &[("n1", 2), ("n2", 2)], None);
    let out = job.srun(&[
        "-N2",
        "-n4",
        "-l",
        "printenv",
        "SLURM_PROCID",
        "SLURMD_NODENAME",
        "SLURM_LOCALID",
        "SLURM_NODEID",
        "SLURM_STEP_ID",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let expected: BTreeMap<u32, Vec<String>> = [
        (0, ["0", "n1", "0", "0", "0"]),
        (1, ["1", "n1", "1", "0", "0"]),
        (2, ["2", "n2", "0", "1", "0"]),
        (3, ["3", "n2", "1", "1", "0"]),
    ]
    .into_iter()
    .map(|(t, v)| (t, v.iter().map(|s| (*s).to_string()).collect()))
    .collect();
    assert_eq!(by_task(&out.stdout), expected);

    // The next step gets the next id; without -l nothing is labelled.
    let out = job.srun(&["-N2", "printenv", "SLURM_STEP_ID", "SLURM_STEP_NUM_TASKS"]);
    assert_eq!(sorted_lines(&out.stdout), ["1", "1", "2", "2"]);
}

#[test]
fn every_task_sees_exactly_sk8_envs_environment() {
    let job = Job::start(202, &[("n1", 2), ("n2", 2)], None);
    let out = job.srun(&["-N2", "-n4", "-l", "env"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let seen: BTreeMap<u32, BTreeMap<String, String>> = by_task(&out.stdout)
        .into_iter()
        .map(|(t, lines)| {
            let vars = lines
                .iter()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            (t, vars)
        })
        .collect();

    let step_req = StepRequest {
        ntasks: Some(4),
        nodes: Some(2),
        label: true,
        ..StepRequest::default()
    };
    let layout = StepLayout::plan(&job.req, &job.alloc, 0, &step_req);
    let mut host = job.host.clone();
    host.umask = sk8_step::exec::current_umask().unwrap();
    let launch = LaunchFacts {
        srun_addr: "127.0.0.1".into(),
        port: 0,
    };
    let step = step_env(&step_req, &job.alloc, &layout, &host, &launch);
    // Values only the running processes know: pids and srun's port.
    let masked = [
        "SLURM_TASK_PID",
        "SLURM_SRUN_COMM_PORT",
        "SLURM_STEP_LAUNCHER_PORT",
    ];
    assert_eq!(seen.len(), 4);
    for (task, vars) in &seen {
        let expected: Env = compose(
            &job.env,
            &step,
            &task_env(&job.alloc, &layout, &host, *task, 0).unwrap(),
        );
        let expected: BTreeMap<String, String> = expected
            .into_iter()
            .filter(|(k, _)| !masked.contains(&k.as_str()))
            .collect();
        let mut got = vars.clone();
        for m in masked {
            let v = got
                .remove(m)
                .unwrap_or_else(|| panic!("task {task} lacks {m}"));
            assert!(v.parse::<u32>().is_ok_and(|n| n > 0), "{m}={v}");
        }
        assert_eq!(got, expected, "environment of task {task}");
    }
}

#[test]
fn exit_codes_and_messages_as_srun_prints_them() {
    let job = Job::start(203, &[("n1", 1), ("n2", 1)], None);
    let out = job.srun(&["-N2", "-n2", "sh", "-c", "exit $((SLURM_PROCID + 2))"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        sorted_lines(&out.stderr),
        [
            "srun: error: n1: task 0: Exited with exit code 2",
            "srun: error: n2: task 1: Exited with exit code 3",
        ]
    );

    let out = job.srun(&["-n1", "sh", "-c", "kill -9 $$"]);
    assert_eq!(out.status.code(), Some(137));
    assert_eq!(
        text(&out.stderr),
        "srun: error: n1: task 0: Killed\nsrun: Force Terminated StepId=203.1\n"
    );

    // A signal outranks any exit code: 128 + 15 although task 1 exits 100.
    let out = job.srun(&[
        "-N2",
        "-n2",
        "sh",
        "-c",
        "if [ $SLURM_PROCID = 0 ]; then kill -TERM $$; fi; exit 100",
    ]);
    assert_eq!(out.status.code(), Some(143));
    let err = sorted_lines(&out.stderr);
    assert!(
        err.contains(&"srun: error: n1: task 0: Terminated".to_string()),
        "{err:?}"
    );
    assert!(err.contains(&"srun: error: n2: task 1: Exited with exit code 100".to_string()));
    assert!(err.contains(&"srun: Force Terminated StepId=203.2".to_string()));

    let out = job.srun(&["-N3", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "srun: error: Only allocated 2 nodes asked for 3\n"
    );
}

#[test]
fn kill_on_bad_exit_ends_the_other_tasks() {
    let job = Job::start(204, &[("n1", 1), ("n2", 1)], None);
    let out = job.srun(&[
        "-N2",
        "-n2",
        "-K",
        "sh",
        "-c",
        "if [ $SLURM_PROCID = 0 ]; then exit 1; fi; exec sleep 1000",
    ]);
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    let err = sorted_lines(&out.stderr);
    assert!(err.contains(&"srun: error: n1: task 0: Exited with exit code 1".to_string()));
    assert!(
        err.contains(&"srun: error: n2: task 1: Terminated".to_string()),
        "{err:?}"
    );
}

#[test]
fn output_patterns_and_multi_prog() {
    let job = Job::start(205, &[("n1", 2), ("n2", 2)], None);
    // Per-task files are opened on each node, named as srun expands them.
    let out = job.srun(&[
        "-N2",
        "-n3",
        "-o",
        "out-%j.%s-%t-%N.txt",
        "sh",
        "-c",
        "echo task $SLURM_PROCID",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    for (t, node) in [(0, "n1"), (1, "n1"), (2, "n2")] {
        let f = job.dir.join(format!("out-205.0-{t}-{node}.txt"));
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            format!("task {t}\n"),
            "{f:?}"
        );
    }
    // One shared file: srun writes every task's labelled output there.
    let out = job.srun(&["-n2", "-l", "-o", "shared.txt", "sh", "-c", "echo hi"]);
    assert!(out.status.success());
    let mut lines: Vec<String> = std::fs::read_to_string(job.dir.join("shared.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines, ["0: hi", "1: hi"]);
    // `-o 1`: only task 1's output reaches srun.
    let out = job.srun(&["-n2", "-o", "1", "sh", "-c", "echo from $SLURM_PROCID"]);
    assert_eq!(text(&out.stdout), "from 1\n");

    // A file srun opens itself fails before anything runs, in srun's words.
    let out = job.srun(&["-n1", "-o", "/nonexistent-sk8/x", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "srun: error: Could not open stdout file: No such file or directory\n"
    );
    // A per-task file the node cannot open fails the launch.
    let out = job.srun(&["-N2", "-n2", "-o", "/nonexistent-sk8/o-%t", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("Could not open stdout file /nonexistent-sk8/o-0: No such file or directory"),
        "{}",
        text(&out.stderr)
    );

    let conf = job.dir.join("mp.conf");
    std::fs::write(
        &conf,
        "# ranks\n0 echo zero\n1-2 echo rank %t 'offset  %o' %o\n",
    )
    .unwrap();
    let out = job.srun(&["-n3", "-l", "--multi-prog", "mp.conf"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        sorted_lines(&out.stdout),
        [
            "0: zero",
            "1: rank 1 offset  %o 0",
            "2: rank 2 offset  %o 1"
        ]
    );
    let out = job.srun(&["-n4", "--multi-prog", "mp.conf"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "srun: error: Configuration file mp.conf invalid, no record for task id 3\n"
    );
}

#[test]
fn stdin_goes_to_every_task_and_hostile_words_stay_words() {
    let job = Job::start(206, &[("n1", 1), ("n2", 1)], None);
    let mut cmd = Command::new(bin("srun"));
    cmd.args(["-N2", "-n2", "-l", "cat"])
        .env_clear()
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&job.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(sorted_lines(&out.stdout), ["0: hello", "1: hello"]);

    let odd = "d '$(touch pwned1)' \"`touch pwned2`\"; x";
    std::fs::create_dir_all(job.dir.join(odd)).unwrap();
    let out = job.srun(&[
        "-n1",
        "--chdir",
        odd,
        "-J",
        "name $(touch pwned3) 'q'",
        "sh",
        "-c",
        "pwd; printf '%s\\n' \"$SLURM_JOB_NAME\"",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}\nname $(touch pwned3) 'q'\n",
            job.dir.join(odd).display()
        )
    );
    let names: BTreeSet<String> = walk(&job.dir);
    assert!(names.iter().all(|n| !n.starts_with("pwned")), "{names:?}");
}

fn walk(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        }
        out.insert(name);
    }
    out
}

/// True when the reference Slurm answers.
fn reference_up() -> bool {
    Path::new("/usr/bin/salloc").exists()
        && Command::new("/usr/bin/sinfo")
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

#[test]
fn one_node_layout_matches_the_reference() {
    if !reference_up() {
        eprintln!("reference Slurm not running: skipped (start ../shared/refslurm/start.sh)");
        return;
    }
    let vars = [
        "SLURM_PROCID",
        "SLURM_LOCALID",
        "SLURM_NODEID",
        "SLURM_GTIDS",
        "SLURM_NTASKS",
        "SLURM_NPROCS",
        "SLURM_STEP_NUM_TASKS",
        "SLURM_STEP_NUM_NODES",
        "SLURM_STEP_TASKS_PER_NODE",
        "SLURM_TASKS_PER_NODE",
        "SLURM_DISTRIBUTION",
        "SLURM_STEP_ID",
        "SLURM_LABELIO",
    ];
    let mut real = Command::new("/usr/bin/salloc");
    real.args(["-N1", "-n2", "--quiet", "/usr/bin/srun", "-l", "printenv"])
        .args(vars);
    let real = run(real);
    assert!(real.status.success(), "{}", text(&real.stderr));

    let cpus =
        std::thread::available_parallelism().map_or(2, |n| u32::try_from(n.get()).unwrap_or(2));
    let job = Job::start(207, &[("n1", cpus)], Some(2));
    let mut args = vec!["-l", "printenv"];
    args.extend(vars);
    let ours = job.srun(&args);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    assert_eq!(by_task(&ours.stdout), by_task(&real.stdout));

    // Exit codes: the same code and the same tasks reported.
    let script = "exit $((SLURM_PROCID + 4))";
    let real = run({
        let mut c = Command::new("/usr/bin/salloc");
        c.args(["-N1", "-n2", "--quiet", "/usr/bin/srun", "sh", "-c", script]);
        c
    });
    let ours = job.srun(&["sh", "-c", script]);
    assert_eq!(ours.status.code(), real.status.code());
    let norm = |b: &[u8]| {
        text(b)
            .lines()
            .filter(|l| l.starts_with("srun: error: "))
            .map(|l| l.split_once(": task").map_or(l, |(_, r)| r).to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(norm(&ours.stderr), norm(&real.stderr));
}

#[test]
fn pty_steps_run_on_a_terminal() {
    let job = Job::start(220, &[("n1", 2)], None);
    let out = job.srun(&["--pty", "tty"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("/dev/pts/"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).ends_with("\r\n"),
        "{:?}",
        text(&out.stdout)
    );
    assert_eq!(text(&out.stderr), "");

    let out = job.srun(&["--pty", "sh", "-c", "test -t 0 && test -t 1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // No labels on a terminal, even when asked for.
    let out = job.srun(&["--pty", "-l", "echo", "plain"]);
    assert_eq!(text(&out.stdout), "plain\r\n");
    let out = job.srun(&["sh", "-c", "test -t 0 && test -t 1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "srun: error: n1: task 0: Exited with exit code 1\n"
    );
}

#[test]
fn pty_input_reaches_the_task() {
    let job = Job::start(221, &[("n1", 1)], None);
    let mut cmd = Command::new(bin("srun"));
    cmd.args(["--pty", "head", "-n1"])
        .env_clear()
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&job.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The terminal echoes the line, then head prints it.
    assert_eq!(text(&out.stdout), "hello\r\nhello\r\n");
}

#[test]
fn srun_restores_its_terminal_after_a_pty_step() {
    let job = Job::start(222, &[("n1", 1)], None);
    // util-linux `script` gives srun a terminal; the second `stty -a` shows
    // it after srun put it in raw mode and ended.
    let line = format!(
        "'{}' --pty sh -c 'echo task:; stty -a'; echo after:; stty -a",
        bin("srun").display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env_clear()
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&job.dir);
    let out = run(cmd);
    let all = text(&out.stdout);
    assert!(out.status.success(), "{all}{}", text(&out.stderr));
    let (task, after) = all.split_once("after:").expect("both parts ran");
    assert!(task.contains("task:"), "{all}");
    for part in [task, after] {
        assert!(part.contains(" icanon") && part.contains(" echo "), "{all}");
    }
}
