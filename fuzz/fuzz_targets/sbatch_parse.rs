//! Fuzz target: sbatch's whole parse (getopt, setters, directives, the
//! resolver) on any command line and script. Input: argv words separated by
//! newlines, a NUL, then the script. It may refuse, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/sk8-opts/tests/support/fuzz_check.rs"]
mod fuzz_check;

fuzz_target!(|data: &[u8]| fuzz_check::check_sbatch(data));
