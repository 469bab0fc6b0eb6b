//! `sinfo`: partitions and nodes, in Slurm 22.05's layouts, from any
//! backend.

use std::process::ExitCode;
use std::time::Duration;

use crate::backend::backend;
use crate::exit::EXIT_ERROR;
use crate::failure::Failure;
use sk8_format::Context;
use sk8_format::sinfo::{Format, Layout, NodeFilter, date_line, parse_node_state, render};
use sk8_opts::query::{Q, SINFO, getopt_failure, parse};

/// The states `-t` accepts, as sinfo lists them after a bad one.
const VALID_STATES: &str = "unknown,down,idle,allocated,?,mixed,future,drain,drained,draining,no_respond,reserved,perfctrs,cloud,completing,powering_down,powered_down,power_down,powering_up,fail,maint,reboot,reboot^,unknown";

use crate::host::print_out;
/// `sinfo`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("sinfo"),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    let p = parse(SINFO, args, false).map_err(|e| getopt_failure(&e, argv0, Some("sinfo")))?;
    let err = |m: String| Failure::error(m, EXIT_ERROR);
    if let Some(def) = p.unsupported() {
        return Err(err(format!(
            "{} is not supported by sk8's sinfo",
            def.display()
        )));
    }
    if p.has(Q::Version) {
        print_out(sk8_opts::VERSION_LINE);
        return Ok(ExitCode::SUCCESS);
    }
    if p.has(Q::Help) || p.has(Q::Usage) {
        print_out(
            "Usage: sinfo [-abdelNRrsTv] [-i seconds] [-t states] [-p partition] [-n nodes]\n             [-S fields] [-o format] [-O Format] [--federation] [--local] [--sibling]\n",
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut filter = NodeFilter::default();
    if let Some(list) = p.last(Q::States) {
        for s in list.split([',', '&']).filter(|s| !s.is_empty()) {
            match parse_node_state(s) {
                Some(st) => filter.states.push(st),
                None => {
                    return Err(Failure {
                        lines: vec![
                            sk8_opts::Line::error(format!("Bad state string: \"{s}\"")),
                            sk8_opts::Line::error(format!("valid states: {VALID_STATES}")),
                        ],
                        code: EXIT_ERROR,
                    });
                }
            }
        }
    }
    if let Some(list) = p.last(Q::Partition) {
        filter.partitions = list
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(list) = p.last(Q::Nodes) {
        filter.nodes = sk8_hostlist::expand(list).unwrap_or_else(|_| vec![list.to_owned()]);
    }
    filter.with_reason = p.has(Q::ListReasons);
    let node_oriented = p.has(Q::NodeOriented);
    let long = p.has(Q::Long);
    let format = if let Some(f) = p.last(Q::Format) {
        Format::parse(f, node_oriented)
    } else if let Some(f) = p.last(Q::FormatLong) {
        Format::parse_long(f).node_oriented(node_oriented)
    } else if let Ok(f) = std::env::var("SINFO_FORMAT") {
        Format::parse(&f, node_oriented)
    } else {
        Format::default_layout(Layout {
            node_oriented,
            long,
            summarize: p.has(Q::Summarize),
            reasons: p.has(Q::ListReasons),
        })
    };
    for e in format.errors() {
        eprintln!("sinfo: error: {e}");
    }
    let iterate = match p.last(Q::Iterate) {
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(err(format!("--iterate={v}"))),
        },
        None => None,
    };
    let no_header = p.has(Q::NoHeader);
    let be = backend()?;
    let mut ctx = Context {
        now: sk8_host::now(),
        zone: sk8_host::local_zone(),
        groups: sk8_format::GroupNames::default(),
        cluster: be.cluster(),
    };
    loop {
        let nodes = be.nodes().map_err(|e| err(e.to_string()))?;
        let mut out = String::new();
        if p.has(Q::Json) {
            print_out(&sk8_format::json::nodes_text(&nodes));
            return Ok(ExitCode::SUCCESS);
        }
        let parts = be.partitions().map_err(|e| err(e.to_string()))?;
        if !no_header && (iterate.is_some() || long || p.has(Q::Verbose)) {
            out.push_str(&date_line(&ctx));
            out.push('\n');
        }
        out.push_str(&render(&format, &parts, &nodes, &filter, &ctx, no_header));
        match iterate {
            None => {
                print_out(&out);
                return Ok(ExitCode::SUCCESS);
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
