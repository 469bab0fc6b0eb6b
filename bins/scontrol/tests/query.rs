//! `scontrol show`/`hold`/`update` through the binary on a local backend.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let home = std::env::temp_dir().join(format!("sk8-scontrol-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    write_config(
        &home,
        "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n",
    )
    .unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_scontrol"));
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

/// Writes the config through a rename, so that tests running in parallel
/// never read it half-written (and fall back to the host's own shape).
fn write_config(home: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = home.join(format!("config.toml.{:?}", std::thread::current().id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, home.join("config.toml"))
}
