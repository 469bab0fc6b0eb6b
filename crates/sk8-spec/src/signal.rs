//! Warning signal specifications (`--signal=[{R|B}:]sig[@time]`).
//!
//! Slurm 22.05 semantics (`get_signal_opts` in `src/common/proc_args.c`):
//! an optional flag prefix (`R` = also on reservation end, `B` = signal only
//! the batch shell; matched case-insensitively, in sbatch `B` and `R` may both
//! appear, e.g. `BR:`, and the `:` after them is optional), a signal given by
//! number or by name (`USR1`, `SIGUSR1`, `usr1`, surrounding blanks allowed),
//! then `@seconds` (0..=65535, default 60). A number is taken modulo 65536 as
//! Slurm's `uint16_t` cast does (`65537` is signal 1, `-1` is 65535); 0 is
//! rejected. Names known: HUP INT QUIT ABRT KILL ALRM TERM USR1 USR2 URG CONT
//! STOP TSTP TTIN TTOU XCPU (no real-time signals).
//!
//! Messages of real `sbatch --test-only` (all from sbatch's own parser, none
//! from the controller):
//! - `--signal` (sbatch, srun, salloc): `sbatch: error: Invalid --signal
//!   specification`, exit code 255 (e.g. `FOO`, `0`, `65536`, `USR1@-1`,
//!   `USR1@65536`, `USR1@5 `, `@5`, `B:`, empty).
//!
//! `Display` renders the canonical form Slurm's `signal_opts_to_cmdline`
//! prints: `R`/`B` flags then `:`, the name when known else the number, and
//! `@time` only when the time is not 60.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Seconds before the time limit at which the signal is sent when `@time` is absent.
pub const DEFAULT_WARN_SECS: u16 = 60;

/// Signal names Slurm knows, with their Linux numbers.
const SIGNALS: &[(&str, u16)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ABRT", 6),
    ("KILL", 9),
    ("ALRM", 14),
    ("TERM", 15),
    ("USR1", 10),
    ("USR2", 12),
    ("URG", 23),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("XCPU", 24),
];

/// Why a `--signal` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// The signal part is neither a known name nor a number in 1..=65535.
    #[error("invalid signal `{0}`")]
    BadSignal(String),
    /// The part after `@` is not a number in 0..=65535.
    #[error("invalid warning time `{0}`")]
    BadTime(String),
}

/// A parsed `--signal` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignalSpec {
    /// Signal number (1..=65535).
    pub signal: u16,
    /// Seconds before the end of the time limit at which to send it.
    pub time: u16,
    /// `B`: send only to the batch shell, not to the steps.
    pub batch_only: bool,
    /// `R`: also send before a reservation ends.
    pub reservation: bool,
}

impl SignalSpec {
    /// A spec for `signal` with the default time and no flags.
    pub fn new(signal: u16) -> Self {
        Self {
            signal,
            time: DEFAULT_WARN_SECS,
            batch_only: false,
            reservation: false,
        }
    }

    /// The Slurm name of the signal (`USR1`), if it has one.
    pub fn name(&self) -> Option<&'static str> {
        signal_name(self.signal)
    }
}

/// The Slurm name (without `SIG`) of signal number `num`, if known.
pub fn signal_name(num: u16) -> Option<&'static str> {
    SIGNALS
        .iter()
        .find(|(_, n)| *n == num)
        .map(|(name, _)| *name)
}

/// Parses a signal name or number as Slurm's `sig_name2num` does; `None` for
/// an unknown name. Numbers are returned as `i64` before any narrowing.
pub fn signal_number(text: &str) -> Option<i64> {
    let trimmed = text.trim_start();
    if let Some((num, rest)) = strtol(trimmed) {
        return rest.trim().is_empty().then_some(num);
    }
    let upper = trimmed.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper).trim_end();
    SIGNALS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| i64::from(*v))
}

/// C `strtol` in base 10 on a string whose leading blanks were skipped:
/// optional sign then digits; `None` when no digit follows. Saturates.
fn strtol(text: &str) -> Option<(i64, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut value: i64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        value = value
            .saturating_mul(10)
            .saturating_add(i64::from(bytes[i] - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if negative { -value } else { value }, &text[i..]))
}

impl FromStr for SignalSpec {
    type Err = SignalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rest = s;
        let mut spec = SignalSpec::new(0);
        let take = |rest: &mut &str, flag: u8| {
            if rest
                .as_bytes()
                .first()
                .is_some_and(|b| b.eq_ignore_ascii_case(&flag))
            {
                *rest = &rest[1..];
                true
            } else {
                false
            }
        };
        spec.reservation |= take(&mut rest, b'R');
        spec.batch_only |= take(&mut rest, b'B');
        spec.reservation |= take(&mut rest, b'R');
        rest = rest.strip_prefix(':').unwrap_or(rest);
        let (sig_text, time_text) = match rest.split_once('@') {
            Some((sig, time)) => (sig, Some(time)),
            None => (rest, None),
        };
        // Slurm narrows to uint16_t before its range check.
        let num = signal_number(sig_text).map_or(0, |n| n.rem_euclid(65_536));
        if num == 0 {
            return Err(SignalError::BadSignal(sig_text.to_owned()));
        }
        spec.signal = u16::try_from(num).map_err(|_| SignalError::BadSignal(sig_text.into()))?;
        if let Some(time_text) = time_text {
            let trimmed = time_text.trim_start();
            let (num, tail) = strtol(trimmed).unwrap_or((0, trimmed));
            if !tail.is_empty() || !(0..=65_535).contains(&num) {
                return Err(SignalError::BadTime(time_text.to_owned()));
            }
            spec.time = u16::try_from(num).map_err(|_| SignalError::BadTime(time_text.into()))?;
        }
        Ok(spec)
    }
}

impl fmt::Display for SignalSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reservation {
            f.write_str("R")?;
        }
        if self.batch_only {
            f.write_str("B")?;
        }
        if self.reservation || self.batch_only {
            f.write_str(":")?;
        }
        match self.name() {
            Some(name) => f.write_str(name)?,
            None => write!(f, "{}", self.signal)?,
        }
        if self.time != DEFAULT_WARN_SECS {
            write!(f, "@{}", self.time)?;
        }
        Ok(())
    }
}
