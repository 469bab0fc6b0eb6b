//! The local time zone, as Slurm's clients use it (`localtime_r`,
//! `mktime`): `TZ`, else `/etc/localtime`, with the offset looked up per
//! instant so that a summer time and a winter time each get theirs.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use sk8_spec::civil::{Zone, ZoneRules};

/// A zone's rules from the system's time zone database.
#[derive(Debug)]
struct Rules(TimeZone);

impl ZoneRules for Rules {
    fn utc_offset(&self, unix: i64) -> i32 {
        Timestamp::from_second(unix).map_or(0, |t| self.0.to_offset(t).seconds())
    }

    fn to_unix(&self, wall: i64) -> i64 {
        // Outside jiff's range (years -9999..=9999) the default's two rounds
        // still give an answer.
        let resolved = Timestamp::from_second(wall).and_then(|t| {
            let civil = t.to_zoned(TimeZone::UTC).datetime();
            // `compatible`: a skipped wall time moves forward by the gap, a
            // repeated one takes the earlier instant, as mktime does.
            self.0.to_ambiguous_timestamp(civil).compatible()
        });
        match resolved {
            Ok(t) => t.as_second(),
            Err(_) => {
                let guess = wall - i64::from(self.utc_offset(wall));
                wall - i64::from(self.utc_offset(guess))
            }
        }
    }
}

/// This process's zone: `TZ` when set, else `/etc/localtime`; UTC when
/// neither names a zone the database has. Read once per process.
pub fn local_zone() -> Zone {
    static LOCAL: OnceLock<Zone> = OnceLock::new();
    LOCAL
        .get_or_init(|| match TimeZone::try_system() {
            Ok(tz) => Zone::new(Rules(tz)),
            Err(_) => Zone::utc(),
        })
        .clone()
}

/// The zone the database calls `name` (`America/New_York`), if it has it.
pub fn named_zone(name: &str) -> Option<Zone> {
    TimeZone::get(name).ok().map(|tz| Zone::new(Rules(tz)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sk8_spec::BeginSpec;
    use sk8_spec::civil::Civil;

    fn new_york() -> Zone {
        named_zone("America/New_York").expect("tzdata has America/New_York")
    }

    fn wall(text: &str) -> Civil {
        let n: Vec<i64> = text
            .split(['-', 'T', ':'])
            .map(|p| p.parse().unwrap())
            .collect();
        Civil {
            year: n[0],
            month: n[1],
            day: n[2],
            hour: n[3],
            minute: n[4],
            second: n[5],
        }
    }

    #[test]
    fn summer_and_winter_have_their_own_offsets() {
        let ny = new_york();
        // 2026-01-15T12:00:00Z and 2026-07-15T12:00:00Z.
        assert_eq!(ny.utc_offset(1_768_478_400), -5 * 3600);
        assert_eq!(ny.utc_offset(1_784_116_800), -4 * 3600);
        assert_eq!(ny.civil(1_768_478_400).to_string(), "2026-01-15T07:00:00");
        assert_eq!(ny.civil(1_784_116_800).to_string(), "2026-07-15T08:00:00");
    }

    #[test]
    fn wall_times_convert_back_and_forth() {
        let ny = new_york();
        for text in [
            "2026-01-15T07:00:00",
            "2026-07-15T08:00:00",
            "2026-12-03T10:00:00",
        ] {
            let unix = ny.unix(wall(text));
            assert_eq!(ny.civil(unix).to_string(), text);
        }
        assert_eq!(ny.unix(wall("2026-12-03T10:00:00")), 1_796_310_000);
    }

    #[test]
    fn skipped_and_repeated_wall_times_resolve_as_mktime() {
        let ny = new_york();
        // 2026-03-08 02:30 does not exist: it is read with the winter offset
        // and shown as 03:30 summer time.
        let t = ny.unix(wall("2026-03-08T02:30:00"));
        assert_eq!(ny.civil(t).to_string(), "2026-03-08T03:30:00");
        // 2026-11-01 01:30 happens twice: the first (summer time) wins.
        let t = ny.unix(wall("2026-11-01T01:30:00"));
        assert_eq!(ny.utc_offset(t), -4 * 3600);
    }

    #[test]
    fn begin_reads_local_wall_time_in_each_season() {
        let ny = new_york();
        let now = 1_767_225_600; // 2026-01-01T00:00:00Z
        for text in ["2026-01-20T10:00", "2026-07-20T10:00:00"] {
            let begin: BeginSpec = text.parse().unwrap();
            let at = begin.resolve(now, &ny);
            assert_eq!(ny.civil(at).hour, 10, "{text}");
            assert_eq!(ny.civil(at).minute, 0, "{text}");
        }
        // A time of day alone: today at 10:00 in New York when still ahead
        // (it is 19:00 on Dec 31 there), else tomorrow.
        let at = "10:00".parse::<BeginSpec>().unwrap().resolve(now, &ny);
        assert_eq!(ny.civil(at).to_string(), "2026-01-01T10:00:00");
    }

    #[test]
    fn unknown_zone_names_are_none() {
        assert!(named_zone("Not/AZone").is_none());
        assert_eq!(named_zone("UTC").unwrap().utc_offset(1_784_116_800), 0);
    }
}
