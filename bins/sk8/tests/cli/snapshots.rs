//! Snapshots of what every command prints for `--help` and for a usage
//! error (an option none of them has), run by its Slurm name: a change to
//! any of them shows up in review as a diff of the `.snap` file.

use insta::assert_snapshot;

/// Every command the multi-call binary answers to, and `sk8` itself.
const NAMES: [&str; 9] = [
    "sbatch", "srun", "salloc", "squeue", "scancel", "sinfo", "scontrol", "sacct", "sk8",
];

#[test]
fn help_of_every_command() {
    for name in NAMES {
        let r = crate::scratch_env("help").run(name, &["--help"]);
        assert_snapshot!(format!("help_{name}"), r.snapshot());
    }
}

#[test]
fn usage_error_of_every_command() {
    for name in NAMES {
        let r = crate::scratch_env("usage").run(name, &["--frobnicate"]);
        assert!(!r.success(), "{name} --frobnicate succeeded");
        assert_snapshot!(format!("usage_{name}"), r.snapshot());
    }
}
