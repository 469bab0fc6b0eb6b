//! Integration tests of sk8-env: reference dumps from real Slurm, tables and properties.

mod env {
    pub mod fixtures;
    pub mod live;
    pub mod props;
    pub mod reference;
    pub mod salloc;
    pub mod tables;
}
