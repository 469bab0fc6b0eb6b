//! `#PBS` and `#BSUB` directives through `sbatch::parse`, compared with what real sbatch makes of the same script.
//!
//! Each case is submitted to the reference Slurm with `/usr/bin/sbatch --hold --parsable`,
//! read back with `/usr/bin/scontrol show job -o ID` and cancelled; the fields are compared with
//! the `JobSpec` our parser gives. Failing cases compare sbatch's standard error and exit code.
//! They need the reference Slurm: ignored by a plain `cargo test`, run (and failing without it)
//! under CI's `--include-ignored`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sk8_opts::sbatch::{Action, Context, Host, parse};
use sk8_spec::JobSpec;
use sk8_spec::job::{Memory, Sharing};
use sk8_spec::pattern::PatternContext;

/// Scripts real sbatch accepts, by file name. Each translates directives of one kind.
const ACCEPTED: &[(&str, &str)] = &[
    (
        "torque.sh",
        "#PBS -N pbsname -l nodes=2:ppn=4,walltime=1:00:00 -m abe -M me@x.org\n\
         #PBS -j oe -t 1-10 -q batch\n",
    ),
    ("select.sh", "#PBS -l select=2:ncpus=8:mpiprocs=4\n"),
    ("uneven.sh", "#PBS -l select=1:ncpus=5:mpiprocs=2\n"),
    ("host.sh", "#PBS -l nodes=vm:ppn=2\n"),
    ("sizes.sh", "#PBS -l mem=2gb,file=1GB\n"),
    ("sliding.sh", "#PBS -l feature=mem=300\n"),
    ("cput.sh", "#PBS -l cput=10,pcput=20\n"),
    ("files.sh", "#PBS -p 7 -e err.txt -o out.%j.txt\n"),
    (
        "depend.sh",
        "#PBS -W depend=afterok:1 -W umask=022 -W stagein=x\n",
    ),
    ("pbspro.sh", "#PBS -J 0-3 -h\n"),
    ("mail.sh", "#PBS -m ae -m b\n"),
    (
        "ignored.sh",
        "#PBS -c x -C y -I -j oe -k oe -r y -S /bin/sh -u bob -V -z\n",
    ),
    ("plus.sh", "#PBS -l nodes=2+3:ppn=2\n"),
    ("ppnsum.sh", "#PBS -l nodes=1:ppn=2+1:ppn=3\n"),
    ("nice.sh", "#PBS -l nice=5,Walltime=5\n"),
    (
        "long.sh",
        "#PBS --job_n=jn --resource_list=walltime=5 --join=oe\n",
    ),
    ("late.sh", "echo first\n#PBS -N after_commands\n"),
    (
        "sbatch_first.sh",
        "#SBATCH -J from_sbatch -t 5\n#PBS -N from_pbs\n",
    ),
    (
        "lsf.sh",
        "#BSUB -n 2,4 -W 1:30 -M 4000 -q batch -J bj -o o.%J -e e.txt -cwd /tmp -x\n",
    ),
    ("lsfhosts.sh", "#BSUB -m \"vm vm\"\n"),
    ("lsfmem.sh", "#BSUB -M 2G -n 3\n"),
    ("bsub_wins.sh", "#PBS -N p\n#BSUB -J b\n"),
];

/// Scripts real sbatch refuses while translating them.
const REFUSED: &[(&str, &str)] = &[
    ("bad_letter.sh", "#PBS -Z\n"),
    ("no_value.sh", "#PBS -N\n"),
    ("ambiguous.sh", "#PBS --j x\n"),
    ("leftover.sh", "#PBS -N a extra\n"),
    ("mailx.sh", "#PBS -m x\n"),
    ("walltime.sh", "#PBS -N a -l walltime=bad -Z\n"),
    ("mpiprocs.sh", "#PBS -l mpiprocs=4,walltime=1:00\n"),
    ("umask.sh", "#PBS -W umask=999\n"),
    ("nacc.sh", "#PBS -l naccelerators=x\n"),
    ("bsub_n.sh", "#BSUB -n 2,\n"),
    ("bsub_pairs.sh", "#BSUB -x -cwd /tmp\n"),
    ("bsub_letter.sh", "#BSUB -Z\n"),
];

/// A fresh directory for this test's scripts.
fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sk8-xlate-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the work directory");
    dir
}

fn script(body: &str) -> String {
    format!("#!/bin/sh\n{body}true\n")
}

/// Runs a program in `dir`: exit code, stdout, stderr.
fn run(dir: &Path, program: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("SBATCH_IGNORE_PBS")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The files of this machine, as sbatch sees them.
struct Files;

impl Host for Files {
    fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn is_readable_file(&self, path: &str) -> bool {
        Path::new(path).is_file()
    }
}

fn context(dir: &Path) -> Context {
    Context {
        argv0: "sbatch".into(),
        cwd: dir.to_string_lossy().into_owned(),
        env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        user: "root".into(),
        uid: 0,
        gid: 0,
        host: "vm".into(),
        default_partition: Some("debug".into()),
    }
}

fn ours(dir: &Path, file: &str) -> Result<JobSpec, (String, i32)> {
    let args: Vec<String> = ["--hold", "--parsable", file]
        .iter()
        .map(|s| s.to_string())
        .collect();
    match parse(&args, &context(dir), &Files) {
        Ok(Action::Submit(sub)) => Ok(sub.jobs.into_iter().next().expect("one job")),
        Ok(Action::Print(text)) => panic!("{file}: printed {text:?}"),
        Err(f) => Err((f.render("sbatch"), i32::from(f.code))),
    }
}

/// `Key=value` pairs of a `scontrol show job -o` line (no value here holds a blank).
fn fields(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What `scontrol show job -o` would print for `spec`, for the fields that follow from the
/// options alone (keys absent from the result are not compared).
fn expected(spec: &JobSpec, job_id: u32) -> BTreeMap<&'static str, String> {
    let mut want = BTreeMap::new();
    let ctx = PatternContext {
        job_id,
        array_job_id: None,
        array_task_id: None,
        job_name: spec.name.clone(),
        user: "root".into(),
        node_name: "vm".into(),
        node_id: 0,
        task_id: 0,
        step_id: None,
    };
    let stdout = spec.stdout.scontrol_path(&ctx, &spec.work_dir);
    let stderr = spec
        .stderr
        .as_ref()
        .map_or(stdout.clone(), |p| p.scontrol_path(&ctx, &spec.work_dir));
    want.insert("JobName", spec.name.clone());
    want.insert("StdOut", stdout);
    want.insert("StdErr", stderr);
    want.insert("WorkDir", spec.work_dir.clone());
    want.insert("NumTasks", spec.tasks().to_string());
    want.insert("CPUs/Task", spec.cpus_per_task().to_string());
    want.insert(
        "TimeLimit",
        spec.time_limit
            .map_or("UNLIMITED".to_string(), |t| t.to_string()),
    );
    want.insert(
        "Partition",
        spec.partition.clone().unwrap_or_else(|| "debug".into()),
    );
    want.insert(
        "Dependency",
        spec.dependency
            .as_ref()
            .map_or("(null)".to_string(), |d| format!("{d}(unfulfilled)")),
    );
    // The controller keeps each requested node once, in its node table's order.
    let nodelist = spec.nodelist.as_deref().map(|list| {
        let mut hosts: sk8_hostlist::HostList = list.parse().expect("a valid host list");
        hosts.sort();
        hosts.uniq();
        hosts.to_string()
    });
    want.insert("ReqNodeList", nodelist.unwrap_or_else(|| "(null)".into()));
    want.insert("Nice", spec.nice.unwrap_or(0).to_string());
    want.insert(
        "MinTmpDiskNode",
        spec.tmp.map_or("0".to_string(), |t| t.to_scontrol()),
    );
    want.insert(
        "OverSubscribe",
        match spec.sharing {
            Sharing::Exclusive => "NO",
            _ => "OK",
        }
        .to_string(),
    );
    want.insert("NtasksPerN", spec.ntasks_per_node.unwrap_or(0).to_string());
    match &spec.memory {
        Some(Memory::PerNode(m)) => {
            want.insert("MinMemoryNode", m.to_scontrol());
        }
        Some(Memory::PerCpu(m)) => {
            want.insert("MinMemoryCPU", m.to_scontrol());
        }
        _ => {
            want.insert("MinMemoryNode", "0".to_string());
        }
    }
    if let Some(nodes) = &spec.nodes {
        want.insert("NumNodes", nodes.to_scontrol());
    }
    if let Some(n) = spec.mincpus {
        want.insert("MinCPUsNode", n.to_string());
    }
    if let Some(m) = spec.mail_type {
        want.insert("MailType", m.to_string());
    }
    if let Some(a) = &spec.array {
        want.insert("ArrayTaskId", a.to_scontrol());
    }
    if spec.hold {
        want.insert("Reason", "JobHeldUser".to_string());
    }
    want
}

#[test]
#[ignore = "needs the reference Slurm"]
fn accepted_scripts_match_sbatch() {
    sk8_harness::reference::require("accepted_scripts_match_sbatch");
    assert!(ACCEPTED.len() >= 15);
    let dir = work_dir("accepted");
    let mut diffs = Vec::new();
    for (file, body) in ACCEPTED {
        std::fs::write(dir.join(file), script(body)).expect("write the script");
        let (code, stdout, stderr) = run(&dir, "/usr/bin/sbatch", &["--hold", "--parsable", file]);
        let id = stdout
            .trim()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            code == 0 && !id.is_empty(),
            "{file}: sbatch exit {code}: {stderr}"
        );
        let (_, shown, _) = run(&dir, "/usr/bin/scontrol", &["show", "job", "-o", &id]);
        let _ = run(&dir, "/usr/bin/scancel", &[&id]);
        let mut got = fields(&shown);
        // `NtasksPerN:B:S:C=4:0:*:*`: only the tasks per node.
        if let Some(v) = got.get("NtasksPerN:B:S:C") {
            let first = v.split(':').next().unwrap_or_default().to_string();
            got.insert("NtasksPerN".into(), first);
        }
        let spec = match ours(&dir, file) {
            Ok(spec) => spec,
            Err((err, code)) => {
                diffs.push(format!("{file}: we refuse (exit {code}): {err}"));
                continue;
            }
        };
        let job_id: u32 = id.parse().expect("a job id");
        let want = expected(&spec, job_id);
        for (key, value) in &want {
            let real = got.get(*key).map_or("<absent>", String::as_str);
            if real != value {
                diffs.push(format!("{file}: {key}: sbatch {real}, ours {value}"));
            }
        }
        // Fields scontrol omits when unset must be unset here too.
        for key in ["MailType", "ArrayTaskId"] {
            if got.contains_key(key) && !want.contains_key(key) {
                diffs.push(format!("{file}: {key}: sbatch {}, ours unset", got[key]));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}

#[test]
#[ignore = "needs the reference Slurm"]
fn refused_scripts_match_sbatch() {
    sk8_harness::reference::require("refused_scripts_match_sbatch");
    let dir = work_dir("refused");
    let mut diffs = Vec::new();
    for (file, body) in REFUSED {
        std::fs::write(dir.join(file), script(body)).expect("write the script");
        let (code, stdout, stderr) = run(&dir, "/usr/bin/sbatch", &["--hold", "--parsable", file]);
        if code == 0 {
            let _ = run(&dir, "/usr/bin/scancel", &[stdout.trim()]);
            diffs.push(format!("{file}: sbatch accepted it"));
            continue;
        }
        match ours(&dir, file) {
            Ok(_) => diffs.push(format!(
                "{file}: sbatch exit {code} ({stderr:?}); we accept"
            )),
            Err((err, our_code)) if (err.as_str(), our_code) != (stderr.as_str(), code) => {
                diffs.push(format!(
                    "{file}: sbatch exit {code} {stderr:?}; ours exit {our_code} {err:?}"
                ));
            }
            Err(_) => {}
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}

/// `--ignore-pbs` on the command line, `#SBATCH --ignore-pbs` and `SBATCH_IGNORE_PBS` all
/// leave `#PBS` lines alone.
#[test]
fn ignore_pbs_in_every_form() {
    let dir = work_dir("ignore");
    std::fs::write(dir.join("i.sh"), script("#PBS -N pbsname -Z\n")).unwrap();
    std::fs::write(
        dir.join("j.sh"),
        script("#SBATCH --ignore-pbs\n#PBS -N pbsname -Z\n"),
    )
    .unwrap();
    let name = |args: &[&str], env: Option<(&str, &str)>| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut ctx = context(&dir);
        if let Some((k, v)) = env {
            ctx.env.insert(k.into(), v.into());
        }
        match parse(&args, &ctx, &Files) {
            Ok(Action::Submit(sub)) => Ok(sub.jobs[0].name.clone()),
            Ok(Action::Print(t)) => panic!("printed {t:?}"),
            Err(f) => Err(f.render("sbatch")),
        }
    };
    assert_eq!(name(&["--ignore-pbs", "i.sh"], None), Ok("i.sh".into()));
    assert_eq!(name(&["j.sh"], None), Ok("j.sh".into()));
    assert_eq!(
        name(&["i.sh"], Some(("SBATCH_IGNORE_PBS", "1"))),
        Ok("i.sh".into())
    );
    assert_eq!(
        name(&["i.sh"], None),
        Err(
            "sbatch: invalid option -- 'Z'\nsbatch: error: Unrecognized command line parameter ?\n"
                .into()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}
