//! `sbatch`: being written.

fn main() {}
