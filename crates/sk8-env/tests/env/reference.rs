//! The reference cases, the dump format, and our model of each dump.

use std::collections::BTreeMap;
use std::path::Path;

use sk8_env::{
    Allocation, ArrayTask, Env, HostFacts, JobRequest, LaunchFacts, MemoryGrant, Node, StepLayout,
    StepRequest, batch_env, compose, step_env, task_env,
};

/// The script every reference job runs: the batch environment, then a plain
/// `srun` (step 0), `srun -l -n2 -O` (step 1) and `srun -n1 --exact` (step 2),
/// each task dumping its own.
pub const DUMP_SCRIPT: &str = r#"#!/bin/bash
d=$1${SLURM_ARRAY_TASK_ID:+.$SLURM_ARRAY_TASK_ID}; mkdir -p $d
/usr/bin/env > $d/batch.env
/usr/bin/srun /bin/bash -c "/usr/bin/env > $d/step0.task\$SLURM_PROCID.env"
/usr/bin/srun -l -n2 -O /bin/bash -c "/usr/bin/env > $d/step1.task\$SLURM_PROCID.env"
/usr/bin/srun -n1 --exact /bin/bash -c "/usr/bin/env > $d/step2.task\$SLURM_PROCID.env"
"#;

/// One reference job.
pub struct Case {
    /// Directory name under `tests/fixtures/`.
    pub name: &'static str,
    /// `sbatch` options.
    pub args: &'static [&'static str],
    /// CPUs the scheduler grants on the node (an input, not our output).
    pub cpus: u32,
    /// Fills in what the scheduler grants (and nothing the options say:
    /// those come from our own parse of `args`, see [`parsed_request`]).
    pub request: fn(&mut JobRequest, &mut Allocation),
}

/// Every case the brief lists that the one-node reference can run.
pub const CASES: &[Case] = &[
    Case {
        name: "one",
        args: &[],
        cpus: 1,
        request: |_, _| {},
    },
    Case {
        name: "n2",
        args: &["-n2"],
        cpus: 2,
        request: |_, _| {},
    },
    Case {
        name: "c2",
        args: &["-c2"],
        cpus: 2,
        request: |_, _| {},
    },
    Case {
        name: "tpn2",
        args: &["--ntasks-per-node=2"],
        cpus: 2,
        request: |_, _| {},
    },
    Case {
        name: "mem",
        args: &["--mem=100"],
        cpus: 1,
        request: |_, a| a.memory = Some(MemoryGrant::PerNode(100)),
    },
    Case {
        name: "mempercpu",
        args: &["--mem-per-cpu=50"],
        cpus: 1,
        request: |_, a| a.memory = Some(MemoryGrant::PerCpu(50)),
    },
    Case {
        name: "named",
        args: &["-J", "name", "-p", "batch"],
        cpus: 1,
        request: |_, a| a.partition = "batch".into(),
    },
    Case {
        name: "exportnone",
        args: &["--export=NONE"],
        cpus: 1,
        request: |_, _| {},
    },
    Case {
        name: "chdir",
        args: &["--chdir=/tmp"],
        cpus: 1,
        request: |_, _| {},
    },
    Case {
        name: "time",
        args: &["-t", "5"],
        cpus: 1,
        request: |_, _| {},
    },
    Case {
        name: "array",
        args: &["--array=1-3:2"],
        cpus: 1,
        request: |_, _| {},
    },
];

/// Array tasks of the `array` case, with the figures of `--array=1-3:2`.
pub fn array_task(case: &Case, dir: &str) -> Option<ArrayTask> {
    if case.name != "array" {
        return None;
    }
    let task_id = dir.rsplit('.').next()?.parse().ok()?;
    Some(ArrayTask {
        job_id: 0,
        task_id,
        count: 2,
        min: 1,
        max: 3,
        step: 2,
    })
}

/// Is `name` one Slurm manages (the scope of every comparison)?
pub fn in_scope(name: &str) -> bool {
    name.starts_with("SLURM")
        || name.starts_with("SRUN_")
        || name.starts_with("SBATCH_")
        || name.starts_with("SKYPILOT_")
        || matches!(name, "ENVIRONMENT" | "HOSTNAME" | "CUDA_VISIBLE_DEVICES")
}

/// Values that differ from run to run or host to host: compared by presence only.
const HOST_SPECIFIC: &[&str] = &[
    "SLURM_JOB_ID",
    "SLURM_JOBID",
    "SLURM_ARRAY_JOB_ID",
    "SLURM_TASK_PID",
    "SLURM_SRUN_COMM_PORT",
    "SLURM_STEP_LAUNCHER_PORT",
    "SLURM_SRUN_COMM_HOST",
    "SLURM_LAUNCH_NODE_IPADDR",
    "SLURM_CLUSTER_NAME",
    "SLURM_WORKING_CLUSTER",
    "SLURM_SUBMIT_DIR",
];

/// Parses `env` output (`NAME=value` lines; values without newlines here).
pub fn parse_dump(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Keeps the Slurm-managed names and blanks the host-specific values.
pub fn normalise<'a>(vars: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<String> {
    vars.into_iter()
        .filter(|(k, _)| in_scope(k))
        .map(|(k, v)| {
            if HOST_SPECIFIC.contains(&k.as_str()) {
                format!("{k}=<{k}>")
            } else {
                format!("{k}={v}")
            }
        })
        .collect()
}

/// Reads every `*.env` file of one dump directory, by file name.
pub fn read_dump(dir: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("dump directory") {
        let path = entry.expect("entry").path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        if file.ends_with(".env") {
            let text = std::fs::read_to_string(&path).expect("dump file");
            out.insert(file.to_string(), parse_dump(&text));
        }
    }
    out
}

/// What sk8's own `sbatch` parse makes of the case's options and the dump
/// script: the request side of the model comes from the option layer, so
/// this test covers parse -> JobSpec -> environment end to end.
pub fn parsed_request(case: &Case, batch: &BTreeMap<String, String>) -> JobRequest {
    use sk8_opts::sbatch::{Action, Context, Host, parse};
    struct Script;
    impl Host for Script {
        fn read_file(&self, _: &str) -> std::io::Result<Vec<u8>> {
            Ok(DUMP_SCRIPT.as_bytes().to_vec())
        }
        fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
            Ok(DUMP_SCRIPT.as_bytes().to_vec())
        }
        fn is_readable_file(&self, _: &str) -> bool {
            true
        }
    }
    let ctx = Context {
        argv0: "sbatch".into(),
        cwd: "/submit".into(),
        env: [("PATH", "/usr/bin:/bin"), ("HOME", "/root")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        user: site(batch, "SLURM_JOB_USER").into(),
        uid: site(batch, "SLURM_JOB_UID").parse().unwrap_or(0),
        gid: site(batch, "SLURM_JOB_GID").parse().unwrap_or(0),
        host: site(batch, "SLURM_SUBMIT_HOST").into(),
        default_partition: Some("debug".into()),
    };
    let mut args: Vec<String> = case.args.iter().map(|a| a.to_string()).collect();
    args.push("dump.sh".into());
    let Ok(Action::Submit(sub)) = parse(&args, &ctx, &Script) else {
        panic!("{}: our sbatch refuses {:?}", case.name, case.args)
    };
    JobRequest::from_spec(&sub.jobs[0])
}

fn site<'a>(batch: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    batch.get(name).map_or("", String::as_str)
}

/// Our model of a dump directory: the same files, computed. Site facts
/// (node name, user, account, QOS, config path, nice value, umask) are read
/// from the reference's batch dump; everything else comes from the case.
pub fn model(
    case: &Case,
    dir_name: &str,
    dump: &BTreeMap<String, BTreeMap<String, String>>,
) -> BTreeMap<String, Env> {
    let batch = &dump["batch.env"];
    let umask = dump
        .iter()
        .find_map(|(f, d)| {
            if f.starts_with("step") {
                d.get("SLURM_UMASK")
            } else {
                None
            }
        })
        .and_then(|u| u32::from_str_radix(u, 8).ok())
        .unwrap_or(0o022);
    let mut req = parsed_request(case, batch);
    let node = site(batch, "SLURMD_NODENAME").to_string();
    let mut alloc = Allocation {
        job_id: 1,
        cluster: "ref".into(),
        partition: "debug".into(),
        account: batch.get("SLURM_JOB_ACCOUNT").cloned(),
        qos: batch.get("SLURM_JOB_QOS").cloned(),
        nodes: vec![Node {
            name: node,
            addr: "127.0.0.1".into(),
            cpus: case.cpus,
            gpus: vec![],
        }],
        array: array_task(case, dir_name),
        ..Allocation::default()
    };
    (case.request)(&mut req, &mut alloc);
    let host = HostFacts {
        conf_path: site(batch, "SLURM_CONF").into(),
        prio_process: site(batch, "SLURM_PRIO_PROCESS").parse().unwrap_or(0),
        umask,
        working_cluster: Some("ref:127.0.0.1:6817:9728:109".into()),
        node_aliases: None,
        gpus_renumbered: false,
    };
    let launch = LaunchFacts {
        srun_addr: "127.0.0.1".into(),
        port: 1,
    };
    let batch_vars = batch_env(&req, &alloc, &host, 1);
    let steps = [
        StepRequest::default(),
        StepRequest {
            ntasks: Some(2),
            label: true,
            overcommit: true,
            ..StepRequest::default()
        },
        StepRequest {
            ntasks: Some(1),
            exact: true,
            ..StepRequest::default()
        },
    ];
    let mut out = BTreeMap::new();
    out.insert("batch.env".to_string(), batch_vars.clone());
    for (id, step) in (0_u32..).zip(&steps) {
        let layout = StepLayout::plan(&req, &alloc, id, step);
        let step_vars = step_env(step, &alloc, &layout, &host, &launch);
        for task in 0..layout.ntasks() {
            let task_vars = task_env(&alloc, &layout, &host, task, 1).expect("task in layout");
            out.insert(
                format!("step{id}.task{task}.env"),
                compose(&batch_vars, &step_vars, &task_vars),
            );
        }
    }
    out
}

/// Compares a dump directory with our model; returns every difference.
pub fn differences(case: &Case, dir_name: &str, dir: &Path) -> Vec<String> {
    let dump = read_dump(dir);
    let ours = model(case, dir_name, &dump);
    let mut diffs = Vec::new();
    let files: std::collections::BTreeSet<&String> = dump.keys().chain(ours.keys()).collect();
    for file in files {
        let theirs = dump.get(file).map(normalise).unwrap_or_default();
        let mine = ours
            .get(file)
            .map(|e| normalise(e.iter().map(|(k, v)| (k, v))))
            .unwrap_or_default();
        for line in theirs.iter().filter(|l| !mine.contains(l)) {
            diffs.push(format!("{dir_name}/{file}: slurm has `{line}`, we do not"));
        }
        for line in mine.iter().filter(|l| !theirs.contains(l)) {
            diffs.push(format!(
                "{dir_name}/{file}: we have `{line}`, slurm does not"
            ));
        }
    }
    diffs
}

/// The dump directories of a case: one, or one per array task.
pub fn dump_dirs(root: &Path, case: &Case) -> Vec<(String, std::path::PathBuf)> {
    let mut dirs: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .filter_map(|p| {
                    let n = p.file_name()?.to_str()?.to_string();
                    (n == case.name || n.starts_with(&format!("{}.", case.name))).then_some((n, p))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}
