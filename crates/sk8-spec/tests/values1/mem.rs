//! `MemSize` parsing and rendering against what `scontrol show job` printed as `MinMemoryNode=`.

use sk8_spec::MemSize;

/// (input, `MinMemoryNode=` as scontrol showed it, or `None` when refused).
const CASES: &[(&str, Option<&str>)] = &[
    ("100", Some("100M")),
    ("0", Some("0")),
    ("0K", Some("0")),
    ("0G", Some("0")),
    ("1024", Some("1G")),
    ("1025", Some("1025M")),
    ("1536", Some("1.50G")),
    ("2560", Some("2.50G")),
    ("1280", Some("1280M")),
    ("2048", Some("2G")),
    ("3072", Some("3G")),
    ("4G", Some("4G")),
    ("4g", Some("4G")),
    ("4GB", Some("4G")),
    ("4gb", Some("4G")),
    ("4Gb", Some("4G")),
    ("1T", Some("1T")),
    ("1536G", Some("1.50T")),
    ("1K", Some("1M")),
    ("1025K", Some("2M")),
    ("1m", Some("1M")),
    ("1mb", Some("1M")),
    (" 4G", Some("4G")),
    ("+4G", Some("4G")),
    ("1048576", Some("1T")),
    ("1048575", Some("1048575M")),
    ("1048577", Some("1048577M")),
    ("2097152", Some("2T")),
    ("16777216", Some("16T")),
    ("16777217", Some("16T")),
    ("4503599627370496", Some("4?")),
    ("9223372036854775807", Some("8?")),
    ("4.5G", None),
    ("4 G", None),
    ("-1", None),
    ("4B", None),
    ("4X", None),
    ("4P", None),
    ("G", None),
    ("", None),
    ("9223372036854775808", None),
    ("4GBB", None),
];

#[test]
fn mem_table() {
    for &(input, want) in CASES {
        let got = input.parse::<MemSize>().map(|m| m.to_scontrol()).ok();
        assert_eq!(got.as_deref(), want, "--mem={input:?}");
    }
}

#[test]
fn display_is_scontrol_text_when_that_is_whole() {
    for &(input, want) in CASES {
        if let (Ok(m), Some(want)) = (input.parse::<MemSize>(), want) {
            if !want.contains(['.', '?']) && m.megabytes() < (1 << 24) {
                assert_eq!(m.to_string(), want, "--mem={input:?}");
            }
        }
    }
}

#[test]
fn mem_values() {
    for (input, mb) in [
        ("1536", 1536),
        ("1K", 1),
        ("2G", 2048),
        ("1T", 1 << 20),
        ("0", 0),
    ] {
        assert_eq!(input.parse::<MemSize>().unwrap().megabytes(), mb, "{input}");
    }
    assert!("0".parse::<MemSize>().unwrap().is_all());
    assert_eq!(MemSize::from_megabytes(1536).to_string(), "1536M");
    assert_eq!(MemSize::from_megabytes(2).bytes(), 2 * 1024 * 1024);
}
