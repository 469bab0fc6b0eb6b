//! Replays the `step_frames` fuzz corpus (fuzz/corpus/step_frames) through
//! the fuzz target's own checks, so CI proves without libFuzzer that no
//! input found by fuzzing panics the frame reader or breaks a round trip.

#[path = "support/fuzz_check.rs"]
mod fuzz_check;

#[test]
fn step_frames_corpus_replays() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/step_frames");
    let (mut n, mut requests, mut events) = (0, 0, 0);
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is checked in") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        let (r, e) = fuzz_check::check_frames(&data);
        requests += r;
        events += e;
        n += 1;
    }
    assert!(n >= 20, "only {n} corpus files in {}", dir.display());
    assert!(
        requests >= 8 && events >= 8,
        "{requests} requests, {events} events decoded"
    );
}
