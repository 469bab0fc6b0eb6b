//! Durations and timestamps as squeue, sinfo, sacct and scontrol print them.
//!
//! Slurm has several renderings of a duration: squeue's `%M`/`%l`
//! (`0:00`, `1:02:03`, `1-02:03:04`, `INVALID` beyond a year), scontrol's and
//! sacct's fixed form (`00:00:00`, `1-02:03:04`), and minutes (`UNLIMITED`,
//! `infinite` in sinfo). Timestamps are local time in ISO form
//! (`2026-11-28T15:48:49`); the [`Zone`] is an argument so that the crate
//! stays free of the clock and the time zone database, and so that printing
//! and parsing (`sacct -S`, `--begin`) read the same zone.

use std::fmt;

use sk8_spec::TimeLimit;
use sk8_spec::civil::{Civil, Zone};

/// Seconds in a (non-leap) year: squeue prints `INVALID` beyond it.
const YEAR_SECONDS: i64 = 365 * 24 * 3600;

/// squeue's and sinfo's duration (`_print_secs`): `M:SS`, `H:MM:SS`,
/// `D-HH:MM:SS`; `INVALID` when negative or more than a year.
pub fn squeue_secs(secs: i64) -> String {
    if !(0..=YEAR_SECONDS).contains(&secs) {
        return "INVALID".to_owned();
    }
    let (d, h, m, s) = split(secs);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Parses [`squeue_secs`]'s output back (`INVALID` yields `None`).
pub fn parse_squeue_secs(s: &str) -> Option<i64> {
    let (days, rest) = match s.split_once('-') {
        Some((d, r)) => (d.parse::<i64>().ok()?, r),
        None => (0, s),
    };
    let parts: Vec<i64> = rest
        .split(':')
        .map(|p| p.parse::<i64>().ok())
        .collect::<Option<_>>()?;
    let (h, m, sec) = match parts[..] {
        [m, s] => (0, m, s),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    Some(((days * 24 + h) * 60 + m) * 60 + sec)
}

/// scontrol's and sacct's duration (`secs2time_str`): `HH:MM:SS` or
/// `D-HH:MM:SS`; `INVALID` when negative.
pub fn fixed_secs(secs: i64) -> String {
    if secs < 0 {
        return "INVALID".to_owned();
    }
    let (d, h, m, s) = split(secs);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Parses [`fixed_secs`]'s output back.
pub fn parse_fixed_secs(s: &str) -> Option<i64> {
    let secs = parse_squeue_secs(s)?;
    let hms = s.rsplit_once('-').map_or(s, |(_, r)| r);
    (hms.split(':').count() == 3).then_some(secs)
}

fn split(secs: i64) -> (i64, i64, i64, i64) {
    (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60)
}

/// squeue's `%l`: `UNLIMITED`, else the limit as [`squeue_secs`].
pub fn squeue_limit(limit: Option<TimeLimit>) -> String {
    match limit {
        None => "NOT_SET".to_owned(),
        Some(TimeLimit::Unlimited) => "UNLIMITED".to_owned(),
        Some(TimeLimit::Minutes(m)) => squeue_secs(i64::from(m) * 60),
    }
}

/// sinfo's partition limit (`%l`): `infinite`, or minutes as [`squeue_secs`].
pub fn sinfo_limit(limit: TimeLimit) -> String {
    match limit {
        TimeLimit::Unlimited => "infinite".to_owned(),
        TimeLimit::Minutes(m) => squeue_secs(i64::from(m) * 60),
    }
}

/// scontrol's and sacct's limit (`mins2time_str`): `UNLIMITED` or `HH:MM:SS`.
pub fn fixed_limit(limit: TimeLimit) -> String {
    match limit {
        TimeLimit::Unlimited => "UNLIMITED".to_owned(),
        TimeLimit::Minutes(m) => fixed_secs(i64::from(m) * 60),
    }
}

/// A point in time as Slurm prints it (`%FT%T` in local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Unix seconds.
    pub unix: i64,
    /// Seconds east of UTC of the local time zone at that instant.
    pub utc_offset: i32,
}

impl Timestamp {
    /// `unix` as the clocks of `zone` show it.
    pub fn in_zone(unix: i64, zone: &Zone) -> Self {
        Self {
            unix,
            utc_offset: zone.utc_offset(unix),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Civil::from_seconds(self.unix + i64::from(self.utc_offset)).fmt(f)
    }
}

/// Parses [`Timestamp`]'s text, a wall time in `zone`, back to Unix seconds.
pub fn parse_timestamp(s: &str, zone: &Zone) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.splitn(3, ':').map(str::parse::<i64>);
    let (hour, minute, second) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    Some(zone.unix(Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
    }))
}

/// A timestamp in `zone`, or `none` when unset or zero (`Unknown`, `N/A`,
/// `None`: each field has its word).
pub fn stamp_or(t: Option<i64>, zone: &Zone, none: &str) -> String {
    match t {
        Some(unix) if unix != 0 => Timestamp::in_zone(unix, zone).to_string(),
        _ => none.to_owned(),
    }
}

/// The date line atop `squeue -l` and `sinfo -l`: Slurm's `slurm_ctime2`,
/// strftime's `%a %b %d %T %Y`, so the day is zero-padded
/// (`Wed Dec 02 01:26:04 2026`), unlike libc's `ctime` (`Dec  2`).
pub fn ctime(unix: i64, zone: &Zone) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = zone.civil(unix);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} {}",
        DAYS[c.days().rem_euclid(7) as usize],
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn squeue_durations() {
        let cases: &[(i64, &str)] = &[
            (0, "0:00"),
            (62, "1:02"),
            (600, "10:00"),
            (3600, "1:00:00"),
            (3723, "1:02:03"),
            (93784, "1-02:03:04"),
            (86400, "1-00:00:00"),
            (-1, "INVALID"),
            (YEAR_SECONDS, "365-00:00:00"),
            (YEAR_SECONDS + 1, "INVALID"),
        ];
        for &(secs, want) in cases {
            assert_eq!(squeue_secs(secs), want, "{secs}");
        }
    }

    #[test]
    fn fixed_durations_and_limits() {
        let cases: &[(i64, &str)] = &[
            (0, "00:00:00"),
            (17, "00:00:17"),
            (3723, "01:02:03"),
            (93784, "1-02:03:04"),
            (-5, "INVALID"),
        ];
        for &(secs, want) in cases {
            assert_eq!(fixed_secs(secs), want, "{secs}");
        }
        assert_eq!(fixed_limit(TimeLimit::Unlimited), "UNLIMITED");
        assert_eq!(fixed_limit(TimeLimit::Minutes(1440)), "1-00:00:00");
        assert_eq!(squeue_limit(Some(TimeLimit::Minutes(10))), "10:00");
        assert_eq!(squeue_limit(Some(TimeLimit::Unlimited)), "UNLIMITED");
        assert_eq!(squeue_limit(None), "NOT_SET");
        assert_eq!(sinfo_limit(TimeLimit::Unlimited), "infinite");
        assert_eq!(sinfo_limit(TimeLimit::Minutes(2880)), "2-00:00:00");
    }

    #[test]
    fn timestamps_and_ctime() {
        // 2026-11-28T15:48:49Z, a Saturday.
        let t = 1_795_880_929;
        assert_eq!(
            Timestamp {
                unix: t,
                utc_offset: 0
            }
            .to_string(),
            "2026-11-28T15:48:49"
        );
        assert_eq!(
            Timestamp {
                unix: t,
                utc_offset: 3600
            }
            .to_string(),
            "2026-11-28T16:48:49"
        );
        let utc = Zone::utc();
        assert_eq!(ctime(t, &utc), "Sat Nov 28 15:48:49 2026");
        assert_eq!(ctime(0, &utc), "Thu Jan 01 00:00:00 1970");
        // A single-digit day is zero-padded, as squeue -l and sinfo -l print
        // it on the first nine days of a month (2026-12-02T01:26:04Z).
        assert_eq!(ctime(1_796_174_764, &utc), "Wed Dec 02 01:26:04 2026");
        assert_eq!(stamp_or(None, &utc, "Unknown"), "Unknown");
        assert_eq!(stamp_or(Some(0), &utc, "N/A"), "N/A");
        // The zone shifts the date line too: 01:26 UTC is the day before in New
        // York's winter offset.
        assert_eq!(
            ctime(1_796_174_764, &Zone::fixed(-5 * 3600)),
            "Tue Dec 01 20:26:04 2026"
        );
    }

    proptest! {
        #[test]
        fn squeue_secs_round_trip(secs in 0..=YEAR_SECONDS) {
            prop_assert_eq!(parse_squeue_secs(&squeue_secs(secs)), Some(secs));
        }

        #[test]
        fn fixed_secs_round_trip(secs in 0i64..10_000_000_000) {
            prop_assert_eq!(parse_fixed_secs(&fixed_secs(secs)), Some(secs));
        }

        #[test]
        fn timestamp_round_trip(unix in -2_000_000_000i64..8_000_000_000, off in -50_400i32..=50_400) {
            let text = Timestamp { unix, utc_offset: off }.to_string();
            prop_assert_eq!(parse_timestamp(&text, &Zone::fixed(off)), Some(unix));
        }
    }
}
