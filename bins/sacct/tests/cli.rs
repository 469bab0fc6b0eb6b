//! `sacct` through the binary: columns, parsable forms and errors.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let home = std::env::temp_dir().join(format!("sk8-sacct-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    write_config(
        &home,
        "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n",
    )
    .unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sacct"));
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

/// Writes the config through a rename, so that tests running in parallel
/// never read it half-written (and fall back to the host's own shape).
fn write_config(home: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = home.join(format!("config.toml.{:?}", std::thread::current().id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, home.join("config.toml"))
}
