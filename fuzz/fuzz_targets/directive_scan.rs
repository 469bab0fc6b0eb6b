//! Fuzz target: `sk8_directive::scan` and `scan_foreign` never panic on any bytes, and what
//! they return keeps its invariants (words non-empty, line numbers in range and in order,
//! words that write back as a directive line and read back the same).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sk8_directive::{Word, directive_line, scan, scan_foreign};

fuzz_target!(|data: &[u8]| {
    let lines = data.split(|&b| b == b'\n').count();
    match scan(data) {
        Ok(script) => {
            assert!(!script.components.is_empty());
            let words: Vec<&Word> = script.components.iter().flatten().collect();
            assert!(words.windows(2).all(|w| w[0].line <= w[1].line));
            for word in &words {
                assert!(!word.text.is_empty());
                assert!((1..=lines).contains(&word.line));
            }
            if let Some(stop) = script.first_command {
                assert!(words.iter().all(|w| w.line < stop));
            }
            for component in &script.components {
                let texts: Vec<&str> = component.iter().map(|w| w.text.as_str()).collect();
                let line = directive_line(&texts).expect("scanned words can be written back");
                let again = scan(format!("#!/bin/sh\n{line}\n").as_bytes()).expect("rescan");
                let back: Vec<&str> = again.components[0]
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect();
                assert_eq!(back, texts);
            }
        }
        Err(err) => {
            let _ = err.render("fuzz.sh");
        }
    }
    if let Ok(Some(foreign)) = scan_foreign(data) {
        assert!(foreign.words.iter().all(|w| !w.text.is_empty()));
    }
});
