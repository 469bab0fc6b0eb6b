//! `sk8 doctor` and `sk8 init`: thin wrappers over the Kubernetes backend's
//! checks and discovery.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::exit;

use sk8_kube::{KubeBackend, Verdict, config_toml, render_checks};

/// The Kubernetes backend the config file says, or what stops it, in words.
fn connect() -> Result<KubeBackend, String> {
    crate::config::Config::load()
        .and_then(crate::backend::kube_backend)
        .map_err(|f| f.text())
}

/// Prints the checks; exits 1 when one failed.
pub fn doctor() -> ExitCode {
    let backend = match connect() {
        Ok(b) => b,
        Err(e) => {
            println!("[FAIL] kubeconfig: {e}");
            println!(
                "       fix: set KUBECONFIG or create ~/.kube/config (`kubectl config view` should work)"
            );
            return exit::error();
        }
    };
    let checks = backend.doctor();
    print!("{}", render_checks(&checks));
    if checks.iter().any(|c| c.verdict == Verdict::Fail) {
        exit::error()
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes the discovered config to `--output=PATH` (else the user's
/// `sk8/config.toml`), never over an existing file without `--force`.
pub fn init(args: &[&str]) -> Result<(), String> {
    let mut output = None;
    let mut force = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--force" => force = true,
            "--output" | "-o" => {
                output = Some(PathBuf::from(
                    it.next().ok_or("option `--output` requires a value")?,
                ));
            }
            a if a.starts_with("--output=") => {
                output = Some(PathBuf::from(&a["--output=".len()..]));
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    let path = match output {
        Some(p) => p,
        None => dirs::config_dir()
            .ok_or("no config directory for this user (give --output=PATH)")?
            .join("sk8")
            .join("config.toml"),
    };
    if path.exists() && !force {
        return Err(format!(
            "`{}` exists; give --force to replace it",
            path.display()
        ));
    }
    let backend = connect()?;
    let cfg = backend.discover_config().map_err(|e| e.to_string())?;
    let text = config_toml(&cfg);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, &text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    print!("{text}");
    eprintln!("sk8 init: wrote {}", path.display());
    Ok(())
}
