//! `TimeLimit` parsing and rendering against what `scontrol show job` printed for each value.

use sk8_spec::TimeLimit;
use sk8_spec::time::{TimeError, parse_seconds};

/// (input, `TimeLimit=` as scontrol showed it, or `None` when sbatch refused it).
const CASES: &[(&str, Option<&str>)] = &[
    ("10", Some("00:10:00")),
    ("0", Some("UNLIMITED")),
    ("-1", Some("UNLIMITED")),
    ("UNLIMITED", Some("UNLIMITED")),
    ("unlimited", Some("UNLIMITED")),
    ("infinite", Some("UNLIMITED")),
    ("INFINITE", Some("UNLIMITED")),
    ("1-2", Some("1-02:00:00")),
    ("5-", Some("5-00:00:00")),
    ("1:2", Some("00:02:00")),
    ("1:0", Some("00:01:00")),
    ("0:1", Some("00:01:00")),
    ("0:0", Some("UNLIMITED")),
    ("1:2:3", Some("01:03:00")),
    ("1:2:0", Some("01:02:00")),
    ("1-2:3", Some("1-02:03:00")),
    ("1-2:3:4", Some("1-02:04:00")),
    ("59:61", Some("01:01:00")),
    ("1-24", Some("2-00:00:00")),
    ("100000", Some("69-10:40:00")),
    ("1440", Some("1-00:00:00")),
    ("-2", Some("2982614-04:17:00")),
    ("-5", Some("2982611-04:17:00")),
    ("2147483647", Some("UNLIMITED")),
    ("99999999999", Some("2981813-22:48:00")),
    ("abc", None),
    ("", None),
    ("1:", None),
    (":1", None),
    ("1::2", None),
    ("1:2:3:4", None),
    ("1-2-3", None),
    ("1:2-3", None),
    ("-", None),
    ("1-:2", None),
    ("-1:2", None),
    ("1 ", None),
    (" 1", None),
    ("+5", None),
    ("1h", None),
    ("1.5", None),
];

#[test]
fn time_table() {
    for &(input, want) in CASES {
        let got = input.parse::<TimeLimit>().map(|t| t.to_string()).ok();
        assert_eq!(got.as_deref(), want, "--time={input:?}");
    }
}

#[test]
fn time_accessors() {
    let t: TimeLimit = "1-02:03:04".parse().unwrap();
    // 1 day, 2 h, 3 min, 4 s rounds up to 1 day 2 h 4 min.
    let want = 24 * 60 + 2 * 60 + 4;
    assert_eq!(t.minutes(), Some(want));
    assert_eq!(t.seconds(), Some(u64::from(want) * 60));
    assert!(!t.is_unlimited());
    let u: TimeLimit = "0".parse().unwrap();
    assert!(u.is_unlimited());
    assert_eq!(u.minutes(), None);
    assert_eq!(TimeLimit::from_minutes(0), TimeLimit::Unlimited);
}

#[test]
fn time_errors_do_not_name_the_option() {
    assert_eq!("".parse::<TimeLimit>(), Err(TimeError::Empty));
    let err = "x".parse::<TimeLimit>().unwrap_err();
    assert_eq!(err, TimeError::Invalid("x".into()));
    assert!(!err.to_string().contains("--time"));
}

#[test]
fn seconds_keep_their_precision() {
    for (input, want) in [
        ("1:30", 90),
        ("1:2:3", 3723),
        ("1-0", 86_400),
        ("unlimited", -1),
    ] {
        assert_eq!(parse_seconds(input), Some(want), "{input}");
    }
    assert_eq!(parse_seconds("x"), None);
}
