//! Helpers shared by the test modules: compact views of a scan and its invariants.

use sk8_directive::{Script, Word, directive_line, scan};

/// The words of each component as plain strings.
pub fn texts(script: &Script) -> Vec<Vec<&str>> {
    script
        .components
        .iter()
        .map(|c| c.iter().map(|w| w.text.as_str()).collect())
        .collect()
}

/// What must hold for every script `scan` accepts, whatever its bytes.
pub fn assert_invariants(input: &[u8], script: &Script) {
    let lines = input.split(|&b| b == b'\n').count();
    assert!(!script.components.is_empty(), "no component");
    let words: Vec<&Word> = script.components.iter().flatten().collect();
    assert!(
        words.windows(2).all(|w| w[0].line <= w[1].line),
        "lines out of order"
    );
    for word in &words {
        assert!(!word.text.is_empty(), "empty word");
        assert!(
            (1..=lines).contains(&word.line),
            "line {} out of range",
            word.line
        );
    }
    if let Some(stop) = script.first_command {
        assert!(
            words.iter().all(|w| w.line < stop),
            "word read after the first command"
        );
    }
    for w in &script.warnings {
        assert!(
            w.component < script.components.len(),
            "warning for a missing component"
        );
    }
    for component in texts(script) {
        let line = directive_line(&component).expect("scanned words can be written back");
        let again = scan(format!("#!/bin/sh\n{line}\n").as_bytes()).expect("written line scans");
        assert_eq!(texts(&again), vec![component], "write-back of {line:?}");
    }
}
