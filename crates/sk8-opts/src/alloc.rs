//! `srun`'s and `salloc`'s command lines: input variables, then options up to
//! the program to run, resolved into a job spec for the allocation.
//!
//! Unlike `sbatch` there is no script to read; heterogeneous `:` components
//! are parsed one after another as Slurm does.

use sk8_spec::JobSpec;
use sk8_spec::job::Command;

use crate::error::{EXIT_OPTION, Line, ParseError};
use crate::getopt::Getopt;
use crate::resolve::{Defaults, to_spec};
use crate::sbatch::{Context, input_variables};
use crate::state::{Opts, Source};
use crate::table::{Cmd, OptId};

/// What `srun` or `salloc` was asked to do.
#[derive(Debug, Clone)]
pub enum Request {
    /// Print this text and exit 0 (`--help`, `--usage`, `--version`).
    Print(String),
    /// Run `jobs` (one per heterogeneous component) with the options parsed.
    Run {
        /// The resolved components; each carries its program in `command`.
        jobs: Vec<JobSpec>,
        /// The parsed options of the last component, for command-specific
        /// switches (`--pty`, `--label`, `--multi-prog`, ...).
        opts: Box<Opts>,
        /// Notes to print before running.
        notes: Vec<Line>,
    },
}

/// Parses `srun` or `salloc` arguments (`args` excludes argv\[0\]).
pub fn parse(
    cmd: Cmd,
    args: &[String],
    ctx: &Context,
    host: &dyn crate::sbatch::Host,
) -> Result<Request, ParseError> {
    let mut opts = Opts::new(cmd, &ctx.cwd);
    for (name, def) in input_variables(cmd) {
        if let Some(v) = ctx.env.get(name) {
            opts.set_from_env(def, v)?;
        }
    }
    let mut jobs = Vec::new();
    let mut notes = Vec::new();
    let mut rest = args;
    loop {
        let mut getopt = Getopt::new(cmd, rest);
        for found in getopt.by_ref() {
            let (def, value) = found.map_err(|e| ParseError {
                lines: vec![
                    Line::bare(e.message(&ctx.argv0)),
                    Line::bare(format!(
                        "Try \"{} --help\" for more information",
                        cmd.name()
                    )),
                ],
                code: EXIT_OPTION,
            })?;
            match def.id {
                OptId::Help => return Ok(Request::Print(crate::help::help(cmd))),
                OptId::Usage => return Ok(Request::Print(crate::help::usage(cmd))),
                OptId::Version => return Ok(Request::Print(crate::VERSION_LINE.to_string())),
                _ => opts.set(def, value.as_deref(), Source::Cli)?,
            }
        }
        let after = &rest[getopt.rest()..];
        let (program, next) = match after.iter().position(|w| w == ":") {
            Some(i) => (&after[..i], Some(&after[i + 1..])),
            None => (after, None),
        };
        let defaults = Defaults {
            ctx,
            script_path: None,
            script_args: &[],
            wrap: None,
            host,
        };
        let (mut spec, mut more) = to_spec(&opts, &defaults)?;
        if opts.value(OptId::JobName).is_none() {
            // srun names the job after its program; salloc 22.05 calls every
            // allocation "interactive".
            spec.name = match cmd {
                Cmd::Salloc => "interactive".to_string(),
                _ => program
                    .first()
                    .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                    .unwrap_or_else(|| cmd.name().to_string()),
            };
        }
        spec.command = Command::Exec(program.to_vec());
        notes.append(&mut more);
        jobs.push(spec);
        match next {
            Some(n) => {
                rest = n;
                opts.reset_for_next_component();
            }
            None => break,
        }
    }
    Ok(Request::Run {
        jobs,
        opts: Box::new(opts),
        notes,
    })
}
