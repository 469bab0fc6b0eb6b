//! Fuzz target: any bytes read as a stream of step protocol frames (what a
//! stranger can send an agent); nothing panics, frames re-encode to their
//! bytes, and decoded requests and events round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/sk8-proto/tests/support/fuzz_check.rs"]
mod fuzz_check;

fuzz_target!(|data: &[u8]| {
    fuzz_check::check_frames(data);
});
