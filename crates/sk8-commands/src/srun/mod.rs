//! `srun`: inside a job, a step fanned out through the job's node agents;
//! outside one, an allocation of its own that the step runs in and releases.
//!
//! [`step`] plans and runs the step through sk8-step's client; it reads
//! [`StepOptions`], built here from the parsed options, never the option
//! table itself.

mod multiprog;
pub mod step;

pub use step::StepOptions;

use std::io::Write;
use std::process::ExitCode;

use crate::allocation::allocation_env;
use crate::backend::backend;
use crate::exit::EXIT_ERROR;
use crate::failure::Failure;
use crate::host::{RealHost, context};
use sk8_backend::{AllocEvent, AllocRequest, ExitStatus};
use sk8_opts::Cmd;
use sk8_opts::OptId;
use sk8_opts::alloc::{Request, parse};
use sk8_opts::state::Opts;

/// `srun`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("srun"),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let ctx = context(argv0);
    match parse(Cmd::Srun, args, &ctx, &RealHost)? {
        Request::Print(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        // Inside a job: a step through the job's agents (sk8-step).
        Request::Run { jobs, opts, .. } if step::in_allocation(&ctx.env) => match jobs.first() {
            Some(spec) => Ok(step::run_in_allocation(
                spec,
                &step_options(&opts),
                &ctx.env,
                forward_signals(),
            )),
            None => Ok(ExitCode::from(EXIT_ERROR)),
        },
        // Outside any job: an allocation of its own, one step in it, released
        // at the end.
        Request::Run { jobs, opts, notes } => {
            for note in &notes {
                eprintln!("{}", note.render("srun"));
            }
            standalone(&ctx, jobs, &opts)
        }
    }
}

/// What the step takes from the command line, read once from `opts`.
fn step_options(opts: &Opts) -> StepOptions {
    let value = |id| opts.value(id).map(str::to_string);
    StepOptions {
        label: opts.is_set(OptId::Label),
        exact: opts.is_set(OptId::Exact),
        output: value(OptId::Output),
        error: value(OptId::Error),
        input: value(OptId::Input),
        pty: opts.is_set(OptId::Pty),
        multi_prog: opts.is_set(OptId::MultiProg),
        job_name: value(OptId::JobName),
        // `-K` alone, or `-K` with any value but 0.
        kill_on_bad_exit: opts
            .get(OptId::KillOnBadExit)
            .is_some_and(|s| s.value.as_deref().is_none_or(|v| v.trim() != "0")),
    }
}

/// The signals srun forwards to its tasks (and Ctrl-C's status/cancel
/// handling), delivered on a channel; `None` when they cannot be caught.
fn forward_signals() -> Option<std::sync::mpsc::Receiver<i32>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2])
            .ok()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if tx.send(sig).is_err() {
                break;
            }
        }
    });
    Some(rx)
}

/// Standalone `srun`: allocates (saying so when it must wait, as srun does),
/// runs the step through the allocation's agents, then releases it with the
/// step's exit code.
fn standalone(
    ctx: &sk8_opts::sbatch::Context,
    jobs: Vec<sk8_spec::JobSpec>,
    opts: &Opts,
) -> Result<ExitCode, Failure> {
    let backend = backend()?;
    let immediate = opts
        .get(OptId::Immediate)
        .map(|s| s.value.as_deref().and_then(|v| v.parse().ok()).unwrap_or(1));
    let req = AllocRequest { jobs, immediate };
    let mut queued = false;
    let granted = backend
        .allocate(&req, &mut |event| match event {
            AllocEvent::Queued(id) => {
                queued = true;
                eprintln!("srun: job {id} queued and waiting for resources");
            }
            AllocEvent::Granted(id) if queued => {
                eprintln!("srun: job {id} has been allocated resources");
            }
            _ => {}
        })
        .map_err(|e| Failure::backend("Unable to allocate resources: ", &e))?;
    let spec = &req.jobs[0];
    let (env, _token) = allocation_env(ctx, spec, &granted, &backend.cluster())
        .map_err(|e| Failure::error(format!("cannot write the job token file: {e}"), EXIT_ERROR))?;
    let status = step::run_step(spec, &step_options(opts), &env, forward_signals());
    backend
        .release(
            granted.job.id,
            ExitStatus {
                code: status,
                signal: 0,
            },
        )
        .map_err(|e| Failure::backend("", &e))?;
    Ok(ExitCode::from(status))
}
