//! `scancel`: cancel or signal jobs, with Slurm 22.05's messages and exit
//! codes, on any backend.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use crate::backend::backend;
use crate::exit::{EXIT_ERROR, EXIT_OK};
use crate::failure::{Failure, Line};
use sk8_backend::{Backend, Error, JobFilter, JobInfo, JobRef, JobState, SignalScope};
use sk8_opts::query::{Parsed, Q, SCANCEL, getopt_failure, parse};

/// `scancel`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("scancel"),
    }
}

/// One job named on the command line, as written and as a reference.
#[derive(Debug, Clone)]
struct Target {
    text: String,
    refs: Vec<JobRef>,
}

/// A failure printed without the `scancel: error:` prefix (Slurm writes
/// these with `fprintf`).
fn bare(lines: &[String]) -> Failure {
    Failure {
        lines: lines.iter().map(|l| Line::bare(l.clone())).collect(),
        code: EXIT_ERROR,
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let p = parse(SCANCEL, args, false).map_err(|e| getopt_failure(&e, argv0, Some("scancel")))?;
    let err = |m: String| Failure::error(m, EXIT_ERROR);
    if let Some(def) = p.unsupported() {
        return Err(err(format!(
            "{} is not supported by sk8's scancel",
            def.display()
        )));
    }
    if p.has(Q::Version) {
        let _ = std::io::stdout().write_all(sk8_opts::VERSION_LINE.as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    if p.has(Q::Help) || p.has(Q::Usage) {
        println!(
            "Usage: scancel [-A account] [--batch] [--full] [--interactive] [-n job_name]\n               [-p partition] [-Q] [-q qos] [-R reservation] [-s signal | integer]\n               [-t PENDING | RUNNING | SUSPENDED] [--usage] [-u user_name]\n               [--hurry] [-V] [-v] [-w hosts...] [--wckey=wckey] [--me]\n               [job_id[_array_id][.step_id]]"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let signal = match p.last(Q::Signal) {
        Some(s) => {
            Some(signal_number(s).ok_or_else(|| bare(&[format!("Unknown job signal: {s}")]))?)
        }
        None => None,
    };
    let state = match p.last(Q::States) {
        Some(s) => Some(s.parse::<JobState>().map_err(|_| {
            bare(&[
                format!("Invalid job state specified: {s}"),
                "Valid job states are PENDING, RUNNING, and SUSPENDED".to_owned(),
            ])
        })?),
        None => None,
    };
    let mut targets = Vec::new();
    for word in &p.operands {
        targets.push(target(word).ok_or_else(|| err(format!("Invalid job id {word}")))?);
    }
    let be = backend()?;
    let user = if p.has(Q::Me) {
        Some(be.whoami().map_err(|e| err(e.to_string()))?)
    } else if let Some(u) = p.last(Q::User).filter(|_| !be.local_users()) {
        Some(u.to_owned())
    } else if let Some(u) = p.last(Q::User) {
        Some(
            sk8_host::user_of_item(u)
                .ok()
                .flatten()
                .map(|user| user.name)
                .ok_or_else(|| err(format!("Invalid user name: {u}")))?,
        )
    } else {
        None
    };
    let mut filter = JobFilter::default();
    if let Some(u) = &user {
        filter.users.push(u.clone());
    }
    if let Some(n) = p.last(Q::Name) {
        filter.names.push(n.to_owned());
    }
    if let Some(part) = p.last(Q::Partition) {
        filter.partitions.push(part.to_owned());
    }
    if let Some(st) = state {
        filter.states.push(st);
    }
    if let Some(w) = p.last(Q::Nodes) {
        filter.nodes = sk8_hostlist::expand(w).unwrap_or_else(|_| vec![w.to_owned()]);
    }
    let has_filter = filter != JobFilter::default() || p.has(Q::Account);
    if targets.is_empty() && !has_filter {
        return Err(err("No job identification provided".into()));
    }
    let opts = Opts {
        verbose: p.count(Q::Verbose) > 0 && !p.has(Q::Quiet),
        quiet: p.has(Q::Quiet),
        interactive: p.has(Q::Interactive),
        signal,
        scope: SignalScope {
            batch_only: p.has(Q::Batch),
            full: p.has(Q::Full),
        },
    };
    let simple = !has_filter && signal.is_none() && !p.has(Q::Batch) && !opts.interactive;
    let rc = if simple {
        by_id(be.as_ref(), &targets, &opts)
    } else {
        by_filter(be.as_ref(), &targets, &filter, &p, &opts)?
    };
    Ok(ExitCode::from(rc))
}

struct Opts {
    verbose: bool,
    quiet: bool,
    interactive: bool,
    signal: Option<i32>,
    scope: SignalScope,
}

/// `12`, `12_3`, `12_[1-3]`, `12_*`; steps (`12.0`) are not supported.
fn target(word: &str) -> Option<Target> {
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    let id: u32 = word[..digits].parse().ok().filter(|&n| n > 0)?;
    let rest = &word[digits..];
    let refs = if rest.is_empty() || rest == "_*" {
        vec![JobRef::job(id)]
    } else {
        let tasks = rest.strip_prefix('_')?;
        let tasks = tasks.trim_start_matches('[').trim_end_matches(']');
        sk8_backend::parse_task_set(tasks)?
            .into_iter()
            .map(|t| JobRef { id, task: Some(t) })
            .collect()
    };
    Some(Target {
        text: word.to_owned(),
        refs,
    })
}

/// `-s`: Slurm's `sig_name2num` (shared with `--signal`), stored in a
/// `uint16_t` as scancel does; 0 is "unknown".
fn signal_number(s: &str) -> Option<i32> {
    sk8_spec::signal::signal_number(s)
        .map(|n| i32::from(n as u16))
        .filter(|n| *n != 0)
}

fn describe(opts: &Opts, what: &str) -> String {
    let kind = if opts.scope.full {
        "full "
    } else if opts.scope.batch_only {
        "batch "
    } else {
        ""
    };
    match opts.signal {
        None => format!("scancel: Terminating {kind}job {what}"),
        Some(s) => format!("scancel: Signal {s} to {kind}job {what}"),
    }
}

/// Sends the request for one job and reports as Slurm's `_cancel_job_id`:
/// "already done" and "invalid id" are silent (unless `-v`) and, for a
/// cancel, not failures.
fn send(be: &dyn Backend, what: &str, refs: &[JobRef], opts: &Opts) -> u8 {
    if opts.verbose {
        eprintln!("{}", describe(opts, what));
    }
    let mut first_error = None;
    let mut any_ok = false;
    for r in refs {
        match be.signal(*r, opts.signal, opts.scope) {
            Ok(()) => any_ok = true,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some(e) = first_error.filter(|_| !any_ok) else {
        return 0;
    };
    let quiet_kind = matches!(e, Error::AlreadyDone | Error::InvalidJobId);
    if (opts.verbose || !quiet_kind) && !opts.quiet {
        eprintln!("scancel: error: Kill job error on job id {what}: {e}");
    }
    if quiet_kind && opts.signal.is_none() {
        0
    } else {
        1
    }
}

fn by_id(be: &dyn Backend, targets: &[Target], opts: &Opts) -> u8 {
    targets
        .iter()
        .map(|t| send(be, &t.text, &t.refs, opts))
        .max()
        .unwrap_or(0)
}

/// The path Slurm takes with any filter, `-s`, `-b` or `-i`: load the
/// active jobs, check the ids named, filter, then act on pending jobs first.
fn by_filter(
    be: &dyn Backend,
    targets: &[Target],
    filter: &JobFilter,
    p: &Parsed,
    opts: &Opts,
) -> Result<u8, Failure> {
    let jobs: Vec<JobInfo> = be
        .jobs(&JobFilter::default())
        .map_err(|e| Failure::error(format!("slurm_load_jobs error: {e}"), EXIT_ERROR))?
        .into_iter()
        .filter(|j| !j.state.is_finished())
        .collect();
    let mut rc = EXIT_OK;
    let mut chosen: Vec<(&JobInfo, String, Vec<JobRef>)> = Vec::new();
    let by_ids = JobFilter {
        include_finished: true,
        ..JobFilter::default()
    };
    for t in targets {
        let found: Vec<&JobInfo> = jobs
            .iter()
            .filter(|j| {
                JobFilter {
                    ids: t.refs.clone(),
                    ..by_ids.clone()
                }
                .matches(j)
            })
            .collect();
        if found.is_empty() {
            rc = EXIT_ERROR;
            if !opts.quiet {
                eprintln!(
                    "scancel: error: Kill job error on job id {}: {}",
                    t.text,
                    Error::InvalidJobId
                );
            }
            continue;
        }
        for j in found {
            if filter.matches(j) {
                chosen.push((j, t.text.clone(), t.refs.clone()));
            }
        }
    }
    if targets.is_empty() {
        for j in jobs.iter().filter(|j| filter.matches(j)) {
            chosen.push((j, sk8_format::job::job_id(j), vec![record_ref(j)]));
        }
        if chosen.is_empty() && opts.verbose {
            let mut what = String::new();
            if let Some(n) = p.last(Q::Name) {
                what.push_str(&format!("job_name={n} "));
            }
            if let Some(w) = p.last(Q::Nodes) {
                what.push_str(&format!("nodelist={w} "));
            }
            if let Some(part) = p.last(Q::Partition) {
                what.push_str(&format!("partition={part} "));
            }
            if let Some(s) = filter.states.first() {
                what.push_str(&format!("state={} ", s.name()));
            }
            if let Some(u) = filter.users.first() {
                what.push_str(&format!("user_name={u} "));
            }
            if !what.is_empty() {
                eprintln!(
                    "scancel: error: No active jobs match ALL job filters, including: {what}"
                );
            }
        }
    }
    // Pending jobs first, so none starts while the running ones go.
    chosen.sort_by_key(|(j, _, _)| j.state != JobState::Pending);
    let mut done: Vec<String> = Vec::new();
    let stdin = std::io::stdin();
    for (j, text, refs) in chosen {
        // Several records may come from one id (an array): act once.
        if done.contains(&text) {
            continue;
        }
        done.push(text.clone());
        if opts.interactive && !confirm(&stdin, j) {
            continue;
        }
        rc = rc.max(send(be, &text, &refs, opts));
    }
    Ok(rc)
}

/// The reference that acts on exactly this record.
fn record_ref(j: &JobInfo) -> JobRef {
    match &j.array {
        Some(a) => JobRef {
            id: a.job_id,
            task: a.task_id.or_else(|| {
                a.pending
                    .as_deref()
                    .and_then(sk8_backend::parse_task_set)
                    .and_then(|t| t.first().copied())
            }),
        },
        None => JobRef::job(j.id),
    }
}

/// `-i`: asks on standard output, reads `y` or `n` from standard input.
fn confirm(stdin: &std::io::Stdin, j: &JobInfo) -> bool {
    loop {
        print!(
            "Cancel job_id={} name={} partition={} [y/n]? ",
            sk8_format::job::job_id(j),
            j.spec.name,
            j.spec.partition.as_deref().unwrap_or("")
        );
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        match line.bytes().next() {
            Some(b'y' | b'Y') => return true,
            Some(b'n' | b'N') => return false,
            _ => {}
        }
    }
}
