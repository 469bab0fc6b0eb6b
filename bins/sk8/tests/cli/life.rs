//! One job's life on the local backend, as a user sees it: `sbatch`, then
//! `squeue` while it runs, `scontrol show job`, and `sacct` once it ended,
//! each snapshotted with the job id, times, host and paths filtered.

use insta::assert_snapshot;

#[test]
fn a_job_from_sbatch_to_sacct() {
    let env = crate::scratch_env("life");
    // The job waits for a file the test creates, so squeue sees it running.
    env.write(
        "life.sh",
        "#!/bin/bash\n#SBATCH -J life -t 5\nwhile [ ! -e go ]; do sleep 0.05; done\necho done\n",
    );
    let submitted = env.run("sbatch", &["life.sh"]);
    submitted.expect_code(0);
    let id: u32 = submitted
        .stdout
        .trim()
        .strip_prefix("Submitted batch job ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("sbatch said {submitted:?}"));
    assert_snapshot!(
        "life_sbatch",
        submitted.with_job_id(id, "[JOBID]").snapshot()
    );

    let id_arg = id.to_string();
    // Waits (without a deadline of its own: the test runner's is the limit)
    // until squeue shows the job running.
    let running = loop {
        let r = env.run("squeue", &["-j", &id_arg, "-o", "%i %j %u %P %T %D %R"]);
        if r.stdout.contains(" RUNNING ") {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_snapshot!("life_squeue", running.with_job_id(id, "[JOBID]").snapshot());

    std::fs::write(env.dir().join("go"), "").unwrap();
    let ended = loop {
        let r = env.run(
            "sacct",
            &[
                "-j",
                &id_arg,
                "-X",
                "-P",
                "-o",
                "JobID,JobName,Partition,State,ExitCode",
            ],
        );
        if r.stdout.contains("|COMPLETED|") {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let shown = env.run("scontrol", &["show", "job", &id_arg]);
    assert_snapshot!(
        "life_scontrol",
        shown
            .with_job_id(id, "[JOBID]")
            .with_field("RunTime")
            .snapshot()
    );
    assert_snapshot!("life_sacct", ended.with_job_id(id, "[JOBID]").snapshot());
    let out = std::fs::read_to_string(env.dir().join(format!("slurm-{id}.out"))).unwrap();
    assert_eq!(out, "done\n");
}
