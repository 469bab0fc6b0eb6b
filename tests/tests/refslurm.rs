//! The harness itself against the live reference: held records, `--wait` runs, verdicts.

use sk8_tests::refslurm;
use sk8_tests::{TempDir, Verdict};

#[test]
#[ignore = "needs the reference Slurm"]
fn held_submission_is_read_back_and_cancelled() {
    refslurm::require("held_submission_is_read_back_and_cancelled");
    let job = refslurm::submit_held(
        "#!/bin/bash\n#SBATCH --comment=\"one StdErr=two\"\ntrue\n",
        &["--job-name=a b", "--time=5"],
        &[("SBATCH_PARTITION", "batch")],
    )
    .expect("the reference accepts the job");
    let got = refslurm::pick(
        &job,
        &["JobName", "Comment", "TimeLimit", "Partition", "Reason"],
    );
    let want = [
        ("Comment", Some("one StdErr=two")),
        ("JobName", Some("a b")),
        ("Partition", Some("batch")),
        ("Reason", Some("JobHeldUser")),
        ("TimeLimit", Some("00:05:00")),
    ];
    assert_eq!(got, want.into_iter().collect());
    let id = job.get("JobId").expect("a job id");
    let after = std::process::Command::new(refslurm::reference("scontrol"))
        .args(["show", "job", "-o", id])
        .output()
        .expect("scontrol runs");
    let state = String::from_utf8_lossy(&after.stdout);
    // Cancelled jobs stay listed until MinJobAge; a held one must be gone or cancelled.
    assert!(
        state.is_empty() || state.contains("JobState=CANCELLED"),
        "job {id} was not cancelled: {state}"
    );
}

#[test]
#[ignore = "needs the reference Slurm"]
fn refused_submission_comes_back_as_its_outcome() {
    refslurm::require("refused_submission_comes_back_as_its_outcome");
    let out = refslurm::submit_held("#!/bin/bash\ntrue\n", &["--time=abc"], &[])
        .expect_err("the reference refuses a bad time");
    assert_eq!(out.verdict(), Verdict::ParserRejection, "{out}");
    assert_eq!(
        out.messages(),
        ["sbatch: error: Invalid --time specification"]
    );
    let out = refslurm::test_only("#!/bin/bash\n#SBATCH -p nope\ntrue\n", &[]);
    assert_eq!(out.verdict(), Verdict::ControllerRejection, "{out}");
    let out = refslurm::test_only("#!/bin/bash\ntrue\n", &["-J", "x"]);
    assert_eq!(out.verdict(), Verdict::Accepted, "{out}");
}

#[test]
#[ignore = "needs the reference Slurm"]
fn waited_job_runs_in_its_directory_and_passes_its_exit_code() {
    refslurm::require("waited_job_runs_in_its_directory_and_passes_its_exit_code");
    let dir = TempDir::new("wait").expect("temp dir");
    let out = refslurm::run_wait(
        "#!/bin/bash\n#SBATCH -o out.txt\necho \"$SLURM_JOB_NAME in $PWD\"\nexit 3\n",
        &["-J", "waiter"],
        &[],
        dir.path(),
    );
    assert_eq!(out.exit_code, 3, "{out}");
    let written = std::fs::read_to_string(dir.path().join("out.txt")).expect("the job wrote");
    assert_eq!(written, format!("waiter in {}\n", dir.path().display()));
}
