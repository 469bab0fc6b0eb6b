//! `scontrol`: the hostlist subcommands that training scripts call inside
//! jobs (`scontrol show hostnames $SLURM_JOB_NODELIST` for `MASTER_ADDR`),
//! and the job, node and partition views and controls (`show job`, `hold`,
//! `release`, `requeue`, `update`) on any backend.

use std::io::Write;
use std::process::ExitCode;

use crate::backend::backend;
use crate::exit;
use crate::failure::Failure;
use sk8_backend::{Backend, JobFilter, JobInfo, JobRef, JobUpdate};
use sk8_format::Context;
use sk8_hostlist::HostList;
use sk8_opts::query::{Q, SCONTROL, getopt_failure, parse};

/// How long a finished job stays listed (Slurm's `MinJobAge` default).
const MIN_JOB_AGE: i64 = 300;

use crate::host::print_out;
/// `scontrol`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    let p = match parse(SCONTROL, args, false) {
        Ok(p) => p,
        Err(e) => {
            let f = Failure::from(getopt_failure(&e, argv0, Some("scontrol")));
            return f.report("scontrol");
        }
    };
    if let Some(def) = p.unsupported() {
        eprintln!(
            "scontrol: error: {} is not supported by sk8's scontrol",
            def.display()
        );
        return exit::error();
    }
    if p.has(Q::Version) {
        let _ = std::io::stdout().write_all(sk8_opts::VERSION_LINE.as_bytes());
        return ExitCode::SUCCESS;
    }
    let one_liner = p.has(Q::OneLiner);
    let json = p.has(Q::Json);
    let words: Vec<&str> = p.operands.iter().map(String::as_str).collect();
    match words.as_slice() {
        [
            "show",
            what @ ("hostnames" | "hostlist" | "hostlistsorted"),
            rest @ ..,
        ] => hostlist(what, rest.first().copied()),
        [show, what, rest @ ..] if is_word(show, "show", 3) => {
            with_backend(|be| show_cmd(be, what, rest.first().copied(), one_liner, json))
        }
        [cmd, ids] if matches!(*cmd, "hold" | "uhold" | "release" | "requeue") => {
            with_backend(|be| control(be, cmd, ids))
        }
        ["update", pairs @ ..] => with_backend(|be| update(be, pairs)),
        [] => {
            eprintln!("scontrol: error: sk8's scontrol has no interactive mode");
            exit::error()
        }
        [cmd, ..] => {
            eprintln!("invalid keyword: {cmd}");
            exit::error()
        }
    }
}

/// Whether `word` is an abbreviation of `full` at least `min` letters long,
/// as scontrol accepts them (`sho`, `show`).
fn is_word(word: &str, full: &str, min: usize) -> bool {
    word.len() >= min && full.len() >= word.len() && full[..word.len()].eq_ignore_ascii_case(word)
}

fn with_backend(f: impl FnOnce(&dyn Backend) -> ExitCode) -> ExitCode {
    match backend() {
        Ok(be) => f(be.as_ref()),
        Err(failure) => failure.report("scontrol"),
    }
}

fn context(be: &dyn Backend) -> Context {
    Context {
        now: sk8_host::now(),
        zone: sk8_host::local_zone(),
        groups: crate::host::group_names(),
        cluster: be.cluster(),
    }
}

/// `show job|node|partition [NAME]`.
fn show_cmd(
    be: &dyn Backend,
    what: &str,
    name: Option<&str>,
    one_liner: bool,
    json: bool,
) -> ExitCode {
    let ctx = context(be);
    let fail = |prefix: &str, e: sk8_backend::Error| {
        eprintln!("{prefix}: {e}");
        exit::error()
    };
    if is_word(what, "jobs", 1) {
        let ids = match name.map(sk8_format::filter::parse_job_refs).transpose() {
            Ok(ids) => ids.unwrap_or_default(),
            Err(_) => {
                eprintln!("Invalid job id specified");
                return exit::error();
            }
        };
        let filter = JobFilter {
            ids,
            include_finished: true,
            ..JobFilter::default()
        };
        let jobs: Vec<JobInfo> = match be.jobs(&filter) {
            Ok(j) => j
                .into_iter()
                .filter(|j| {
                    !j.state.is_finished() || j.end_time.unwrap_or(0) >= ctx.now - MIN_JOB_AGE
                })
                .filter(|j| filter.matches(j))
                .collect(),
            Err(e) => return fail("slurm_load_jobs error", e),
        };
        if json {
            print_out(&sk8_format::json::jobs_text(&jobs, &ctx));
            return ExitCode::SUCCESS;
        }
        if jobs.is_empty() {
            if name.is_some() {
                return fail("slurm_load_jobs error", sk8_backend::Error::InvalidJobId);
            }
            print_out("No jobs in the system\n");
            return ExitCode::SUCCESS;
        }
        // The controller lists the newest job first.
        let mut out = String::new();
        for j in jobs.iter().rev() {
            out.push_str(&sk8_format::scontrol::show_job(j, &ctx, one_liner));
        }
        print_out(&out);
        return ExitCode::SUCCESS;
    }
    if is_word(what, "nodes", 1) {
        let nodes = match be.nodes() {
            Ok(n) => n,
            Err(e) => return fail("slurm_load_node error", e),
        };
        let picked: Vec<_> = nodes
            .iter()
            .filter(|n| name.is_none_or(|w| w == n.name))
            .collect();
        if picked.is_empty() {
            match name {
                Some(w) => {
                    println!("Node {w} not found");
                    return exit::error();
                }
                None => print_out("No nodes in the system\n"),
            }
        }
        let out: String = picked
            .iter()
            .map(|n| sk8_format::scontrol::show_node(n, &ctx, one_liner))
            .collect();
        print_out(&out);
        return ExitCode::SUCCESS;
    }
    if is_word(what, "partitions", 1) {
        let (parts, nodes) = match (be.partitions(), be.nodes()) {
            (Ok(p), Ok(n)) => (p, n),
            (Err(e), _) | (_, Err(e)) => return fail("slurm_load_partitions error", e),
        };
        let picked: Vec<_> = parts
            .iter()
            .filter(|p| name.is_none_or(|w| w == p.name))
            .collect();
        if picked.is_empty() {
            match name {
                Some(w) => {
                    println!("Partition {w} not found");
                    return exit::error();
                }
                None => print_out("No partitions in the system\n"),
            }
        }
        let out: String = picked
            .iter()
            .map(|p| sk8_format::scontrol::show_partition(p, &nodes, one_liner))
            .collect();
        print_out(&out);
        return ExitCode::SUCCESS;
    }
    eprintln!("invalid entity: {what} for keyword: show");
    exit::error()
}

/// The job ids of `hold`/`release`/`requeue`/`update JobId=`: `12`,
/// `12_3`, `12,13`.
fn job_refs(list: &str) -> Option<Vec<(String, JobRef)>> {
    let mut out = Vec::new();
    for item in list.split(',').filter(|s| !s.is_empty()) {
        let refs = sk8_format::filter::parse_job_refs(item).ok()?;
        out.extend(refs.into_iter().map(|r| (item.to_owned(), r)));
    }
    (!out.is_empty()).then_some(out)
}

/// `hold`, `uhold`, `release`, `requeue` a list of jobs.
fn control(be: &dyn Backend, cmd: &str, ids: &str) -> ExitCode {
    let Some(refs) = job_refs(ids) else {
        eprintln!("Invalid job id specified for job {ids}");
        return exit::error();
    };
    let mut code = exit::EXIT_OK;
    for (text, r) in refs {
        let res = match cmd {
            "hold" => be.hold(r, false),
            "uhold" => be.hold(r, true),
            "release" => be.release_hold(r),
            _ => be.requeue(r),
        };
        if let Err(e) = res {
            code = exit::EXIT_ERROR;
            eprintln!("{e} for job {text}");
            if cmd != "requeue" {
                // Slurm reports the hold request's failure a second time.
                eprintln!("slurm_suspend error: {e}");
            }
        }
    }
    ExitCode::from(code)
}

/// `update JobId=N TimeLimit=... Partition=... Name=...`.
fn update(be: &dyn Backend, pairs: &[&str]) -> ExitCode {
    let mut ids = None;
    let mut upd = JobUpdate::default();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            eprintln!("scontrol: error: Invalid input: {pair}");
            eprintln!("Request aborted");
            return exit::error();
        };
        match key.to_ascii_lowercase().as_str() {
            "jobid" => ids = Some(value.to_owned()),
            "timelimit" => match value.parse::<sk8_spec::TimeLimit>() {
                Ok(t) => upd.time_limit = Some(t),
                Err(_) => {
                    eprintln!("Invalid TimeLimit value: {value}");
                    eprintln!("Request aborted");
                    return exit::error();
                }
            },
            "partition" => upd.partition = Some(value.to_owned()),
            "name" | "jobname" => upd.name = Some(value.to_owned()),
            "nice" => match value.parse::<i32>() {
                Ok(n) => upd.nice = Some(n),
                Err(_) => {
                    eprintln!("Invalid nice value: {value}");
                    eprintln!("Request aborted");
                    return exit::error();
                }
            },
            _ => {
                eprintln!("Update of this parameter is not supported: {pair}");
                eprintln!("Request aborted");
                return exit::error();
            }
        }
    }
    let Some(ids) = ids else {
        eprintln!("No valid entity in update command");
        eprintln!(
            "Input line must include \"NodeName\", \"BlockName\", \"FrontendName\", \"SubmitReplication\", \"PartitionName\", \"ReservationName\", \"JobId\", \"StepId\", or \"SwitchName\""
        );
        return exit::error();
    };
    let Some(refs) = job_refs(&ids) else {
        eprintln!("Invalid job id specified for job {ids}");
        return exit::error();
    };
    let mut code = exit::EXIT_OK;
    for (text, r) in refs {
        if let Err(e) = be.update(r, &upd) {
            code = exit::EXIT_ERROR;
            eprintln!("{e} for job {text}");
        }
    }
    ExitCode::from(code)
}

/// `scontrol show hostnames|hostlist|hostlistsorted [EXPR]`, printing what
/// Slurm 22.05 prints and exiting as it does (0 for `hostnames` even on a bad
/// list, 1 for the others).
fn hostlist(what: &str, expr: Option<&str>) -> ExitCode {
    let from_env = std::env::var("SLURM_NODELIST").ok();
    let expr = match (expr, what) {
        (Some(e), _) => e.to_string(),
        (None, "hostnames") => match from_env {
            Some(e) => e,
            None => {
                eprintln!("scontrol: error: host list is empty");
                return ExitCode::SUCCESS;
            }
        },
        (None, _) => {
            // Slurm also prints its whole help text on stdout here.
            eprintln!("invalid encode argument");
            return exit::error();
        }
    };
    let (result, diagnostics) = HostList::parse_with_diagnostics(&expr);
    let mut err = std::io::stderr().lock();
    for d in &diagnostics {
        let _ = writeln!(err, "scontrol: error: {d}");
    }
    let mut out = std::io::stdout().lock();
    match result {
        Ok(mut list) => {
            if what == "hostnames" {
                let mut buf = String::new();
                list.for_each_host(|h| {
                    buf.push_str(h);
                    buf.push('\n');
                });
                let _ = out.write_all(buf.as_bytes());
            } else {
                if what == "hostlistsorted" {
                    list.sort();
                }
                let _ = writeln!(out, "{list}");
            }
            ExitCode::SUCCESS
        }
        Err(_) => {
            let _ = writeln!(err, "Invalid hostlist: {expr}");
            ExitCode::from(if what == "hostnames" {
                exit::EXIT_OK
            } else {
                exit::EXIT_ERROR
            })
        }
    }
}
