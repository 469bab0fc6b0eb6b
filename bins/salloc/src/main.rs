//! `salloc`: being written.

fn main() {}
