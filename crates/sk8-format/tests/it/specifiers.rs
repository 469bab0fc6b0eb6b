//! Table-driven tests of every squeue specifier, the width and alignment
//! rules, `-O` widths and suffixes, and the sinfo and sacct column rules.

use std::str::FromStr;

use sk8_backend::{ArrayInfo, JobState, NodeInfo, NodeState, PartitionInfo, StepInfo};
use sk8_format::squeue::{Format, JobField};
use sk8_format::{Context, sacct, sinfo};
use sk8_spec::job::{Command, Memory};
use sk8_spec::{GresList, MemSize, TimeLimit};

use crate::convert::blank_job;

const START: i64 = 1_795_880_100;

fn ctx() -> Context {
    Context {
        now: START + 3723,
        zone: sk8_format::Zone::utc(),
        groups: sk8_format::GroupNames::list(vec![(100, "users".to_owned())]),
        cluster: "c".to_owned(),
    }
}

/// A running array task with most fields set.
fn running() -> sk8_backend::JobInfo {
    let mut j = blank_job(123);
    j.array = Some(ArrayInfo {
        job_id: 120,
        task_id: Some(3),
        pending: None,
    });
    let s = &mut j.spec;
    s.name = "train".to_owned();
    s.user = "alice".to_owned();
    s.uid = 1000;
    s.gid = 100;
    s.account = Some("proj".to_owned());
    s.qos = Some("high".to_owned());
    s.partition = Some("gpu".to_owned());
    s.comment = Some("c1".to_owned());
    s.work_dir = "/home/alice".to_owned();
    s.command = Command::Script {
        path: Some("/home/alice/run.sh".to_owned()),
        args: Vec::new(),
    };
    s.ntasks = Some(4);
    s.cpus_per_task = Some(2);
    s.memory = Some(Memory::PerNode(MemSize::from_megabytes(4096)));
    s.gres = Some(GresList::from_str("gpu:h100:8").unwrap());
    s.time_limit = Some(TimeLimit::Minutes(90));
    j.time_limit = s.time_limit;
    j.state = JobState::Running;
    j.priority = 1000;
    j.submit_time = START - 100;
    j.eligible_time = Some(START - 100);
    j.start_time = Some(START);
    j.end_time = Some(START + 5400);
    j.nodes = vec!["n1".to_owned(), "n2".to_owned()];
    j.cpus = 8;
    j.batch_host = Some("n1".to_owned());
    j
}

#[test]
fn every_letter_renders_its_value_and_header() {
    // (letter, header, value for `running()`)
    let cases: &[(char, &str, &str)] = &[
        ('a', "ACCOUNT", "proj"),
        ('A', "JOBID", "123"),
        ('b', "TRES_PER_NODE", "gres:gpu:h100:8"),
        ('B', "EXEC_HOST", "n1"),
        ('c', "MIN_CPUS", "2"),
        ('C', "CPUS", "8"),
        ('d', "MIN_TMP_DISK", "0"),
        ('D', "NODES", "2"),
        ('e', "END_TIME", "2026-11-28T17:05:00"),
        ('E', "DEPENDENCY", "(null)"),
        ('f', "FEATURES", "(null)"),
        ('F', "ARRAY_JOB_ID", "120"),
        ('g', "GROUP", "users"),
        ('G', "GROUP", "100"),
        ('h', "OVER_SUBSCRIBE", "OK"),
        ('H', "SOCKETS_PER_NODE", "*"),
        ('i', "JOBID", "120_3"),
        ('I', "CORES_PER_SOCKET", "*"),
        ('j', "NAME", "train"),
        ('J', "THREADS_PER_CORE", "*"),
        ('k', "COMMENT", "c1"),
        ('K', "ARRAY_TASK_ID", "3"),
        ('l', "TIME_LIMIT", "1:30:00"),
        ('L', "TIME_LEFT", "27:57"),
        ('m', "MIN_MEMORY", "4G"),
        ('M', "TIME", "1:02:03"),
        ('n', "REQ_NODES", ""),
        ('N', "NODELIST", "n[1-2]"),
        ('o', "COMMAND", "/home/alice/run.sh"),
        ('O', "CONTIGUOUS", "0"),
        ('p', "PRIORITY", "0.00000023283064"),
        ('P', "PARTITION", "gpu"),
        ('q', "QOS", "high"),
        ('Q', "PRIORITY", "1000"),
        ('r', "REASON", "None"),
        ('R', "NODELIST(REASON)", "n[1-2]"),
        ('s', "", ""),
        ('S', "START_TIME", "2026-11-28T15:35:00"),
        ('t', "ST", "R"),
        ('T', "STATE", "RUNNING"),
        ('u', "USER", "alice"),
        ('U', "UID", "1000"),
        ('v', "RESERVATION", "(null)"),
        ('V', "SUBMIT_TIME", "2026-11-28T15:33:20"),
        ('w', "WCKEY", "(null)"),
        ('W', "LICENSES", "(null)"),
        ('x', "EXC_NODES", ""),
        ('X', "CORE_SPEC", "N/A"),
        ('y', "NICE", "0"),
        ('Y', "SCHEDNODES", "(null)"),
        ('z', "S:C:T", "*:*:*"),
        ('Z', "WORK_DIR", "/home/alice"),
    ];
    assert_eq!(cases.len(), 52, "every letter a-z, A-Z");
    let job = running();
    for &(c, header, value) in cases {
        let f = Format::parse(&format!("%{c}"));
        assert!(f.errors().is_empty(), "%{c}");
        assert_eq!(f.header(), header, "header of %{c}");
        assert_eq!(f.line(&job, &ctx()), value, "value of %{c}");
        assert_eq!(JobField::from_letter(c).and_then(JobField::letter), Some(c));
    }
}

#[test]
fn widths_alignment_and_truncation() {
    let run = running();
    let mut pend = running();
    pend.state = JobState::Pending;
    pend.reason = "Resources".to_owned();
    pend.nodes.clear();
    pend.start_time = None;
    pend.array = Some(ArrayInfo {
        job_id: 120,
        task_id: None,
        pending: Some("4-99%8".to_owned()),
    });
    // (format, job, expected line)
    let cases: &[(&str, &sk8_backend::JobInfo, &str)] = &[
        ("%.18i", &run, "             120_3"),
        ("%.4i", &run, "120_"),
        ("%4i", &run, "120_"),
        ("%10j|", &run, "train     |"),
        ("%.10j|", &run, "     train|"),
        ("%.3M", &run, "1:02:03"),
        ("%3M|", &run, "1:0|"),
        ("%3N", &run, "n[1"),
        ("%.3N", &run, "n[1-2]"),
        ("%.3R", &run, "n[1-2]"),
        ("%.5R", &pend, "(Reso"),
        ("%R", &pend, "(Resources)"),
        ("%.18i", &pend, "      120_[4-99%8]"),
        ("%K", &pend, "4-99%8"),
        ("%M %L", &pend, "0:00 1:30:00"),
        ("x%iy", &run, "x120_3y"),
        ("%%i", &run, "120_3"),
        ("%-5j", &run, "%-5j"),
        ("no fields", &run, "no fields"),
        ("%i %t", &pend, "120_[4-99%8] PD"),
    ];
    for &(fmt, job, want) in cases {
        assert_eq!(Format::parse(fmt).line(job, &ctx()), want, "{fmt:?}");
    }
    assert_eq!(
        Format::parse("%-5j").errors(),
        ["Invalid job format specification: -"]
    );
}

#[test]
fn long_format_widths_and_suffixes() {
    let job = running();
    let cases: &[(&str, &str, &str)] = &[
        ("jobid:10", "JOBID     ", "123       "),
        ("name:.8", "    NAME", "   train"),
        ("name", "NAME                ", "train               "),
        ("name:", "NAME", "train"),
        ("name:.8|x", "    NAME|x", "   train|x"),
        (
            "JobArrayID,StateCompact:3",
            "JOBID               ST ",
            "120_3               R  ",
        ),
        (
            "NumTasks,cpus-per-task:4",
            "TASKS               CPUS",
            "4                   2   ",
        ),
        ("bogus:5|", "|", "|"),
    ];
    for &(spec, header, line) in cases {
        let f = Format::parse_long(spec);
        assert_eq!(f.header(), header, "{spec}");
        assert_eq!(f.line(&job, &ctx()), line, "{spec}");
    }
    assert_eq!(
        Format::parse_long("bogus").errors(),
        ["Invalid job format specification: bogus"]
    );
}

#[test]
fn default_layouts_and_all() {
    let job = running();
    let f = Format::default_layout(false);
    assert_eq!(
        f.header(),
        "             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)"
    );
    assert_eq!(
        f.line(&job, &ctx()),
        "             120_3       gpu    train    alice  R    1:02:03      2 n[1-2]"
    );
    assert_eq!(f.to_string(), sk8_format::squeue::DEFAULT_FORMAT);
    let l = Format::default_layout(true);
    assert_eq!(
        l.header(),
        "             JOBID PARTITION     NAME     USER    STATE       TIME TIME_LIMI  NODES NODELIST(REASON)"
    );
    let all = Format::parse("%all");
    assert_eq!(all.header().split('|').count(), 52);
    assert_eq!(all.render(&[job], &ctx(), true).lines().count(), 1);
}

#[test]
fn node_states_and_gres_column() {
    let cases: &[(NodeState, bool, &str, &str)] = &[
        (NodeState::Idle, true, "idle", "idle"),
        (NodeState::Mixed, true, "mix", "mixed"),
        (NodeState::Allocated, true, "alloc", "allocated"),
        (NodeState::Drained, true, "drain", "drained"),
        (NodeState::Draining, true, "drng", "draining"),
        (NodeState::Down, false, "down*", "down"),
    ];
    for &(st, responding, short, long) in cases {
        assert_eq!(sinfo::state_compact(st, responding), short);
        assert_eq!(sinfo::state_long(st), long);
        assert_eq!(
            sinfo::parse_node_state(short.trim_end_matches('*')),
            Some(st)
        );
    }
    let node = NodeInfo {
        name: "g1".to_owned(),
        addr: "g1".to_owned(),
        state: NodeState::Mixed,
        reason: None,
        cpus: 64,
        cpus_alloc: 8,
        memory_mb: 512_000,
        memory_alloc_mb: 0,
        gpus: vec![(Some("h100".to_owned()), 8)],
        gpus_alloc: 1,
        features: Vec::new(),
        partitions: vec!["gpu".to_owned()],
    };
    assert_eq!(sinfo::node_gres(&node), "gpu:h100:8");
    let part = PartitionInfo {
        name: "gpu".to_owned(),
        default: true,
        up: true,
        max_time: TimeLimit::Minutes(2880),
        default_time: None,
        nodes: vec!["g1".to_owned()],
    };
    let f = sinfo::Format::parse("%P %G %t %C %F", false);
    let out = sinfo::render(
        &f,
        std::slice::from_ref(&part),
        std::slice::from_ref(&node),
        &Default::default(),
        &ctx(),
        false,
    );
    assert_eq!(
        out,
        "PARTITION GRES STATE CPUS(A/I/O/T) NODES(A/I/O/T)\ngpu* gpu:h100:8 mix 8/56/0/64 1/0/0/1\n"
    );
    let summary = sinfo::render(
        &sinfo::Format::default_layout(sinfo::Layout::default()),
        &[part],
        &[node],
        &Default::default(),
        &ctx(),
        true,
    );
    assert_eq!(summary, "gpu*         up 2-00:00:00      1    mix g1\n");
}

#[test]
fn sacct_fields_widths_and_modes() {
    let cols = sacct::parse_fields("jobid%20,JobName%-5,state,exitc").unwrap();
    let got: Vec<(&str, i32)> = cols.iter().map(|c| (c.name, c.width)).collect();
    assert_eq!(
        got,
        [
            ("JobID", 20),
            ("JobName", -5),
            ("State", 10),
            ("ExitCode", 8)
        ]
    );
    assert_eq!(
        sacct::parse_fields("nosuch").unwrap_err().to_string(),
        "Invalid field requested: \"nosuch\""
    );
    let mut job = running();
    job.state = JobState::Cancelled;
    job.steps = vec![StepInfo {
        id: "batch".to_owned(),
        name: "batch".to_owned(),
        state: JobState::Cancelled,
        nodes: vec!["n1".to_owned()],
        tasks: 1,
        start_time: Some(START),
        end_time: Some(START + 10),
        exit: sk8_backend::ExitStatus {
            code: 0,
            signal: 15,
        },
    }];
    let jobs = [job];
    let rows = sacct::rows(&jobs, false);
    let cols = sacct::parse_fields(sacct::BRIEF_FIELDS).unwrap();
    let cases: &[(sacct::Mode, &str)] = &[
        (
            sacct::Mode::Columns,
            "JobID             State ExitCode \n------------ ---------- -------- \n120_3        CANCELLED+      0:0 \n120_3.batch   CANCELLED     0:15 \n",
        ),
        (
            sacct::Mode::Parsable("|".to_owned()),
            "JobID|State|ExitCode|\n120_3|CANCELLED by 1000|0:0|\n120_3.batch|CANCELLED|0:15|\n",
        ),
        (
            sacct::Mode::Parsable2(",".to_owned()),
            "JobID,State,ExitCode\n120_3,CANCELLED by 1000,0:0\n120_3.batch,CANCELLED,0:15\n",
        ),
    ];
    for (mode, want) in cases {
        assert_eq!(
            &sacct::render(&cols, &rows, mode, &ctx(), false),
            want,
            "{mode:?}"
        );
    }
    assert_eq!(sacct::rows(&jobs, true).len(), 1);
    // A time-out: the script's status on its batch step, 0:0 on the job
    // (slurmdbd records the end before the status arrives).
    let mut timed_out = jobs[0].clone();
    timed_out.state = JobState::Timeout;
    timed_out.exit = timed_out.steps[0].exit;
    let rows = sacct::rows(std::slice::from_ref(&timed_out), false);
    assert_eq!(
        sacct::render(
            &cols,
            &rows,
            &sacct::Mode::Parsable2("|".to_owned()),
            &ctx(),
            false
        ),
        "JobID|State|ExitCode\n120_3|TIMEOUT|0:0\n120_3.batch|CANCELLED|0:15\n"
    );
}

proptest::proptest! {
    /// The fast start-time sort orders jobs exactly as squeue's merge sort
    /// with Slurm's asymmetric comparison does.
    #[test]
    fn fast_start_sort_equals_slurm_msort(starts in proptest::collection::vec(0i64..5, 0..40)) {
        let jobs: Vec<sk8_backend::JobInfo> = starts
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let mut j = blank_job(i as u32);
                j.start_time = (s != 0).then_some(s * 10);
                j.state = if s % 2 == 0 { JobState::Pending } else { JobState::Running };
                j
            })
            .collect();
        let (mut a, mut b) = (jobs.clone(), jobs);
        sk8_format::filter::sort_by_start_time(&mut a, 25);
        sk8_format::filter::start_time_msort(&mut b, 25);
        let ids = |v: &[sk8_backend::JobInfo]| v.iter().map(|j| j.id).collect::<Vec<_>>();
        proptest::prop_assert_eq!(ids(&a), ids(&b));
    }
}

/// `scontrol show job` of a hand-built job with fields the reference
/// scenario does not exercise (array task, GRES, memory, comment, script).
#[test]
fn show_job_of_a_gpu_array_task() {
    insta::assert_snapshot!(sk8_format::scontrol::show_job(&running(), &ctx(), false));
    insta::assert_snapshot!(sk8_format::scontrol::show_job(&running(), &ctx(), true));
}
