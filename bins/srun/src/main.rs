//! `srun`: being written.

fn main() {}
