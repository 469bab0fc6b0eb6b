//! `squeue` through the binary on an empty local backend: header, errors
//! and exit codes as Slurm 22.05 prints them.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let home = std::env::temp_dir().join(format!("sk8-squeue-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    write_config(
        &home,
        "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n",
    )
    .unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_squeue"));
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

/// Writes the config through a rename, so that tests running in parallel
/// never read it half-written (and fall back to the host's own shape).
fn write_config(home: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = home.join(format!("config.toml.{:?}", std::thread::current().id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, home.join("config.toml"))
}
