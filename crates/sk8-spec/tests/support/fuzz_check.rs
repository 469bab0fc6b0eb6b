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
    round_trip::<TimeLimit>(s);
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
        if list.len() <= 10_000 {
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
    if let Ok(value) = s.parse::<T>() {
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
