//! `squeue`: the jobs in the queue, in Slurm 22.05's formats, from any
//! backend.

use std::process::ExitCode;
use std::time::Duration;

use crate::backend::backend;
use crate::exit::EXIT_ERROR;
use crate::failure::{Failure, Line};
use sk8_backend::{Backend, JobFilter, JobInfo};
use sk8_format::Context;
use sk8_format::filter::{parse_job_refs, parse_sort, parse_states};
use sk8_format::squeue::{DEFAULT_SORT, Format, START_FORMAT, date_line, select};
use sk8_opts::query::{Q, SQUEUE, getopt_failure, parse};

/// How long a finished job stays listed (Slurm's `MinJobAge` default).
const MIN_JOB_AGE: i64 = 300;

/// Every state `-t` accepts, as squeue lists them after a bad one.
const VALID_STATES: &str = "PENDING,RUNNING,SUSPENDED,COMPLETED,CANCELLED,FAILED,TIMEOUT,NODE_FAIL,PREEMPTED,BOOT_FAIL,DEADLINE,OUT_OF_MEMORY,COMPLETING,CONFIGURING,RESIZING,RESV_DEL_HOLD,REQUEUED,REQUEUE_FED,REQUEUE_HOLD,REVOKED,SIGNALING,SPECIAL_EXIT,STAGE_OUT,STOPPED";

use crate::host::print_out;
use sk8_opts::query::split_list;
/// `squeue`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("squeue"),
    }
}

/// What the command line asked for.
struct Request {
    filter: JobFilter,
    /// `-u` named only unknown users: nothing can match.
    no_user: bool,
    format: Format,
    sort: String,
    one_per_task: bool,
    long: bool,
    no_header: bool,
    iterate: Option<u64>,
    json: bool,
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let p = parse(SQUEUE, args, false).map_err(|e| getopt_failure(&e, argv0, Some("squeue")))?;
    if let Some(def) = p.unsupported() {
        return Err(Failure::error(
            format!("{} is not supported by sk8's squeue", def.display()),
            EXIT_ERROR,
        ));
    }
    if p.has(Q::Version) {
        print_out(sk8_opts::VERSION_LINE);
        return Ok(ExitCode::SUCCESS);
    }
    if p.has(Q::Help) || p.has(Q::Usage) {
        print_out(
            "Usage: squeue [-A account] [--clusters names] [-i seconds] [--job jobid]\n              [-n name] [-o format] [-p partitions] [--qos qos]\n              [--reservation reservation] [--sort fields] [--start]\n              [--step step_id] [-t states] [-u user_name] [--usage]\n              [-L licenses] [-w nodes] [--federation] [--local] [--sibling]\n              [-ahjlrsv]\n",
        );
        return Ok(ExitCode::SUCCESS);
    }
    let be = backend()?;
    let req = request(&p, be.as_ref())?;
    let mut ctx = Context {
        now: sk8_host::now(),
        zone: sk8_host::local_zone(),
        groups: crate::host::group_names(),
        cluster: be.cluster(),
    };
    for e in req.format.errors() {
        eprintln!("squeue: error: {e}");
    }
    loop {
        let mut out = String::new();
        if !req.no_header && (req.iterate.is_some() || req.long || p.has(Q::Verbose)) {
            out.push_str(&date_line(&ctx));
            out.push('\n');
        }
        let code = match listing(be.as_ref(), &req, &ctx) {
            Ok(text) => {
                out.push_str(&text);
                0
            }
            Err(line) => {
                print_out(&out);
                out.clear();
                eprintln!("{line}");
                1
            }
        };
        match req.iterate {
            None => {
                print_out(&out);
                return Ok(ExitCode::from(code));
            }
            Some(secs) => {
                out.push('\n');
                print_out(&out);
                std::thread::sleep(Duration::from_secs(secs));
                ctx.now = sk8_host::now();
            }
        }
    }
}

/// Turns the options and `SQUEUE_*` variables into a request.
fn request(p: &sk8_opts::query::Parsed, be: &dyn Backend) -> Result<Request, Failure> {
    let env = |k: &str| std::env::var(k).ok();
    let err = |m: String| Failure::error(m, EXIT_ERROR);
    let mut filter = JobFilter::default();
    let mut no_user = false;

    if p.has(Q::Format) && p.has(Q::FormatLong) {
        let first_o = p
            .opts
            .iter()
            .find(|(d, _)| matches!(d.id, Q::Format | Q::FormatLong))
            .is_some_and(|(d, _)| d.id == Q::Format);
        return Err(err(if first_o {
            "-O (--Format) is incompatible with -o (--format)".into()
        } else {
            "-o (--format) is incompatible with -O (--Format)".into()
        }));
    }
    let long = p.has(Q::Long);
    if long && p.has(Q::Format) {
        return Err(Failure::fatal(
            "Options -o(--format) and -l(--long) are mutually exclusive. Please remove one and retry.",
        ));
    }
    if let Some(v) = p.last(Q::Iterate)
        && v.trim().parse::<i64>().unwrap_or(0) <= 0
    {
        return Err(err(format!("--iterate={v}\n")));
    }
    let iterate = p
        .last(Q::Iterate)
        .and_then(|v| v.trim().parse::<u64>().ok());

    // Job ids: `--jobs=LIST`, or the operand after a bare `-j`.
    let mut operands = p.operands.iter();
    let mut jobs = p.last(Q::Jobs).map(str::to_owned);
    if p.has(Q::Jobs)
        && jobs.is_none()
        && let Some(first) = operands.next()
    {
        jobs = Some(first.clone());
    }
    if let Some(extra) = operands.next() {
        return Err(Failure {
            lines: vec![Line::error(format!("Unrecognized option: {extra}"))],
            code: EXIT_ERROR,
        });
    }
    if let Some(list) = &jobs {
        for item in list.split(',').filter(|s| !s.is_empty()) {
            let lead: String = item.chars().take_while(char::is_ascii_digit).collect();
            if lead.parse::<u32>().unwrap_or(0) == 0 {
                return Err(err(format!("Invalid job id: {item}")));
            }
        }
        filter.ids = parse_job_refs(list).map_err(|e| err(e.to_string()))?;
    }

    let states = p
        .last(Q::States)
        .map(str::to_owned)
        .or_else(|| env("SQUEUE_STATES"));
    let start = p.has(Q::Start);
    let states = states.or_else(|| start.then(|| "PD".to_owned()));
    if let Some(list) = &states {
        match parse_states(list) {
            Ok(Some(s)) => filter.states = s,
            Ok(None) => filter.include_finished = true,
            Err(e) => {
                return Err(Failure {
                    lines: vec![
                        Line::error(e.to_string()),
                        Line::error(format!("Valid job states include: {VALID_STATES}\n")),
                    ],
                    code: EXIT_ERROR,
                });
            }
        }
    }

    let users = if p.has(Q::Me)
        && p.opts
            .iter()
            .rev()
            .find(|(d, _)| matches!(d.id, Q::Me | Q::User))
            .is_some_and(|(d, _)| d.id == Q::Me)
    {
        Some(be.whoami().map_err(|e| err(e.to_string()))?)
    } else {
        p.last(Q::User)
            .map(str::to_owned)
            .or_else(|| env("SQUEUE_USERS"))
    };
    if let Some(list) = users {
        for u in list.split(',').filter(|s| !s.is_empty()) {
            if !be.local_users() {
                filter.users.push(u.to_owned());
                continue;
            }
            match sk8_host::user_of_item(u) {
                Ok(Some(user)) => filter.users.push(user.name),
                Ok(None) | Err(_) => eprintln!("squeue: error: Invalid user: {u}\n"),
            }
        }
        no_user = filter.users.is_empty();
    }
    if let Some(list) = p.last(Q::Name) {
        filter.names = split_list(list);
    }
    if let Some(list) = p
        .last(Q::Partition)
        .map(str::to_owned)
        .or_else(|| env("SQUEUE_PARTITION"))
    {
        filter.partitions = split_list(&list);
    }
    if let Some(list) = p.last(Q::Nodes) {
        let known: Vec<String> = be
            .nodes()
            .map_err(|e| err(e.to_string()))?
            .into_iter()
            .map(|n| n.name)
            .collect();
        for name in sk8_hostlist::expand(list).unwrap_or_else(|_| vec![list.to_owned()]) {
            if !known.contains(&name) {
                return Err(err(format!("Invalid node name {name}")));
            }
            filter.nodes.push(name);
        }
    }

    let format = if let Some(f) = p.last(Q::Format) {
        Format::parse(f)
    } else if let Some(f) = p.last(Q::FormatLong) {
        Format::parse_long(f)
    } else if start {
        Format::parse(START_FORMAT)
    } else if long {
        Format::default_layout(true)
    } else if let Some(f) = env("SQUEUE_FORMAT") {
        Format::parse(&f)
    } else if let Some(f) = env("SQUEUE_FORMAT2") {
        Format::parse_long(&f)
    } else {
        Format::default_layout(false)
    };
    let sort = p
        .last(Q::Sort)
        .map(str::to_owned)
        .or_else(|| env("SQUEUE_SORT"))
        .unwrap_or_else(|| {
            if start {
                "S".into()
            } else {
                DEFAULT_SORT.into()
            }
        });
    Ok(Request {
        filter,
        no_user,
        format,
        sort,
        one_per_task: p.has(Q::Array) || env("SQUEUE_ARRAY").is_some(),
        long,
        no_header: p.has(Q::NoHeader),
        iterate,
        json: p.has(Q::Json),
    })
}

/// One listing: the jobs, or `slurm_load_jobs error: ...`.
fn listing(be: &dyn Backend, req: &Request, ctx: &Context) -> Result<String, String> {
    let load = |e: sk8_backend::Error| format!("slurm_load_jobs error: {e}");
    let all = JobFilter {
        include_finished: true,
        ..JobFilter::default()
    };
    // The controller forgets finished jobs after MinJobAge.
    let jobs: Vec<JobInfo> = be
        .jobs(&all)
        .map_err(load)?
        .into_iter()
        .filter(|j| !j.state.is_finished() || j.end_time.unwrap_or(0) >= ctx.now - MIN_JOB_AGE)
        .collect();
    if req.json {
        return Ok(sk8_format::json::jobs_text(&jobs, ctx));
    }
    // One job id is loaded on its own, and must exist.
    if let [one] = req.filter.ids.as_slice() {
        let id = one.id;
        if !jobs
            .iter()
            .any(|j| j.id == id || j.array.as_ref().is_some_and(|a| a.job_id == id))
        {
            return Err(load(sk8_backend::Error::InvalidJobId));
        }
    }
    let keys = parse_sort(&req.sort);
    let shown = if req.no_user {
        Vec::new()
    } else {
        select(&jobs, &req.filter, &keys, req.one_per_task, ctx)
    };
    let shown = only_named_tasks(shown, &req.filter.ids);
    let text = req.format.render(&shown, ctx, req.no_header);
    drop(shown);
    if req.iterate.is_none() {
        // The process ends after printing: freeing a thousand records one
        // allocation at a time would cost more than the listing itself.
        std::mem::forget(jobs);
    }
    Ok(text)
}

/// `-j 12_3` names one task of a pending array record (`12_[2-5]`): squeue
/// prints that task alone (`12_3`), unless the whole array is named too.
fn only_named_tasks<'a>(
    shown: Vec<std::borrow::Cow<'a, JobInfo>>,
    ids: &[sk8_backend::JobRef],
) -> Vec<std::borrow::Cow<'a, JobInfo>> {
    if ids.iter().all(|r| r.task.is_none()) {
        return shown;
    }
    let mut out = Vec::with_capacity(shown.len());
    for job in shown {
        let split = job.array.as_ref().and_then(|a| {
            let pending = a.pending.as_ref()?;
            let whole = ids.iter().any(|r| r.task.is_none() && r.id == a.job_id);
            let named: Vec<u32> = ids
                .iter()
                .filter(|r| r.id == a.job_id)
                .filter_map(|r| r.task)
                .collect();
            let tasks = sk8_backend::parse_task_set(pending)?;
            (!whole && !named.is_empty()).then(|| {
                tasks
                    .into_iter()
                    .filter(|t| named.contains(t))
                    .collect::<Vec<_>>()
            })
        });
        match split {
            Some(tasks) => {
                for t in tasks {
                    let mut one = job.clone().into_owned();
                    if let Some(a) = one.array.as_mut() {
                        a.task_id = Some(t);
                        a.pending = None;
                    }
                    out.push(std::borrow::Cow::Owned(one));
                }
            }
            None => out.push(job),
        }
    }
    out
}
