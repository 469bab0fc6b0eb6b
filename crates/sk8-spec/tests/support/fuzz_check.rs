//! The checks the `value_parsers` fuzz target makes on any input, shared with
//! the test that replays its corpus (fuzz/fuzz_targets/value_parsers.rs
//! includes this file): no parser panics, and every value that parses
//! renders to text that parses back to the same value.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use sk8_spec::{
    ArraySpec, BeginSpec, Constraint, Dependency, Distribution, ExportSpec, FilePattern, GpuSpec,
    GresList, MailType, MemSize, NodeRange, OpenMode, SignalSpec, TimeLimit,
};

/// Feeds `data` (when it is UTF-8) to every value parser.
pub fn check_values(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // Slurm's C-int arithmetic makes limits past about 4,000 years (reached
    // by negative input, as in Slurm) render to text that reads back a
    // minute off; below that bound the round trip is exact.
    round_trip_if::<TimeLimit>(s, |t| {
        t.minutes()
            .is_none_or(|m| m <= TimeLimit::MAX_ROUND_TRIP_MINUTES)
    });
    round_trip::<MemSize>(s);
    round_trip::<GresList>(s);
    round_trip::<GpuSpec>(s);
    round_trip::<ArraySpec>(s);
    round_trip::<NodeRange>(s);
    round_trip::<Distribution>(s);
    round_trip::<OpenMode>(s);
    round_trip::<MailType>(s);
    round_trip::<Dependency>(s);
    round_trip::<FilePattern>(s);
    round_trip::<SignalSpec>(s);
    round_trip::<ExportSpec>(s);
    round_trip::<Constraint>(s);
    round_trip::<BeginSpec>(s);
    if let Ok(list) = s.parse::<sk8_hostlist::HostList>() {
        // Slurm's lenient parse can yield host names that have no printed
        // form: empty ones (`[` is one empty name) and ones holding brackets
        // (`[[,,E` has a host `[]`) or blanks (Slurm merges `\v3` and `1`
        // into `\v[3,1]`); real scontrol cannot read those back either, so
        // only lists without them must survive printing.
        // Numbers near 2^64 overflow Slurm's ranges (it crashes there; we
        // stop the range), so they are left out too.
        let huge = |h: &String| h.chars().rev().take_while(char::is_ascii_digit).count() >= 19;
        let printable = |h: &String| {
            !huge(h)
                && !h.is_empty()
                && !h.contains(['[', ']'])
                && !h.chars().any(|c| c.is_ascii_whitespace() || c == '\x0b')
        };
        if list.len() <= 10_000 && list.iter().all(|h| printable(&h)) {
            let text = list.to_string();
            let again: sk8_hostlist::HostList = text
                .parse()
                .unwrap_or_else(|e| panic!("hostlist {s:?} printed as {text:?}, which fails: {e}"));
            assert_eq!(again.expand(), list.expand(), "hostlist {s:?} via {text:?}");
        }
    }
}

fn round_trip<T>(s: &str)
where
    T: FromStr + Display + PartialEq + Debug,
    T::Err: Display,
{
    round_trip_if::<T>(s, |_| true);
}

fn round_trip_if<T>(s: &str, applies: impl Fn(&T) -> bool)
where
    T: FromStr + Display + PartialEq + Debug,
    T::Err: Display,
{
    if let Ok(value) = s.parse::<T>() {
        if !applies(&value) {
            return;
        }
        let text = value.to_string();
        let again = text.parse::<T>().unwrap_or_else(|e| {
            panic!(
                "{}: {s:?} parsed, but its rendering {text:?} does not: {e}",
                std::any::type_name::<T>()
            )
        });
        assert_eq!(
            again,
            value,
            "{}: {s:?} via {text:?}",
            std::any::type_name::<T>()
        );
    }
}
