//! Issue 13: format widths and task sets a user types are bounded before
//! anything is allocated (Slurm's squeue and sinfo crash past ~8 MB widths,
//! sacct pads any `int`; sk8 holds a whole line to [`MAX_LINE_WIDTH`]).

use sk8_backend::{JobState, NodeInfo, NodeState, PartitionInfo};
use sk8_backend::{MAX_TASK_SET, parse_task_set};
use sk8_format::squeue::Format;
use sk8_format::text::MAX_LINE_WIDTH;
use sk8_format::{Context, sacct, sinfo};
use sk8_spec::TimeLimit;

use crate::convert::blank_job;

fn ctx() -> Context {
    Context {
        now: 1_795_880_100,
        zone: sk8_format::Zone::utc(),
        groups: sk8_format::GroupNames::default(),
        cluster: "c".to_owned(),
    }
}

const MAX: usize = MAX_LINE_WIDTH as usize;

/// `sacct -o jobid%65536` panicked ("Formatting argument out of range").
#[test]
fn issue_13_sacct_width_65536_is_an_error_not_a_panic() {
    let err = sacct::parse_fields("jobid%65536").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Invalid field width requested: \"jobid%65536\" (field widths add up to at most {MAX_LINE_WIDTH})"
        )
    );
    // What fits is rendered, header and dashes included, both alignments.
    let job = blank_job(7);
    for list in ["jobid%65535", "jobid%-65535", "jobid%-60000,state%5535"] {
        let cols = sacct::parse_fields(list).unwrap();
        let rows = sacct::rows(std::slice::from_ref(&job), true);
        let out = sacct::render(&cols, &rows, &sacct::Mode::Columns, &ctx(), false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{list}");
        for line in lines {
            assert_eq!(line.len(), MAX + cols.len(), "{list}");
        }
    }
    // The budget is for the whole line, `ALL` included.
    assert!(sacct::parse_fields("jobid%40000,jobname%40000").is_err());
    assert!(sacct::parse_fields("ALL%1000").is_err());
    assert!(sacct::parse_fields("ALL").is_ok());
}

/// `squeue -O jobid:999999999` and `squeue -o %.999999999i` allocated GBs.
#[test]
fn issue_13_squeue_widths_are_held_to_the_line_budget() {
    let job = blank_job(7);
    let cases = [
        (Format::parse("%.999999999i"), "%.999999999i"),
        (Format::parse_long("jobid:999999999"), "jobid:999999999"),
        (Format::parse("%.65536i"), "%.65536i"),
        (Format::parse("%.60000i %.60000j"), "%.60000j"),
    ];
    for (f, spec) in cases {
        assert_eq!(
            f.errors(),
            [format!(
                "Invalid job format specification: {spec} (field widths add up to at most {MAX_LINE_WIDTH})"
            )],
            "{spec}"
        );
        let out = f.render(std::slice::from_ref(&job), &ctx(), false);
        for line in out.lines() {
            assert!(line.len() <= MAX + 8, "{spec}: a line of {}", line.len());
        }
    }
    // Exactly the budget is no error.
    let f = Format::parse("%.65535i");
    assert!(f.errors().is_empty());
    assert_eq!(f.header().len(), MAX);
    // Wrapped widths (C's atoi) print as Slurm does, and cost nothing.
    assert!(Format::parse("%.2147483648i").errors().is_empty());
}

/// `sinfo -o '%999999999N'` allocated GBs.
#[test]
fn issue_13_sinfo_widths_are_held_to_the_line_budget() {
    let node = NodeInfo {
        name: "n1".to_owned(),
        addr: "n1".to_owned(),
        state: NodeState::Idle,
        reason: None,
        cpus: 2,
        cpus_alloc: 0,
        memory_mb: 1000,
        memory_alloc_mb: 0,
        gpus: Vec::new(),
        gpus_alloc: 0,
        features: Vec::new(),
        partitions: vec!["dé".to_owned()],
    };
    let part = PartitionInfo {
        name: "dé".to_owned(),
        default: true,
        up: true,
        max_time: TimeLimit::Unlimited,
        default_time: None,
        nodes: vec!["n1".to_owned()],
    };
    for spec in ["%999999999N", "%.999999999N", "%65536P"] {
        let f = sinfo::Format::parse(spec, false);
        assert_eq!(f.errors().len(), 1, "{spec}");
        assert!(f.errors()[0].starts_with("Invalid node format specification: "));
        let out = sinfo::render(
            &f,
            std::slice::from_ref(&part),
            std::slice::from_ref(&node),
            &sinfo::NodeFilter::default(),
            &ctx(),
            false,
        );
        assert!(out.lines().all(|l| l.len() <= MAX + 8), "{spec}");
    }
    let f = sinfo::Format::parse_long("nodelist:999999999");
    assert_eq!(f.errors().len(), 1);
    // A default partition's `*` cut inside a UTF-8 name does not panic.
    let f = sinfo::Format::parse("%3P", false);
    let out = sinfo::render(
        &f,
        &[part],
        &[node],
        &sinfo::NodeFilter::default(),
        &ctx(),
        true,
    );
    assert_eq!(out, "d* \n");
}

/// `scancel '1_[0-4000000]'` ran for minutes on an empty queue: Slurm's
/// scancel reads the brackets as a hostlist, 64K ids at most.
#[test]
fn issue_13_task_sets_are_bounded_before_expanding() {
    assert_eq!(parse_task_set("0-4000000"), None);
    assert_eq!(parse_task_set("0-4294967295"), None);
    assert_eq!(parse_task_set("0-65536"), None);
    assert_eq!(
        parse_task_set("0-65535").map(|v| v.len()),
        Some(MAX_TASK_SET as usize)
    );
    // Counted before expanding, repeats included.
    assert_eq!(parse_task_set("0-40000,0-40000"), None);
    assert_eq!(
        parse_task_set("0-4000000:100").map(|v| v.len()),
        Some(40_001)
    );
    assert_eq!(parse_task_set("1,3,5-7%2"), Some(vec![1, 3, 5, 6, 7]));
    assert_eq!(parse_task_set("7-3"), Some(vec![]));
    // `squeue -r` of a pending array uses the same bound.
    let mut job = blank_job(9);
    job.state = JobState::Pending;
    job.array = Some(sk8_backend::ArrayInfo {
        job_id: 9,
        task_id: None,
        pending: Some("0-4000000".to_owned()),
    });
    assert_eq!(sk8_format::squeue::expand_array_tasks(&[job]).len(), 1);
}
