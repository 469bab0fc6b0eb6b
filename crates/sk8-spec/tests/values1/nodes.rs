//! `NodeRange`: `verify_node_count`'s forms, its two error messages, and `NumNodes=`.

use sk8_spec::NodeRange;
use sk8_spec::nodes::NodeRangeError;

/// (input, `NumNodes=` as scontrol showed it, or the error sbatch printed).
const CASES: &[(&str, Result<&str, &str>)] = &[
    ("1", Ok("1-1")),
    ("2", Ok("2-2")),
    ("2-4", Ok("2-4")),
    ("0", Ok("0")),
    ("0-0", Ok("0")),
    ("1k", Ok("1024-1024")),
    ("1K-2K", Ok("1024-2048")),
    ("1m", Ok("1048576-1048576")),
    ("2-0", Ok("2")),
    ("-5", Ok("1-5")),
    ("1 ", Ok("1-1")),
    (" 1", Ok("1-1")),
    ("+1", Ok("1-1")),
    ("1-1", Ok("1-1")),
    ("3-3", Ok("3-3")),
    ("4294967297", Ok("1-1")),
    (
        "2-1",
        Err("Maximum node count 1 is less than minimum node count 2"),
    ),
    (
        "2-",
        Err("Maximum node count -1 is less than minimum node count 2"),
    ),
    ("x", Err("\"x\" is not a valid node count")),
    ("1-x", Err("\"x\" is not a valid node count")),
    ("-1-", Err("\"1-\" is not a valid node count")),
    ("", Err("\"\" is not a valid node count")),
    ("1,2", Err("\"1,2\" is not a valid node count")),
    ("1.5", Err("\"1.5\" is not a valid node count")),
    (
        "2147483648",
        Err("\"2147483648\" is not a valid node count"),
    ),
];

/// The message Slurm prints for our error, as the option layer will.
fn slurm_message(e: &NodeRangeError) -> String {
    match e {
        NodeRangeError::NotACount(s) => format!("\"{s}\" is not a valid node count"),
        NodeRangeError::MaxBelowMin { min, max } => {
            format!("Maximum node count {max} is less than minimum node count {min}")
        }
    }
}

#[test]
fn nodes_table() {
    for &(input, want) in CASES {
        let got = input.parse::<NodeRange>();
        let got = got
            .as_ref()
            .map(NodeRange::to_scontrol)
            .map_err(slurm_message);
        let want = want.map(str::to_owned).map_err(str::to_owned);
        assert_eq!(got, want, "--nodes={input:?}");
    }
}

#[test]
fn nodes_display_and_accessors() {
    // (input, Display, min, max)
    let cases: &[(&str, &str, u32, Option<u32>)] = &[
        ("2", "2", 2, Some(2)),
        ("2-4", "2-4", 2, Some(4)),
        ("2-0", "2-0", 2, None),
        ("0", "0", 0, None),
        ("-3", "1-3", 1, Some(3)),
    ];
    for &(input, shown, min, max) in cases {
        let n: NodeRange = input.parse().unwrap();
        assert_eq!(n.to_string(), shown, "{input}");
        assert_eq!((n.min(), n.max()), (min, max), "{input}");
    }
    assert_eq!(NodeRange::new(3, Some(2)), None);
    assert_eq!(NodeRange::exact(4).to_scontrol(), "4-4");
}
