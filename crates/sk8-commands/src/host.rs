//! The commands' adapter over sk8-host: the real [`Host`] (files and
//! standard input) that sk8-opts reads scripts through, the submission
//! [`Context`] read from this process, and group names for the output
//! formats. The facts themselves (users, groups, clock, zone, host name)
//! are sk8-host's.
//!
//! [`Host`]: sk8_opts::sbatch::Host
//! [`Context`]: sk8_opts::sbatch::Context

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Mutex;

use sk8_opts::sbatch::{Context, Host};

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
    let (uid, gid) = (sk8_host::current_uid(), sk8_host::current_gid());
    let user = env
        .get("USER")
        .or_else(|| env.get("LOGNAME"))
        .cloned()
        .or_else(|| sk8_host::user_name(uid))
        .unwrap_or_else(|| uid.to_string());
    Context {
        argv0: argv0.to_string(),
        cwd,
        env,
        user,
        uid,
        gid,
        host: sk8_host::short_hostname(),
        default_partition: None,
    }
}

/// Group names by gid through the host's group database, each gid looked
/// up once per process (`squeue --sort=g` asks for the same ones often).
pub fn group_names() -> sk8_format::GroupNames {
    let seen: Mutex<BTreeMap<u32, Option<String>>> = Mutex::new(BTreeMap::new());
    sk8_format::GroupNames::new(move |gid| {
        let mut seen = seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.entry(gid)
            .or_insert_with(|| sk8_host::group_name(gid))
            .clone()
    })
}

/// Writes `text` to standard output as is (a closed pipe is not an error:
/// `squeue | head` must not complain).
pub fn print_out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The program's arguments after argv\[0\], as strings (invalid UTF-8 is
/// replaced, as no Slurm option value can use it meaningfully), and argv\[0\].
pub fn args() -> (String, Vec<String>) {
    let mut it = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let argv0 = it.next().unwrap_or_default();
    (argv0, it.collect())
}
