//! `salloc`: its options are parsed and checked from the shared table; running
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
        Err(failure) => fail("salloc", &failure),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let ctx = context(argv0);
    match parse(Cmd::Salloc, args, &ctx, &RealHost)? {
        Request::Print(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        Request::Run { .. } => Err(Failure {
            lines: vec![Line::error(
                "no backend is configured yet: salloc cannot run jobs",
            )],
            code: EXIT_ERROR,
        }),
    }
}
