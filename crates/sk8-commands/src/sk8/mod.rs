//! `sk8`: the admin command, and the way to run any command by name
//! (`sk8 sbatch job.sh` is `sbatch job.sh`).
//!
//! Its own subcommands: `sk8 render` (the Kubernetes objects a script
//! becomes), `sk8 doctor` (is the cluster ready for sk8), `sk8 init` (a
//! config from what the cluster has), `sk8 nodes` (the local nodes), `sk8
//! install-links DIR` (the Slurm names as links to this binary), and the
//! hidden entry points the local backend starts detached: `sk8 supervise
//! JOBID` (one running job) and `sk8 schedule [--at UNIXTIME]` (a
//! scheduling pass, after sleeping until the time given).

#[cfg(feature = "kubernetes")]
mod admin;
#[cfg(feature = "kubernetes")]
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::exit;

const USAGE: &str = "\
Usage: sk8 COMMAND [ARGS]
       sk8 sbatch|srun|salloc|squeue|scancel|sinfo|scontrol|sacct [ARGS]
                        run that command (as if called by its name)
       sk8 render [--provider=P] [--id=N] script.sh [sbatch options]
                        print the Kubernetes objects sbatch would create (YAML)
       sk8 doctor       check the cluster: access, permissions, gang scheduler, GPUs
       sk8 init [--output=PATH] [--force]
                        write a config from what the cluster has
       sk8 nodes        list the local backend's nodes
       sk8 install-links DIR
                        link the command names in DIR to this binary
";

/// `sk8 ARGS`.
pub fn main(args: &[String]) -> ExitCode {
    if let Some(cmd) = args.first().and_then(|a| crate::command(a)) {
        return cmd(&args[0], &args[1..]);
    }
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match words.as_slice() {
        ["render", ..] => render(&args[1..]),
        ["doctor"] => return doctor(),
        ["init", rest @ ..] => init(rest),
        ["nodes"] => nodes(),
        ["install-links", dir] => install_links(Path::new(dir)),
        ["supervise", id] => match id.parse() {
            Ok(id) => supervise(id),
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
            return exit::usage();
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sk8: error: {e}");
            exit::error()
        }
    }
}

/// `sk8 install-links DIR`: a symbolic link named after each command in
/// `DIR`, to this binary, as users install sk8 (`ln -s sk8 sbatch`, for
/// every name, is the same by hand).
fn install_links(dir: &Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    for name in sk8_backend::COMMANDS {
        let link: PathBuf = dir.join(name);
        if std::fs::read_link(&link).is_ok_and(|t| t == exe) {
            continue;
        }
        match std::fs::symlink_metadata(&link) {
            Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(&link)
                .map_err(|e| format!("cannot replace `{}`: {e}", link.display()))?,
            Ok(_) => {
                return Err(format!(
                    "`{}` exists and is not a link; remove it first",
                    link.display()
                ));
            }
            Err(_) => {}
        }
        std::os::unix::fs::symlink(&exe, &link)
            .map_err(|e| format!("cannot link `{}`: {e}", link.display()))?;
        println!("{} -> {}", link.display(), exe.display());
    }
    Ok(())
}

#[cfg(feature = "kubernetes")]
fn render(args: &[String]) -> Result<(), String> {
    render::run(args).map(|yaml| print!("{yaml}"))
}

#[cfg(feature = "kubernetes")]
fn doctor() -> ExitCode {
    admin::doctor()
}

#[cfg(feature = "kubernetes")]
fn init(args: &[&str]) -> Result<(), String> {
    admin::init(args)
}

#[cfg(not(feature = "kubernetes"))]
fn render(_: &[String]) -> Result<(), String> {
    Err(no_kubernetes())
}

#[cfg(not(feature = "kubernetes"))]
fn doctor() -> ExitCode {
    eprintln!("sk8: error: {}", no_kubernetes());
    exit::error()
}

#[cfg(not(feature = "kubernetes"))]
fn init(_: &[&str]) -> Result<(), String> {
    Err(no_kubernetes())
}

#[cfg(not(feature = "kubernetes"))]
fn no_kubernetes() -> String {
    "this sk8 is built without the kubernetes backend".into()
}

#[cfg(feature = "local")]
fn local() -> Result<sk8_local::LocalBackend, String> {
    crate::config::Config::load()
        .and_then(crate::backend::local_backend)
        .map_err(|f| f.render("sk8").trim_end().to_string())
}

#[cfg(feature = "local")]
fn nodes() -> Result<(), String> {
    use sk8_backend::Backend;
    let nodes = local()?.nodes().map_err(|e| e.to_string())?;
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

#[cfg(feature = "local")]
fn supervise(id: u32) -> Result<(), String> {
    sk8_local::supervise::run(local()?, id).map_err(|e| e.to_string())
}

#[cfg(feature = "local")]
fn schedule(at: Option<i64>) -> Result<(), String> {
    if let Some(at) = at {
        let wait = u64::try_from(at.saturating_sub(sk8_host::now())).unwrap_or(0);
        std::thread::sleep(std::time::Duration::from_secs(wait));
    }
    local()?.schedule().map_err(|e| e.to_string())
}

#[cfg(not(feature = "local"))]
fn nodes() -> Result<(), String> {
    Err(no_local())
}

#[cfg(not(feature = "local"))]
fn supervise(_: u32) -> Result<(), String> {
    Err(no_local())
}

#[cfg(not(feature = "local"))]
fn schedule(_: Option<i64>) -> Result<(), String> {
    Err(no_local())
}

#[cfg(not(feature = "local"))]
fn no_local() -> String {
    "this sk8 is built without the local backend".into()
}
