//! Fuzz target: every Slurm value parser in sk8-spec (and hostlists) on any
//! input; none panics, and what parses renders back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/sk8-spec/tests/support/fuzz_check.rs"]
mod fuzz_check;

fuzz_target!(|data: &[u8]| fuzz_check::check_values(data));
