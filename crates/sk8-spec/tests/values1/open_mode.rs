//! `OpenMode`: Slurm reads only the first letter.

use sk8_spec::OpenMode;

#[test]
fn open_mode_table() {
    let cases: &[(&str, Option<OpenMode>)] = &[
        ("append", Some(OpenMode::Append)),
        ("A", Some(OpenMode::Append)),
        ("apple", Some(OpenMode::Append)),
        ("truncate", Some(OpenMode::Truncate)),
        ("tr", Some(OpenMode::Truncate)),
        ("Truncate", Some(OpenMode::Truncate)),
        ("x", None),
        ("", None),
        (" append", None),
    ];
    for &(input, want) in cases {
        assert_eq!(
            input.parse::<OpenMode>().ok(),
            want,
            "--open-mode={input:?}"
        );
    }
    for mode in [OpenMode::Append, OpenMode::Truncate] {
        assert_eq!(mode.to_string().parse::<OpenMode>(), Ok(mode));
    }
    assert!(OpenMode::Append.is_append());
}
