//! `scontrol show`/`hold`/`update` through the binary on a local backend.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    crate::scratch("scontrol", args, env)
}

#[test]
fn unknown_names_and_jobs() {
    assert_eq!(
        run(&["show", "partition", "nopart"], &[]),
        ("Partition nopart not found\n".into(), String::new(), 1)
    );
    assert_eq!(
        run(&["show", "node", "nonode"], &[]),
        ("Node nonode not found\n".into(), String::new(), 1)
    );
    let (_, err, code) = run(&["show", "job", "99"], &[]);
    assert_eq!(
        (err.as_str(), code),
        ("slurm_load_jobs error: Invalid job id specified\n", 1)
    );
    let (_, err, code) = run(&["hold", "99"], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Invalid job id specified for job 99\nslurm_suspend error: Invalid job id specified\n"
    );
    let (_, err, code) = run(&["update", "JobId=99", "TimeLimit=5"], &[]);
    assert_eq!(
        (err.as_str(), code),
        ("Invalid job id specified for job 99\n", 1)
    );
}

#[test]
fn partitions_show_in_one_line_with_o() {
    let (out, _, code) = run(&["-o", "show", "partition", "long"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("PartitionName=long AllowGroups=ALL"),
        "{out}"
    );
    assert!(out.contains(" MaxTime=2-00:00:00 "), "{out}");
    assert_eq!(out.lines().count(), 1);
}
