//! `sk8`: the admin command. `sk8 render` (the Kubernetes objects a script
//! becomes), `sk8 doctor` (is the cluster ready for sk8), `sk8 init` (a
//! config from what the cluster has), `sk8 nodes` (the local nodes), and
//! the hidden entry points the local backend starts detached: `sk8 supervise
//! JOBID` (one running job) and `sk8 schedule [--at UNIXTIME]` (a
//! scheduling pass, after sleeping until the time given).

mod admin;
mod render;

use std::process::ExitCode;

use sk8_backend::Backend;
use sk8_local::LocalBackend;

const USAGE: &str = "\
Usage: sk8 render [--provider=P] [--id=N] script.sh [sbatch options]
                        print the Kubernetes objects sbatch would create (YAML)
       sk8 doctor       check the cluster: access, permissions, gang scheduler, GPUs
       sk8 init [--output=PATH] [--force]
                        write a config from what the cluster has
       sk8 nodes        list the local backend's nodes
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["render", ..] => match render::run(&args[1..]) {
            Ok(yaml) => {
                print!("{yaml}");
                Ok(())
            }
            Err(e) => Err(e),
        },
        ["doctor"] => return admin::doctor(),
        ["init", rest @ ..] => admin::init(rest),
        ["nodes"] => nodes(),
        ["supervise", id] => match id.parse() {
            Ok(id) => sk8_local::supervise::run(id).map_err(|e| e.to_string()),
            Err(_) => Err(format!("invalid job id `{id}`")),
        },
        ["schedule"] => schedule(None),
        ["schedule", "--at", t] => match t.parse() {
            Ok(t) => schedule(Some(t)),
            Err(_) => Err(format!("invalid time `{t}`")),
        },
        ["-h" | "--help"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sk8: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn nodes() -> Result<(), String> {
    let backend = LocalBackend::open().map_err(|e| e.to_string())?;
    let nodes = backend.nodes().map_err(|e| e.to_string())?;
    println!("NODE CPUS MEMORY_MB GPUS STATE PARTITIONS");
    for n in nodes {
        let gpus: u32 = n.gpus.iter().map(|(_, c)| c).sum();
        println!(
            "{} {} {} {} {} {}",
            n.name,
            n.cpus,
            n.memory_mb,
            gpus,
            n.state.short(),
            n.partitions.join(",")
        );
    }
    Ok(())
}

fn schedule(at: Option<i64>) -> Result<(), String> {
    if let Some(at) = at {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let wait = u64::try_from(at).unwrap_or(0).saturating_sub(now);
        std::thread::sleep(std::time::Duration::from_secs(wait));
    }
    let backend = LocalBackend::open().map_err(|e| e.to_string())?;
    backend.schedule().map_err(|e| e.to_string())
}
