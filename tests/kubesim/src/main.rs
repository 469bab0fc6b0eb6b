//! `sk8-kubesim`: runs the simulator until killed, printing its URL; with
//! `--attach KUBECONFIG`, serves no API of its own but plays nodes,
//! scheduler and kubelet for the namespace's pods on that cluster.

use sk8_kubesim::{NodeSide, Sim, SimConfig, SimNode, SimProvider};
use std::process::ExitCode;

const USAGE: &str = "usage: sk8-kubesim [--nodes N] [--cpus C] [--memory-mb M] [--gpus G] [--gpu-product P]\n                   [--provider kueue|volcano|coscheduling|none] [--namespace NS] [--user U]\n                   [--no-run-pods] [--kubeconfig PATH]\n       sk8-kubesim --attach KUBECONFIG [--nodes N] ... [--provider P] [--namespace NS]";

fn run() -> Result<(), String> {
    let mut cfg = SimConfig::default();
    let (mut nodes, mut cpus, mut mem, mut gpus, mut product) = (1u32, 8u32, 16_384u64, 0u32, None);
    let mut kubeconfig = None;
    let mut attach = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .ok_or_else(|| format!("option `{a}` needs a value\n{USAGE}"))
        };
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("invalid number `{v}`"))
        };
        match a.as_str() {
            "--nodes" => nodes = u32::try_from(num(val()?)?).map_err(|e| e.to_string())?,
            "--cpus" => cpus = u32::try_from(num(val()?)?).map_err(|e| e.to_string())?,
            "--memory-mb" => mem = num(val()?)?,
            "--gpus" => gpus = u32::try_from(num(val()?)?).map_err(|e| e.to_string())?,
            "--gpu-product" => product = Some(val()?),
            "--provider" => cfg.provider = val()?.parse::<SimProvider>()?,
            "--namespace" => cfg.namespace = val()?,
            "--user" => cfg.user = val()?,
            "--no-run-pods" => cfg.run_pods = false,
            "--kubeconfig" => kubeconfig = Some(val()?),
            "--attach" => attach = Some(val()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    cfg.nodes = (0..nodes)
        .map(|i| SimNode {
            gpus,
            gpu_product: product.clone(),
            ..SimNode::new(&format!("node-{i}"), cpus, mem)
        })
        .collect();
    let running: Box<dyn std::any::Any> = if let Some(server) = attach {
        let side = NodeSide::start(cfg, std::path::Path::new(&server))
            .map_err(|e| format!("cannot attach to `{server}`: {e}"))?;
        println!("attached to {server}");
        Box::new(side)
    } else {
        let sim = Sim::start(cfg).map_err(|e| format!("cannot start: {e}"))?;
        if let Some(path) = kubeconfig {
            sim.write_kubeconfig(std::path::Path::new(&path))
                .map_err(|e| format!("cannot write `{path}`: {e}"))?;
        }
        println!("{}", sim.url());
        Box::new(sim)
    };
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ])
    .map_err(|e| format!("cannot catch signals: {e}"))?;
    let _ = signals.forever().next();
    drop(running);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sk8-kubesim: error: {e}");
            ExitCode::FAILURE
        }
    }
}
