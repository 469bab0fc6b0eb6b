//! `sbatch` as users run it: what it prints and its exit codes.

use assert_cmd::Command;

/// Two 8-CPU virtual nodes, in a state directory of this test run's own.
const CONFIG: &str = "[[node]]\nname = \"node1\"\ncpus = 8\n[[node]]\nname = \"node2\"\ncpus = 8\n";

fn sbatch() -> Command {
    static HOME: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let home = HOME.get_or_init(|| {
        let home = tempdir().join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("config.toml"), CONFIG).unwrap();
        home
    });
    let mut c = Command::cargo_bin("sbatch").unwrap();
    c.env_remove("SBATCH_TIMELIMIT")
        .env_remove("SBATCH_PARTITION")
        .env("SK8_HOME", home);
    c
}

fn script(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sk8-sbatch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn help_lists_every_sbatch_option_and_exits_zero() {
    let out = sbatch()
        .arg("--help")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("Usage: sbatch [OPTIONS(0)...]"));
    for opt in [
        "--array=indexes",
        "--time=minutes",
        "--gpus-per-node=n",
        "--container-image",
    ] {
        assert!(text.contains(opt), "--help lacks {opt}");
    }
}

#[test]
fn help_wins_over_everything_after_it() {
    // The first pass acts on --help before the script is even looked for.
    sbatch()
        .args(["--help", "--no-such-option"])
        .assert()
        .success();
    sbatch()
        .args(["--no-such-option", "--help"])
        .assert()
        .code(255);
    sbatch()
        .args(["--help", "/nonexistent.sh"])
        .assert()
        .success();
}

#[test]
fn unknown_option_is_getopts_message_and_255() {
    ends_with(
        sbatch().args(["--frobnicate", "x.sh"]).assert().code(255),
        "unrecognized option '--frobnicate'\nTry \"sbatch --help\" for more information\n",
    );
}

/// Asserts that standard error ends with `tail`.
fn ends_with(a: assert_cmd::assert::Assert, tail: &str) {
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.ends_with(tail),
        "stderr {err:?} should end with {tail:?}"
    );
}

#[test]
fn test_only_accepts_a_well_formed_script() {
    let d = tempdir();
    let p = script(
        &d,
        "ok.sh",
        "#!/bin/bash\n#SBATCH -N 2 --ntasks-per-node=4 -c 2\nsrun hostname\n",
    );
    let out = sbatch()
        .arg("--test-only")
        .arg(&p)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.starts_with("sbatch: Job ")
            && err.contains(" using 16 processors on nodes node[1-2] in partition debug"),
        "{err}"
    );
}

#[test]
fn bad_directive_value_is_refused_with_slurms_message() {
    let d = tempdir();
    let p = script(&d, "bad.sh", "#!/bin/bash\n#SBATCH --time=1:2:3:4\ntrue\n");
    sbatch()
        .arg("--test-only")
        .arg(&p)
        .assert()
        .code(255)
        .stderr("sbatch: error: Invalid --time specification\n");
    let p = script(&d, "num.sh", "#!/bin/bash\n#SBATCH -n abc\ntrue\n");
    sbatch()
        .arg("--test-only")
        .arg(&p)
        .assert()
        .code(1)
        .stderr("sbatch: error: Invalid numeric value \"abc\" for --ntasks.\n");
}

#[test]
fn scripts_without_shebang_or_with_dos_lines_are_refused() {
    let d = tempdir();
    let p = script(&d, "noshebang.sh", "echo hi\n");
    sbatch().arg("--test-only").arg(&p).assert().code(1).stderr(
        "sbatch: error: This does not look like a batch script.  The first\n\
         sbatch: error: line must start with #! followed by the path to an interpreter.\n\
         sbatch: error: For instance: #!/bin/sh\n",
    );
    let p = script(&d, "dos.sh", "#!/bin/bash\r\necho hi\r\n");
    let a = sbatch().arg("--test-only").arg(&p).assert().code(1);
    ends_with(
        a,
        "DOS line breaks (\\r\\n)\nsbatch: error: instead of expected UNIX line breaks (\\n).\n",
    );
}

#[test]
fn script_from_standard_input() {
    ends_with(
        sbatch()
            .arg("--test-only")
            .write_stdin("#!/bin/sh\n#SBATCH -n 3\nhostname\n")
            .assert()
            .success(),
        " using 3 processors on nodes node1 in partition debug\n",
    );
}

#[test]
fn wrap_refuses_script_arguments() {
    sbatch()
        .args(["--test-only", "--wrap=hostname", "extra"])
        .assert()
        .code(1)
        .stderr("sbatch: error: Script arguments not permitted with --wrap option\n");
}

#[test]
fn missing_script_file() {
    sbatch()
        .args(["--test-only", "/nonexistent/job.sh"])
        .assert()
        .code(1)
        .stderr("sbatch: error: Unable to open file /nonexistent/job.sh\n");
}

#[test]
fn command_line_beats_input_variables_beat_directives() {
    let d = tempdir();
    let p = script(&d, "prec.sh", "#!/bin/bash\n#SBATCH -n 2\ntrue\n");
    let run = |env: Option<&str>, arg: Option<&str>| {
        let mut c = sbatch();
        c.arg("--test-only");
        if let Some(e) = env {
            c.env("SBATCH_CPUS_PER_GPU", "1").env("SLURM_NTASKS", e);
        }
        if let Some(a) = arg {
            c.arg(a);
        }
        let out = c.arg(&p).assert().success().get_output().stderr.clone();
        String::from_utf8(out).unwrap()
    };
    assert!(run(None, None).contains(" using 2 processors"));
    // SLURM_NTASKS is srun's variable, not sbatch's: the directive stays.
    assert!(run(Some("7"), None).contains(" using 2 processors"));
    assert!(run(None, Some("-n5")).contains(" using 5 processors"));
}

#[test]
fn submits_runs_and_waits_on_the_local_backend() {
    let d = tempdir().join("run");
    std::fs::create_dir_all(&d).unwrap();
    let p = script(
        &d,
        "real.sh",
        "#!/bin/bash\necho ran $SLURM_JOB_NAME\nexit 7\n",
    );
    let out = sbatch()
        .current_dir(&d)
        .args(["--wait", "--parsable"])
        .arg(&p)
        .assert()
        .code(7)
        .get_output()
        .stdout
        .clone();
    let id: u32 = String::from_utf8(out).unwrap().trim().parse().unwrap();
    let log = std::fs::read_to_string(d.join(format!("slurm-{id}.out"))).unwrap();
    assert_eq!(log, "ran real.sh\n");
}
