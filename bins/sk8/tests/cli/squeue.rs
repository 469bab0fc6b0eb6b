//! `squeue` through the binary on an empty local backend: header, errors
//! and exit codes as Slurm 22.05 prints them.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    crate::scratch("squeue", args, env)
}

#[test]
fn empty_queue_prints_the_default_header() {
    let header =
        "             JOBID PARTITION     NAME     USER ST       TIME  NODES NODELIST(REASON)\n";
    assert_eq!(run(&[], &[]), (header.into(), String::new(), 0));
    assert_eq!(run(&["-h"], &[]).0, "");
    assert_eq!(run(&[], &[("SQUEUE_FORMAT", "%i|%j")]).0, "JOBID|NAME\n");
    assert_eq!(
        run(&[], &[("SQUEUE_FORMAT2", "jobid:6,name:4")]).0,
        "JOBID NAME\n"
    );
}

#[test]
fn errors_use_slurms_words_and_exit_codes() {
    let (_, err, code) = run(&["-j", "999"], &[]);
    assert_eq!(
        (err.as_str(), code),
        ("slurm_load_jobs error: Invalid job id specified\n", 1)
    );
    let (_, err, code) = run(&["-t", "bogus"], &[]);
    assert!(
        err.starts_with("squeue: error: Invalid job state specified: bogus\n"),
        "{err}"
    );
    assert_eq!(code, 1);
    let (_, err, code) = run(&["-o", "%i", "-l"], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "squeue: fatal: Options -o(--format) and -l(--long) are mutually exclusive. Please remove one and retry.\n"
    );
    let (out, err, code) = run(&["-o", "%-10j"], &[]);
    assert_eq!((out.as_str(), code), ("%-10j\n", 0));
    assert_eq!(err, "squeue: error: Invalid job format specification: -\n");
    let (_, err, code) = run(&["-w", "nonode"], &[]);
    assert_eq!(
        (err.as_str(), code),
        ("squeue: error: Invalid node name nonode\n", 1)
    );
}
