//! `ArraySpec`: the controller's item grammar, limits, derived values and `ArrayTaskId=` text.

use sk8_spec::ArraySpec;
use sk8_spec::array::ArrayError;

/// (input, `ArrayTaskId=` as scontrol showed it, or `None` when refused).
const CASES: &[(&str, Option<&str>)] = &[
    ("0-15", Some("0-15")),
    ("0-15%4", Some("0-15%4")),
    ("1,3,5-7", Some("1,3,5-7")),
    ("0-20:2", Some("0-20:2")),
    ("0-20:2%3", Some("0-20:2%3")),
    ("[1-3]", Some("1-3")),
    ("1000", Some("1000")),
    ("0-1000", Some("0-1000")),
    ("%4", Some("0%4")),
    ("-", Some("0")),
    ("]", Some("0")),
    ("[", Some("0")),
    ("0-", Some("0")),
    ("0-:2", Some("0")),
    ("1%2,3%4", Some("1,3%2")),
    ("0-15%xyz", Some("0-15")),
    ("0-15%0", Some("0-15")),
    ("1,,2", Some("1-2")),
    ("0-10:3,20-24:2", Some("0,3,6,9,20,22,24")),
    ("0-10:1000", Some("0")),
    (" 3", Some("3")),
    ("+3", Some("3")),
    ("1-3]", Some("1-3")),
    ("[1-3", Some("1-3")),
    ("1-3:2]", Some("1,3")),
    ("3,1,2", Some("1-3")),
    ("1-5,2-7", Some("1-7")),
    ("0-6:3", Some("0,3,6")),
    ("0-2:3", Some("0")),
    ("4,1-2", Some("1-2,4")),
    ("0,2,4,6", Some("0,2,4,6")),
    ("0,3,6,7", Some("0,3,6-7")),
    ("1001", None),
    ("5-1", None),
    ("-1", None),
    ("abc", None),
    ("0-10:0", None),
    ("0-10:1001", None),
    ("0-10:-1", None),
    ("1-2x", None),
    ("5:2", None),
    ("", None),
    (",", None),
];

#[test]
fn array_table() {
    for &(input, want) in CASES {
        let got = input.parse::<ArraySpec>().map(|a| a.to_scontrol()).ok();
        assert_eq!(got.as_deref(), want, "--array={input:?}");
    }
}

/// (input, len, min, max, step, throttle).
type Derived = (&'static str, usize, u32, u32, u32, Option<u32>);

#[test]
fn array_derived_values() {
    let cases: &[Derived] = &[
        ("0-15%4", 16, 0, 15, 1, Some(4)),
        ("1,3,5-7", 5, 1, 7, 1, None),
        ("0-20:2", 11, 0, 20, 2, None),
        ("0-10:3,20-24:2", 7, 0, 24, 3, None),
        ("1-3:2]", 2, 1, 3, 2, None),
        ("0-2:3", 1, 0, 0, 3, None),
        ("5,1-5", 5, 1, 5, 1, None),
    ];
    for &(input, len, min, max, step, throttle) in cases {
        let a: ArraySpec = input.parse().unwrap();
        assert_eq!(a.len(), len, "{input} len");
        assert_eq!(a.indices().len(), len, "{input} indices");
        assert_eq!(a.min(), Some(min), "{input} min");
        assert_eq!(a.max(), Some(max), "{input} max");
        assert_eq!(a.step(), step, "{input} step");
        assert_eq!(a.throttle(), throttle, "{input} throttle");
    }
    assert_eq!("0-4:2".parse::<ArraySpec>().unwrap().indices(), [0, 2, 4]);
}

#[test]
fn array_limits_and_errors() {
    assert_eq!("".parse::<ArraySpec>(), Err(ArrayError::Empty));
    assert_eq!(
        ArraySpec::parse_with_max("1001", 2000).unwrap().max(),
        Some(1001)
    );
    assert!(ArraySpec::parse_with_max("10", 10).is_err());
    let long = vec!["1"; 2100].join(",");
    assert_eq!(long.parse::<ArraySpec>(), Err(ArrayError::TooLong));
    assert_eq!(
        "5-1".parse::<ArraySpec>(),
        Err(ArrayError::Invalid { item: "5-1".into() })
    );
}

#[test]
fn long_lists_are_cut_like_scontrol() {
    let text: String = (0..40)
        .map(|i| (i * 3).to_string())
        .collect::<Vec<_>>()
        .join(",");
    let a: ArraySpec = text.parse().unwrap();
    // A regular stride over a long span prints as a step range.
    assert_eq!(a.to_scontrol(), "0-117:3");
    let irregular: String = (0..30)
        .map(|i| (i * i).to_string())
        .collect::<Vec<_>>()
        .join(",");
    let text = irregular.parse::<ArraySpec>().unwrap().to_scontrol();
    assert_eq!(text.len(), 63);
    assert!(text.ends_with("..."));
    // Slurm joins 0 and 1 into a range before cutting.
    assert!(text.starts_with("0-1,4,9,16,25,36,49,64,81,100,"));
}

/// Issue 13: a `MaxArraySize` past Slurm's own ceiling (4000001) is held to
/// it, and items repeating each other cost one bitmap, not one index each.
#[test]
fn array_sizes_are_bounded_whatever_the_maximum() {
    use sk8_spec::array::MAX_MAX_ARRAY_SIZE;
    assert!(ArraySpec::parse_with_max("4000000", u32::MAX).is_ok());
    assert!(ArraySpec::parse_with_max("4000001", u32::MAX).is_err());
    assert!(ArraySpec::parse_with_max("4294967295", u32::MAX).is_err());
    let top = MAX_MAX_ARRAY_SIZE - 1;
    let repeated = vec![format!("{}-{top}", top - 1000); 250].join(",");
    let a = ArraySpec::parse_with_max(&repeated, u32::MAX).unwrap();
    assert_eq!(a.len(), 1001);
    assert_eq!(a.min(), Some(top - 1000));
    assert_eq!(a.max(), Some(top));
    // What Slurm's default allows is unchanged.
    assert!("1000".parse::<ArraySpec>().is_ok());
    assert!("1001".parse::<ArraySpec>().is_err());
}
