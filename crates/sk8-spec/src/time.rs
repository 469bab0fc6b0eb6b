//! Time limits (`--time=1-02:03:04`, `UNLIMITED`) with Slurm 22.05's parsing and rendering.
//!
//! Accepted forms (`time_str2mins` in Slurm): `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
//! `D-HH:MM`, `D-HH:MM:SS`, and, ignoring case, `UNLIMITED`, `INFINITE` and `-1`.
//! Seconds round up to whole minutes; a result of zero minutes (`0`, `0:0`,
//! `0-0`) means no limit, as `--time=0` does in Slurm. Fields may exceed their
//! natural range (`59:61` is 61 minutes, `1-24` is two days).
//!
//! Slurm does its arithmetic in C `int`s and we reproduce it: `-5` passes
//! Slurm's format check and yields minus five days, which wraps to a huge
//! unsigned limit (`scontrol` shows `2982611-04:17:00`), and an overflowing
//! `2147483647` wraps to zero, i.e. `UNLIMITED`. Limits above
//! [`TimeLimit::MAX_ROUND_TRIP_MINUTES`] (about 68 years) print in a form that
//! Slurm itself would parse differently, so only limits up to that bound
//! round-trip through `Display`/`FromStr`.
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values, all before
//! contacting the controller:
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--time`, `-t` | `sbatch: error: Invalid --time specification` | 255 |
//! | `--time-min` | `sbatch: error: Invalid --time-min specification` | 255 |
//!
//! `--time-min=0` parses (zero minutes) but the controller refuses it:
//! `sbatch: error: Batch job submission failed: Invalid time-min specification
//! (exceeds job's time or other limits)`, exit 1 (`--test-only` prints
//! `allocation failure: ...` instead).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a time specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The value was empty.
    #[error("empty time specification")]
    Empty,
    /// The value is not one of the accepted forms.
    #[error("invalid time specification `{0}`")]
    Invalid(String),
}

/// A job time limit: a number of minutes, or no limit at all.
///
/// `Minutes(m)` holds what Slurm stores (`0 < m < 0xfffffffe`); values built
/// by hand outside that range render like Slurm renders them but are not
/// produced by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeLimit {
    /// No limit (`UNLIMITED`, `INFINITE`, `-1`, `0`).
    Unlimited,
    /// A limit in whole minutes.
    Minutes(u32),
}

/// Slurm's `INFINITE` (as an `int`, -1).
const INFINITE: i32 = -1;
/// Slurm's `NO_VAL` (as an `int`, -2).
const NO_VAL: i32 = -2;

impl TimeLimit {
    /// The largest limit whose `Display` parses back to the same value:
    /// beyond it Slurm's own seconds arithmetic overflows a C `int`.
    pub const MAX_ROUND_TRIP_MINUTES: u32 = (i32::MAX / 60) as u32;

    /// A limit of `minutes`; zero means unlimited, as on the command line.
    pub const fn from_minutes(minutes: u32) -> Self {
        if minutes == 0 || minutes == u32::MAX {
            Self::Unlimited
        } else {
            Self::Minutes(minutes)
        }
    }

    /// Whether there is no limit.
    pub const fn is_unlimited(&self) -> bool {
        matches!(self, Self::Unlimited)
    }

    /// The limit in minutes, `None` when unlimited.
    pub const fn minutes(&self) -> Option<u32> {
        match self {
            Self::Unlimited => None,
            Self::Minutes(m) => Some(*m),
        }
    }

    /// The limit in seconds (minutes times 60), `None` when unlimited.
    pub const fn seconds(&self) -> Option<u64> {
        match self {
            Self::Unlimited => None,
            Self::Minutes(m) => Some(*m as u64 * 60),
        }
    }
}

/// Parses a duration the way Slurm's `time_str2secs` does, returning C `int`
/// seconds (`-1` for unlimited, wrapping like the C code), or `None` when the
/// text is not a valid time specification.
///
/// Exposed for options that keep seconds rather than minutes.
pub fn parse_seconds(s: &str) -> Option<i32> {
    if s.is_empty() {
        return None;
    }
    if ["-1", "INFINITE", "UNLIMITED"]
        .iter()
        .any(|k| s.eq_ignore_ascii_case(k))
    {
        return Some(INFINITE);
    }
    if !is_valid_timespec(s) {
        return None;
    }
    let (d, h, m, sec) = if s.contains('-') {
        let v = cnum::scan_ints(s, b"-::");
        (get(&v, 0), get(&v, 1), get(&v, 2), get(&v, 3))
    } else {
        let v = cnum::scan_ints(s, b"::");
        if v.len() == 3 {
            (0, v[0], v[1], v[2])
        } else {
            // minutes[:seconds]
            (0, 0, get(&v, 0), get(&v, 1))
        }
    };
    Some(
        d.wrapping_mul(86_400)
            .wrapping_add(h.wrapping_mul(3600))
            .wrapping_add(m.wrapping_mul(60))
            .wrapping_add(sec),
    )
}

fn get(v: &[i32], i: usize) -> i32 {
    v.get(i).copied().unwrap_or(0)
}

/// Slurm's shape check: only digits, `-` and `:`, at most one dash (before
/// any colon), at most two colons, and enough digit runs for the separators.
fn is_valid_timespec(s: &str) -> bool {
    let (mut runs, mut dashes, mut colons, mut in_digits) = (0, 0, 0, false);
    for c in s.bytes() {
        match c {
            b'0'..=b'9' => {
                if !in_digits {
                    runs += 1;
                    in_digits = true;
                }
            }
            b'-' => {
                in_digits = false;
                dashes += 1;
                if colons > 0 {
                    return false;
                }
            }
            b':' => {
                in_digits = false;
                colons += 1;
            }
            _ => return false,
        }
    }
    if runs == 0 || dashes > 1 || colons > 2 {
        return false;
    }
    let needed = match (dashes, colons) {
        (0, 1) => 2,
        (0, 2) => 3,
        (1, 1) => 3,
        (1, 2) => 4,
        _ => 1,
    };
    runs >= needed
}

impl FromStr for TimeLimit {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(TimeError::Empty);
        }
        let invalid = || TimeError::Invalid(s.to_owned());
        let secs = parse_seconds(s).ok_or_else(invalid)?;
        let minutes = match secs {
            INFINITE => INFINITE,
            NO_VAL => return Err(invalid()),
            // Rounds up; C division truncates toward zero, as Rust's does.
            _ => secs.wrapping_add(59) / 60,
        };
        match minutes {
            NO_VAL => Err(invalid()),
            // Zero minutes and INFINITE both mean no limit.
            _ => Ok(Self::from_minutes(minutes as u32)),
        }
    }
}

impl fmt::Display for TimeLimit {
    /// As `scontrol show job` prints `TimeLimit=`: `00:10:00`, `1-02:03:00`,
    /// `UNLIMITED`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Unlimited => f.write_str("UNLIMITED"),
            Self::Minutes(m) => {
                let (days, hours, mins) = (m / 1440, m / 60 % 24, m % 60);
                if days > 0 {
                    write!(f, "{days}-{hours:02}:{mins:02}:00")
                } else {
                    write!(f, "{hours:02}:{mins:02}:00")
                }
            }
        }
    }
}

/// C library number conversions (`strtol`, `strtoull`, `atoi`, `sscanf`'s
/// `%d`), reproduced because Slurm's accept/reject decisions hang on them.
pub(crate) mod cnum {
    use nom::IResult;
    use nom::Parser;
    use nom::bytes::complete::take_while;
    use nom::character::complete::{digit1, one_of};
    use nom::combinator::opt;

    fn is_c_space(c: char) -> bool {
        matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
    }

    /// Leading white space, an optional sign and at least one digit.
    fn signed_digits(s: &str) -> IResult<&str, (bool, &str)> {
        let (s, _) = take_while(is_c_space)(s)?;
        let (s, sign) = opt(one_of("+-")).parse(s)?;
        let (s, digits) = digit1(s)?;
        Ok((s, (sign == Some('-'), digits)))
    }

    /// Magnitude of a digit string, saturating; `None` on overflow.
    fn magnitude(digits: &str) -> Option<u64> {
        digits.bytes().try_fold(0u64, |acc, d| {
            acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
    }

    /// `strtol`/`strtoll` (64-bit `long`): the value (saturated on overflow),
    /// whether it overflowed, and the unparsed rest; `None` when no digits
    /// were found (C then leaves `endptr` at the start).
    pub(crate) fn strtol(s: &str) -> Option<(i64, bool, &str)> {
        let (rest, (neg, digits)) = signed_digits(s).ok()?;
        let (value, overflow) = match magnitude(digits) {
            Some(m) if !neg && m <= i64::MAX as u64 => (m as i64, false),
            Some(m) if neg && m <= i64::MAX as u64 + 1 => ((m as i64).wrapping_neg(), false),
            _ if neg => (i64::MIN, true),
            _ => (i64::MAX, true),
        };
        Some((value, overflow, rest))
    }

    /// `strtoull`: a leading `-` negates in unsigned arithmetic; overflow
    /// gives `u64::MAX`.
    pub(crate) fn strtoull(s: &str) -> Option<(u64, &str)> {
        let (rest, (neg, digits)) = signed_digits(s).ok()?;
        let value = match magnitude(digits) {
            Some(m) if neg => m.wrapping_neg(),
            Some(m) => m,
            None => u64::MAX,
        };
        Some((value, rest))
    }

    /// `atoi`: `strtol` truncated to a C `int`, zero when there are no digits.
    pub(crate) fn atoi(s: &str) -> i32 {
        strtol(s).map_or(0, |(v, _, _)| v as i32)
    }

    /// `sscanf(s, "%d<sep>%d<sep>...")`: reads `%d` conversions separated
    /// by the literal bytes in `seps`, stopping at the first mismatch, and
    /// returns the values converted (glibc truncates `long` to `int`).
    pub(crate) fn scan_ints(s: &str, seps: &[u8]) -> Vec<i32> {
        let mut out = Vec::new();
        let mut rest = s;
        loop {
            let Some((v, _, r)) = strtol(rest) else {
                return out;
            };
            out.push(v as i32);
            let Some(&sep) = seps.get(out.len() - 1) else {
                return out;
            };
            match r.as_bytes().first() {
                Some(&c) if c == sep => rest = &r[1..],
                _ => return out,
            }
        }
    }
}
