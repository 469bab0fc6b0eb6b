//! sk8-format's integration tests: our rendering against real Slurm 22.05's
//! captured output (and, when the reference cluster runs, against output
//! captured now), plus table-driven tests of every specifier.

mod convert;
mod filter;
mod limits;
mod live;
mod reference;
mod run;
mod specifiers;
