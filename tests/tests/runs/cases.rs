//! The scenarios: each a batch script with its options, run under both sides.

use sk8_tests::refslurm::Submission;
use sk8_tests::sidebyside::{Before, Case};

/// Every job asks for a little memory: without it the reference gives each
/// job the whole node's memory and runs one job at a time.
const COMMON: &[&str] = &["--mem=200M"];

/// The batch script's `SLURM_*` variables, sorted, to `batch.env`.
const BATCH_ENV: &str = "env | grep ^SLURM_ | sort > batch.env\n";

/// Each task's `SLURM_*` variables to `task.<step>.<rank>`.
const TASK_ENV: &str =
    "srun bash -c 'env | grep ^SLURM_ | sort > task.$SLURM_STEP_ID.$SLURM_PROCID'\n";

fn case(name: &str, body: &str, args: &[&str]) -> Case {
    let all: Vec<&str> = COMMON.iter().chain(args).copied().collect();
    Case::new(name, &format!("#!/bin/bash\n{body}"), &all)
}

fn before(body: &str, args: &[&str]) -> Before {
    Before {
        script: format!("#!/bin/bash\n{body}"),
        args: COMMON.iter().chain(args).map(|a| (*a).to_owned()).collect(),
    }
}

fn cpus(mut c: Case, n: u32) -> Case {
    c.cpus = n;
    c
}

fn with_before(mut c: Case, jobs: Vec<Before>) -> Case {
    c.before = jobs;
    c
}

fn with_files(mut c: Case, files: &[(&str, &str)]) -> Case {
    c.files = files
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    c
}

fn with_env(mut c: Case, env: &[(&str, &str)]) -> Case {
    c.submission = c.submission.env(env);
    c
}

/// Every scenario, the long ones first so they overlap the rest.
pub fn all() -> Vec<Case> {
    let pid = std::process::id();
    let mut cases = vec![
        // A time limit hit: Slurm checks limits every 30 s, so this takes
        // 60-90 s on the reference.
        case(
            "time_limit_hit",
            "echo start\nsleep 300\necho never\n",
            &["--time=1"],
        ),
        {
            let mut c = case(
                "cancelled_while_running",
                "echo start\necho $SLURM_JOB_ID > started\nsleep 300\necho never\n",
                &[],
            );
            c.cancel = true;
            c
        },
        // The reference runs throttled tasks one scheduling pass apart.
        case(
            "array_throttle",
            "touch running.$SLURM_ARRAY_TASK_ID\nsleep 0.5\nn=$(ls running.* | wc -l)\nrm running.$SLURM_ARRAY_TASK_ID\necho \"task $SLURM_ARRAY_TASK_ID saw $n running\"\n",
            &["--array=0-3%1"],
        ),
        // One task.
        case(
            "single_task",
            &format!("{BATCH_ENV}{TASK_ENV}echo hello\n"),
            &[],
        ),
        case(
            "single_task_named",
            &format!("{BATCH_ENV}echo \"$SLURM_JOB_NAME\"\n"),
            &["-J", "named job", "-N", "1", "-n", "1"],
        ),
        case(
            "directives",
            &format!(
                "#SBATCH -J from-directive\n#SBATCH -o dir-%x.out\n#SBATCH --comment=hi\n{BATCH_ENV}echo ok\n"
            ),
            &[],
        ),
        with_env(
            case(
                "input_variables_beat_directives",
                &format!("#SBATCH -J from-directive\n{BATCH_ENV}"),
                &[],
            ),
            &[
                ("SBATCH_JOB_NAME", "from-env"),
                ("SBATCH_OPEN_MODE", "append"),
            ],
        ),
        {
            let mut c = case(
                "script_on_stdin",
                &format!("{BATCH_ENV}echo from stdin\n"),
                &[],
            );
            c.submission.stdin = true;
            c
        },
        case("parsable", "echo parsable\n", &["--parsable"]),
        case(
            "standard_streams_umask_cwd",
            "readlink /proc/$$/fd/0\nreadlink /proc/$$/fd/1\nreadlink /proc/$$/fd/2\numask\npwd\necho \"$0\" | sed 's,.*/,,'\n",
            &[],
        ),
        case(
            "begin_now",
            &format!("{BATCH_ENV}echo began\n"),
            &["--begin=now"],
        ),
        case(
            "time_limit_not_hit",
            &format!("{BATCH_ENV}{TASK_ENV}"),
            &["--time=5"],
        ),
        // Non-zero exits.
        case("exit_3", "echo failing\nexit 3\n", &[]),
        case("exit_255", "exit 255\n", &[]),
        case("killed_by_signal", "echo before\nkill -KILL $$\n", &[]),
        case("command_not_found", "no-such-command-xyz\n", &[]),
        case("stderr_to_output", "echo out\necho err >&2\nexit 1\n", &[]),
        // Arrays.
        case(
            "array_env",
            "env | grep ^SLURM_ | sort > batch.$SLURM_ARRAY_TASK_ID.env\n",
            &["--array=1-2"],
        ),
        case(
            "array_exit_codes",
            "exit $SLURM_ARRAY_TASK_ID\n",
            &["--array=0,2"],
        ),
        // Dependencies, one per type.
        with_before(
            case(
                "dependency_after",
                // The parent counts as started once it runs, a moment
                // before its first line has: give that line 10 s (Slurm's
                // next scheduling pass hides the moment; ours may not).
                "for i in $(seq 100); do [ -e parent.started ] && break; sleep 0.1; done\n\
                 [ -e parent.started ] && echo parent-had-started\n",
                &["--dependency=after:{J1}"],
            ),
            vec![before("touch parent.started\nsleep 1\n", &[])],
        ),
        with_before(
            case(
                "dependency_afterany",
                "[ -e parent.done ] && echo parent-had-ended\n",
                &["--dependency=afterany:{J1}"],
            ),
            vec![before("sleep 0.5\ntouch parent.done\nexit 1\n", &[])],
        ),
        with_before(
            case(
                "dependency_afterok",
                "[ -e parent.done ] && echo parent-had-ended\n",
                &["-d", "afterok:{J1}"],
            ),
            vec![before("sleep 0.5\ntouch parent.done\n", &[])],
        ),
        with_before(
            case(
                "dependency_afternotok",
                "[ -e parent.done ] && echo parent-had-failed\n",
                &["--dependency=afternotok:{J1}"],
            ),
            vec![before("sleep 0.5\ntouch parent.done\nexit 3\n", &[])],
        ),
        with_before(
            case(
                "dependency_aftercorr",
                "[ -e parent.$SLURM_ARRAY_TASK_ID ] && echo \"task $SLURM_ARRAY_TASK_ID after its parent\"\n",
                &["--array=1-2", "--dependency=aftercorr:{J1}"],
            ),
            vec![before(
                "sleep 0.5\ntouch parent.$SLURM_ARRAY_TASK_ID\n",
                &["--array=1-2"],
            )],
        ),
        with_before(
            case(
                "dependency_singleton",
                "[ -e first.done ] && echo first-had-ended\n",
                &[
                    "--dependency=singleton",
                    "-J",
                    &format!("sk8-runs-singleton-{pid}"),
                ],
            ),
            vec![before(
                "sleep 1\ntouch first.done\n",
                &["-J", &format!("sk8-runs-singleton-{pid}")],
            )],
        ),
        with_before(
            case(
                "dependency_list",
                "[ -e a.done ] && [ -e b.done ] && echo both-ended\n",
                &["--dependency=afterok:{J1},afterany:{J2}"],
            ),
            vec![
                before("sleep 0.3\ntouch a.done\n", &[]),
                before("sleep 0.3\ntouch b.done\nexit 2\n", &[]),
            ],
        ),
        // Output and error patterns.
        case(
            "pattern_j_x_u",
            "echo patterned\n",
            &["-J", "pat", "-o", "out-%j-%x-%u.txt"],
        ),
        case(
            "pattern_N_n_t_s",
            "echo patterned\n",
            &["-o", "out-%N-%n-%t-%s.txt"],
        ),
        case(
            "pattern_J_percent",
            "echo patterned\n",
            &["-o", "out-%J-%%.txt"],
        ),
        case(
            "pattern_padding",
            "echo patterned\n",
            &["-o", "pad-%10j-%3t.txt"],
        ),
        case(
            "pattern_A_a_array",
            "echo \"task $SLURM_ARRAY_TASK_ID\"\n",
            &["--array=1-2", "-o", "arr-%A-%a-%4a.txt"],
        ),
        case(
            "pattern_default_array",
            "echo \"task $SLURM_ARRAY_TASK_ID\"\n",
            &["--array=3,5"],
        ),
        case(
            "pattern_A_a_without_array",
            "echo plain\n",
            &["-o", "na-%A-%a.txt"],
        ),
        case(
            "pattern_backslash_literal",
            "echo literal\n",
            &["-o", "lit\\%j.txt"],
        ),
        case(
            "pattern_error_file",
            "echo to-out\necho to-err >&2\n",
            &["-o", "o-%j.txt", "-e", "e-%j-%x.txt"],
        ),
        case(
            "pattern_error_only",
            "echo to-out\necho to-err >&2\n",
            &["-e", "err.txt"],
        ),
        case(
            "pattern_subdirectory",
            "echo into-dir\n",
            &["-o", "logs/%j.out"],
        ),
        with_files(
            case(
                "open_mode_append",
                "echo appended\n",
                &["-o", "out.txt", "--open-mode=append"],
            ),
            &[("out.txt", "old line\n")],
        ),
        with_files(
            case("open_mode_truncate", "echo fresh\n", &["-o", "out.txt"]),
            &[("out.txt", "old line\n")],
        ),
        // Environment export.
        with_env(
            case(
                "export_none",
                &format!("{BATCH_ENV}echo \"MYVAR=${{MYVAR-unset}}\"\n"),
                &["--export=NONE"],
            ),
            &[("MYVAR", "from-submit")],
        ),
        with_env(
            case(
                "export_list",
                &format!(
                    "{BATCH_ENV}echo \"MYVAR=${{MYVAR-unset}} OTHER=${{OTHER-unset}} EXTRA=${{EXTRA-unset}}\"\n"
                ),
                &["--export=MYVAR,EXTRA=given"],
            ),
            &[("MYVAR", "from-submit"), ("OTHER", "not-exported")],
        ),
        with_env(
            case(
                "export_all_plus",
                &format!(
                    "{BATCH_ENV}{TASK_ENV}echo \"MYVAR=${{MYVAR-unset}} EXTRA=${{EXTRA-unset}}\"\n"
                ),
                &["--export=ALL,EXTRA=given"],
            ),
            &[("MYVAR", "from-submit")],
        ),
        // Working directory.
        with_files(
            case("chdir", &format!("pwd\n{BATCH_ENV}"), &["--chdir=sub"]),
            &[("sub/", "")],
        ),
        with_files(
            case(
                "chdir_with_output",
                "pwd\n",
                &["-D", "sub", "-o", "here-%j.out"],
            ),
            &[("sub/", "")],
        ),
        // --wrap.
        {
            let mut c = case(
                "wrap",
                "",
                &[
                    "--wrap",
                    "echo wrapped; env | grep ^SLURM_ | sort > batch.env",
                ],
            );
            c.submission = Submission {
                script: None,
                ..c.submission
            };
            c
        },
    ];
    // Two CPUs' worth: these hold the whole reference node.
    cases.extend([
        cpus(
            case(
                "two_tasks",
                &format!("{BATCH_ENV}{TASK_ENV}"),
                &["-n", "2"],
            ),
            2,
        ),
        cpus(
            case(
                "four_tasks_overcommit",
                &format!("{BATCH_ENV}{TASK_ENV}"),
                &["-n", "4", "--overcommit"],
            ),
            2,
        ),
        cpus(
            case(
                "tasks_per_node",
                &format!("{BATCH_ENV}{TASK_ENV}"),
                &["-N", "1", "--ntasks-per-node=2"],
            ),
            2,
        ),
        cpus(
            case(
                "cpus_per_task",
                &format!("{BATCH_ENV}{TASK_ENV}"),
                &["-c", "2"],
            ),
            2,
        ),
        cpus(
            case(
                "srun_steps",
                "srun -n 1 bash -c 'env | grep ^SLURM_ | sort > step.$SLURM_STEP_ID.$SLURM_PROCID'\n\
                 srun bash -c 'env | grep ^SLURM_ | sort > step.$SLURM_STEP_ID.$SLURM_PROCID'\n",
                &["-n", "2"],
            ),
            2,
        ),
        cpus(
            case(
                "srun_label_and_status",
                "srun -l bash -c 'echo rank $SLURM_PROCID of $SLURM_NTASKS' | sort\n\
                 srun bash -c 'exit $SLURM_PROCID'\necho \"srun exited $?\"\n",
                &["-n", "2"],
            ),
            2,
        ),
        cpus(
            case(
                "srun_task_output_patterns",
                "srun -o 'task-%j-%s-%t-%n-%N.out' bash -c 'echo rank $SLURM_PROCID'\n",
                &["-n", "2"],
            ),
            2,
        ),
        cpus(
            case(
                "master_addr_from_scontrol",
                "export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n\
                 export MASTER_PORT=1234\n\
                 echo \"MASTER_ADDR=$MASTER_ADDR\"\n\
                 scontrol show hostnames \"$SLURM_JOB_NODELIST\"\n\
                 srun bash -c 'echo \"$SLURM_PROCID $MASTER_ADDR:$MASTER_PORT $SLURMD_NODENAME $SLURM_NODEID\"' | sort\n",
                &["-n", "2"],
            ),
            2,
        ),
    ]);
    cases
}
