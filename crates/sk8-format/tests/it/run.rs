//! A miniature of the commands, enough to run each captured command line
//! through our engines: option parsing here is test scaffolding (the real
//! commands live in `bins/`), the rendering is the crate under test.

use sk8_backend::{JobFilter, JobInfo};
use sk8_format::{Context, filter, sacct, scontrol, sinfo, squeue};

use crate::convert::Snapshot;

/// Splits a command line like `sh` does for the simple quoting we use.
pub fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut any = false;
    for c in cmd.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                any = true;
            }
            ' ' if !in_quotes => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Options and their values (`-o X`, `--delimiter=,`), flags as `""`.
fn opts(args: &[String], with_value: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some((k, v)) = a.split_once('=').filter(|_| a.starts_with("--")) {
            out.push((k.to_owned(), v.to_owned()));
        } else if with_value.contains(&a.as_str()) {
            out.push((a.clone(), it.next().cloned().unwrap_or_default()));
        } else {
            out.push((a.clone(), String::new()));
        }
    }
    out
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Runs one command line; returns what it prints on standard output.
pub fn run(cmd: &str, snap: &Snapshot, now: i64) -> String {
    let w = words(cmd);
    let ctx = Context {
        now,
        zone: sk8_format::Zone::utc(),
        groups: sk8_format::GroupNames::list(vec![(0, "root".to_owned())]),
        cluster: "ref".to_owned(),
    };
    match w[0].as_str() {
        "squeue" => squeue_cmd(&w[1..], &snap.jobs, &ctx),
        "sinfo" => sinfo_cmd(&w[1..], snap, &ctx),
        "sacct" => sacct_cmd(&w[1..], &snap.history, &ctx),
        "scontrol" => scontrol_cmd(&w[1..], snap, &ctx),
        other => panic!("unknown command {other}"),
    }
}

fn squeue_cmd(args: &[String], all: &[JobInfo], ctx: &Context) -> String {
    let o = opts(
        args,
        &["-j", "-o", "-O", "-t", "-S", "-n", "-p", "-u", "-w"],
    );
    let has = |k: &str| o.iter().any(|(a, _)| a == k);
    let val = |k: &str| o.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    if has("--json") {
        return sk8_format::json::jobs_text(all, ctx);
    }
    let start = has("--start");
    let long = has("-l");
    let no_header = has("-h") || has("--noheader");
    let mut f = JobFilter::default();
    if let Some(ids) = val("-j") {
        f.ids = filter::parse_job_refs(&ids).unwrap();
    }
    if let Some(t) = val("-t").or_else(|| start.then(|| "PD".to_owned())) {
        match filter::parse_states(&t).unwrap() {
            None => f.include_finished = true,
            Some(states) => f.states = states,
        }
    }
    f.names = val("-n").map(|v| list(&v)).unwrap_or_default();
    f.partitions = val("-p").map(|v| list(&v)).unwrap_or_default();
    f.users = val("-u").map(|v| list(&v)).unwrap_or_default();
    f.nodes = val("-w").map(|v| list(&v)).unwrap_or_default();
    let sort =
        val("-S").unwrap_or_else(|| if start { "S" } else { squeue::DEFAULT_SORT }.to_owned());
    let jobs = squeue::select(all, &f, &filter::parse_sort(&sort), has("-r"), ctx);
    let format = if let Some(fmt) = val("-o") {
        squeue::Format::parse(&fmt)
    } else if let Some(fmt) = val("-O") {
        squeue::Format::parse_long(&fmt)
    } else if start {
        squeue::Format::parse(squeue::START_FORMAT)
    } else {
        squeue::Format::default_layout(long)
    };
    let mut out = String::new();
    if long && !no_header {
        out.push_str(&squeue::date_line(ctx));
        out.push('\n');
    }
    out.push_str(&format.render(&jobs, ctx, no_header));
    out
}

fn sinfo_cmd(args: &[String], snap: &Snapshot, ctx: &Context) -> String {
    let o = opts(args, &["-o", "-O", "-p", "-n", "-t"]);
    let has = |k: &str| o.iter().any(|(a, _)| a == k);
    let val = |k: &str| o.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let layout = sinfo::Layout {
        node_oriented: has("-N"),
        long: has("-l"),
        summarize: has("-s"),
        reasons: has("-R"),
    };
    let format = if let Some(f) = val("-o") {
        sinfo::Format::parse(&f, layout.node_oriented)
    } else if let Some(f) = val("-O") {
        sinfo::Format::parse_long(&f).node_oriented(layout.node_oriented)
    } else {
        sinfo::Format::default_layout(layout)
    };
    let filter = sinfo::NodeFilter {
        partitions: val("-p").map(|v| list(&v)).unwrap_or_default(),
        nodes: val("-n").map(|v| list(&v)).unwrap_or_default(),
        states: val("-t")
            .map(|v| v.split(',').filter_map(sinfo::parse_node_state).collect())
            .unwrap_or_default(),
        with_reason: layout.reasons,
    };
    let no_header = has("-h");
    let mut out = String::new();
    if layout.long && !no_header {
        out.push_str(&sinfo::date_line(ctx));
        out.push('\n');
    }
    out.push_str(&sinfo::render(
        &format,
        &snap.parts,
        &snap.nodes,
        &filter,
        ctx,
        no_header,
    ));
    out
}

fn sacct_cmd(args: &[String], history: &[JobInfo], ctx: &Context) -> String {
    let o = opts(args, &["-j", "-o", "-s", "--name"]);
    let has = |k: &str| o.iter().any(|(a, _)| a == k);
    let val = |k: &str| o.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let mut f = JobFilter {
        include_finished: true,
        ..JobFilter::default()
    };
    if let Some(ids) = val("-j") {
        f.ids = filter::parse_job_refs(&ids).unwrap();
    }
    if let Some(s) = val("-s") {
        f.states = filter::parse_states(&s).unwrap().unwrap_or_default();
    }
    f.names = val("--name").map(|v| list(&v)).unwrap_or_default();
    let jobs: Vec<JobInfo> = history.iter().filter(|j| f.matches(j)).cloned().collect();
    let fields = if has("-b") {
        sacct::BRIEF_FIELDS.to_owned()
    } else {
        val("-o").unwrap_or_else(|| sacct::DEFAULT_FIELDS.to_owned())
    };
    let cols = sacct::parse_fields(&fields).unwrap();
    let delim = val("--delimiter").unwrap_or_else(|| "|".to_owned());
    let mode = if has("-P") {
        sacct::Mode::Parsable2(delim)
    } else if has("-p") {
        sacct::Mode::Parsable(delim)
    } else {
        sacct::Mode::Columns
    };
    let rows = sacct::rows(&jobs, has("-X"));
    sacct::render(&cols, &rows, &mode, ctx, has("-n"))
}

fn scontrol_cmd(args: &[String], snap: &Snapshot, ctx: &Context) -> String {
    let one = args.iter().any(|a| a == "-o");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "-o").collect();
    assert_eq!(rest[0], "show");
    let mut out = String::new();
    match rest[1].as_str() {
        "job" => {
            let id: u32 = rest[2].parse().unwrap();
            let mut recs: Vec<&JobInfo> = snap
                .jobs
                .iter()
                .filter(|j| j.id == id || j.array.as_ref().is_some_and(|a| a.job_id == id))
                .collect();
            recs.sort_by_key(|j| j.id != id);
            for j in recs {
                out.push_str(&scontrol::show_job(j, ctx, one));
            }
        }
        "node" => {
            for n in &snap.nodes {
                out.push_str(&scontrol::show_node(n, ctx, one));
            }
        }
        "partition" => {
            for p in &snap.parts {
                out.push_str(&scontrol::show_partition(p, &snap.nodes, one));
            }
        }
        other => panic!("scontrol show {other}"),
    }
    out
}
