//! `scancel` through the binary: messages and exit codes for what cannot
//! be cancelled, as Slurm 22.05 prints them.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    crate::scratch("scancel", args, env)
}

#[test]
fn unknown_jobs_are_quiet_unless_verbose_or_signalled() {
    assert_eq!(run(&["999"], &[]), (String::new(), String::new(), 0));
    let (_, err, code) = run(&["-v", "999"], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        err,
        "scancel: Terminating job 999\nscancel: error: Kill job error on job id 999: Invalid job id specified\n"
    );
    let (_, err, code) = run(&["-b", "999"], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "scancel: error: Kill job error on job id 999: Invalid job id specified\n"
    );
}

#[test]
fn bad_input_is_refused() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "scancel: error: No job identification provided\n"),
        (&["abc"], "scancel: error: Invalid job id abc\n"),
        (&["-s", "BOGUS", "5"], "Unknown job signal: BOGUS\n"),
        (
            &["-t", "bogus"],
            "Invalid job state specified: bogus\nValid job states are PENDING, RUNNING, and SUSPENDED\n",
        ),
        (
            &["-u", "nobodyx"],
            "scancel: error: Invalid user name: nobodyx\n",
        ),
    ];
    for (args, want) in cases {
        let (_, err, code) = run(args, &[]);
        assert_eq!((err.as_str(), code), (*want, 1), "{args:?}");
    }
}

/// `-s` takes Slurm's signal names (the 16 of `sig_name2num`, shared with
/// `--signal`) or any number, as the reference scancel does.
#[test]
fn signal_names_are_slurms_own() {
    let (_, err, code) = run(&["-s", "WINCH", "999999"], &[]);
    assert_eq!((err.as_str(), code), ("Unknown job signal: WINCH\n", 1));
    for ok in ["usr1", "SIGTERM", "70"] {
        let (_, err, _) = run(&["-s", ok, "999999"], &[]);
        assert!(!err.contains("Unknown job signal"), "-s {ok}: {err}");
    }
}
