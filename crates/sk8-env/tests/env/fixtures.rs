//! Our model against the reference dumps checked in under `tests/fixtures/`.

use std::path::{Path, PathBuf};

use super::reference::{CASES, differences, dump_dirs, read_dump};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn every_case_matches_its_reference_dump() {
    let mut diffs = Vec::new();
    let mut compared = 0;
    for case in CASES {
        let dirs = dump_dirs(&root(), case);
        assert!(!dirs.is_empty(), "no fixture for case `{}`", case.name);
        for (name, dir) in dirs {
            let dump = read_dump(&dir);
            // batch, two tasks of step 1, and step 0's tasks.
            assert!(dump.len() >= 4, "`{name}` has only {} dumps", dump.len());
            compared += dump.len();
            diffs.extend(differences(case, &name, &dir));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    assert!(compared >= 45, "compared only {compared} environments");
}

#[test]
fn array_case_has_both_tasks() {
    let case = CASES
        .iter()
        .find(|c| c.name == "array")
        .expect("array case");
    let names: Vec<String> = dump_dirs(&root(), case)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["array.1", "array.3"]);
}
