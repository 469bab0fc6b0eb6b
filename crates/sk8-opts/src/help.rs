//! `--help` and `--usage`, rendered from the option table.

use crate::help_layout::{SALLOC_HELP, SBATCH_HELP, SRUN_HELP};
use crate::table::{Cmd, OPTIONS};

/// One line (or entry) of a command's `--help`.
#[derive(Debug)]
pub(crate) enum Help {
    /// A heading or free text, printed as is.
    Text(&'static str),
    /// The n-th help entry of the option with this long name.
    Entry(&'static str, usize),
}

/// Section heading under which options added by plugins (pyxis) appear.
const PLUGIN_HEADING: &str = "Options provided by plugins:";

/// The full `--help` text of `cmd`, ending with a newline.
pub fn help(cmd: Cmd) -> String {
    let layout = match cmd {
        Cmd::Sbatch => SBATCH_HELP,
        Cmd::Srun => SRUN_HELP,
        Cmd::Salloc => SALLOC_HELP,
    };
    let mut out = String::with_capacity(8 * 1024);
    let mut listed = Vec::new();
    for item in layout {
        match item {
            Help::Text(t) => out.push_str(t),
            Help::Entry(long, n) => {
                listed.push(*long);
                out.push_str(entry(cmd, long, *n).unwrap_or_default());
            }
        }
        out.push('\n');
    }
    // Options that Slurm itself does not list (the pyxis plugin's) come last,
    // under the heading Slurm prints for SPANK plugins.
    let extra: Vec<_> = OPTIONS
        .iter()
        .filter(|d| d.cmds.has(cmd) && !listed.contains(&d.long))
        .filter(|d| crate::table::is_plugin(d.long))
        .collect();
    if !extra.is_empty() {
        // Slurm's help ends with a blank line; the plugin section follows it.
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(PLUGIN_HEADING);
        out.push('\n');
        for d in extra {
            if let Some(text) = entry(cmd, d.long, 0) {
                out.push_str(text);
                out.push('\n');
            }
        }
    }
    out
}

fn entry(cmd: Cmd, long: &str, n: usize) -> Option<&'static str> {
    OPTIONS
        .iter()
        .filter(|d| d.long == long)
        .flat_map(|d| d.help.iter())
        .filter(|(cmds, _)| cmds.has(cmd))
        .map(|(_, text)| *text)
        .nth(n)
}

/// The `--usage` text of `cmd`, ending with a newline.
pub fn usage(cmd: Cmd) -> String {
    match cmd {
        Cmd::Sbatch => SBATCH_USAGE,
        Cmd::Srun => SRUN_USAGE,
        Cmd::Salloc => SALLOC_USAGE,
    }
    .to_string()
}

const SBATCH_USAGE: &str = "\
Usage: sbatch [-N nnodes] [-n ntasks]
              [-c ncpus] [-r n] [-p partition] [--hold] [--parsable] [-t minutes]
              [-D path] [--no-kill] [--overcommit]
              [--input file] [--output file] [--error file]
              [--time-min=minutes] [--licenses=names] [--clusters=cluster_names]
              [--chdir=directory] [--oversubscribe] [-m dist] [-J jobname]
              [--verbose] [--gid=group] [--uid=user]
              [--contiguous] [--mincpus=n] [--mem=MB] [--tmp=MB] [-C list]
              [--account=name] [--dependency=type:jobid[+time]] [--comment=name]
              [--mail-type=type] [--mail-user=user] [--nice[=value]] [--wait]
              [--requeue] [--no-requeue] [--ntasks-per-node=n] [--propagate]
              [--nodefile=file] [--nodelist=hosts] [--exclude=hosts]
              [--network=type] [--mem-per-cpu=MB] [--qos=qos] [--gres=list]
              [--mem-bind=...] [--reservation=name] [--mcs-label=mcs]
              [--cpu-freq=min[-max[:gov]]] [--power=flags] [--gres-flags=opts]
              [--switches=max-switches{@max-time-to-wait}] [--reboot]
              [--core-spec=cores] [--thread-spec=threads]
              [--bb=burst_buffer_spec] [--bbf=burst_buffer_file]
              [--array=index_values] [--profile=...] [--ignore-pbs] [--spread-job]
              [--export[=names]] [--export-file=file|fd] [--delay-boot=mins]
              [--use-min-nodes]
              [--cpus-per-gpu=n] [--gpus=n] [--gpu-bind=...] [--gpu-freq=...]
              [--gpus-per-node=n] [--gpus-per-socket=n] [--gpus-per-task=n]
              [--mem-per-gpu=MB]
              executable [args...]
";

const SRUN_USAGE: &str = "\
Usage: srun [-N nnodes] [-n ntasks] [-i in] [-o out] [-e err]
            [-c ncpus] [-r n] [-p partition] [--hold] [-t minutes]
            [-D path] [--immediate[=secs]] [--overcommit] [--overlap] [--no-kill]
            [--oversubscribe] [--label] [--unbuffered] [-m dist] [-J jobname]
            [--jobid=id] [--verbose] [--slurmd_debug=#] [--gres=list]
            [-T threads] [-W sec] [--gres-flags=opts]
            [--licenses=names] [--clusters=cluster_names]
            [--qos=qos] [--time-min=minutes]
            [--contiguous] [--mincpus=n] [--mem=MB] [--tmp=MB] [-C list]
            [--mpi=type] [--account=name] [--dependency=type:jobid[+time]]
            [--kill-on-bad-exit] [--propagate[=rlimits] [--comment=name]
            [--cpu-bind=...] [--mem-bind=...] [--network=type]
            [--ntasks-per-node=n] [--ntasks-per-socket=n] [reservation=name]
            [--ntasks-per-core=n] [--mem-per-cpu=MB] [--preserve-env]
            [--profile=...] [--exact]
            [--mail-type=type] [--mail-user=user] [--nice[=value]]
            [--prolog=fname] [--epilog=fname]
            [--task-prolog=fname] [--task-epilog=fname]
            [--ctrl-comm-ifhn=addr] [--multi-prog] [--mcs-label=mcs]
            [--cpu-freq=min[-max[:gov]]] [--power=flags] [--spread-job]
            [--switches=max-switches{@max-time-to-wait}] [--reboot]
            [--core-spec=cores] [--thread-spec=threads]
            [--bb=burst_buffer_spec] [--bbf=burst_buffer_file]
            [--bcast=<dest_path>] [--bcast-exclude=<NONE|path1,...,pathN>]
            [--send-libs[=y|n]] [--compress[=library]]
            [--acctg-freq=<datatype>=<interval>] [--delay-boot=mins]
            [-w hosts...] [-x hosts...] [--use-min-nodes]
            [--mpi-combine=yes|no] [--het-group=value]
            [--cpus-per-gpu=n] [--gpus=n] [--gpu-bind=...] [--gpu-freq=...]
            [--gpus-per-node=n] [--gpus-per-socket=n] [--gpus-per-task=n]
            [--mem-per-gpu=MB]
            executable [args...]
";

const SALLOC_USAGE: &str = "\
Usage: salloc [-N numnodes|[min nodes]-[max nodes]] [-n num-processors]
              [-c cpus-per-node] [-r n] [-p partition] [--hold] [-t minutes]
              [--immediate[=secs]] [--no-kill] [--overcommit] [-D path]
              [--oversubscribe] [-J jobname]
              [--verbose] [--gid=group] [--uid=user] [--licenses=names]
              [--clusters=cluster_names]
              [--contiguous] [--mincpus=n] [--mem=MB] [--tmp=MB] [-C list]
              [--account=name] [--dependency=type:jobid[+time]] [--comment=name]
              [--mail-type=type] [--mail-user=user] [--nice[=value]]
              [--bell] [--no-bell] [--kill-command[=signal]] [--spread-job]
              [--nodefile=file] [--nodelist=hosts] [--exclude=hosts]
              [--network=type] [--mem-per-cpu=MB] [--qos=qos]
              [--mem-bind=...] [--reservation=name] [--mcs-label=mcs]
              [--time-min=minutes] [--gres=list] [--gres-flags=opts]
              [--cpu-freq=min[-max[:gov]]] [--power=flags] [--profile=...]
              [--switches=max-switches[@max-time-to-wait]]
              [--core-spec=cores] [--thread-spec=threads] [--reboot]
              [--bb=burst_buffer_spec] [--bbf=burst_buffer_file]
              [--delay-boot=mins] [--use-min-nodes]
              [--cpus-per-gpu=n] [--gpus=n] [--gpu-bind=...] [--gpu-freq=...]
              [--gpus-per-node=n] [--gpus-per-socket=n] [--gpus-per-task=n]
              [--mem-per-gpu=MB]
              [command [args...]]
";
