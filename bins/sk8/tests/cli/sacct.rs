//! `sacct` through the binary: columns, parsable forms and errors.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    crate::scratch("sacct", args, env)
}

#[test]
fn empty_history_prints_headers() {
    let (out, _, code) = run(&[], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "JobID           JobName  Partition    Account  AllocCPUS      State ExitCode \n------------ ---------- ---------- ---------- ---------- ---------- -------- \n"
    );
    assert_eq!(run(&["-P", "-o", "JobID,State"], &[]).0, "JobID|State\n");
    assert_eq!(run(&["-p", "-o", "jobid,state"], &[]).0, "JobID|State|\n");
    assert_eq!(
        run(&["-P", "--delimiter=,", "-b"], &[]).0,
        "JobID,State,ExitCode\n"
    );
    assert_eq!(run(&["-n"], &[]).0, "");
}

#[test]
fn bad_fields_and_times_are_refused() {
    let (_, err, code) = run(&["-o", "bogus"], &[]);
    assert_eq!(
        (err.as_str(), code),
        ("sacct: error: Invalid field requested: \"bogus\"\n", 1)
    );
    let (_, err, code) = run(&["-S", "bogus"], &[]);
    assert_eq!(
        (err.as_str(), code),
        ("Invalid time specification (pos=0): bogus\n", 1)
    );
}
