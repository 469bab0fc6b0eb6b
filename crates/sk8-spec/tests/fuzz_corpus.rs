//! Replays the `value_parsers` fuzz corpus (fuzz/corpus/value_parsers) through
//! the fuzz target's own checks, so CI proves without libFuzzer that no input
//! found by fuzzing panics or breaks a round trip.

#[path = "support/fuzz_check.rs"]
mod fuzz_check;

#[test]
fn value_parsers_corpus_replays() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/value_parsers");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is checked in") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        fuzz_check::check_values(&data);
        n += 1;
    }
    assert!(n >= 100, "only {n} corpus files in {}", dir.display());
}
