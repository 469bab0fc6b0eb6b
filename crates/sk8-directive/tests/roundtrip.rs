//! Property tests: words written with `directive_line` scan back unchanged, and no input
//! makes the scanner panic.

use proptest::prelude::*;
use sk8_directive::{directive_line, scan, scan_foreign};

use crate::support::{assert_invariants, texts};

/// Words a directive can carry: non-empty, no line break, no NUL; biased towards the bytes
/// the splitter treats specially.
fn word() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        " ", "\t", "\x0b", "\x0c", "\r", "\"", "'", "\\", "#", ":", "=", "-", "hetjob", "packjob",
        "HETJOB", "é", "a", "b",
    ]);
    prop_oneof![
        prop::collection::vec(special, 1..6).prop_map(|parts| parts.concat()),
        "[^\n\0]{1,12}",
    ]
}

proptest! {
    #[test]
    fn directive_line_round_trips(words in prop::collection::vec(word(), 0..6)) {
        let line = directive_line(&words).unwrap();
        let script = scan(format!("#!/bin/sh\n{line}\ntrue\n").as_bytes()).unwrap();
        prop_assert_eq!(texts(&script), vec![words.iter().map(String::as_str).collect::<Vec<_>>()]);
        prop_assert!(script.components[0].iter().all(|w| w.line == 2));
    }

    #[test]
    fn any_directive_text_keeps_invariants(lines in prop::collection::vec("[ -~\t\x0b\x0c\r]{0,40}", 0..8)) {
        let mut input = String::from("#!/bin/sh\n");
        for line in &lines {
            input.push_str("#SBATCH");
            input.push_str(line);
            input.push('\n');
        }
        if let Ok(script) = scan(input.as_bytes()) {
            assert_invariants(input.as_bytes(), &script);
        }
    }

    #[test]
    fn any_bytes_never_panic(shebang: bool, tail in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut input = if shebang { b"#!/bin/sh\n#SBATCH ".to_vec() } else { Vec::new() };
        input.extend_from_slice(&tail);
        if let Ok(script) = scan(&input) {
            assert_invariants(&input, &script);
        }
        let _ = scan_foreign(&input);
    }
}
