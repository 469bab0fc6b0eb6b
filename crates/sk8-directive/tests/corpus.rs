//! Replays the fuzz corpus (fuzz/corpus/directive_scan) through the scanner, no libFuzzer
//! needed, so CI proves that none of those inputs panics or breaks an invariant.

use std::path::PathBuf;

use sk8_directive::{scan, scan_foreign};

use crate::support::assert_invariants;

#[test]
fn fuzz_corpus_replays_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/directive_scan");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read corpus {}: {e}", dir.display()));
    let mut replayed = 0;
    let mut accepted = 0;
    for entry in entries {
        let path = entry.expect("corpus entry").path();
        let input = std::fs::read(&path).expect("corpus file");
        if let Ok(script) = scan(&input) {
            assert_invariants(&input, &script);
            accepted += 1;
        }
        if let Ok(Some(foreign)) = scan_foreign(&input) {
            assert!(
                foreign.words.iter().all(|w| !w.text.is_empty()),
                "{}",
                path.display()
            );
        }
        replayed += 1;
    }
    assert!(replayed > 0, "the corpus at {} is empty", dir.display());
    assert!(accepted > 0, "no corpus file is an accepted script");
}
