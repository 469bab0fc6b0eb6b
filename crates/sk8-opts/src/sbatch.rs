//! `sbatch`'s command line, script and input variables, resolved into job
//! specs exactly in Slurm's order (src/sbatch/opt.c):
//!
//! 1. a first pass over the command line finds `--help`, `--usage`,
//!    `--version`, `-v`, `-Q`, `--wrap` and the script path (getopt stops at
//!    the first non-option); any getopt error stops everything here;
//! 2. the script is read (or `--wrap` turned into one) and checked;
//! 3. for each heterogeneous component: `#SBATCH` directives, then input
//!    variables, then the command line, each overriding the one before;
//!    then Slurm's verification (`_opt_verify`) and defaults.
//!
//! Nothing here touches the system: the script, standard input and the
//! environment come through [`Host`].

use std::collections::BTreeMap;

use sk8_spec::JobSpec;

use crate::error::{EXIT_ERROR, EXIT_OPTION, Line, ParseError};
use crate::getopt::Getopt;
use crate::resolve::{Defaults, to_spec};
use crate::state::{Opts, Source};
use crate::table::{Cmd, OPTIONS, OptDef, OptId};

/// The longest batch script Slurm accepts: `SchedulerParameters`'
/// `max_script_size`, 4 MiB by default. slurmctld refuses a longer one with
/// `Pathname of a file, directory or other parameter too long`.
pub const MAX_SCRIPT_SIZE: usize = 4 << 20;

/// What the parser needs from the machine it runs on.
///
/// The parser accepts no file longer than [`MAX_SCRIPT_SIZE`], so a reader
/// may stop after `MAX_SCRIPT_SIZE + 1` bytes: enough to tell that a file is
/// too long without holding all of it (or reading `/dev/zero` forever).
pub trait Host {
    /// The contents of the file at `path` (absolute), or at least its first
    /// `MAX_SCRIPT_SIZE + 1` bytes.
    fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>>;
    /// Standard input, or at least its first `MAX_SCRIPT_SIZE + 1` bytes.
    fn read_stdin(&self) -> std::io::Result<Vec<u8>>;
    /// True when `path` (absolute) names a readable regular file.
    fn is_readable_file(&self, path: &str) -> bool;
}

/// The facts about the submission that do not come from options.
#[derive(Debug, Clone)]
pub struct Context {
    /// argv\[0\] as invoked (getopt's messages name it).
    pub argv0: String,
    /// The submitting directory.
    pub cwd: String,
    /// The submitting environment.
    pub env: BTreeMap<String, String>,
    /// Submitting user name, uid and gid.
    pub user: String,
    /// Numeric user id.
    pub uid: u32,
    /// Numeric group id.
    pub gid: u32,
    /// This host's short name (`SLURM_SUBMIT_HOST`).
    pub host: String,
    /// The default partition, when the configuration names one.
    pub default_partition: Option<String>,
}

/// What `sbatch` was asked to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// Print this text on standard output and exit 0 (`--help`, `--usage`, `--version`).
    Print(String),
    /// Submit (or with `--test-only`, only check) these jobs.
    Submit(Box<Submission>),
}

/// A parsed `sbatch` request.
#[derive(Debug, Clone)]
pub struct Submission {
    /// One spec per heterogeneous job component (usually one).
    pub jobs: Vec<JobSpec>,
    /// The batch script's text (generated for `--wrap`).
    pub script: Vec<u8>,
    /// `--parsable`.
    pub parsable: bool,
    /// `--wait`.
    pub wait: bool,
    /// `--test-only`.
    pub test_only: bool,
    /// `-Q` given.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u32,
    /// Lines to print on standard error before submitting (warnings, info).
    pub notes: Vec<Line>,
}

/// Parses `sbatch`'s arguments (`args` excludes argv\[0\]).
pub fn parse(args: &[String], ctx: &Context, host: &dyn Host) -> Result<Action, ParseError> {
    // First pass: all components' options at once, ":" removed.
    let flat: Vec<String> = args.iter().filter(|a| *a != ":").cloned().collect();
    let mut first = Opts::new(Cmd::Sbatch, &ctx.cwd);
    let mut getopt = Getopt::new(Cmd::Sbatch, &flat);
    let mut first_pass_ignore_pbs = false;
    for found in getopt.by_ref() {
        let (def, value) = found.map_err(|e| getopt_failure(&e.message(&ctx.argv0)))?;
        first_pass_ignore_pbs |= def.id == OptId::IgnorePbs;
        match def.id {
            OptId::Help => return Ok(Action::Print(crate::help::help(Cmd::Sbatch))),
            OptId::Usage => return Ok(Action::Print(crate::help::usage(Cmd::Sbatch))),
            OptId::Version => return Ok(Action::Print(crate::VERSION_LINE.to_string())),
            _ if def.early => first.set(def, value.as_deref(), Source::Cli)?,
            _ => {}
        }
    }
    let script_words = &flat[getopt.rest()..];
    let wrap = first.value(OptId::Wrap).map(str::to_string);
    if wrap.is_some() && !script_words.is_empty() {
        return Err(ParseError::error(
            "Script arguments not permitted with --wrap option",
            EXIT_ERROR,
        ));
    }

    // The script: a path found as sbatch's search_path finds it, standard input, or --wrap.
    let script_path = script_words.first().map(|w| find_script(w, ctx, host));
    let script = match (&wrap, &script_path) {
        (Some(cmd), _) => {
            format!("#!/bin/sh\n# This script was created by sbatch --wrap.\n\n{cmd}\n")
                .into_bytes()
        }
        (None, Some(path)) => host
            .read_file(path)
            .map_err(|_| ParseError::error(format!("Unable to open file {path}"), EXIT_ERROR))?,
        (None, None) => host
            .read_stdin()
            .map_err(|_| ParseError::error("Unable to read standard input", EXIT_ERROR))?,
    };
    let scan_failure = |e: sk8_directive::ScanError| {
        let file = script_path
            .as_deref()
            .map_or("stdin", |p| p.rsplit('/').next().unwrap_or(p));
        ParseError {
            lines: e
                .render(file)
                .lines()
                .map(|l| Line::bare(l.to_string()))
                .collect(),
            code: sk8_directive::ScanError::EXIT_CODE,
        }
    };
    let scanned = sk8_directive::scan(&script).map_err(scan_failure)?;

    let foreign = if first_pass_ignore_pbs {
        None
    } else {
        sk8_directive::scan_foreign(&script).map_err(scan_failure)?
    };

    // Second pass, once per component. Command line words per component are
    // split at ":"; the last component ends at the script path.
    let cli_end = args.len() - script_words.len();
    let mut cli_parts: Vec<&[String]> = args[..cli_end].split(|a| a == ":").collect();
    if cli_parts.is_empty() {
        cli_parts.push(&[]);
    }
    let ncomp = scanned.components.len().max(cli_parts.len());
    let mut opts = Opts::new(Cmd::Sbatch, &ctx.cwd);
    let mut jobs = Vec::with_capacity(ncomp);
    let mut notes = Vec::new();
    for w in &scanned.warnings {
        notes.push(Line::bare(w.render().trim_end().to_string()));
    }
    let env_vars = input_variables(Cmd::Sbatch);
    // What Slurm printed before failing (the `#SLURM` complaint, warnings)
    // comes out before the failure's own lines.
    let with_notes = |notes: &[Line], mut f: ParseError| {
        let mut lines = notes.to_vec();
        lines.append(&mut f.lines);
        f.lines = lines;
        f
    };
    for comp in 0..ncomp {
        if comp > 0 {
            opts.reset_for_next_component();
        }
        if let Some(words) = scanned.components.get(comp) {
            let words: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
            apply_words(&mut opts, &words, "sbatch", Source::Directive, true)
                .map_err(|f| with_notes(&notes, f))?;
        }
        // #PBS/#BSUB lines are translated unless --ignore-pbs says not to.
        let ignore_pbs = first_pass_ignore_pbs
            || opts.is_set(OptId::IgnorePbs)
            || ctx.env.contains_key("SBATCH_IGNORE_PBS");
        if !ignore_pbs {
            if let Some(foreign) = &foreign {
                crate::xlate::apply(foreign, &mut opts).map_err(|f| with_notes(&notes, f))?;
            }
        }
        for (name, def) in &env_vars {
            if let Some(v) = ctx.env.get(*name) {
                opts.set_from_env(def, v)
                    .map_err(|f| with_notes(&notes, f))?;
            }
        }
        if let Some(words) = cli_parts.get(comp) {
            apply_words(&mut opts, words, &ctx.argv0, Source::Cli, false)
                .map_err(|f| with_notes(&notes, f))?;
        }
        let defaults = Defaults {
            ctx,
            script_path: script_path.as_deref(),
            script_args: script_words.get(1..).unwrap_or_default(),
            wrap: wrap.as_deref(),
            host,
        };
        let (spec, mut comp_notes) =
            to_spec(&opts, &defaults).map_err(|f| with_notes(&notes, f))?;
        notes.append(&mut comp_notes);
        jobs.push(spec);
    }

    let quiet = first.quiet > 0 || opts.quiet > 0;
    let verbose = first.verbose + opts.verbose;
    if quiet && verbose > 0 {
        return Err(ParseError::error(
            "don't specify both --verbose (-v) and --quiet (-Q)",
            EXIT_ERROR,
        ));
    }
    // slurmctld's check, after everything sbatch itself validates.
    if script.len() > MAX_SCRIPT_SIZE {
        return Err(with_notes(
            &notes,
            ParseError::error(
                format!(
                    "{}Pathname of a file, directory or other parameter too long",
                    crate::SUBMISSION_FAILED
                ),
                EXIT_ERROR,
            ),
        ));
    }
    Ok(Action::Submit(Box::new(Submission {
        jobs,
        script,
        parsable: opts.is_set(OptId::Parsable),
        wait: opts.is_set(OptId::Wait),
        test_only: opts.is_set(OptId::TestOnly),
        quiet,
        verbose,
        notes,
    })))
}

/// Runs getopt over `words` and applies each option, skipping the ones
/// handled in the first pass. In directives, a word that is not an option is
/// an error (`Invalid directive found in batch script`).
fn apply_words(
    opts: &mut Opts,
    words: &[String],
    prog: &str,
    source: Source,
    directives: bool,
) -> Result<(), ParseError> {
    let mut getopt = Getopt::new(opts.cmd, words);
    for found in getopt.by_ref() {
        let (def, value) = found.map_err(|e| getopt_failure(&e.message(prog)))?;
        if def.early || matches!(def.id, OptId::Help | OptId::Usage | OptId::Version) {
            continue;
        }
        opts.set(def, value.as_deref(), source)?;
    }
    if directives {
        if let Some(word) = words.get(getopt.rest()) {
            return Err(ParseError::error(
                format!("Invalid directive found in batch script: {word}"),
                EXIT_OPTION,
            ));
        }
    }
    Ok(())
}

fn getopt_failure(message: &str) -> ParseError {
    ParseError {
        lines: vec![
            Line::bare(message),
            Line::bare("Try \"sbatch --help\" for more information"),
        ],
        code: EXIT_OPTION,
    }
}

/// The input variables of `cmd`, in the order Slurm applies them.
pub fn input_variables(cmd: Cmd) -> Vec<(&'static str, &'static OptDef)> {
    let mut vars: Vec<(u16, &'static str, &'static OptDef)> = OPTIONS
        .iter()
        .flat_map(|d| {
            d.env
                .iter()
                .filter(move |(cmds, _, _)| cmds & cmd.bit() != 0)
                .map(move |(_, pos, name)| (*pos, *name, d))
        })
        .collect();
    vars.sort_by_key(|v| v.0);
    vars.into_iter().map(|(_, n, d)| (n, d)).collect()
}

/// sbatch's `search_path(cwd, name, false, R_OK)`: a name with a `/` is taken
/// relative to the submit directory; a bare name is looked for in the submit
/// directory, then along `PATH`. When nothing is found the name is kept as
/// written (and opening it then fails with sbatch's message).
fn find_script(name: &str, ctx: &Context, host: &dyn Host) -> String {
    let join = |dir: &str| format!("{}/{}", dir.trim_end_matches('/'), name);
    if name.starts_with('/') {
        return name.to_string();
    }
    if name.contains('/') {
        return join(&ctx.cwd);
    }
    let cwd_path = join(&ctx.cwd);
    if host.is_readable_file(&cwd_path) {
        return cwd_path;
    }
    if let Some(path) = ctx.env.get("PATH") {
        for dir in path.split(':').filter(|d| !d.is_empty()) {
            let candidate = if dir.starts_with('/') {
                join(dir)
            } else {
                format!("{}/{}/{}", ctx.cwd.trim_end_matches('/'), dir, name)
            };
            if host.is_readable_file(&candidate) {
                return candidate;
            }
        }
    }
    name.to_string()
}
