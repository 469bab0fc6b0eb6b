//! `sbatch`: submit a batch script.

use std::io::Write;
use std::process::ExitCode;

use sk8_cli::{RealHost, args, context, fail};
use sk8_opts::error::EXIT_ERROR;
use sk8_opts::sbatch::{Action, parse};
use sk8_opts::{Failure, Line};

fn main() -> ExitCode {
    let (argv0, args) = args();
    match run(&argv0, &args) {
        Ok(code) => code,
        Err(failure) => fail("sbatch", &failure),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let ctx = context(argv0);
    let test_only = args.iter().any(|a| a == "--test-only");
    let parsed =
        parse(args, &ctx, &RealHost).map_err(|f| if test_only { as_test_only(f) } else { f })?;
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
    if submission.test_only {
        // No backend places jobs yet, so there is no start time or node to
        // report: say what was checked instead.
        for job in &submission.jobs {
            let tasks = job.tasks();
            let cpus = tasks * job.cpus_per_task();
            let partition = job.partition.as_deref().unwrap_or("(default)");
            let _ = writeln!(
                err,
                "sbatch: Job would be accepted: {tasks} task(s) using {cpus} processors in partition {partition} (no backend places jobs yet)"
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    Err(Failure {
        lines: vec![Line::error(
            "Batch job submission failed: no backend is configured yet (hint: --test-only checks a script)",
        )],
        code: EXIT_ERROR,
    })
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
