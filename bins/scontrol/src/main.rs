//! `scontrol`: for now the hostlist subcommands that training scripts call
//! inside jobs (`scontrol show hostnames $SLURM_JOB_NODELIST` for
//! `MASTER_ADDR`); the job, node and partition views come with the query
//! commands.

use std::io::Write;
use std::process::ExitCode;

use sk8_hostlist::HostList;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [
            "show",
            what @ ("hostnames" | "hostlist" | "hostlistsorted"),
            rest @ ..,
        ] => hostlist(what, rest.first().copied()),
        _ => {
            eprintln!(
                "scontrol: error: sk8's scontrol knows only `show hostnames|hostlist|hostlistsorted` yet"
            );
            ExitCode::from(1)
        }
    }
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
            return ExitCode::from(1);
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
            ExitCode::from(if what == "hostnames" { 0 } else { 1 })
        }
    }
}
