//! `sk8 render script.sh [sbatch options]`: the objects `sbatch` would create
//! on Kubernetes, as YAML, creating nothing.

use crate::host::{RealHost, context};
use sk8_manifest::config::{KubeConfig, Provider};
use sk8_manifest::{RenderInput, render, unsupported};
use sk8_opts::sbatch::{Action, parse};

/// The token shown in place of the one `sbatch` generates (never a real one).
const TOKEN_PLACEHOLDER: &str = "generated-by-sbatch-at-submit";

/// What `render` was asked, besides sbatch's own options.
struct Request {
    provider: Option<Provider>,
    job_id: u32,
    sbatch_args: Vec<String>,
}

/// Runs `sk8 render`; returns the YAML to print.
pub fn run(args: &[String]) -> Result<String, String> {
    let req = split_args(args)?;
    let ctx = context("sbatch");
    let submission = match parse(&req.sbatch_args, &ctx, &RealHost)
        .map_err(|f| f.render("sbatch").trim_end().to_string())?
    {
        Action::Print(text) => return Ok(text),
        Action::Submit(s) => s,
    };
    let [spec] = submission.jobs.as_slice() else {
        return Err("heterogeneous jobs are not supported by the kubernetes backend".to_string());
    };
    if let Some(option) = unsupported(spec) {
        return Err(format!(
            "{option} is not supported by the kubernetes backend"
        ));
    }
    let cfg = crate::config::Config::load()
        .and_then(crate::backend::kube_config)
        .map_err(|f| f.text())?;
    let (provider, namespace, note) = where_it_goes(&cfg, req.provider);
    let script = String::from_utf8_lossy(&submission.script);
    let submit_time = sk8_host::now();
    let array = spec
        .array
        .as_ref()
        .and_then(|a| a.indices().first().copied())
        .map(|first| (req.job_id, first));
    let input = RenderInput {
        job_id: req.job_id,
        spec,
        script: &script,
        token: TOKEN_PLACEHOLDER,
        namespace: &namespace,
        provider,
        cluster: "sk8",
        submit_time,
        array,
        hold: spec.hold,
    };
    let objects = render(&input, &cfg).map_err(|e| e.to_string())?;
    let mut out = format!(
        "# sk8 render: what `sbatch` would create for job {} (the real id comes from the\n\
         # sk8-job-counter ConfigMap at submit); gang provider `{provider}`{note}; namespace `{namespace}`.\n\
         # `kubectl apply -f -` takes it as it is. What `sbatch` adds at submit time:\n\
         # - the Secret's values: a fresh step token and the submitter's exported\n\
         #   environment, shown here only as stand-ins under `stringData`;\n\
         # - an ownerReference to the record ConfigMap (by the uid the API server gives\n\
         #   it) on every other object, so deleting the record deletes the job;\n\
         # - the job id, taken from the counter (applying this does not advance it).\n",
        req.job_id
    );
    if array.is_some() {
        out.push_str("# An array: each task gets objects like these, under its own job id.\n");
    }
    if spec.hold {
        out.push_str("# Held: the pods are created only by `scontrol release`.\n");
    }
    out.push_str(&objects.to_yaml());
    Ok(out)
}

/// Takes `--provider` and `--id` out of the arguments and puts a leading
/// script after the sbatch options (`render script.sh -N2` means
/// `sbatch -N2 script.sh`).
fn split_args(args: &[String]) -> Result<Request, String> {
    let mut provider = None;
    let mut job_id = 1;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        match name {
            "--provider" | "--id" => {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("option `{name}` requires a value"))?,
                };
                if name == "--provider" {
                    provider = Some(value.parse::<Provider>().map_err(|e| e.to_string())?);
                } else {
                    job_id = value
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("invalid job id `{value}`"))?;
                }
            }
            _ => rest.push(arg.clone()),
        }
    }
    if rest.len() > 1 && !rest[0].starts_with('-') {
        let script = rest.remove(0);
        rest.push(script);
    }
    if rest.is_empty() {
        return Err(USAGE_LINE.to_string());
    }
    Ok(Request {
        provider,
        job_id,
        sbatch_args: rest,
    })
}

/// The usage line of `sk8 render`.
pub const USAGE_LINE: &str = "usage: sk8 render [--provider=kueue|volcano|coscheduling|native|none] [--id=N] script.sh [sbatch options]";

/// The provider and namespace: the flag's or config's, else the cluster's
/// (asked through discovery); with no cluster reachable, `none`. The
/// namespace is the config's, else the kubeconfig's (as `sbatch` would
/// use), else `default`.
fn where_it_goes(cfg: &KubeConfig, flag: Option<Provider>) -> (Provider, String, String) {
    let configured_ns = cfg
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(sk8_kube::kubeconfig_namespace);
    if let Some(p) = flag.or(cfg.gang) {
        let from = if flag.is_some() {
            "--provider"
        } else {
            "config"
        };
        return (
            p,
            configured_ns.unwrap_or_else(|| "default".to_string()),
            format!(" (from {from})"),
        );
    }
    match sk8_kube::KubeBackend::connect(cfg.clone()) {
        Ok(backend) => match backend.provider() {
            Ok(p) => (
                p,
                backend.namespace().to_string(),
                " (found on the cluster)".to_string(),
            ),
            Err(e) => (
                Provider::None,
                backend.namespace().to_string(),
                format!(" (cluster not reachable: {e})"),
            ),
        },
        Err(e) => (
            Provider::None,
            configured_ns.unwrap_or_else(|| "default".to_string()),
            format!(" (no cluster: {e})"),
        ),
    }
}
