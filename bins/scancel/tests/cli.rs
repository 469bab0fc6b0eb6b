//! `scancel` through the binary: messages and exit codes for what cannot
//! be cancelled, as Slurm 22.05 prints them.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let home = std::env::temp_dir().join(format!("sk8-scancel-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    write_config(
        &home,
        "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n",
    )
    .unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_scancel"));
    c.args(args).env("SK8_HOME", &home);
    for (k, _) in std::env::vars() {
        if k.starts_with("SQUEUE_") || k.starts_with("SINFO_") || k.starts_with("SACCT_") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().copied());
    let out = c.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
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

/// Writes the config through a rename, so that tests running in parallel
/// never read it half-written (and fall back to the host's own shape).
fn write_config(home: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = home.join(format!("config.toml.{:?}", std::thread::current().id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, home.join("config.toml"))
}
