//! Table tests for what a one-node reference cannot show: multi-node jobs,
//! steps and GPUs, derived from Slurm 22.05's `env.c`, `slurm_step_layout.c`
//! and `gres_common.c`.

use sk8_env::{
    Allocation, ArrayTask, Counts, Env, HostFacts, JobRequest, LaunchFacts, MemoryGrant, Node,
    StepLayout, StepRequest, batch_env, block_counts, compose, cyclic_tasks, skypilot_env,
    step_env, task_env, tasks_per_node_string,
};

fn get<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn nodes(cpus: &[u32]) -> Allocation {
    Allocation {
        job_id: 42,
        cluster: "c".into(),
        partition: "p".into(),
        nodes: cpus
            .iter()
            .enumerate()
            .map(|(i, &c)| Node {
                name: format!("node{}", i + 1),
                addr: format!("10.0.0.{}", i + 1),
                cpus: c,
                gpus: vec![],
            })
            .collect(),
        ..Allocation::default()
    }
}

#[test]
fn tasks_per_node_strings() {
    let cases: &[(&[u32], &str)] = &[
        (&[], ""),
        (&[1], "1"),
        (&[2, 2, 2, 1], "2(x3),1"),
        (&[1, 2, 3], "1,2,3"),
        (&[4, 4], "4(x2)"),
        (&[2, 1, 1, 2, 2], "2,1(x2),2(x2)"),
        (&[72; 16], "72(x16)"),
    ];
    for (counts, want) in cases {
        assert_eq!(tasks_per_node_string(counts), *want, "{counts:?}");
        assert_eq!(Counts(counts.to_vec()).to_string(), *want);
        assert_eq!(
            want.parse::<Counts>(),
            Ok(Counts(counts.to_vec())),
            "{want}"
        );
    }
}

#[test]
fn counts_rejects_garbage() {
    for bad in [
        "x", "2(x)", "2(x0)", "2(3)", ",", "1,", "-1", "2(x3", "a(x2)",
    ] {
        assert!(bad.parse::<Counts>().is_err(), "{bad}");
    }
}

#[test]
fn block_layouts() {
    // (cpus per node, cpus per task, tasks, tasks per node)
    let cases: &[(&[u32], u32, u32, &str)] = &[
        (&[2, 2, 2, 2], 1, 7, "2(x3),1"),
        (&[2, 2, 2, 2], 1, 10, "3(x2),2(x2)"),
        (&[2, 2, 2, 2], 1, 4, "1(x4)"),
        (&[4, 2, 4, 2], 1, 12, "4,2,4,2"),
        (&[4, 2, 4, 2], 1, 8, "2(x4)"),
        (&[4, 2, 4, 2], 1, 10, "3,2,3,2"),
        (&[4, 4], 2, 4, "2(x2)"),
        (&[1], 1, 2, "2"),
        (&[3], 2, 1, "1"),
    ];
    for (cpus, cpt, n, want) in cases {
        assert_eq!(
            tasks_per_node_string(&block_counts(cpus, *cpt, *n)),
            *want,
            "{cpus:?} -c{cpt} -n{n}"
        );
    }
}

#[test]
fn cyclic_layouts() {
    // cpus 4 2 4 2 and 16 tasks, as `_task_layout_cyclic` computes it: more
    // tasks than CPUs oversubscribes every node by up to one from the start
    // (the picture in the function's comment predates that rule).
    let t = cyclic_tasks(&[4, 2, 4, 2], 1, 16);
    assert_eq!(t[0], [0, 4, 8, 12, 14]);
    assert_eq!(t[1], [1, 5, 9]);
    assert_eq!(t[2], [2, 6, 10, 13, 15]);
    assert_eq!(t[3], [3, 7, 11]);
    // Within the CPUs: the picture's first three rows.
    let t = cyclic_tasks(&[4, 2, 4, 2], 1, 12);
    assert_eq!(t[0], [0, 4, 8, 10]);
    assert_eq!(t[1], [1, 5]);
    assert_eq!(t[2], [2, 6, 9, 11]);
    assert_eq!(cyclic_tasks(&[2, 2], 1, 3), [vec![0, 2], vec![1]]);
}

#[test]
fn batch_env_of_multi_node_jobs() {
    // (cpus per node, request, variable, value)
    type Setup = fn(&mut JobRequest, &mut Allocation);
    let cases: &[(&[u32], Setup, &str, Option<&str>)] = &[
        (
            &[2, 2, 2, 1],
            |_, _| {},
            "SLURM_TASKS_PER_NODE",
            Some("2(x3),1"),
        ),
        (
            &[2, 2, 2, 1],
            |_, _| {},
            "SLURM_JOB_CPUS_PER_NODE",
            Some("2(x3),1"),
        ),
        (&[2, 2, 2, 1], |_, _| {}, "SLURM_NTASKS", None),
        (
            &[2, 2, 2, 2],
            |r, _| r.ntasks = Some(7),
            "SLURM_TASKS_PER_NODE",
            Some("2(x3),1"),
        ),
        (
            &[2, 2, 2, 2],
            |r, _| r.ntasks = Some(7),
            "SLURM_NPROCS",
            Some("7"),
        ),
        (
            &[4, 4],
            |r, _| r.ntasks_per_node = Some(3),
            "SLURM_NTASKS",
            Some("6"),
        ),
        (
            &[4, 4],
            |r, _| r.ntasks_per_node = Some(3),
            "SLURM_TASKS_PER_NODE",
            Some("3(x2)"),
        ),
        (
            &[4, 4],
            |r, _| r.cpus_per_task = Some(2),
            "SLURM_TASKS_PER_NODE",
            Some("2(x2)"),
        ),
        (
            &[4, 4],
            |r, _| r.cpus_per_task = Some(2),
            "SLURM_CPUS_PER_TASK",
            Some("2"),
        ),
        (&[4, 4], |_, _| {}, "SLURM_CPUS_PER_TASK", None),
        (
            &[1, 1, 1, 1],
            |_, _| {},
            "SLURM_JOB_NODELIST",
            Some("node[1-4]"),
        ),
        (
            &[1, 1, 1, 1],
            |_, _| {},
            "SLURM_NODELIST",
            Some("node[1-4]"),
        ),
        (&[1, 1, 1, 1], |_, _| {}, "SLURM_NNODES", Some("4")),
        (&[1, 1, 1, 1], |_, _| {}, "SLURM_JOB_NUM_NODES", Some("4")),
        (&[1, 1], |_, _| {}, "SLURMD_NODENAME", Some("node1")),
        (&[1, 1], |_, _| {}, "HOSTNAME", Some("node1")),
        (&[3, 1], |_, _| {}, "SLURM_CPUS_ON_NODE", Some("3")),
        (
            &[1],
            |_, a| a.memory = Some(MemoryGrant::PerGpu(1024)),
            "SLURM_MEM_PER_GPU",
            Some("1024"),
        ),
        (
            &[1],
            |_, a| a.memory = Some(MemoryGrant::PerGpu(1024)),
            "SLURM_MEM_PER_NODE",
            None,
        ),
        (
            &[1],
            |_, a| a.reservation = Some("maint".into()),
            "SLURM_JOB_RESERVATION",
            Some("maint"),
        ),
        (&[1], |_, _| {}, "SLURM_JOB_RESERVATION", None),
        (
            &[1],
            |_, a| a.times = Some((100, 400)),
            "SLURM_JOB_END_TIME",
            Some("400"),
        ),
        (&[1], |_, _| {}, "SLURM_JOB_START_TIME", None),
        (
            &[1],
            |r, _| r.gpus = Some("a100:2".into()),
            "SLURM_GPUS",
            Some("a100:2"),
        ),
        (
            &[1],
            |r, _| r.gpus_per_node = Some("4".into()),
            "SLURM_GPUS_PER_NODE",
            Some("4"),
        ),
        (
            &[1],
            |r, _| r.gpus_per_task = Some("1".into()),
            "SLURM_GPUS_PER_TASK",
            Some("1"),
        ),
        (
            &[1],
            |r, _| r.cpus_per_gpu = Some(8),
            "SLURM_CPUS_PER_GPU",
            Some("8"),
        ),
        (
            &[1],
            |r, _| r.export = Some("ALL".into()),
            "SLURM_EXPORT_ENV",
            None,
        ),
        (
            &[1],
            |r, _| r.export = Some("NONE".into()),
            "SLURM_EXPORT_ENV",
            Some("NONE"),
        ),
        (
            &[1],
            |r, _| r.open_append = Some(true),
            "SLURM_OPEN_MODE",
            Some("a"),
        ),
        (
            &[1],
            |r, _| r.distribution = Some("cyclic".into()),
            "SLURM_DISTRIBUTION",
            Some("cyclic"),
        ),
        (&[1], |_, _| {}, "SLURM_DISTRIBUTION", None),
        (
            &[1],
            |_, a| {
                a.array = Some(ArrayTask {
                    job_id: 40,
                    task_id: 7,
                    count: 4,
                    min: 1,
                    max: 7,
                    step: 2,
                });
            },
            "SLURM_ARRAY_TASK_STEP",
            Some("2"),
        ),
        (&[1], |_, _| {}, "SLURM_ARRAY_TASK_ID", None),
    ];
    for (i, (cpus, setup, name, want)) in cases.iter().enumerate() {
        let mut req = JobRequest {
            name: "j".into(),
            ..JobRequest::default()
        };
        let mut alloc = nodes(cpus);
        setup(&mut req, &mut alloc);
        let env = batch_env(&req, &alloc, &HostFacts::default(), 9);
        assert_eq!(get(&env, name), *want, "case {i}: {name}");
    }
}

#[test]
fn gpu_variables() {
    let mut alloc = nodes(&[8, 8]);
    alloc.nodes[0].gpus = vec![2, 3];
    alloc.nodes[1].gpus = vec![0, 1];
    let req = JobRequest::default();
    let plain = HostFacts::default();
    let renumbered = HostFacts {
        gpus_renumbered: true,
        ..HostFacts::default()
    };
    // (facts, variable, batch value)
    let cases: &[(&HostFacts, &str, Option<&str>)] = &[
        (&plain, "SLURM_JOB_GPUS", Some("2,3")),
        (&plain, "CUDA_VISIBLE_DEVICES", Some("2,3")),
        (&renumbered, "CUDA_VISIBLE_DEVICES", Some("0,1")),
        (&renumbered, "SLURM_JOB_GPUS", Some("2,3")),
        (&plain, "SLURM_GPUS_ON_NODE", Some("2")),
        (&plain, "SLURM_STEP_GPUS", None),
    ];
    for (host, name, want) in cases {
        assert_eq!(
            get(&batch_env(&req, &alloc, host, 1), name),
            *want,
            "{name}"
        );
    }
    let step = StepRequest {
        ntasks: Some(2),
        ..StepRequest::default()
    };
    let layout = StepLayout::plan(&req, &alloc, 0, &step);
    let t1 = task_env(&alloc, &layout, &plain, 1, 1).expect("task 1");
    assert_eq!(get(&t1, "SLURM_STEP_GPUS"), Some("0,1"));
    assert_eq!(get(&t1, "SLURMD_NODENAME"), Some("node2"));
    let none = task_env(
        &nodes(&[1]),
        &StepLayout::plan(&req, &nodes(&[1]), 0, &StepRequest::default()),
        &plain,
        0,
        1,
    )
    .expect("task 0");
    assert_eq!(get(&none, "CUDA_VISIBLE_DEVICES"), None);
}

#[test]
fn steps_of_multi_node_jobs() {
    // (cpus per node, srun request, task, variable, value)
    let host = HostFacts::default();
    let launch = LaunchFacts {
        srun_addr: "10.0.0.1".into(),
        port: 4000,
    };
    let req = JobRequest::default();
    let n = |x| Some(x);
    let cases: &[(&[u32], StepRequest, u32, &str, &str)] = &[
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            2,
            "SLURM_STEP_NODELIST",
            "node[1-3]",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            2,
            "SLURM_NODEID",
            "2",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            0,
            "SLURM_DISTRIBUTION",
            "cyclic",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            0,
            "SLURM_STEP_NUM_NODES",
            "3",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            0,
            "SLURM_JOB_NODELIST",
            "node[1-4]",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            0,
            "SLURM_NODELIST",
            "node[1-4]",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            0,
            "SLURM_NNODES",
            "3",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(3),
                ..Default::default()
            },
            0,
            "SLURM_JOB_NUM_NODES",
            "3",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                ..Default::default()
            },
            3,
            "SLURM_GTIDS",
            "2,3",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                ..Default::default()
            },
            3,
            "SLURM_LOCALID",
            "1",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                ..Default::default()
            },
            3,
            "SLURM_NODEID",
            "1",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                ..Default::default()
            },
            7,
            "SLURM_STEP_TASKS_PER_NODE",
            "2(x4)",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                ..Default::default()
            },
            7,
            "SLURM_DISTRIBUTION",
            "block",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(7),
                ..Default::default()
            },
            6,
            "SLURM_TASKS_PER_NODE",
            "2(x3),1",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(7),
                ..Default::default()
            },
            6,
            "SLURM_GTIDS",
            "6",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(7),
                ..Default::default()
            },
            6,
            "SLURMD_NODENAME",
            "node4",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                distribution: Some("cyclic".into()),
                ..Default::default()
            },
            5,
            "SLURM_GTIDS",
            "1,5",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(8),
                distribution: Some("cyclic".into()),
                ..Default::default()
            },
            5,
            "SLURM_LOCALID",
            "1",
        ),
        (
            &[2; 4],
            StepRequest::default(),
            3,
            "SLURM_STEP_NUM_TASKS",
            "4",
        ),
        (
            &[2; 4],
            StepRequest {
                nodes: n(2),
                ..Default::default()
            },
            1,
            "SLURM_NNODES",
            "2",
        ),
        (
            &[2; 4],
            StepRequest {
                nodes: n(2),
                ntasks_per_node: n(2),
                ..Default::default()
            },
            3,
            "SLURM_STEP_TASKS_PER_NODE",
            "2(x2)",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(2),
                label: true,
                ..Default::default()
            },
            1,
            "SLURM_LABELIO",
            "1",
        ),
        (
            &[2; 4],
            StepRequest::default(),
            0,
            "SLURM_LAUNCH_NODE_IPADDR",
            "10.0.0.1",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(1),
                ..Default::default()
            },
            0,
            "SLURM_CPUS_ON_NODE",
            "2",
        ),
        (
            &[2; 4],
            StepRequest {
                ntasks: n(1),
                exact: true,
                ..Default::default()
            },
            0,
            "SLURM_CPUS_ON_NODE",
            "1",
        ),
        (
            &[4; 2],
            StepRequest {
                ntasks: n(2),
                cpus_per_task: n(2),
                exact: true,
                ..Default::default()
            },
            1,
            "SLURM_CPUS_ON_NODE",
            "2",
        ),
        (
            &[2; 4],
            StepRequest::default(),
            0,
            "SLURM_SRUN_COMM_PORT",
            "4000",
        ),
        (&[2; 4], StepRequest::default(), 0, "SLURM_UMASK", "0022"),
        (
            &[2; 4],
            StepRequest::default(),
            0,
            "SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_0",
            "2(x4)",
        ),
    ];
    for (i, (cpus, step, task, name, want)) in cases.iter().enumerate() {
        let alloc = nodes(cpus);
        let layout = StepLayout::plan(&req, &alloc, 3, step);
        let batch = batch_env(&req, &alloc, &host, 1);
        let s = step_env(step, &alloc, &layout, &host, &launch);
        let t = task_env(&alloc, &layout, &host, *task, 1).expect("task in step");
        let env = compose(&batch, &s, &t);
        assert_eq!(get(&env, name), Some(*want), "case {i}: {name}");
    }
}

#[test]
fn task_outside_step_is_none() {
    let alloc = nodes(&[1]);
    let layout = StepLayout::plan(&JobRequest::default(), &alloc, 0, &StepRequest::default());
    assert!(task_env(&alloc, &layout, &HostFacts::default(), 1, 1).is_none());
}

#[test]
fn export_none_keeps_only_slurm_names() {
    let inherited: Env = vec![
        ("HOME".into(), "/root".into()),
        ("SLURM_EXPORT_ENV".into(), "NONE".into()),
        ("SRUN_DEBUG".into(), "3".into()),
        ("SLURM_JOB_ID".into(), "5".into()),
    ];
    let env = compose(
        &inherited,
        &vec![],
        &vec![("SLURM_PROCID".into(), "0".into())],
    );
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["SLURM_EXPORT_ENV", "SLURM_JOB_ID", "SLURM_PROCID"]);
}

#[test]
fn skypilot_family() {
    let mut alloc = nodes(&[4, 4, 4]);
    alloc.nodes[1].gpus = vec![0, 1, 2, 3];
    // (rank, variable, value)
    let cases: &[(usize, &str, &str)] = &[
        (0, "SKYPILOT_NODE_IPS", "10.0.0.1\n10.0.0.2\n10.0.0.3"),
        (2, "SKYPILOT_NODE_IPS", "10.0.0.1\n10.0.0.2\n10.0.0.3"),
        (0, "SKYPILOT_NUM_NODES", "3"),
        (2, "SKYPILOT_NODE_RANK", "2"),
        (1, "SKYPILOT_NUM_GPUS_PER_NODE", "4"),
        (0, "SKYPILOT_NUM_GPUS_PER_NODE", "0"),
        (0, "SKYPILOT_TASK_ID", "42"),
    ];
    for (rank, name, want) in cases {
        assert_eq!(
            get(&skypilot_env(&alloc, *rank), name),
            Some(*want),
            "{rank} {name}"
        );
    }
}
