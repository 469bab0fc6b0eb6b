//! `srun`: its options are parsed and checked from the shared table; running
//! jobs comes with the local backend.

use std::io::Write;
use std::process::ExitCode;

use sk8_cli::{RealHost, args, context, fail};
use sk8_opts::alloc::{Request, parse};
use sk8_opts::error::EXIT_ERROR;
use sk8_opts::{Cmd, Failure, Line};

fn main() -> ExitCode {
    let (argv0, args) = args();
    match run(&argv0, &args) {
        Ok(code) => code,
        Err(failure) => fail("srun", &failure),
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
        Request::Run { jobs, opts, .. } if sk8_step::srun::in_allocation(&ctx.env) => {
            match jobs.first() {
                Some(spec) => Ok(sk8_step::srun::run_in_allocation(
                    spec,
                    &opts,
                    &ctx.env,
                    forward_signals(),
                )),
                None => Ok(ExitCode::from(EXIT_ERROR)),
            }
        }
        Request::Run { .. } => Err(Failure {
            lines: vec![Line::error(
                "no backend is configured yet: srun cannot run jobs",
            )],
            code: EXIT_ERROR,
        }),
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
