//! `sbatch`: submit a batch script.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use crate::backend::backend;
use crate::exit::EXIT_ERROR;
use crate::failure::{Failure, Line};
use crate::host::{RealHost, context};
use sk8_backend::{Backend, JobFilter, JobId, JobRef, SubmitRequest};
use sk8_opts::sbatch::{Action, parse};

/// `sbatch`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("sbatch"),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let ctx = context(argv0);
    let test_only = args.iter().any(|a| a == "--test-only");
    let parsed = parse(args, &ctx, &RealHost).map_err(|f| {
        let f = Failure::from(f);
        if test_only { as_test_only(f) } else { f }
    })?;
    let submission = match parsed {
        Action::Print(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            return Ok(ExitCode::SUCCESS);
        }
        Action::Submit(s) => s,
    };
    let mut err = std::io::stderr().lock();
    for note in &submission.notes {
        let _ = writeln!(err, "{}", note.render("sbatch"));
    }
    drop(err);
    let backend = backend()?;
    let req = SubmitRequest {
        jobs: submission.jobs,
        script: submission.script,
    };
    if submission.test_only {
        let will = backend
            .will_run(&req)
            .map_err(|e| as_test_only(Failure::backend(sk8_opts::SUBMISSION_FAILED, &e)))?;
        eprintln!(
            "sbatch: Job {} to start at {} using {} processors on nodes {} in partition {}",
            will.job_id,
            sk8_format::time::Timestamp::in_zone(will.start_time, &sk8_host::local_zone()),
            will.cpus,
            will.nodes,
            will.partition
        );
        return Ok(ExitCode::SUCCESS);
    }
    for warning in backend.submit_warnings(&req) {
        eprintln!("sbatch: warning: {warning}");
    }
    let id = backend
        .submit(&req)
        .map_err(|e| Failure::backend(sk8_opts::SUBMISSION_FAILED, &e))?;
    if !submission.quiet {
        let mut out = std::io::stdout().lock();
        let _ = if submission.parsable {
            writeln!(out, "{id}")
        } else {
            writeln!(out, "Submitted batch job {id}")
        };
    }
    if submission.wait {
        return Ok(ExitCode::from(wait_for(backend.as_ref(), id)));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--wait`: polls until every record of the job (every task of an array) has
/// finished, and returns sbatch's exit code: the highest exit code, 1 for a
/// job ended by a signal.
fn wait_for(backend: &dyn Backend, id: JobId) -> u8 {
    let filter = JobFilter {
        ids: vec![JobRef::job(id)],
        include_finished: true,
        ..JobFilter::default()
    };
    let mut pause = Duration::from_millis(20);
    loop {
        match backend.jobs(&filter) {
            Ok(jobs) if !jobs.is_empty() && jobs.iter().all(|j| j.state.is_finished()) => {
                return jobs
                    .iter()
                    .map(|j| {
                        if j.exit.signal != 0 {
                            EXIT_ERROR
                        } else {
                            j.exit.code
                        }
                    })
                    .max()
                    .unwrap_or(0);
            }
            Ok(jobs) if jobs.is_empty() => {
                eprintln!("sbatch: error: Job {id} no longer found and exit code not found");
                return 0;
            }
            Ok(_) => {}
            Err(e) => eprintln!(
                "sbatch: error: Currently unable to load job state information, retrying: {e}"
            ),
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// `sbatch --test-only` reports the controller's refusals as
/// `allocation failure: ...` rather than `sbatch: error: Batch job
/// submission failed: ...`.
fn as_test_only(mut f: Failure) -> Failure {
    for line in &mut f.lines {
        if let Some(reason) = line.text.strip_prefix(sk8_opts::SUBMISSION_FAILED) {
            *line = Line::bare(format!("allocation failure: {reason}"));
        }
    }
    f
}
