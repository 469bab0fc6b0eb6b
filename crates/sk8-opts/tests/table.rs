//! The option table's rules (as Slurm's xasserts and ripgrep's flag tests),
//! and `--help`/`--usage` compared with the reference Slurm's.

use std::collections::HashSet;
use std::process::Command;

use sk8_opts::table::{Cmd, HasArg, OPTIONS};

const CMDS: [Cmd; 3] = [Cmd::Sbatch, Cmd::Srun, Cmd::Salloc];

#[test]
fn rows_are_sorted_by_long_name() {
    for pair in OPTIONS.windows(2) {
        // One name may have a row per command when its meaning differs
        // (`--wait` is a switch in sbatch and takes seconds in srun).
        let same_name_other_commands =
            pair[0].long == pair[1].long && pair[0].cmds.0 & pair[1].cmds.0 == 0;
        assert!(
            pair[0].long < pair[1].long || same_name_other_commands,
            "`{}` should come after `{}`",
            pair[1].long,
            pair[0].long
        );
    }
}

#[test]
fn no_duplicate_names_per_command() {
    for cmd in CMDS {
        let mut longs = HashSet::new();
        let mut shorts = HashSet::new();
        for d in OPTIONS.iter().filter(|d| d.cmds.has(cmd)) {
            assert!(longs.insert(d.long), "{cmd:?}: --{} twice", d.long);
            if let Some(c) = d.short {
                assert!(shorts.insert(c), "{cmd:?}: -{c} twice");
            }
        }
    }
}

#[test]
fn every_row_serves_a_command_and_has_a_name() {
    for d in OPTIONS {
        assert!(d.cmds.0 != 0, "--{} serves no command", d.long);
        assert!(
            d.long
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "bad long name {:?}",
            d.long
        );
    }
}

#[test]
fn input_variables_are_unique_and_valid() {
    for cmd in CMDS {
        let vars = sk8_opts::sbatch::input_variables(cmd);
        let mut seen = HashSet::new();
        for (name, def) in &vars {
            assert!(seen.insert(*name), "{cmd:?}: {name} twice");
            assert!(
                def.cmds.has(cmd),
                "{name} maps to --{} which {cmd:?} lacks",
                def.long
            );
            assert!(
                ["SBATCH_", "SLURM_", "SLURMD_", "SALLOC_", "SRUN_"]
                    .iter()
                    .any(|p| name.starts_with(p)),
                "{name}"
            );
        }
    }
    let sbatch = sk8_opts::sbatch::input_variables(Cmd::Sbatch);
    let find = |n: &str| sbatch.iter().find(|(v, _)| *v == n).map(|(_, d)| d.long);
    assert_eq!(find("SBATCH_TIMELIMIT"), Some("time"));
    assert_eq!(find("SBATCH_PARTITION"), Some("partition"));
    assert_eq!(find("SBATCH_MEM_PER_NODE"), Some("mem"));
    assert_eq!(find("SBATCH_GPUS"), Some("gpus"));
    // Later variables win: SLURM_CLUSTERS comes after SBATCH_CLUSTERS, as in Slurm.
    let pos = |n: &str| sbatch.iter().position(|(v, _)| *v == n).unwrap();
    assert!(pos("SBATCH_CLUSTERS") < pos("SLURM_CLUSTERS"));
}

#[test]
fn every_help_entry_names_its_option() {
    for d in OPTIONS {
        for (cmds, text) in d.help {
            assert!(
                text.contains(&format!("--{}", d.long)),
                "--{}: {text}",
                d.long
            );
            assert!(
                cmds.0 & !d.cmds.0 == 0,
                "--{} has help for a command it lacks",
                d.long
            );
        }
        if d.has_arg != HasArg::No {
            for (_, text) in d.help {
                let after = text.split(&format!("--{}", d.long)).nth(1).unwrap_or("");
                assert!(
                    after.starts_with('=') || after.starts_with("[=") || after.starts_with(' '),
                    "--{}: value name missing in {text:?}",
                    d.long
                );
            }
        }
    }
}

#[test]
fn pyxis_options_are_in_every_submitting_command() {
    for name in [
        "container-image",
        "container-mounts",
        "container-workdir",
        "container-name",
        "container-env",
        "no-container-mount-home",
    ] {
        for cmd in CMDS {
            assert!(
                sk8_opts::getopt::find_long(cmd, name).is_ok(),
                "{cmd:?} lacks --{name}"
            );
        }
    }
}

fn reference(cmd: &str, flag: &str) -> Option<String> {
    let path = format!("/usr/bin/{cmd}");
    if !std::path::Path::new(&path).exists() {
        if std::env::var("SK8_REFSLURM").as_deref() == Ok("required") {
            panic!("reference Slurm required but {path} is missing");
        }
        eprintln!("SKIPPED: reference Slurm not installed ({path})");
        return None;
    }
    let out = Command::new(path).arg(flag).output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn help_is_slurms_plus_the_plugin_section() {
    for cmd in CMDS {
        let Some(want) = reference(cmd.name(), "--help") else {
            return;
        };
        let ours = sk8_opts::help::help(cmd);
        let (slurm_part, plugins) = ours
            .split_once("\nOptions provided by plugins:\n")
            .expect("the pyxis options are listed under the plugin heading");
        assert_eq!(
            format!("{slurm_part}"),
            want.trim_end_matches('\n').to_string() + "\n",
            "{cmd:?} --help"
        );
        assert!(plugins.contains("--container-image"));
    }
}

#[test]
fn usage_is_slurms() {
    for cmd in CMDS {
        let Some(want) = reference(cmd.name(), "--usage") else {
            return;
        };
        assert_eq!(sk8_opts::help::usage(cmd), want, "{cmd:?} --usage");
    }
}
