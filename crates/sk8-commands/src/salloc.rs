//! `salloc`: obtain an allocation, run a command (the user's shell by
//! default) in it, and release it when the command exits.

use std::io::Write;
use std::process::{Command, ExitCode};

use crate::allocation::allocation_env;
use crate::backend::backend;
use crate::exit::{self, EXIT_ERROR};
use crate::failure::Failure;
use crate::host::{RealHost, context};
use sk8_backend::{AllocEvent, AllocRequest, ExitStatus};
use sk8_opts::alloc::{Request, parse};
use sk8_opts::{Cmd, OptId};
use sk8_spec::job::Command as JobCommand;

/// `salloc`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("salloc"),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let ctx = context(argv0);
    let (jobs, opts, notes) = match parse(Cmd::Salloc, args, &ctx, &RealHost)? {
        Request::Print(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            return Ok(ExitCode::SUCCESS);
        }
        Request::Run { jobs, opts, notes } => (jobs, opts, notes),
    };
    for note in &notes {
        eprintln!("{}", note.render("salloc"));
    }
    let quiet = opts.quiet > 0;
    let backend = backend()?;
    let immediate = opts
        .get(OptId::Immediate)
        .map(|s| s.value.as_deref().and_then(|v| v.parse().ok()).unwrap_or(1));
    let req = AllocRequest { jobs, immediate };
    let mut queued = false;
    let granted = backend
        .allocate(&req, &mut |event| match event {
            AllocEvent::Pending(_) => {}
            AllocEvent::Queued(id) => {
                queued = true;
                eprintln!("salloc: Pending job allocation {id}");
                eprintln!("salloc: job {id} queued and waiting for resources");
            }
            AllocEvent::Granted(id) => {
                if queued {
                    eprintln!("salloc: job {id} has been allocated resources");
                }
                if !quiet {
                    eprintln!("salloc: Granted job allocation {id}");
                }
            }
        })
        .map_err(|e| Failure::backend("Job submit/allocate failed: ", &e))?;
    let id = granted.job.id;
    let spec = &req.jobs[0];
    let (env, _token) = allocation_env(&ctx, spec, &granted, &backend.cluster())
        .map_err(|e| Failure::error(format!("cannot write the job token file: {e}"), EXIT_ERROR))?;
    let argv = match &spec.command {
        JobCommand::Exec(argv) if !argv.is_empty() => argv.clone(),
        _ => vec![
            ctx.env
                .get("SHELL")
                .cloned()
                .unwrap_or_else(|| "/bin/sh".into()),
        ],
    };
    // The command owns the terminal: salloc itself ignores the signals a
    // user sends it there, as Slurm's salloc does while its command runs.
    let _ignore = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGQUIT,
    ]);
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .envs(&env)
        .status();
    let (code, exit) = match status {
        Ok(s) => {
            use std::os::unix::process::ExitStatusExt;
            match (s.code(), s.signal()) {
                (Some(c), _) => (
                    c as u8,
                    ExitStatus {
                        code: c as u8,
                        signal: 0,
                    },
                ),
                (None, Some(sig)) => (
                    exit::of_signal(sig),
                    ExitStatus {
                        code: 0,
                        signal: sig as u8,
                    },
                ),
                _ => (
                    EXIT_ERROR,
                    ExitStatus {
                        code: EXIT_ERROR,
                        signal: 0,
                    },
                ),
            }
        }
        Err(e) => {
            eprintln!("salloc: error: {}: {e}", argv[0]);
            (
                EXIT_ERROR,
                ExitStatus {
                    code: EXIT_ERROR,
                    signal: 0,
                },
            )
        }
    };
    if !quiet {
        eprintln!("salloc: Relinquishing job allocation {id}");
    }
    backend
        .release(id, exit)
        .map_err(|e| Failure::backend("", &e))?;
    Ok(ExitCode::from(code))
}
