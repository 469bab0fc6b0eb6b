//! `sacct`: finished and running jobs with their steps, in Slurm 22.05's
//! columns and parsable forms, from any backend.

use std::io::Write;
use std::process::ExitCode;

use crate::backend::backend;
use crate::exit::EXIT_ERROR;
use crate::failure::{Failure, Line};
use sk8_backend::{JobFilter, JobInfo};
use sk8_format::Context;
use sk8_format::filter::{parse_job_refs, parse_states};
use sk8_format::sacct::{BRIEF_FIELDS, DEFAULT_FIELDS, Mode, parse_fields, render, rows};
use sk8_opts::query::{Q, SACCT, getopt_failure, parse};
use sk8_spec::Zone;
use sk8_spec::civil::Civil;

use sk8_opts::query::split_list;
/// `sacct`, run by that name (`argv0`) with `args`.
pub fn main(argv0: &str, args: &[String]) -> ExitCode {
    match run(argv0, args) {
        Ok(code) => code,
        Err(failure) => failure.report("sacct"),
    }
}

fn run(argv0: &str, args: &[String]) -> Result<ExitCode, Failure> {
    // sacct prints no hint after getopt's own message.
    let p = parse(SACCT, args, false).map_err(|e| getopt_failure(&e, argv0, None))?;
    let err = |m: String| Failure::error(m, EXIT_ERROR);
    if let Some(def) = p.unsupported() {
        return Err(err(format!(
            "{} is not supported by sk8's sacct",
            def.display()
        )));
    }
    if p.has(Q::Version) {
        let _ = std::io::stdout().write_all(sk8_opts::VERSION_LINE.as_bytes());
        return Ok(ExitCode::SUCCESS);
    }
    if p.has(Q::Help) || p.has(Q::Usage) {
        println!("Usage: sacct [options]\n\tUse --help for help");
        return Ok(ExitCode::SUCCESS);
    }
    let now = sk8_host::now();
    let zone = sk8_host::local_zone();
    let bad_time = |s: &str| Failure {
        lines: vec![Line::bare(format!(
            "Invalid time specification (pos=0): {s}"
        ))],
        code: EXIT_ERROR,
    };
    let start = match p.last(Q::StartTime) {
        Some(s) => Some(parse_time(s, now, &zone).ok_or_else(|| bad_time(s))?),
        None => None,
    };
    let end = match p.last(Q::End) {
        Some(s) => Some(parse_time(s, now, &zone).ok_or_else(|| bad_time(s))?),
        None => None,
    };
    let fields = if let Some(f) = p.last(Q::Format) {
        f.to_owned()
    } else if p.has(Q::Brief) {
        BRIEF_FIELDS.to_owned()
    } else if let Ok(f) = std::env::var("SACCT_FORMAT") {
        f
    } else {
        DEFAULT_FIELDS.to_owned()
    };
    let cols = parse_fields(&fields).map_err(|e| err(e.to_string()))?;
    let delimiter = p.last(Q::Delimiter).unwrap_or("|").to_owned();
    let mode = if p.has(Q::Parsable2) {
        Mode::Parsable2(delimiter)
    } else if p.has(Q::Parsable) {
        Mode::Parsable(delimiter)
    } else {
        Mode::Columns
    };
    let mut filter = JobFilter {
        include_finished: true,
        ..JobFilter::default()
    };
    let ids: Vec<&str> = p
        .opts
        .iter()
        .filter(|(d, _)| d.id == Q::Jobs)
        .filter_map(|(_, v)| v.as_deref())
        .collect();
    for list in &ids {
        filter
            .ids
            .extend(parse_job_refs(list).map_err(|e| err(e.to_string()))?);
    }
    let be = backend()?;
    if let Some(list) = p.last(Q::User) {
        for u in list.split(',').filter(|s| !s.is_empty()) {
            if !be.local_users() {
                filter.users.push(u.to_owned());
                continue;
            }
            match sk8_host::user_of_item(u) {
                Ok(Some(user)) => filter.users.push(user.name),
                Ok(None) | Err(_) => return Err(err(format!("Invalid user id: {u}"))),
            }
        }
    }
    if let Some(list) = p.last(Q::Name) {
        filter.names = split_list(list);
    }
    if let Some(list) = p.last(Q::Partition) {
        filter.partitions = split_list(list);
    }
    if let Some(list) = p.last(Q::States) {
        match parse_states(list) {
            Ok(Some(s)) => filter.states = s,
            Ok(None) => {}
            Err(e) => return Err(err(e.to_string())),
        }
    }
    // Without -j or -S, sacct starts at midnight today (local time).
    let window_start = start.or_else(|| {
        filter
            .ids
            .is_empty()
            .then(|| parse_time("today", now, &zone))
            .flatten()
    });
    let ctx = Context {
        now,
        zone,
        // Group prints the gid, as sk8's sacct always has (real sacct prints
        // the name: a change of its own).
        groups: sk8_format::GroupNames::default(),
        cluster: be.cluster(),
    };
    let window_end = end.unwrap_or(now);
    let jobs: Vec<JobInfo> = be
        .history(&filter)
        .map_err(|e| err(e.to_string()))?
        .into_iter()
        .filter(|j| filter.matches(j))
        .filter(|j| in_window(j, window_start, window_end))
        .collect();
    let lines = rows(&jobs, p.has(Q::Allocations));
    let text = render(&cols, &lines, &mode, &ctx, p.has(Q::NoHeader));
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// Whether the job was eligible or running at some time in `[start, end]`.
fn in_window(j: &JobInfo, start: Option<i64>, end: i64) -> bool {
    let began = j.eligible_time.or(j.start_time).unwrap_or(j.submit_time);
    let ended = j.end_time.filter(|_| j.state.is_finished());
    began <= end && start.is_none_or(|s| ended.is_none_or(|e| e >= s))
}

/// Slurm's `parse_time` for the forms people type: `now[-N[units]]`,
/// `today`/`midnight`, `YYYY-MM-DD[THH:MM[:SS]]`, `HH:MM[:SS]`, wall times
/// in `zone` (Slurm reads them in the local zone).
fn parse_time(s: &str, now: i64, zone: &Zone) -> Option<i64> {
    let at_wall = |wall: i64| zone.unix(Civil::from_seconds(wall));
    let wall_now = now + i64::from(zone.utc_offset(now));
    let midnight = wall_now - wall_now.rem_euclid(86_400);
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("now") {
        if rest.is_empty() {
            return Some(now);
        }
        let (sign, rest) = match rest.as_bytes()[0] {
            b'-' => (-1, &rest[1..]),
            b'+' => (1, &rest[1..]),
            _ => return None,
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = match &rest[digits..] {
            "" | "s" | "sec" | "secs" | "seconds" => 1,
            "m" | "min" | "mins" | "minutes" => 60,
            "h" | "hour" | "hours" => 3_600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            _ => return None,
        };
        return Some(now + sign * n * unit);
    }
    match lower.as_str() {
        "today" | "midnight" => return Some(at_wall(midnight)),
        "noon" => return Some(at_wall(midnight + 12 * 3_600)),
        "tomorrow" => return Some(at_wall(midnight + 86_400)),
        _ => {}
    }
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (Some(d), Some(t)),
        None if s.contains('-') => (Some(s), None),
        None => (None, Some(s)),
    };
    let day_start = match date {
        Some(d) => {
            let stamp = format!("{d}T00:00:00");
            sk8_format::time::parse_timestamp(&stamp, &Zone::utc())?
        }
        None => midnight,
    };
    let secs = match time {
        None => 0,
        Some(t) => {
            let parts: Vec<&str> = t.split(':').collect();
            if !(2..=3).contains(&parts.len()) {
                return None;
            }
            let mut total = 0;
            for (i, unit) in [3_600, 60, 1].iter().enumerate() {
                let v: i64 = match parts.get(i) {
                    Some(x) => x.parse().ok()?,
                    None => 0,
                };
                total += v * unit;
            }
            total
        }
    };
    Some(at_wall(day_start + secs))
}

#[cfg(test)]
mod tests {
    use super::parse_time;
    use sk8_spec::Zone;

    #[test]
    fn times_parse_as_slurms_parse_time() {
        let now = 1_795_885_200; // 2026-11-28T17:00:00Z
        let midnight = 1_795_824_000;
        let cases: &[(&str, Option<i64>)] = &[
            ("now", Some(now)),
            ("now-1hour", Some(now - 3_600)),
            ("now-30", Some(now - 30)),
            ("today", Some(midnight)),
            ("2026-11-28", Some(midnight)),
            ("2026-11-28T01:02:03", Some(midnight + 3_723)),
            ("2026-11-28T01:02", Some(midnight + 3_720)),
            ("10:00", Some(midnight + 36_000)),
            ("bogus", None),
            ("now*3", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_time(s, now, &Zone::utc()), *want, "{s}");
        }
    }

    #[test]
    fn times_are_wall_times_of_the_zone() {
        let now = 1_795_885_200; // 2026-11-28T17:00:00Z, 12:00 at UTC-5
        let midnight = 1_795_824_000 + 5 * 3_600;
        let zone = Zone::fixed(-5 * 3_600);
        assert_eq!(parse_time("today", now, &zone), Some(midnight));
        assert_eq!(
            parse_time("2026-11-28T10:00", now, &zone),
            Some(midnight + 36_000)
        );
        assert_eq!(parse_time("now-30", now, &zone), Some(now - 30));
    }
}
