//! Calendar dates and time zones as pure values: the one copy of the
//! civil-date arithmetic (`--begin` parsing, every printed time stamp, the
//! simulator's RFC 3339 times), and the [`Zone`] through which a local wall
//! time and an instant convert, so that parsing and printing agree.
//!
//! A zone's rules (the offset from UTC at an instant) come from outside:
//! sk8-host reads the process's zone (`TZ`, else `/etc/localtime`); this
//! crate only knows fixed offsets, so it stays free of the time zone
//! database.

use std::fmt;
use std::sync::Arc;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`); `month` is 1..=12, `day` may run past the month's end
/// (the result is then the matching later day).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month 1..=12, day 1..=31) of a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A broken-down wall-clock time (no zone attached).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Civil {
    /// Full year.
    pub year: i64,
    /// 1..=12
    pub month: i64,
    /// 1..=31
    pub day: i64,
    /// 0..=23
    pub hour: i64,
    /// 0..=59
    pub minute: i64,
    /// 0..=59
    pub second: i64,
}

impl Civil {
    /// The wall time `secs` seconds after 1970-01-01T00:00:00.
    pub fn from_seconds(secs: i64) -> Self {
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        Self {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }

    /// Seconds after 1970-01-01T00:00:00 of this wall time; like `mktime`,
    /// months, days and times out of range roll over.
    pub fn to_seconds(self) -> i64 {
        let months = self.year * 12 + (self.month - 1);
        let (y, m) = (months.div_euclid(12), months.rem_euclid(12) + 1);
        (days_from_civil(y, m, 1) + self.day - 1) * 86_400
            + self.hour * 3600
            + self.minute * 60
            + self.second
    }

    /// Days since 1970-01-01 of the date.
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }
}

/// Slurm's ISO form, `%FT%T` (`2026-11-28T15:48:49`).
impl fmt::Display for Civil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// The rules of a time zone: its offset from UTC at each instant.
pub trait ZoneRules: fmt::Debug + Send + Sync {
    /// Seconds east of UTC in force at the Unix time `unix`.
    fn utc_offset(&self, unix: i64) -> i32;

    /// The Unix time at which the zone's clocks show `wall` (seconds after
    /// 1970-01-01T00:00:00 on the wall). A wall time that a change skips or
    /// repeats resolves as `mktime` with `tm_isdst = -1` does; the default
    /// settles the offset in two rounds.
    fn to_unix(&self, wall: i64) -> i64 {
        let guess = wall - i64::from(self.utc_offset(wall));
        wall - i64::from(self.utc_offset(guess))
    }
}

/// A zone that never changes its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedOffset(pub i32);

impl ZoneRules for FixedOffset {
    fn utc_offset(&self, _unix: i64) -> i32 {
        self.0
    }

    fn to_unix(&self, wall: i64) -> i64 {
        wall - i64::from(self.0)
    }
}

/// The time zone times are read and printed in, shared cheaply; UTC by
/// default.
#[derive(Debug, Clone)]
pub struct Zone(Arc<dyn ZoneRules>);

impl Zone {
    /// A zone with these rules.
    pub fn new(rules: impl ZoneRules + 'static) -> Self {
        Self(Arc::new(rules))
    }

    /// UTC.
    pub fn utc() -> Self {
        Self::fixed(0)
    }

    /// A fixed offset, in seconds east of UTC.
    pub fn fixed(utc_offset: i32) -> Self {
        Self::new(FixedOffset(utc_offset))
    }

    /// Seconds east of UTC at the Unix time `unix`.
    pub fn utc_offset(&self, unix: i64) -> i32 {
        self.0.utc_offset(unix)
    }

    /// The wall time the zone's clocks show at `unix`.
    pub fn civil(&self, unix: i64) -> Civil {
        Civil::from_seconds(unix + i64::from(self.utc_offset(unix)))
    }

    /// The Unix time at which the zone's clocks show `wall`.
    pub fn unix(&self, wall: Civil) -> i64 {
        self.0.to_unix(wall.to_seconds())
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(
            Civil::from_seconds(1_795_880_929).to_string(),
            "2026-11-28T15:48:49"
        );
        assert_eq!(Civil::from_seconds(-1).to_string(), "1969-12-31T23:59:59");
    }

    #[test]
    fn out_of_range_fields_roll_over() {
        let feb31 = Civil {
            year: 2026,
            month: 2,
            day: 31,
            hour: 0,
            minute: 0,
            second: 0,
        };
        assert_eq!(
            Civil::from_seconds(feb31.to_seconds()).to_string(),
            "2026-03-03T00:00:00"
        );
        let month13 = Civil {
            month: 13,
            day: 1,
            ..feb31
        };
        assert_eq!(
            Civil::from_seconds(month13.to_seconds()).to_string(),
            "2027-01-01T00:00:00"
        );
    }

    #[test]
    fn fixed_zones_shift_the_wall() {
        let z = Zone::fixed(-5 * 3600);
        assert_eq!(z.civil(1_795_880_929).to_string(), "2026-11-28T10:48:49");
        assert_eq!(z.unix(z.civil(1_795_880_929)), 1_795_880_929);
        assert_eq!(Zone::default().utc_offset(0), 0);
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn zone_round_trip(unix in -2_000_000_000i64..8_000_000_000, off in -50_400i32..=50_400) {
            let z = Zone::fixed(off);
            prop_assert_eq!(z.unix(z.civil(unix)), unix);
        }
    }
}
