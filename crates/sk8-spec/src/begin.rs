//! Deferred start times (`--begin=now+1hour`, `16:00`, `2026-01-01T12:00`).
//!
//! Slurm 22.05 semantics (`parse_time` in `src/common/parse_time.c`, with
//! `past` = 0): a sequence of tokens separated by blanks, `-` or `T`, later
//! tokens overriding earlier ones:
//! - `today`, `tomorrow` (a date); `midnight`, `noon`, `fika` (15:00),
//!   `teatime` (16:00) (a time); `HH:MM[:SS]` with an optional `AM`/`PM`;
//! - `MMDD[YY]`, `MM/DD[/YY]`, `MM.DD[.YY]` (`YY` = 20YY, `00` means no
//!   year), `YYYY-MM-DD`;
//! - `now[{+|-}count[seconds|minutes|hours|days|weeks]]` (singular units
//!   too, seconds by default; no abbreviations such as `1h`);
//! - `uts<seconds>` (a Unix time >= 1000000) as the whole value.
//!
//! `elevenses` is not known to 22.05 (newer Slurm adds it).
//! A time without a date means today if still ahead, else tomorrow; a date
//! without a year means this year if still ahead, else next year; a date
//! without a time means 00:00. Out-of-range days roll over (`02/31`).
//!
//! Real `sbatch --test-only` for a bad value (from sbatch's own parser):
//! `Invalid time specification (pos=N): TEXT` then `sbatch: error: Invalid
//! --begin specification`, exit code 255 (e.g. `garbage`, `25:00`, `now+1h`,
//! `elevenses`). The controller adds no check.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::civil::{Civil, Zone};

/// Why a time specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeginError {
    /// The text at this byte offset does not fit.
    #[error("invalid time specification at byte {pos}: `{text}`")]
    Invalid {
        /// Byte offset of the problem.
        pos: usize,
        /// The whole value.
        text: String,
    },
    /// Nothing that names a time or date.
    #[error("empty time specification")]
    Empty,
}

/// One token of a time specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BeginToken {
    /// `today`.
    Today,
    /// `tomorrow`.
    Tomorrow,
    /// `now` shifted by this many seconds.
    Now(i64),
    /// A time of day (also `midnight`, `noon`, `fika`, `teatime`).
    Time {
        /// 0..=23
        hour: u8,
        /// 0..=59
        minute: u8,
        /// 0..=59
        second: u8,
    },
    /// A calendar date; without a year the previous token's year (if any) stays.
    Date {
        /// 1..=12
        month: u8,
        /// 1..=31
        day: u8,
        /// Full year.
        year: Option<i32>,
    },
}

/// A parsed `--begin` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BeginSpec {
    /// `uts<seconds>`: an absolute Unix time.
    Unix(i64),
    /// Tokens to resolve against the submission time.
    Tokens(Vec<BeginToken>),
}

impl BeginSpec {
    /// The tokens (empty for a Unix time).
    pub fn tokens(&self) -> &[BeginToken] {
        match self {
            Self::Tokens(t) => t,
            Self::Unix(_) => &[],
        }
    }

    /// The start time as Unix seconds, for a submission at `now`, the
    /// value read as a wall time in `zone` (Slurm reads it in the local zone).
    pub fn resolve(&self, now: i64, zone: &Zone) -> i64 {
        let tokens = match self {
            Self::Unix(t) => return *t,
            Self::Tokens(t) => t,
        };
        let local = |t: i64| zone.civil(t);
        let now_tm = local(now);
        let (mut hour, mut minute, mut second) = (-1i64, -1i64, 0i64);
        let (mut month, mut day, mut year) = (-1i64, -1i64, None::<i64>);
        for token in tokens {
            match *token {
                BeginToken::Today => {
                    (month, day, year) = (now_tm.month, now_tm.day, Some(now_tm.year))
                }
                BeginToken::Tomorrow => {
                    let t = local(now + 86_400);
                    (month, day, year) = (t.month, t.day, Some(t.year));
                }
                BeginToken::Now(delta) => {
                    let t = local(now + delta);
                    (month, day, year) = (t.month, t.day, Some(t.year));
                    (hour, minute, second) = (t.hour, t.minute, t.second);
                }
                BeginToken::Time {
                    hour: h,
                    minute: m,
                    second: s,
                } => {
                    (hour, minute, second) = (h.into(), m.into(), s.into());
                }
                BeginToken::Date {
                    month: m,
                    day: d,
                    year: y,
                } => {
                    (month, day) = (m.into(), d.into());
                    if let Some(y) = y {
                        year = Some(y.into());
                    }
                }
            }
        }
        if hour == -1 {
            (hour, minute) = (0, 0);
        } else if month == -1 {
            let ahead = hour > now_tm.hour || (hour == now_tm.hour && minute > now_tm.minute);
            let t = if ahead { now_tm } else { local(now + 86_400) };
            (month, day, year) = (t.month, t.day, Some(t.year));
        }
        let year = year.unwrap_or_else(|| {
            let ahead =
                (month, day, hour, minute) > (now_tm.month, now_tm.day, now_tm.hour, now_tm.minute);
            if ahead { now_tm.year } else { now_tm.year + 1 }
        });
        zone.unix(Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// [`BeginSpec::resolve`] for a fixed UTC offset in seconds.
    pub fn resolve_fixed(&self, now: i64, utc_offset: i32) -> i64 {
        self.resolve(now, &Zone::fixed(utc_offset))
    }
}

const UNITS: [(&str, i64); 10] = [
    ("seconds", 1),
    ("second", 1),
    ("minutes", 60),
    ("minute", 60),
    ("hours", 3600),
    ("hour", 3600),
    ("days", 86_400),
    ("day", 86_400),
    ("weeks", 604_800),
    ("week", 604_800),
];

const WORDS: [(&str, Option<(u8, u8)>); 6] = [
    ("today", None),
    ("tomorrow", None),
    ("midnight", Some((0, 0))),
    ("noon", Some((12, 0))),
    ("fika", Some((15, 0))),
    ("teatime", Some((16, 0))),
];

fn starts_with_ci(text: &[u8], word: &str) -> bool {
    text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word.as_bytes())
}

struct Parser<'a> {
    b: &'a [u8],
    text: &'a str,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn err(&self, pos: usize) -> BeginError {
        BeginError::Invalid {
            pos,
            text: self.text.to_owned(),
        }
    }

    fn digit(&self, i: usize) -> Option<i64> {
        self.at(i)
            .is_ascii_digit()
            .then(|| i64::from(self.at(i) - b'0'))
    }

    /// `+count[unit]` starting at the sign; returns (delta, next position).
    fn delta(&self, sign_at: usize) -> Result<(i64, usize), BeginError> {
        let mut i = sign_at + 1;
        let (mut cnt, mut digits) = (0i64, 0);
        while i < self.b.len() && self.b[i] != b'\n' {
            let c = self.b[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if let Some((unit, mult)) = UNITS.iter().find(|(u, _)| starts_with_ci(&self.b[i..], u))
            {
                i += unit.len();
                cnt = cnt.checked_mul(*mult).ok_or_else(|| self.err(i))?;
                break;
            }
            let d = self.digit(i).ok_or_else(|| self.err(i))?;
            cnt = cnt
                .checked_mul(10)
                .and_then(|c| c.checked_add(d))
                .ok_or_else(|| self.err(i))?;
            digits += 1;
            i += 1;
        }
        if digits == 0 {
            return Err(self.err(i));
        }
        Ok((cnt, i))
    }

    fn time(&self, mut i: usize) -> Result<(BeginToken, usize), BeginError> {
        let mut hr = self.digit(i).ok_or_else(|| self.err(i))?;
        i += 1;
        if self.at(i) != b':' {
            hr = hr * 10 + self.digit(i).ok_or_else(|| self.err(i))?;
            i += 1;
        }
        if hr > 23 || self.at(i) != b':' {
            return Err(self.err(i));
        }
        let two = |i: usize| -> Result<i64, BeginError> {
            Ok(self.digit(i).ok_or_else(|| self.err(i))? * 10
                + self.digit(i + 1).ok_or_else(|| self.err(i + 1))?)
        };
        let min = two(i + 1)?;
        i += 3;
        if min > 59 {
            return Err(self.err(i));
        }
        let mut sec = 0;
        if self.at(i) == b':' {
            sec = two(i + 1)?;
            i += 3;
            if sec > 59 {
                return Err(self.err(i));
            }
        }
        while self.at(i).is_ascii_whitespace() && i < self.b.len() {
            i += 1;
        }
        if starts_with_ci(&self.b[i..], "pm") {
            hr += 12;
            if hr == 24 {
                hr = 12;
            } else if hr > 23 {
                return Err(self.err(i));
            }
            i += 2;
        } else if starts_with_ci(&self.b[i..], "am") {
            if hr == 12 {
                hr = 0;
            } else if hr > 11 {
                return Err(self.err(i));
            }
            i += 2;
        }
        let token = BeginToken::Time {
            hour: hr as u8,
            minute: min as u8,
            second: sec as u8,
        };
        Ok((token, i))
    }

    fn date(&self, mut i: usize) -> Result<(BeginToken, usize), BeginError> {
        if self.b.len() >= i + 7 && self.at(i + 4) == b'-' && self.at(i + 7) == b'-' {
            let mut yr = 0;
            for k in 0..4 {
                yr = yr * 10 + self.digit(i + k).ok_or_else(|| self.err(i + k))?;
            }
            i += 5;
            let mut mon = self.digit(i).ok_or_else(|| self.err(i))?;
            i += 1;
            if let Some(d) = self.digit(i) {
                mon = mon * 10 + d;
                i += 1;
            }
            if !(1..=12).contains(&mon) {
                return Err(self.err(i));
            }
            i += 1;
            let (day, next) = self.day(i)?;
            let token = BeginToken::Date {
                month: mon as u8,
                day,
                year: Some(yr as i32),
            };
            return Ok((token, next));
        }
        let mut mon = self.digit(i).ok_or_else(|| self.err(i))?;
        i += 1;
        if let Some(d) = self.digit(i) {
            mon = mon * 10 + d;
            i += 1;
        }
        if !(1..=12).contains(&mon) {
            return Err(self.err(i));
        }
        if matches!(self.at(i), b'.' | b'/') {
            i += 1;
        }
        let (day, mut i) = self.day(i)?;
        if matches!(self.at(i), b'.' | b'/') {
            i += 1;
        }
        let mut year = None;
        if let Some(d) = self.digit(i) {
            let yy = d * 10 + self.digit(i + 1).ok_or_else(|| self.err(i + 1))?;
            i += 2;
            if yy != 0 {
                year = Some(2000 + yy as i32);
            }
        }
        Ok((
            BeginToken::Date {
                month: mon as u8,
                day,
                year,
            },
            i,
        ))
    }

    fn day(&self, mut i: usize) -> Result<(u8, usize), BeginError> {
        let mut day = self.digit(i).ok_or_else(|| self.err(i))?;
        i += 1;
        if let Some(d) = self.digit(i) {
            day = day * 10 + d;
            i += 1;
        }
        if !(1..=31).contains(&day) {
            return Err(self.err(i));
        }
        Ok((day as u8, i))
    }
}

impl FromStr for BeginSpec {
    type Err = BeginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let p = Parser {
            b: s.as_bytes(),
            text: s,
        };
        if starts_with_ci(p.b, "uts") {
            let rest = s[3..].trim_start();
            let sign = usize::from(rest.starts_with(['+', '-']));
            let ok = rest.len() > sign && rest[sign..].bytes().all(|b| b.is_ascii_digit());
            return match rest.parse::<i64>() {
                Ok(v) if ok && v >= 1_000_000 && v != i64::MAX => Ok(Self::Unix(v)),
                _ => Err(p.err(0)),
            };
        }
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < p.b.len() && p.b[i] != b'\n' {
            let c = p.b[i];
            if c == b' ' || c == b'\t' || c == b'-' || c == b'T' {
                i += 1;
                continue;
            }
            if let Some((word, time)) = WORDS.iter().find(|(w, _)| starts_with_ci(&p.b[i..], w)) {
                tokens.push(match (word, time) {
                    (_, Some((hour, minute))) => BeginToken::Time {
                        hour: *hour,
                        minute: *minute,
                        second: 0,
                    },
                    (&"today", None) => BeginToken::Today,
                    _ => BeginToken::Tomorrow,
                });
                i += word.len();
                continue;
            }
            if starts_with_ci(&p.b[i..], "now") {
                let mut j = i + 3;
                let mut delta = 0;
                loop {
                    match p.at(j) {
                        b'+' | b'-' => {
                            let (d, next) = p.delta(j)?;
                            delta = if p.at(j) == b'-' { -d } else { d };
                            j = next;
                            break;
                        }
                        b' ' | b'\t' => j += 1,
                        0 | b'\n' if j >= p.b.len() || p.at(j) == b'\n' => break,
                        _ => return Err(p.err(j)),
                    }
                }
                tokens.push(BeginToken::Now(delta));
                i = j;
                continue;
            }
            if !c.is_ascii_digit() {
                return Err(p.err(i));
            }
            let (token, next) = if p.at(i + 1) == b':' || p.at(i + 2) == b':' {
                p.time(i)?
            } else {
                p.date(i)?
            };
            tokens.push(token);
            i = next;
        }
        if tokens.is_empty() {
            return Err(BeginError::Empty);
        }
        Ok(Self::Tokens(tokens))
    }
}

impl fmt::Display for BeginToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Today => f.write_str("today"),
            Self::Tomorrow => f.write_str("tomorrow"),
            Self::Now(d) if d < 0 => write!(f, "now-{}seconds", d.unsigned_abs()),
            Self::Now(d) => write!(f, "now+{d}seconds"),
            Self::Time {
                hour,
                minute,
                second,
            } => write!(f, "{hour:02}:{minute:02}:{second:02}"),
            Self::Date {
                month,
                day,
                year: Some(y),
            } => write!(f, "{y:04}-{month:02}-{day:02}"),
            Self::Date {
                month,
                day,
                year: None,
            } => write!(f, "{month:02}/{day:02}"),
        }
    }
}

impl fmt::Display for BeginSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = match self {
            Self::Unix(t) => return write!(f, "uts{t}"),
            Self::Tokens(t) => t,
        };
        if let [BeginToken::Now(0)] = tokens.as_slice() {
            return f.write_str("now");
        }
        for (n, token) in tokens.iter().enumerate() {
            if n > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{token}")?;
        }
        Ok(())
    }
}
