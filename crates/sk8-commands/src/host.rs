//! The facts of the machine a command runs on: the real [`Host`] (files and
//! standard input), the submission [`Context`] read from this process, the
//! clock, the host name and how Slurm prints a time.
//!
//! (Issue 10's NSS-correct host module, owning users, groups and the time
//! zone, grows from this one.)
//!
//! [`Host`]: sk8_opts::sbatch::Host
//! [`Context`]: sk8_opts::sbatch::Context

use std::collections::BTreeMap;
use std::io::{Read, Write};

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
pub(crate) fn ids() -> (u32, u32) {
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

/// The program's arguments after argv\[0\], as strings (invalid UTF-8 is
/// replaced, as no Slurm option value can use it meaningfully), and argv\[0\].
pub fn args() -> (String, Vec<String>) {
    let mut it = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let argv0 = it.next().unwrap_or_default();
    (argv0, it.collect())
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
