//! The local backend end to end: a temporary `SK8_HOME`, jobs parsed by
//! sbatch's own parser, and the real `sk8` (supervisor) and `sk8-agent`
//! binaries, found (and built when needed) by sk8-harness.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sk8_backend::{
    AllocRequest, Backend, JobFilter, JobInfo, JobRef, JobState, NodeState, SignalScope,
    SubmitRequest,
};
use sk8_local::LocalBackend;
use sk8_opts::sbatch::{Action, Context, parse};

/// Makes sure `sk8` and `sk8-agent` are built where the backend finds them
/// (beside the test binary's directory: `target/<profile>/`).
fn build_bins() {
    let _ = sk8_harness::bins::dir();
}

/// Our command `name` (`sbatch`, `srun`, ...), by that name.
fn built(name: &str) -> PathBuf {
    sk8_harness::bins::command(name)
}

struct Lab {
    home: PathBuf,
    work: PathBuf,
    backend: LocalBackend,
}

const ONE_NODE: &str = "kill_wait = 1\n[[node]]\nname = \"lab1\"\ncpus = 4\nmemory_mb = 4000\n";

impl Lab {
    fn new(name: &str, config: &str) -> Self {
        build_bins();
        let home = std::env::temp_dir().join(format!("sk8-local-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let work = home.join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(home.join("config.toml"), config).unwrap();
        let backend = LocalBackend::with_home(&home).unwrap();
        Self {
            home,
            work,
            backend,
        }
    }

    fn reopen(&self) -> LocalBackend {
        LocalBackend::with_home(&self.home).unwrap()
    }

    fn context(&self) -> Context {
        let mut ctx = sk8_commands::host::context("sbatch");
        ctx.cwd = self.work.display().to_string();
        ctx
    }

    /// What `sbatch ARGS` would submit, run in the lab's work directory.
    fn request(&self, args: &[&str]) -> SubmitRequest {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse(&args, &self.context(), &sk8_commands::host::RealHost) {
            Ok(Action::Submit(s)) => SubmitRequest {
                jobs: s.jobs,
                script: s.script,
            },
            Ok(Action::Print(t)) => panic!("printed {t}"),
            Err(f) => panic!("{f:?}"),
        }
    }

    fn script(&self, name: &str, body: &str) -> String {
        let path = self.work.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        path.display().to_string()
    }

    fn submit(&self, args: &[&str]) -> u32 {
        self.backend.submit(&self.request(args)).unwrap()
    }

    fn job(&self, id: u32) -> JobInfo {
        self.backend.job(JobRef::job(id)).unwrap()
    }

    /// Waits (at most a generous minute and a half) until `done` holds.
    fn wait_for(&self, what: &str, mut done: impl FnMut() -> bool) {
        let begun = Instant::now();
        while !done() {
            assert!(
                begun.elapsed() < Duration::from_secs(90),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_state(&self, id: u32, pred: impl Fn(JobState) -> bool) -> JobInfo {
        let mut last = None;
        self.wait_for(&format!("job {id}"), || {
            let j = self.job(id);
            let ok = pred(j.state);
            last = Some(j);
            ok
        });
        last.unwrap()
    }

    fn wait_finished(&self, id: u32) -> JobInfo {
        self.wait_state(id, JobState::is_finished)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.work.join(name)).unwrap_or_default()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.home);
        }
    }
}

/// The `sk8 supervise ID` process of this lab (other tests' labs reuse ids).
fn supervisor_pid(lab: &Lab, id: u32) -> u32 {
    let home = format!("SK8_HOME={}", lab.home.display());
    let mut found = None;
    lab.wait_for("the supervisor", || {
        found = pids_with_cmdline(&["supervise", &id.to_string()])
            .into_iter()
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == home.as_bytes()))
            });
        found.is_some()
    });
    found.unwrap()
}

fn pids_with_cmdline(tail: &[&str]) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let words: Vec<String> = cmd
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        if words.len() > tail.len() && words[words.len() - tail.len()..] == *tail {
            out.push(pid);
        }
    }
    out
}

fn children_named(parent: u32, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let comm = &stat[stat.find('(').unwrap() + 1..stat.rfind(')').unwrap()];
        let ppid: u32 = stat[stat.rfind(')').unwrap() + 1..]
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        if ppid == parent && comm == name {
            out.push(pid);
        }
    }
    out
}

fn kill9(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -9 {pid}");
}

fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn a_job_runs_and_completes() {
    let lab = Lab::new("runs", ONE_NODE);
    let script = lab.script(
        "hello.sh",
        "echo \"hello from $SLURM_JOB_ID on $SLURMD_NODENAME in $PWD\"\necho to-stderr >&2\numask\nenv | grep -c '^SK8_TOKEN=' || true\n",
    );
    let id = lab.submit(&[&script]);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Completed, "{j:?}");
    assert_eq!((j.exit.code, j.exit.signal), (0, 0));
    let out = lab.read(&format!("slurm-{id}.out"));
    let umask = format!("{:04o}", sk8_local::procs::current_umask());
    assert_eq!(
        out,
        format!(
            "hello from {id} on lab1 in {}\nto-stderr\n{umask}\n0\n",
            lab.work.display()
        )
    );
    assert_eq!(j.nodes, vec!["lab1"]);
    assert_eq!(j.batch_host.as_deref(), Some("lab1"));
    assert!(
        j.steps
            .iter()
            .any(|s| s.id == "batch" && s.state == JobState::Completed)
    );
    // The token file is gone once the job ended, and nothing holds the node.
    assert!(!lab.home.join(format!("jobs/{id}/token")).exists());
    assert_eq!(lab.backend.nodes().unwrap()[0].state, NodeState::Idle);
    // The history keeps it; the queue does not.
    assert!(lab.backend.jobs(&JobFilter::default()).unwrap().is_empty());
    assert_eq!(lab.backend.history(&JobFilter::default()).unwrap().len(), 1);
}

#[test]
fn exit_codes_output_patterns_and_workdir() {
    let lab = Lab::new("exit", ONE_NODE);
    std::fs::create_dir_all(lab.work.join("sub dir")).unwrap();
    let script = lab.script("fail.sh", "pwd\necho err >&2\nexit 3\n");
    let id = lab.submit(&[
        "--chdir=sub dir",
        "-o",
        "out-%j-%x.txt",
        "-e",
        "err-%j.txt",
        "-J",
        "name with 'quotes' $(touch pwned)",
        &script,
    ]);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Failed);
    assert_eq!(j.exit.code, 3);
    let dir = lab.work.join("sub dir");
    let out = std::fs::read_to_string(
        dir.join(format!("out-{id}-name with 'quotes' $(touch pwned).txt")),
    )
    .unwrap();
    assert_eq!(out, format!("{}\n", dir.display()));
    assert_eq!(
        std::fs::read_to_string(dir.join(format!("err-{id}.txt"))).unwrap(),
        "err\n"
    );
    assert!(!dir.join("pwned").exists() && !lab.work.join("pwned").exists());
}

#[test]
fn two_hundred_parallel_submits_get_distinct_ids_and_all_finish() {
    let lab = Lab::new(
        "parallel",
        "[[node]]\nname = \"wide\"\ncpus = 16\nmemory_mb = 1000\n",
    );
    let script = lab.script("true.sh", "true\n");
    let req = lab.request(&[&script]);
    let ids: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                let req = req.clone();
                let home = lab.home.clone();
                s.spawn(move || {
                    let b = LocalBackend::with_home(&home).unwrap();
                    b.submit(&req).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<u32> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), 200);
    assert_eq!(distinct, (1..=200).collect());
    lab.wait_for("200 jobs to finish", || {
        lab.backend
            .history(&JobFilter::default())
            .unwrap()
            .iter()
            .filter(|j| j.state == JobState::Completed)
            .count()
            == 200
    });
}

#[test]
fn kill_9_of_a_supervisor_ends_the_job_and_frees_its_cpus() {
    let lab = Lab::new("killsup", ONE_NODE);
    let script = lab.script("sleep.sh", "echo started\nexec sleep 1000\n");
    let id = lab.submit(&["-n4", &script]);
    lab.wait_for("the script to start", || {
        lab.read(&format!("slurm-{id}.out")) == "started\n"
    });
    let sup = supervisor_pid(&lab, id);
    let agents = children_named(sup, "sk8-agent");
    assert_eq!(agents.len(), 1);
    // Everything is taken: a second job waits.
    let second = lab.submit(&["-n4", &lab.script("t.sh", "true\n")]);
    assert_eq!(lab.job(second).reason, "Resources");
    kill9(sup);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::NodeFail);
    // The agent saw its lifeline close and went, with the script.
    lab.wait_for("the agent to exit", || !exists(agents[0]));
    // The CPUs are free again: the second job ran.
    assert_eq!(lab.wait_finished(second).state, JobState::Completed);
}

#[test]
fn kill_9_of_an_agent_ends_the_job_node_fail() {
    let lab = Lab::new("killagent", ONE_NODE);
    let script = lab.script("sleep.sh", "echo started\nexec sleep 1000\n");
    let id = lab.submit(&[&script]);
    lab.wait_for("the script to start", || {
        lab.read(&format!("slurm-{id}.out")) == "started\n"
    });
    let sup = supervisor_pid(&lab, id);
    let agent = children_named(sup, "sk8-agent")[0];
    kill9(agent);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::NodeFail);
    lab.wait_for("the supervisor to exit", || !exists(sup));
    assert_eq!(lab.backend.nodes().unwrap()[0].cpus_alloc, 0);
}

#[test]
fn a_locked_database_is_a_clear_error_and_changes_nothing() {
    let lab = Lab::new("locked", &format!("busy_timeout_ms = 100\n{ONE_NODE}"));
    let script = lab.script("t.sh", "true\n");
    let req = lab.request(&["--hold", &script]);
    let first = lab.backend.submit(&req).unwrap();
    let other = rusqlite::Connection::open(lab.home.join("state.db")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let err = lab.reopen().submit(&req).unwrap_err().to_string();
    assert!(
        err.starts_with("local state: database is locked ("),
        "{err}"
    );
    // Reads still work under a writer's lock (WAL).
    assert_eq!(lab.backend.jobs(&JobFilter::default()).unwrap().len(), 1);
    other.execute_batch("ROLLBACK").unwrap();
    let next = lab.backend.submit(&req).unwrap();
    assert_eq!(next, first + 1, "the failed submission used no id");
    assert_eq!(lab.backend.jobs(&JobFilter::default()).unwrap().len(), 2);
}

#[test]
fn a_read_only_database_is_a_clear_error_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new("readonly", ONE_NODE);
    let script = lab.script("t.sh", "true\n");
    let req = lab.request(&["--hold", &script]);
    lab.backend.submit(&req).unwrap();
    let db = lab.home.join("state.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let result = lab.reopen().submit(&req);
    let err = result.unwrap_err().to_string();
    assert!(
        err.starts_with("local state: database is read-only ("),
        "{err}"
    );
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let jobs = lab.reopen().jobs(&JobFilter::default()).unwrap();
    assert_eq!(jobs.len(), 1);
}

#[test]
fn a_two_node_virtual_config_runs_a_two_node_job() {
    let lab = Lab::new(
        "twonode",
        "[[node]]\nname = \"node1\"\ncpus = 2\n[[node]]\nname = \"node2\"\ncpus = 2\n",
    );
    let script = lab.script(
        "two.sh",
        "echo $SLURM_JOB_NODELIST $SLURM_JOB_NUM_NODES $SLURM_NTASKS $SLURM_TASKS_PER_NODE\necho $SK8_AGENTS | tr ',' '\\n' | cut -d= -f1\n",
    );
    let id = lab.submit(&["-N2", "--ntasks-per-node=2", &script]);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Completed);
    assert_eq!(j.nodes, vec!["node1", "node2"]);
    assert_eq!(j.cpus, 4);
    assert_eq!(
        lab.read(&format!("slurm-{id}.out")),
        "node[1-2] 2 4 2(x2)\nnode1\nnode2\n"
    );
}

#[test]
fn cancel_of_a_running_job() {
    let lab = Lab::new("cancel", ONE_NODE);
    let script = lab.script("sleep.sh", "echo started\nsleep 1000\necho not-reached\n");
    let id = lab.submit(&[&script]);
    lab.wait_for("the script to start", || {
        lab.read(&format!("slurm-{id}.out")) == "started\n"
    });
    lab.backend
        .signal(JobRef::job(id), None, SignalScope::default())
        .unwrap();
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Cancelled);
    let out = lab.read(&format!("slurm-{id}.out"));
    assert!(
        out.starts_with(&format!(
            "started\nslurmstepd-lab1: error: *** JOB {id} ON lab1 CANCELLED AT "
        )),
        "{out}"
    );
    assert!(!out.contains("not-reached"));
    // A finished job cannot be cancelled again.
    let again = lab
        .backend
        .signal(JobRef::job(id), None, SignalScope::default());
    assert_eq!(again, Err(sk8_backend::Error::AlreadyDone));
}

#[test]
fn signal_b_reaches_the_batch_shell() {
    let lab = Lab::new("signal", ONE_NODE);
    let script = lab.script(
        "trap.sh",
        "trap 'echo got USR1; exit 7' USR1\necho ready\nwhile :; do sleep 0.1; done\n",
    );
    let id = lab.submit(&[&script]);
    lab.wait_for("the script to start", || {
        lab.read(&format!("slurm-{id}.out")) == "ready\n"
    });
    let scope = SignalScope {
        batch_only: true,
        full: false,
    };
    lab.backend
        .signal(JobRef::job(id), Some(10), scope)
        .unwrap();
    let j = lab.wait_finished(id);
    assert_eq!((j.state, j.exit.code), (JobState::Failed, 7));
    assert_eq!(lab.read(&format!("slurm-{id}.out")), "ready\ngot USR1\n");
}

#[test]
fn holds_dependencies_and_arrays() {
    let lab = Lab::new("deps", ONE_NODE);
    let ok = lab.script("ok.sh", "echo $SLURM_JOB_ID >> order.txt\n");
    let bad = lab.script("bad.sh", "exit 1\n");
    let first = lab.submit(&["--hold", &ok]);
    assert_eq!(lab.job(first).reason, "JobHeldUser");
    assert_eq!(lab.job(first).priority, 0);
    let after_ok = lab.submit(&[&format!("--dependency=afterok:{first}"), &ok]);
    let failing = lab.submit(&[&bad]);
    let after_fail = lab.submit(&["-d", &format!("afterok:{failing}"), &ok]);
    assert_eq!(lab.job(after_ok).reason, "Dependency");
    lab.backend.release_hold(JobRef::job(first)).unwrap();
    assert_eq!(lab.wait_finished(after_ok).state, JobState::Completed);
    assert_eq!(lab.read("order.txt"), format!("{first}\n{after_ok}\n"));
    lab.wait_for("the dependency to fail", || {
        lab.job(after_fail).reason == "DependencyNeverSatisfied"
    });
    assert_eq!(lab.job(after_fail).state, JobState::Pending);
    // An unknown job is a submission error.
    let err = lab
        .backend
        .submit(&lab.request(&["-d", "afterok:9999", &ok]));
    assert_eq!(
        err,
        Err(sk8_backend::Error::Invalid("Job dependency problem".into()))
    );
    // An array with a throttle of one: tasks one at a time, the first ones
    // under new ids, the last under the array's own id.
    let arr = lab.script(
        "arr.sh",
        "echo $SLURM_ARRAY_TASK_ID $SLURM_JOB_ID >> arr.txt\nsleep 0.2\n",
    );
    let a = lab.submit(&["--array=1-3%1", "-o", "/dev/null", &arr]);
    let pending = lab.job(a);
    assert!(
        pending.array.as_ref().unwrap().pending.is_some() || pending.state == JobState::Running
    );
    lab.wait_for("the array", || {
        lab.backend
            .history(&JobFilter {
                ids: vec![JobRef::job(a)],
                ..JobFilter::default()
            })
            .unwrap()
            .iter()
            .filter(|j| j.state == JobState::Completed)
            .count()
            == 3
    });
    let lines = lab.read("arr.txt");
    let got: Vec<&str> = lines.lines().collect();
    assert_eq!(
        got,
        vec![
            format!("1 {}", a + 1),
            format!("2 {}", a + 2),
            format!("3 {a}")
        ]
    );
}

#[test]
fn allocate_then_release() {
    let lab = Lab::new("alloc", ONE_NODE);
    let mut spec = lab.request(&[&lab.script("x.sh", "true\n")]).jobs;
    spec[0].command = sk8_spec::job::Command::Exec(vec!["bash".into()]);
    let mut events = Vec::new();
    let granted = lab
        .backend
        .allocate(
            &AllocRequest {
                jobs: spec,
                immediate: None,
            },
            &mut |e| events.push(e),
        )
        .unwrap();
    let id = granted.job.id;
    assert_eq!(events.first(), Some(&sk8_backend::AllocEvent::Pending(id)));
    assert_eq!(events.last(), Some(&sk8_backend::AllocEvent::Granted(id)));
    assert_eq!(granted.access.agents.len(), 1);
    assert_eq!(granted.access.token.len(), 64);
    // The agent answers with the token, and refuses without it.
    let addr = granted.access.agents[0].1.parse().unwrap();
    assert!(sk8_step::Client::connect(addr, &granted.access.token, id).is_ok());
    assert!(sk8_step::Client::connect(addr, "wrong", id).is_err());
    lab.backend
        .release(id, sk8_backend::ExitStatus { code: 0, signal: 0 })
        .unwrap();
    assert_eq!(lab.wait_finished(id).state, JobState::Completed);
}

#[test]
fn one_task_of_a_pending_array() {
    let lab = Lab::new("tasks", ONE_NODE);
    let ok = lab.script("ok.sh", "true\n");
    let a = lab.submit(&["--hold", "--array=1-4", "-o", "/dev/null", &ok]);
    let task = |t| JobRef {
        id: a,
        task: Some(t),
    };
    let records = || {
        let mut v: Vec<(Option<u32>, Option<String>, JobState)> = lab
            .backend
            .history(&JobFilter {
                ids: vec![JobRef::job(a)],
                ..JobFilter::default()
            })
            .unwrap()
            .into_iter()
            .map(|j| {
                let arr = j.array.unwrap();
                (arr.task_id, arr.pending, j.state)
            })
            .collect();
        v.sort();
        v
    };
    // scancel 12_2: the task leaves the pending record, with no record of
    // its own (as slurmctld clears its bit).
    lab.backend
        .signal(task(2), None, sk8_backend::SignalScope::default())
        .unwrap();
    assert_eq!(
        records(),
        vec![(None, Some("1,3-4".to_owned()), JobState::Pending)]
    );
    // scontrol release 12_3: split off under a new id, the others stay held.
    lab.backend.release_hold(task(3)).unwrap();
    let split = lab.backend.job(task(3)).unwrap();
    assert_ne!(split.id, a);
    assert_eq!(lab.wait_finished(split.id).state, JobState::Completed);
    assert_eq!(
        records(),
        vec![
            (None, Some("1,4".to_owned()), JobState::Pending),
            (Some(3), None, JobState::Completed)
        ]
    );
    assert_eq!(lab.job(a).reason, "JobHeldUser");
    // Cancelling the last two: the record itself ends CANCELLED, as its
    // last task.
    for t in [1, 4] {
        lab.backend
            .signal(task(t), None, sk8_backend::SignalScope::default())
            .unwrap();
    }
    assert_eq!(
        records(),
        vec![
            (Some(3), None, JobState::Completed),
            (Some(4), None, JobState::Cancelled)
        ]
    );
}

#[test]
fn holding_a_running_job_keeps_it_held_through_a_requeue() {
    let lab = Lab::new("holdrun", ONE_NODE);
    let long = lab.script("long.sh", "sleep 300\n");
    let id = lab.submit(&["-o", "/dev/null", &long]);
    lab.wait_state(id, |s| s == JobState::Running);
    lab.backend.hold(JobRef::job(id), true).unwrap();
    let j = lab.job(id);
    assert_eq!(
        (j.state, j.reason.as_str(), j.priority),
        (JobState::Running, "JobHeldUser", 0)
    );
    lab.backend.requeue(JobRef::job(id)).unwrap();
    let j = lab.wait_state(id, |s| s == JobState::Pending);
    assert_eq!(j.reason, "JobHeldUser");
    lab.backend.release_hold(JobRef::job(id)).unwrap();
    lab.wait_state(id, |s| s == JobState::Running);
    lab.backend
        .signal(JobRef::job(id), None, sk8_backend::SignalScope::default())
        .unwrap();
    assert_eq!(lab.wait_finished(id).state, JobState::Cancelled);
    assert_eq!(
        lab.backend.hold(JobRef::job(id), true),
        Err(sk8_backend::Error::AlreadyDone)
    );
}

#[test]
fn time_limit_ends_the_job_timeout() {
    // --time has minute granularity: this test takes a little over one.
    let lab = Lab::new("timeout", ONE_NODE);
    let script = lab.script(
        "long.sh",
        "trap 'echo term' TERM\necho started\nsleep 1000 & wait\nsleep 1000\n",
    );
    let id = lab.submit(&["--time=1", &script]);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Timeout);
    assert_eq!(j.reason, "TimeLimit");
    let out = lab.read(&format!("slurm-{id}.out"));
    assert!(
        out.starts_with(&format!(
            "started\nslurmstepd-lab1: error: *** JOB {id} ON lab1 CANCELLED AT "
        )),
        "{out}"
    );
    assert!(out.contains(" DUE TO TIME LIMIT ***\nterm\n"), "{out}");
}

#[test]
fn srun_inside_a_two_node_job_fans_out() {
    let lab = Lab::new(
        "srun",
        "[[node]]\nname = \"node1\"\ncpus = 2\n[[node]]\nname = \"node2\"\ncpus = 2\n",
    );
    let srun = built("srun");
    let script = lab.script(
        "fan.sh",
        &format!(
            "'{}' -l printenv SLURMD_NODENAME | sort\necho done\n",
            srun.display()
        ),
    );
    let id = lab.submit(&["-N2", "-n4", &script]);
    let j = lab.wait_finished(id);
    let out = lab.read(&format!("slurm-{id}.out"));
    assert_eq!(j.state, JobState::Completed, "{out}");
    assert_eq!(out, "0: node1\n1: node1\n2: node2\n3: node2\ndone\n");
}

#[test]
fn srun_steps_are_recorded_with_their_nodes_tasks_and_exits() {
    let lab = Lab::new(
        "steps",
        "[[node]]\nname = \"node1\"\ncpus = 2\n[[node]]\nname = \"node2\"\ncpus = 2\n",
    );
    let srun = built("srun");
    let srun = srun.display();
    let script = lab.script(
        "steps.sh",
        &format!("'{srun}' true\n'{srun}' -n1 false\n'{srun}' -n1 sleep 0.1\nexit 0\n"),
    );
    let id = lab.submit(&["-N2", "-n4", &script]);
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Completed);
    /// id, name, state, nodes, tasks, exit code
    type Step<'a> = (&'a str, &'a str, JobState, Vec<String>, u32, u8);
    let steps: Vec<Step<'_>> = j
        .steps
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.name.as_str(),
                s.state,
                s.nodes.clone(),
                s.tasks,
                s.exit.code,
            )
        })
        .collect();
    let both = vec!["node1".to_string(), "node2".to_string()];
    let first = vec!["node1".to_string()];
    assert_eq!(
        steps,
        vec![
            ("batch", "batch", JobState::Completed, first.clone(), 1, 0),
            ("0", "true", JobState::Completed, both, 4, 0),
            ("1", "false", JobState::Failed, first.clone(), 1, 1),
            ("2", "sleep", JobState::Completed, first, 1, 0),
        ]
    );
    assert!(
        j.steps
            .iter()
            .all(|s| s.start_time.is_some() && s.end_time.is_some())
    );
}

/// Every file and directory sk8 made under `home` that is not private
/// (0600 files and sockets, 0700 directories and the script copy), with its
/// mode; `config.toml` is the test's own, and the links in `bin/` have
/// no mode of their own.
fn not_private(home: &Path) -> Vec<String> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let mut bad = Vec::new();
    let mut todo = vec![home.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777;
        if mode != 0o700 {
            bad.push(format!("{} {mode:o}", dir.display()));
        }
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let (path, kind) = (e.path(), e.file_type().unwrap());
            if kind.is_dir() {
                todo.push(path);
                continue;
            }
            // The command links of the job's PATH (`bin/srun` -> sk8): a
            // link has no mode of its own; its directory is private.
            if kind.is_symlink() && dir == home.join("bin") {
                continue;
            }
            let mode = e.metadata().unwrap().permissions().mode() & 0o7777;
            let want = if path.file_name().is_some_and(|n| n == "slurm_script") {
                0o700
            } else {
                0o600
            };
            assert!(kind.is_file() || kind.is_socket(), "{}", path.display());
            if mode != want {
                bad.push(format!("{} {mode:o}", path.display()));
            }
        }
    }
    bad.sort();
    bad
}

/// issue 13: state.db, its WAL and SHM, the logs, the job directory, the
/// script copy, the token and the control socket were made with the
/// umask's modes (0644, 0755), so with `SK8_HOME` in a directory others can
/// enter, any local user read every job's exported environment.
#[test]
fn every_file_sk8_creates_is_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    build_bins();
    for umask in ["022", "000"] {
        let top =
            std::env::temp_dir().join(format!("sk8-local-{}-modes{umask}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("work")).unwrap();
        std::fs::set_permissions(&top, std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = top.join("home");
        let sh = |args: &[&str]| {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
                .args(args)
                .current_dir(top.join("work"))
                .env("SK8_HOME", &home)
                .env("XDG_CONFIG_HOME", top.join("xdg"))
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let sbatch = built("sbatch").display().to_string();
        // A running job has everything: supervisor and agent logs, the
        // token, the script copy, the control socket.
        let id: u32 = sh(&[
            &sbatch,
            "--parsable",
            "-o",
            "out.txt",
            "--wrap",
            "echo started; sleep 60",
        ])
        .trim()
        .parse()
        .unwrap();
        let begun = Instant::now();
        while std::fs::read_to_string(top.join("work/out.txt")).unwrap_or_default() != "started\n" {
            assert!(
                begun.elapsed() < Duration::from_secs(60),
                "the job never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // A held job beside it, submitted under the same umask.
        sh(&[&sbatch, "--hold", "--wrap", "true"]);
        let job = home.join(format!("jobs/{id}"));
        for name in ["ctl", "token", "slurm_script", "supervisor.log"] {
            assert!(job.join(name).exists(), "{name}");
        }
        assert!(home.join("state.db-wal").exists() && home.join("state.db-shm").exists());
        assert_eq!(
            not_private(&home),
            Vec::<String>::new(),
            "umask {umask}, running"
        );
        let backend = LocalBackend::with_home(&home).unwrap();
        backend
            .signal(JobRef::job(id), None, SignalScope::default())
            .unwrap();
        while !backend.job(JobRef::job(id)).unwrap().state.is_finished() {
            assert!(
                begun.elapsed() < Duration::from_secs(90),
                "the job never ended"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            not_private(&home),
            Vec::<String>::new(),
            "umask {umask}, ended"
        );
        let _ = std::fs::remove_dir_all(&top);
    }
}

/// The durability of an acknowledged job: `sbatch` prints `Submitted batch
/// job N` only after the commit's WAL frames were synced to disk (a crash
/// of the machine after the reply keeps the job). Before, the WAL was
/// synced only by the checkpoint when the connection closed, after the
/// reply. Seen from outside by `strace`: the last write to `state.db-wal`
/// before the reply is followed by an `fsync`/`fdatasync` of it, before the
/// reply.
#[test]
fn sbatch_replies_only_after_the_job_is_on_disk() {
    build_bins();
    let lab = Lab::new("durable", ONE_NODE);
    let trace = lab.home.join("trace");
    for round in 0..3 {
        let out = std::process::Command::new("strace")
            .args(["-f", "-y", "-o"])
            .arg(&trace)
            .args(["-e", "trace=write,pwrite64,fsync,fdatasync"])
            .arg(built("sbatch"))
            .args(["--hold", "--wrap", "true"])
            .current_dir(&lab.work)
            .env("SK8_HOME", &lab.home)
            .output()
            .expect("strace runs (install it: .ci/run does)");
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let id = round + 1;
        assert_eq!(stdout, format!("Submitted batch job {id}\n"));
        let lines: Vec<String> = std::fs::read_to_string(&trace)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        let reply = lines
            .iter()
            .position(|l| l.contains("write(1") && l.contains("Submitted batch job"))
            .expect("the reply in the trace");
        let wal = "state.db-wal>";
        let last_write = lines[..reply]
            .iter()
            .rposition(|l| l.contains("pwrite64(") && l.contains(wal))
            .expect("the commit wrote the WAL before the reply");
        let syncs: Vec<&String> = lines[last_write..reply]
            .iter()
            .filter(|l| (l.contains("fsync(") || l.contains("fdatasync(")) && l.contains(wal))
            .collect();
        assert!(
            !syncs.is_empty(),
            "round {round}: no sync of the WAL between its last write and the reply:\n{}",
            lines[last_write..=reply].join("\n")
        );
        let all_syncs = lines[..reply]
            .iter()
            .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
            .count();
        eprintln!("round {round}: {all_syncs} syncs before the reply");
    }
    assert_eq!(lab.backend.jobs(&JobFilter::default()).unwrap().len(), 3);
}

/// issue 13: a zero-length `state.db` was taken for a new database: job ids
/// restarted at 1 and the history was gone.
#[test]
fn an_empty_state_db_is_refused_not_replaced() {
    let lab = Lab::new("emptydb", ONE_NODE);
    let req = lab.request(&["--hold", "--wrap", "true"]);
    assert_eq!(lab.backend.submit(&req).unwrap(), 1);
    let db = lab.home.join("state.db");
    for f in ["state.db", "state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(lab.home.join(f));
    }
    std::fs::write(&db, b"").unwrap();
    let err = LocalBackend::with_home(&lab.home).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "local state: `{}` is empty (zero bytes)",
            db.display()
        )),
        "{err}"
    );
    assert!(err.contains("\n(hint: "), "{err}");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0);
}

/// Issue 13: a client holding the supervisor's control socket open with
/// half a line made `scancel` return 0 after 10 s without cancelling. Each
/// client now has its own short deadline and the others are served.
#[test]
fn a_stuck_control_client_does_not_stop_a_cancel() {
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    let lab = Lab::new("stuckctl", ONE_NODE);
    let script = lab.script("sleep.sh", "echo started\nsleep 1000\n");
    let id = lab.submit(&[&script]);
    lab.wait_for("the script to start", || {
        lab.read(&format!("slurm-{id}.out")) == "started\n"
    });
    let ctl = lab.home.join("jobs").join(id.to_string()).join("ctl");
    let mut stuck: Vec<UnixStream> = Vec::new();
    // More than the 16 clients the supervisor reads at once.
    for _ in 0..20 {
        let mut c = UnixStream::connect(&ctl).unwrap();
        c.write_all(b"canc").unwrap();
        stuck.push(c);
    }
    lab.backend
        .signal(JobRef::job(id), None, SignalScope::default())
        .unwrap();
    let j = lab.wait_finished(id);
    assert_eq!(j.state, JobState::Cancelled);
    drop(stuck);
}
