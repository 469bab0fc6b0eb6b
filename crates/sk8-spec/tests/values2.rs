//! Value types part 2 (dependency, file pattern, signal, export, constraint, begin): tables, round trips and the real-Slurm oracle.

#[path = "values2/reference.rs"]
mod reference;
#[path = "values2/roundtrip.rs"]
mod roundtrip;
#[path = "values2/tables.rs"]
mod tables;
