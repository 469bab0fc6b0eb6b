//! What the sk8 binaries share at run time: the real [`Host`] (files and
//! standard input), the submission [`Context`] read from this process, and
//! printing a [`Failure`] the way Slurm does.
//!
//! [`Host`]: sk8_opts::sbatch::Host
//! [`Context`]: sk8_opts::sbatch::Context
//! [`Failure`]: sk8_opts::Failure

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;

use sk8_backend::Backend;
use sk8_opts::error::EXIT_ERROR;
use sk8_opts::sbatch::{Context, Host};
use sk8_opts::{Failure, Line};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;

/// The machine the command runs on.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealHost;

impl Host for RealHost {
    fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
        read_bounded(std::fs::File::open(path)?)
    }

    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        read_bounded(std::io::stdin().lock())
    }

    fn is_readable_file(&self, path: &str) -> bool {
        std::fs::File::open(path)
            .and_then(|f| f.metadata())
            .is_ok_and(|m| m.is_file())
    }
}

/// The first `MAX_SCRIPT_SIZE + 1` bytes of `from`: all the parser looks at.
fn read_bounded(from: impl Read) -> std::io::Result<Vec<u8>> {
    let limit = sk8_opts::sbatch::MAX_SCRIPT_SIZE + 1;
    let mut buf = Vec::new();
    from.take(limit as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The submission context of this process: argv\[0\], working directory,
/// environment, user and host.
pub fn context(argv0: &str) -> Context {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let cwd = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .or_else(|_| env.get("PWD").cloned().ok_or(()))
        .unwrap_or_else(|_| "/".to_string());
    let (uid, gid) = ids();
    let user = env
        .get("USER")
        .or_else(|| env.get("LOGNAME"))
        .cloned()
        .or_else(|| user_name(uid))
        .unwrap_or_else(|| uid.to_string());
    Context {
        argv0: argv0.to_string(),
        cwd,
        env,
        user,
        uid,
        gid,
        host: short_hostname(),
        default_partition: None,
    }
}

/// The real user and group ids, from `/proc/self/status`.
fn ids() -> (u32, u32) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("Uid:"), field("Gid:"))
}

/// The name of `uid` in `/etc/passwd`.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id = f.nth(1)?.parse::<u32>().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

/// This host's name up to the first dot, as Slurm's `gethostname_short`.
pub fn short_hostname() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim();
    name.split('.').next().unwrap_or(name).to_string()
}

/// The current time in Unix seconds (0 before 1970, which no clock here says).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Writes `text` to standard output as is (a closed pipe is not an error:
/// `squeue | head` must not complain).
pub fn print_out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Prints `failure` on standard error as program `prog` and returns its exit code.
pub fn fail(prog: &str, failure: &Failure) -> ExitCode {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(failure.render(prog).as_bytes());
    ExitCode::from(failure.code)
}

/// The program's arguments after argv\[0\], as strings (invalid UTF-8 is
/// replaced, as no Slurm option value can use it meaningfully), and argv\[0\].
pub fn args() -> (String, Vec<String>) {
    let mut it = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let argv0 = it.next().unwrap_or_default();
    (argv0, it.collect())
}

/// The backend this process talks to: `SK8_BACKEND=local|kubernetes`, the
/// local one when unset (DESIGN.md §3), so a fresh machine needs no setup.
pub fn backend() -> Result<Box<dyn Backend>, Failure> {
    let failure = |e: sk8_backend::Error| Failure::error(e.to_string(), EXIT_ERROR);
    let (choice, from) = match std::env::var("SK8_BACKEND") {
        Ok(v) if !v.is_empty() => (v, "SK8_BACKEND".to_string()),
        _ => configured_backend().map_err(|e| Failure::error(e, EXIT_ERROR))?,
    };
    match choice.as_str() {
        "" | "local" => sk8_local::LocalBackend::open()
            .map(|b| Box::new(b) as Box<dyn Backend>)
            .map_err(|e| failure(e.into())),
        "kubernetes" | "k8s" => {
            let cfg = sk8_kube::load_config().map_err(failure)?;
            sk8_kube::KubeBackend::connect(cfg)
                .map(|b| Box::new(b) as Box<dyn Backend>)
                .map_err(failure)
        }
        other => Err(Failure::error(
            format!("unknown backend `{other}` in {from} (hint: local or kubernetes)"),
            EXIT_ERROR,
        )),
    }
}

/// The `backend` key of the first config file that exists
/// (`$SK8_HOME/config.toml`, the user's `sk8/config.toml`,
/// `/etc/sk8/config.toml`), and where it was found; empty when none says.
fn configured_backend() -> Result<(String, String), String> {
    #[derive(serde::Deserialize)]
    struct Top {
        backend: Option<String>,
    }
    for path in sk8_kube::config_candidates() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let top: Top = toml::from_str(&text)
            .map_err(|e| format!("invalid config `{}`: {}", path.display(), e.message()))?;
        return Ok((
            top.backend.unwrap_or_default(),
            format!("`{}`", path.display()),
        ));
    }
    Ok((String::new(), String::new()))
}

/// A backend error as a command prints it: `<what>: <Slurm's words>`.
pub fn backend_failure(what: &str, e: &sk8_backend::Error) -> Failure {
    Failure {
        lines: vec![Line::error(format!("{what}{e}"))],
        code: EXIT_ERROR,
    }
}

/// The environment a command run in an interactive allocation gets (salloc's
/// command, standalone srun's step): this process's environment, salloc's
/// `SLURM_*` variables for the allocation, and how to reach its agents. The
/// job's token is written to a private file (mode 0600) whose path is given,
/// never the token itself; the returned guard removes the file.
pub fn allocation_env(
    ctx: &Context,
    spec: &sk8_spec::JobSpec,
    granted: &sk8_backend::Granted,
    cluster: &str,
) -> std::io::Result<(BTreeMap<String, String>, TokenFile)> {
    let job = &granted.job;
    let nodes = job
        .nodes
        .iter()
        .enumerate()
        .map(|(i, name)| sk8_env::Node {
            name: name.clone(),
            addr: granted
                .access
                .agents
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| {
                    a.rsplit_once(':')
                        .map_or(a.as_str(), |(h, _)| h)
                        .to_string()
                })
                .unwrap_or_default(),
            cpus: job.node_cpus.get(i).copied().unwrap_or(1),
            gpus: job.node_gpus.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let memory = spec.memory.as_ref().map(|m| match m {
        sk8_spec::job::Memory::PerNode(s) => sk8_env::MemoryGrant::PerNode(s.megabytes()),
        sk8_spec::job::Memory::PerCpu(s) => sk8_env::MemoryGrant::PerCpu(s.megabytes()),
        sk8_spec::job::Memory::PerGpu(s) => sk8_env::MemoryGrant::PerGpu(s.megabytes()),
    });
    let alloc = sk8_env::Allocation {
        job_id: job.id,
        cluster: cluster.to_string(),
        partition: job.spec.partition.clone().unwrap_or_default(),
        account: job.spec.account.clone(),
        qos: job.spec.qos.clone(),
        nodes,
        memory,
        ..sk8_env::Allocation::default()
    };
    let mut req = sk8_env::JobRequest::from_spec(spec);
    req.environment = ctx.env.clone();
    let host = sk8_env::HostFacts::default();
    let token = TokenFile::create(job.id, &granted.access.token)?;
    let mut env = ctx.env.clone();
    env.extend(sk8_env::salloc_env(&req, &alloc, &host));
    let agents: Vec<String> = granted
        .access
        .agents
        .iter()
        .map(|(n, a)| format!("{n}={a}"))
        .collect();
    env.insert("SK8_AGENTS".into(), agents.join(","));
    env.insert("SK8_TOKEN_FILE".into(), token.path.display().to_string());
    Ok((env, token))
}

/// A job token written to a private file for the processes of an
/// allocation; removed when dropped.
#[derive(Debug)]
pub struct TokenFile {
    path: std::path::PathBuf,
}

impl TokenFile {
    fn create(job: u32, token: &str) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::env::var_os("XDG_RUNTIME_DIR")
            .map(std::path::PathBuf::from)
            .filter(|d| d.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let path = dir.join(format!(
            "sk8-token-{}-{job}-{}",
            ids().0,
            std::process::id()
        ));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(token.as_bytes())?;
        Ok(Self { path })
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A Unix time as Slurm prints times (`2026-11-28T15:48:49`), in UTC: sk8
/// reads no time zone database, so on a host whose local zone is not UTC
/// this differs from Slurm's local-time rendering.
pub fn slurm_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::slurm_time;

    #[test]
    fn times_render_as_slurm_prints_them() {
        assert_eq!(slurm_time(0), "1970-01-01T00:00:00");
        assert_eq!(slurm_time(1_795_824_000), "2026-11-28T00:00:00");
        assert_eq!(slurm_time(951_786_061), "2000-02-29T01:01:01");
        assert_eq!(slurm_time(-1), "1969-12-31T23:59:59");
    }
}
