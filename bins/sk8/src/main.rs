//! `sk8`: the one binary of every sk8 command. Called by a Slurm name (a
//! link `sbatch -> sk8`), it is that command; called `sk8`, it is the admin
//! command, and `sk8 sbatch ...` runs any command by name.

use std::process::ExitCode;

fn main() -> ExitCode {
    sk8_commands::main()
}
