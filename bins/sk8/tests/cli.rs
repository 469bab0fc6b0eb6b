//! The `sk8` binary as users run it, by its Slurm names (links to it, as
//! installed): what each command prints and exits with, snapshots of every
//! command's `--help` and of a usage error of each, and one job's life on
//! the local backend. One test binary, a module per command.

use sk8_harness::TestEnv;

mod cli {
    pub mod host;
    pub mod life;
    pub mod multicall;
    pub mod sacct;
    pub mod sbatch;
    pub mod scancel;
    pub mod scontrol_hostlist;
    pub mod scontrol_query;
    pub mod sinfo;
    pub mod snapshots;
    pub mod squeue;
}

/// One node `n1` with 2 CPUs, partitions `debug` (default) and `long`
/// (2 days): the local backend the query commands' tests read.
pub const SCRATCH: &str = "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n";

/// A fresh test environment, with cargo's `sk8` as the binary.
pub fn env(tag: &str) -> TestEnv {
    sk8_harness::bins::use_cargo_bin(env!("CARGO_BIN_EXE_sk8"));
    TestEnv::new(tag)
}

/// A test environment on [`SCRATCH`].
pub fn scratch_env(tag: &str) -> TestEnv {
    env(tag).with_config(SCRATCH)
}

/// Runs command `name args` with `vars` in a fresh [`scratch_env`]: its
/// standard output, standard error and exit code.
pub fn scratch(name: &str, args: &[&str], vars: &[(&str, &str)]) -> (String, String, i32) {
    let mut env = scratch_env(name);
    for (k, v) in vars {
        env.set(k, v);
    }
    let r = env.run(name, args);
    (r.stdout, r.stderr, r.code.unwrap_or(-1))
}
