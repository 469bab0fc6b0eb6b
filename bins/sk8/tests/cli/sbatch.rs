//! `sbatch` as users run it: what it prints and its exit codes.

use sk8_harness::{Run, TestEnv};

/// Two 8-CPU virtual nodes, in a state directory of this test's own.
const CONFIG: &str = "[[node]]\nname = \"node1\"\ncpus = 8\n[[node]]\nname = \"node2\"\ncpus = 8\n";

fn env() -> TestEnv {
    crate::env("sbatch").with_config(CONFIG)
}

fn sbatch(args: &[&str]) -> Run {
    env().run("sbatch", args)
}

/// Asserts that standard error ends with `tail`.
#[track_caller]
fn ends_with(r: &Run, tail: &str) {
    assert!(
        r.stderr.ends_with(tail),
        "stderr {:?} should end with {tail:?}",
        r.stderr
    );
}

#[test]
fn help_lists_every_sbatch_option_and_exits_zero() {
    let r = sbatch(&["--help"]);
    r.expect_code(0);
    assert!(r.stdout.starts_with("Usage: sbatch [OPTIONS(0)...]"));
    for opt in [
        "--array=indexes",
        "--time=minutes",
        "--gpus-per-node=n",
        "--container-image",
    ] {
        assert!(r.stdout.contains(opt), "--help lacks {opt}");
    }
}

#[test]
fn help_wins_over_everything_after_it() {
    // The first pass acts on --help before the script is even looked for.
    sbatch(&["--help", "--no-such-option"]).expect_code(0);
    sbatch(&["--no-such-option", "--help"]).expect_code(255);
    sbatch(&["--help", "/nonexistent.sh"]).expect_code(0);
}

#[test]
fn unknown_option_is_getopts_message_and_255() {
    let r = sbatch(&["--frobnicate", "x.sh"]);
    r.expect_code(255);
    ends_with(
        &r,
        "unrecognized option '--frobnicate'\nTry \"sbatch --help\" for more information\n",
    );
}

#[test]
fn test_only_accepts_a_well_formed_script() {
    let e = env();
    e.write(
        "ok.sh",
        "#!/bin/bash\n#SBATCH -N 2 --ntasks-per-node=4 -c 2\nsrun hostname\n",
    );
    let r = e.run("sbatch", &["--test-only", "ok.sh"]);
    r.expect_code(0);
    assert!(
        r.stderr.starts_with("sbatch: Job ")
            && r.stderr
                .contains(" using 16 processors on nodes node[1-2] in partition debug"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_directive_value_is_refused_with_slurms_message() {
    let e = env();
    e.write("bad.sh", "#!/bin/bash\n#SBATCH --time=1:2:3:4\ntrue\n");
    let r = e.run("sbatch", &["--test-only", "bad.sh"]);
    r.expect_code(255);
    assert_eq!(r.stderr, "sbatch: error: Invalid --time specification\n");
    e.write("num.sh", "#!/bin/bash\n#SBATCH -n abc\ntrue\n");
    let r = e.run("sbatch", &["--test-only", "num.sh"]);
    r.expect_code(1);
    assert_eq!(
        r.stderr,
        "sbatch: error: Invalid numeric value \"abc\" for --ntasks.\n"
    );
}

#[test]
fn scripts_without_shebang_or_with_dos_lines_are_refused() {
    let e = env();
    e.write("noshebang.sh", "echo hi\n");
    let r = e.run("sbatch", &["--test-only", "noshebang.sh"]);
    r.expect_code(1);
    assert_eq!(
        r.stderr,
        "sbatch: error: This does not look like a batch script.  The first\n\
         sbatch: error: line must start with #! followed by the path to an interpreter.\n\
         sbatch: error: For instance: #!/bin/sh\n",
    );
    e.write("dos.sh", "#!/bin/bash\r\necho hi\r\n");
    let r = e.run("sbatch", &["--test-only", "dos.sh"]);
    r.expect_code(1);
    ends_with(
        &r,
        "DOS line breaks (\\r\\n)\nsbatch: error: instead of expected UNIX line breaks (\\n).\n",
    );
}

#[test]
fn script_from_standard_input() {
    let r = env().run_with_input(
        "sbatch",
        &["--test-only"],
        "#!/bin/sh\n#SBATCH -n 3\nhostname\n",
    );
    r.expect_code(0);
    ends_with(
        &r,
        " using 3 processors on nodes node1 in partition debug\n",
    );
}

#[test]
fn wrap_refuses_script_arguments() {
    let r = sbatch(&["--test-only", "--wrap=hostname", "extra"]);
    r.expect_code(1);
    assert_eq!(
        r.stderr,
        "sbatch: error: Script arguments not permitted with --wrap option\n"
    );
}

#[test]
fn missing_script_file() {
    let r = sbatch(&["--test-only", "/nonexistent/job.sh"]);
    r.expect_code(1);
    assert_eq!(
        r.stderr,
        "sbatch: error: Unable to open file /nonexistent/job.sh\n"
    );
}

#[test]
fn command_line_beats_input_variables_beat_directives() {
    let e = env();
    e.write("prec.sh", "#!/bin/bash\n#SBATCH -n 2\ntrue\n");
    let run = |var: Option<&str>, arg: Option<&str>| {
        let mut c = e.command("sbatch");
        c.arg("--test-only");
        if let Some(v) = var {
            c.env("SBATCH_CPUS_PER_GPU", "1").env("SLURM_NTASKS", v);
        }
        if let Some(a) = arg {
            c.arg(a);
        }
        let r = e.run_cmd(c.arg("prec.sh"));
        r.expect_code(0);
        r.stderr
    };
    assert!(run(None, None).contains(" using 2 processors"));
    // SLURM_NTASKS is srun's variable, not sbatch's: the directive stays.
    assert!(run(Some("7"), None).contains(" using 2 processors"));
    assert!(run(None, Some("-n5")).contains(" using 5 processors"));
}

#[test]
fn submits_runs_and_waits_on_the_local_backend() {
    let e = env();
    e.write("real.sh", "#!/bin/bash\necho ran $SLURM_JOB_NAME\nexit 7\n");
    let r = e.run("sbatch", &["--wait", "--parsable", "real.sh"]);
    r.expect_code(7);
    let id: u32 = r.stdout.trim().parse().unwrap();
    let log = std::fs::read_to_string(e.dir().join(format!("slurm-{id}.out"))).unwrap();
    assert_eq!(log, "ran real.sh\n");
}
