//! Replays the `sbatch_parse` fuzz corpus (fuzz/corpus/sbatch_parse) through
//! the fuzz target's own checks: every input ends in a spec or a failure that
//! says why, never a panic.

#[path = "support/fuzz_check.rs"]
mod fuzz_check;

#[test]
fn sbatch_parse_corpus_replays() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sbatch_parse");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is checked in") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        fuzz_check::check_sbatch(&data);
        n += 1;
    }
    assert!(n >= 100, "only {n} corpus files in {}", dir.display());
}
