//! Snapshots of the setters (`Opts::set`) and of the step from options to a
//! `JobSpec` (`sbatch::parse`, `alloc::parse`), one case per branch, so that
//! a restructuring of either shows any change of behaviour as a snapshot diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use sk8_opts::sbatch::{Action, Context, Host};
use sk8_opts::state::{Opts, Source};
use sk8_opts::{Cmd, OPTIONS, ParseError};

/// In-memory files: a script and a node file.
struct Files;

impl Host for Files {
    fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
        match path {
            "/home/u/job.sh" => Ok(b"#!/bin/sh\n#SBATCH -t 5\ntrue\n".to_vec()),
            "/home/u/hosts" => Ok(b"vm1 vm2 # two\nvm\\#3\n".to_vec()),
            "/home/u/badhosts" => Ok(b"-x\n".to_vec()),
            _ => Err(std::io::ErrorKind::NotFound.into()),
        }
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(b"#!/bin/sh\ntrue\n".to_vec())
    }
    fn is_readable_file(&self, path: &str) -> bool {
        path == "/home/u/job.sh"
    }
}

fn context(env: &[(&str, &str)]) -> Context {
    let mut vars = BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]);
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Context {
        argv0: "sbatch".into(),
        cwd: "/home/u".into(),
        env: vars,
        user: "u".into(),
        uid: 1000,
        gid: 1000,
        host: "vm".into(),
        default_partition: Some("debug".into()),
    }
}

fn failure(out: &mut String, e: &ParseError) {
    writeln!(out, "  exit {}", e.code).unwrap();
    for l in &e.lines {
        writeln!(out, "  {:?}: {}", l.level, l.text).unwrap();
    }
}

/// The fields of `spec` that differ from `base`, one per line.
fn diff(out: &mut String, base: &Value, spec: &Value) {
    let (Value::Object(base), Value::Object(spec)) = (base, spec) else {
        unreachable!("a JobSpec serializes as an object")
    };
    for (k, v) in spec {
        if base.get(k) != Some(v) {
            writeln!(out, "  {k} = {v}").unwrap();
        }
    }
}

fn sbatch(args: &[&str], env: &[(&str, &str)]) -> Parsed {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match sk8_opts::sbatch::parse(&args, &context(env), &Files)? {
        Action::Print(_) => unreachable!("no case asks for help"),
        Action::Submit(s) => {
            let notes = s
                .notes
                .iter()
                .map(|l| format!("  note {:?}: {}\n", l.level, l.text))
                .collect();
            let jobs = s.jobs.iter().map(|j| serde_json::to_value(j).unwrap());
            Ok((jobs.collect(), notes))
        }
    }
}

fn srun(args: &[&str], env: &[(&str, &str)]) -> Parsed {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match sk8_opts::alloc::parse(Cmd::Srun, &args, &context(env), &Files)? {
        sk8_opts::alloc::Request::Print(_) => unreachable!("no case asks for help"),
        sk8_opts::alloc::Request::Run { jobs, notes, .. } => {
            let notes = notes
                .iter()
                .map(|l| format!("  note {:?}: {}\n", l.level, l.text))
                .collect();
            let jobs = jobs.iter().map(|j| serde_json::to_value(j).unwrap());
            Ok((jobs.collect(), notes))
        }
    }
}

/// The specs of a command line's components and its notes, or its failure.
type Parsed = Result<(Vec<Value>, String), ParseError>;

type Parser = fn(&[&str], &[(&str, &str)]) -> Parsed;

/// A command line and its input variables.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// Options applied in order to fresh options of one command.
type Steps = (Cmd, &'static [(&'static str, Option<&'static str>)]);

/// Options through to the spec, against a plain `--wrap=true` (or `srun
/// true`): what each case changes, its notes, or its failure.
#[test]
fn options_to_spec() {
    const SBATCH: &[Case] = &[
        (&["--wrap=true"], &[]),
        (&["job.sh", "a", "b"], &[]),
        (&[], &[]),
        (&["-S", "1", "--thread-spec=2", "--wrap=true"], &[]),
        (&["-S", "1", "--wrap=true"], &[]),
        (&["--thread-spec=1", "--wrap=true"], &[]),
        (&["--wrap=true"], &[("SBATCH_CORE_SPEC", "1")]),
        (
            &[
                "-D",
                "sub",
                "-o",
                "o.txt",
                "-e",
                "/abs/e.txt",
                "-i",
                "in",
                "--wrap=true",
            ],
            &[],
        ),
        (&["-N", "2", "--wrap=true"], &[]),
        (&["-N", "1-3", "--wrap=true"], &[]),
        (&["-N", "x", "--wrap=true"], &[]),
        (&["-w", "vm[1-3],vm1", "--wrap=true"], &[]),
        (&["-N", "5", "-w", "vm[1-3]", "--wrap=true"], &[]),
        (&["-w", "vm[", "--wrap=true"], &[]),
        (&["-F", "hosts", "--wrap=true"], &[]),
        (&["-F", "nohosts", "--wrap=true"], &[]),
        (&["-F", "badhosts", "--wrap=true"], &[]),
        (&["-w", "a", "-F", "hosts", "--wrap=true"], &[]),
        (&["-F", "hosts", "-w", "b", "--wrap=true"], &[]),
        (&["-N", "2", "--ntasks-per-node=3", "--wrap=true"], &[]),
        (&["-N", "2-4", "--ntasks-per-node=3", "--wrap=true"], &[]),
        (&["--ntasks-per-node=3", "--wrap=true"], &[]),
        (
            &[
                "-N",
                "2",
                "--sockets-per-node=2",
                "--cores-per-socket=3",
                "--wrap=true",
            ],
            &[],
        ),
        (&["-N", "2", "--threads-per-core=2", "--wrap=true"], &[]),
        (&["-N", "1-2", "-B", "2:2:1", "--wrap=true"], &[]),
        (&["-N", "1-2", "--sockets-per-node=2", "--wrap=true"], &[]),
        (&["-N", "3", "-n", "2", "-w", "vm[1-3]", "--wrap=true"], &[]),
        (&["-N", "2-4", "-n", "3", "--wrap=true"], &[]),
        (&["-N", "2-4", "-n", "8", "--wrap=true"], &[]),
        (&["-n", "4", "--wrap=true"], &[]),
        (&["-n", "4", "--ntasks-per-node=2", "--wrap=true"], &[]),
        (&["--ntasks-per-gpu=2", "--wrap=true"], &[]),
        (&["--ntasks-per-tres=2", "--wrap=true"], &[]),
        (&["--ntasks-per-gpu=2", "--gres=gpu:1", "--wrap=true"], &[]),
        (
            &["--ntasks-per-gpu=2", "--gres=gres:gpu", "--wrap=true"],
            &[],
        ),
        (&["--ntasks-per-gpu=2", "-G", "2", "--wrap=true"], &[]),
        (&["--ntasks-per-gpu=2", "-n", "2", "--wrap=true"], &[]),
        (
            &["--ntasks-per-gpu=2", "--ntasks-per-tres=3", "--wrap=true"],
            &[],
        ),
        (
            &["--ntasks-per-gpu=2", "--gpus-per-task=1", "--wrap=true"],
            &[],
        ),
        (
            &["--ntasks-per-gpu=2", "-G", "1", "--wrap=true"],
            &[("SLURM_GPUS_PER_TASK", "1")],
        ),
        (&["--mem=1G", "--mem-per-cpu=1G", "--wrap=true"], &[]),
        (
            &["--wrap=true"],
            &[("SLURM_MEM_PER_CPU", "1G"), ("SLURM_MEM_PER_NODE", "2G")],
        ),
        (&["--wrap=true"], &[("SLURM_MEM_PER_GPU", "3G")]),
        (&["--mem=2G", "--wrap=true"], &[("SLURM_MEM_PER_CPU", "1G")]),
        (&["--mem-per-cpu=500", "--wrap=true"], &[]),
        (&["-a", "1-3%2", "--wrap=true"], &[]),
        (&["-a", "x", "--wrap=true"], &[]),
        (&["-J", "named", "--wrap=true"], &[]),
        (&["--export=NONE", "--wrap=true"], &[]),
        (&["--export=A=1,B", "--wrap=true"], &[("B", "2")]),
        (&["--exclusive", "--wrap=true"], &[]),
        (&["--exclusive=user", "--wrap=true"], &[]),
        (&["--exclusive=mcs", "--wrap=true"], &[]),
        (&["--exclusive=oversubscribe", "--wrap=true"], &[]),
        (&["--exclusive", "-s", "--wrap=true"], &[]),
        (&["-s", "--exclusive", "--wrap=true"], &[]),
        (&["--exclusive=bad", "--wrap=true"], &[]),
        (
            &[
                "--acctg-freq=10",
                "--bb=x",
                "--bbf=f",
                "--cpu-freq=low",
                "--delay-boot=5",
                "--gpu-bind=closest",
                "--gres-flags=enforce-binding",
                "--hint=nomultithread",
                "--kill-on-invalid-dep=yes",
                "--mcs-label=m",
                "--mem-bind=local",
                "--network=n",
                "--power=p",
                "--prefer=f",
                "--profile=task",
                "--propagate",
                "--reboot",
                "--switches=2@5",
                "--wait-all-nodes=1",
                "--ignore-pbs",
                "--wrap=true",
            ],
            &[],
        ),
        (
            &[
                "-p",
                "batch",
                "-A",
                "acct",
                "-q",
                "normal",
                "--comment=c",
                "--reservation=r",
                "-L",
                "lic",
                "--wckey=w",
                "--wrap=true",
            ],
            &[],
        ),
        (&["--tmp=10G", "--wrap=true"], &[]),
        (&["--gres=none", "--wrap=true"], &[]),
        (&["--gres=gpu:2,foo", "--wrap=true"], &[]),
        (&["--gres=::", "--wrap=true"], &[]),
        (&["--gres=help", "--wrap=true"], &[]),
        (
            &[
                "-G",
                "a100:2",
                "--gpus-per-node=1",
                "--gpus-per-task=1",
                "--gpus-per-socket=1",
                "--cpus-per-gpu=4",
                "--wrap=true",
            ],
            &[],
        ),
        (&["-G", "x:y:z", "--wrap=true"], &[]),
        (
            &[
                "-C",
                "a&b",
                "--cluster-constraint=c",
                "-x",
                "vm9",
                "--wrap=true",
            ],
            &[],
        ),
        (&["-C", "a&&", "--wrap=true"], &[]),
        (
            &[
                "--contiguous",
                "-m",
                "cyclic",
                "-O",
                "--spread-job",
                "--use-min-nodes",
                "--wrap=true",
            ],
            &[],
        ),
        (&["-m", "bad", "--wrap=true"], &[]),
        (
            &[
                "-t",
                "1:00:00",
                "--time-min=30",
                "--begin=now+60",
                "--deadline=2030-01-01",
                "--wrap=true",
            ],
            &[],
        ),
        (&["-t", "bad", "--wrap=true"], &[]),
        (&["--time-min=bad", "--wrap=true"], &[]),
        (&["--begin=bad", "--wrap=true"], &[]),
        (&["--deadline=bad", "--wrap=true"], &[]),
        (&["--delay-boot=bad", "--wrap=true"], &[]),
        (&["--priority=TOP", "--nice=5", "-H", "--wrap=true"], &[]),
        (&["--priority=7", "--nice", "--wrap=true"], &[]),
        (&["--priority=-1", "--wrap=true"], &[]),
        (&["--priority=4294967294", "--wrap=true"], &[]),
        (&["--nice=-3000000000", "--wrap=true"], &[]),
        (&["-d", "afterok:1:2,singleton", "--wrap=true"], &[]),
        (&["-d", "", "--wrap=true"], &[]),
        (&["-d", "bogus", "--wrap=true"], &[]),
        (&["--requeue", "--wrap=true"], &[]),
        (&["--requeue", "--no-requeue", "--wrap=true"], &[]),
        (&["-k", "--wrap=true"], &[]),
        (&["--no-kill=off", "--wrap=true"], &[]),
        (&["--no-kill=bad", "--wrap=true"], &[]),
        (&["--signal=B:USR1@60", "--wrap=true"], &[]),
        (&["--signal=bad", "--wrap=true"], &[]),
        (
            &[
                "--mail-type=BEGIN",
                "--mail-type=END",
                "--mail-user=me",
                "--wrap=true",
            ],
            &[],
        ),
        (
            &["--mail-type=BEGIN", "--mail-type=NONE", "--wrap=true"],
            &[],
        ),
        (&["--mail-type=bad", "--wrap=true"], &[]),
        (&["-o", "none", "--open-mode=a", "--wrap=true"], &[]),
        (&["--open-mode=T", "--wrap=true"], &[]),
        (&["--open-mode=x", "--wrap=true"], &[]),
        (
            &["--export-file=f", "--get-user-env=10L", "--wrap=true"],
            &[],
        ),
        (&["--get-user-env", "--wrap=true"], &[]),
        (&["--get-user-env=10x", "--wrap=true"], &[]),
        (
            &[
                "--container-image=img",
                "--container-mounts=/a:/b,,/c:/d",
                "--container-workdir=/w",
                "--container-name=n",
                "--container-env=A,B",
                "--no-container-mount-home",
                "--wrap=true",
            ],
            &[],
        ),
        (
            &[
                "--no-container-mount-home",
                "--container-mount-home",
                "--wrap=true",
            ],
            &[],
        ),
        (&["--profile=bad", "--wrap=true"], &[]),
        (&["--cpu-freq=bogus", "--wrap=true"], &[]),
        (&["-B", "x", "--wrap=true"], &[]),
        (&["--hint=bad", "--wrap=true"], &[]),
        (&["--propagate=BAD", "--wrap=true"], &[]),
        (&["--propagate=CORE", "--wrap=true"], &[]),
        (&["--gres-flags=bad", "--wrap=true"], &[]),
        (&["--kill-on-invalid-dep=maybe", "--wrap=true"], &[]),
        (&["--wait-all-nodes=2", "--wrap=true"], &[]),
        (&["--switches=x@5", "--wrap=true"], &[]),
        (&["-c", "x", "--wrap=true"], &[]),
        (&["-c", "0", "--wrap=true"], &[]),
        (&["--mincpus=x", "--wrap=true"], &[]),
        (&["--ntasks-per-node=x", "--wrap=true"], &[]),
        (&["-S", "x", "--wrap=true"], &[]),
        (&["--uid=bad!", "--wrap=true"], &[]),
        (&["--gid=0", "--uid=user.name", "--wrap=true"], &[]),
        (&["--mem=bad", "--wrap=true"], &[]),
        (&["--tmp=bad", "--wrap=true"], &[]),
        (&["-v", "-v", "-Q", "--wrap=true"], &[]),
        // Of several late failures, the one Slurm checks first is reported.
        (&["-a", "x", "-C", "a&&", "-d", "bogus", "--wrap=true"], &[]),
        (&["-C", "a&&", "-d", "bogus", "--wrap=true"], &[]),
        (&["-G", "x:y:z", "-C", "a&&", "--wrap=true"], &[]),
        (&["-d", "bogus", "-w", "vm[", "--wrap=true"], &[]),
        (&["--wrap=true"], &[("SBATCH_MEM_PER_CPU", "1G")]),
        (&["--wrap=true"], &[("SBATCH_DEBUG", "3")]),
        (&["-n", "1", ":", "-n", "2", "--wrap=true"], &[]),
    ];
    const SRUN: &[Case] = &[
        (&["true"], &[]),
        (
            &[
                "-N",
                "2",
                "-n",
                "1",
                "-r",
                "1",
                "-W",
                "5",
                "-T",
                "4",
                "--jobid=5",
                "--msg-timeout=9",
                "hostname",
            ],
            &[],
        ),
        (&["-W", "x", "true"], &[]),
        (&["-r", "x", "true"], &[]),
        (&["-T", "0", "true"], &[]),
        (&["--mem-per-cpu=1G", "--mem=2G", "true"], &[]),
        (&["--immediate=x", "true"], &[]),
        (&["--immediate=5", "--resv-ports=2", "-K1", "true"], &[]),
        (&["--resv-ports=x", "true"], &[]),
        (&["--kill-on-bad-exit=x", "true"], &[]),
        (
            &[
                "-l", "--pty", "-J", "j", "a/b/prog", "x", ":", "-n", "2", "other",
            ],
            &[],
        ),
    ];
    let mut out = String::new();
    let runs: [(&str, Parser, _); 2] = [("sbatch", sbatch, SBATCH), ("srun", srun, SRUN)];
    for (cmd, parse, cases) in runs {
        let (base, _) = parse(cases[0].0, &[]).expect("the base case parses");
        for (args, env) in cases {
            writeln!(out, "{cmd} {} {env:?}", args.join(" ")).unwrap();
            match parse(args, env) {
                Ok((jobs, notes)) => {
                    for (i, job) in jobs.iter().enumerate() {
                        writeln!(out, " component {i}").unwrap();
                        diff(&mut out, &base[0], job);
                    }
                    out.push_str(&notes);
                }
                Err(e) => failure(&mut out, &e),
            }
        }
    }
    insta::assert_snapshot!(out);
}

/// Each setter on its own, applied in order to fresh options: what it stores
/// (every option, not only those that reach the spec), or how it fails.
#[test]
fn setters() {
    const CASES: &[Steps] = &[
        (
            Cmd::Sbatch,
            &[("verbose", None), ("verbose", None), ("quiet", None)],
        ),
        (Cmd::Sbatch, &[("verbose", Some("4"))]),
        (Cmd::Sbatch, &[("verbose", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("mail-type", Some("BEGIN")), ("mail-type", Some("FAIL"))],
        ),
        (
            Cmd::Sbatch,
            &[("mail-type", Some("END")), ("mail-type", Some("none"))],
        ),
        (Cmd::Sbatch, &[("mail-type", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("cpus-per-task", Some("0012")), ("ntasks", Some("3"))],
        ),
        (Cmd::Sbatch, &[("ntasks", Some("-1"))]),
        (Cmd::Sbatch, &[("mincpus", Some("z"))]),
        (Cmd::Srun, &[("threads", Some("z"))]),
        (Cmd::Srun, &[("jobid", Some("z"))]),
        (
            Cmd::Sbatch,
            &[("core-spec", Some("0")), ("core-spec", Some("q"))],
        ),
        (Cmd::Srun, &[("wait", Some("0")), ("relative", Some("-2"))]),
        (Cmd::Srun, &[("wait", Some("q"))]),
        (Cmd::Sbatch, &[("wait-all-nodes", Some("0"))]),
        (Cmd::Sbatch, &[("wait-all-nodes", Some("3"))]),
        (Cmd::Sbatch, &[("switches", Some("4"))]),
        (Cmd::Sbatch, &[("switches", Some("0@1"))]),
        (Cmd::Srun, &[("immediate", None), ("immediate", Some("q"))]),
        (
            Cmd::Srun,
            &[("resv-ports", None), ("kill-on-bad-exit", Some("1"))],
        ),
        (
            Cmd::Sbatch,
            &[("time", Some("5")), ("time-min", Some("1-0"))],
        ),
        (Cmd::Sbatch, &[("time-min", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("begin", Some("now")), ("deadline", Some("x"))],
        ),
        (Cmd::Sbatch, &[("begin", Some("x"))]),
        (Cmd::Sbatch, &[("delay-boot", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("mem-per-cpu", Some("1")), ("mem", Some("2"))],
        ),
        (Cmd::Srun, &[("mem-per-cpu", Some("1")), ("mem", Some("2"))]),
        (Cmd::Sbatch, &[("mem-per-gpu", Some("q"))]),
        (Cmd::Sbatch, &[("nodes", Some("2-1"))]),
        (Cmd::Sbatch, &[("nodes", Some("0"))]),
        (Cmd::Sbatch, &[("distribution", Some("block:cyclic"))]),
        (Cmd::Sbatch, &[("distribution", Some("x"))]),
        (Cmd::Sbatch, &[("signal", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("open-mode", Some("append")), ("open-mode", Some("t"))],
        ),
        (Cmd::Sbatch, &[("open-mode", Some(""))]),
        (Cmd::Sbatch, &[("oversubscribe", None), ("exclusive", None)]),
        (
            Cmd::Sbatch,
            &[("exclusive", Some("USER")), ("oversubscribe", None)],
        ),
        (Cmd::Sbatch, &[("exclusive", Some("MCS"))]),
        (Cmd::Sbatch, &[("exclusive", Some("x"))]),
        (Cmd::Sbatch, &[("nice", None)]),
        (Cmd::Sbatch, &[("nice", Some("12abc"))]),
        (Cmd::Sbatch, &[("nice", Some("2147483646"))]),
        (Cmd::Sbatch, &[("priority", Some("top"))]),
        (Cmd::Sbatch, &[("priority", Some("12x"))]),
        (Cmd::Sbatch, &[("priority", Some("-4"))]),
        (Cmd::Sbatch, &[("priority", Some("4294967294"))]),
        (Cmd::Sbatch, &[("no-kill", None), ("no-kill", Some("SET"))]),
        (Cmd::Sbatch, &[("no-kill", None), ("no-kill", Some("no"))]),
        (Cmd::Sbatch, &[("no-kill", Some("x"))]),
        (Cmd::Sbatch, &[("requeue", None)]),
        (Cmd::Sbatch, &[("no-requeue", None)]),
        (Cmd::Sbatch, &[("kill-on-invalid-dep", Some("NO"))]),
        (Cmd::Sbatch, &[("kill-on-invalid-dep", Some("x"))]),
        (Cmd::Sbatch, &[("gres-flags", Some("Disable-Binding"))]),
        (Cmd::Sbatch, &[("gres-flags", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("get-user-env", None), ("get-user-env", Some(" +5s"))],
        ),
        (Cmd::Sbatch, &[("get-user-env", Some("L"))]),
        (Cmd::Sbatch, &[("get-user-env", Some("-5q"))]),
        (Cmd::Sbatch, &[("profile", Some("all"))]),
        (Cmd::Sbatch, &[("profile", Some("x"))]),
        (Cmd::Sbatch, &[("cpu-freq", Some("2000-3000:performance"))]),
        (Cmd::Sbatch, &[("cpu-freq", Some("x"))]),
        (Cmd::Sbatch, &[("extra-node-info", Some("2:*"))]),
        (Cmd::Sbatch, &[("extra-node-info", Some("x"))]),
        (Cmd::Sbatch, &[("hint", Some("compute_bound"))]),
        (Cmd::Sbatch, &[("hint", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("uid", Some("12")), ("gid", Some("a.b-c_d"))],
        ),
        (Cmd::Sbatch, &[("gid", Some(""))]),
        (Cmd::Sbatch, &[("uid", Some("a b"))]),
        (
            Cmd::Sbatch,
            &[("chdir", Some("rel/")), ("output", Some("NONE"))],
        ),
        (
            Cmd::Sbatch,
            &[
                ("chdir", Some("/abs")),
                ("error", Some("e")),
                ("input", Some("none")),
            ],
        ),
        (
            Cmd::Sbatch,
            &[("nodelist", Some("a")), ("nodefile", Some("f"))],
        ),
        (
            Cmd::Sbatch,
            &[("nodefile", Some("f")), ("nodelist", Some("a"))],
        ),
        (Cmd::Sbatch, &[("gres", Some("gpu:1"))]),
        (Cmd::Sbatch, &[("gres", Some("LIST"))]),
        (Cmd::Sbatch, &[("propagate", None)]),
        (Cmd::Sbatch, &[("propagate", Some("NPROC,AS"))]),
        (Cmd::Sbatch, &[("propagate", Some("x"))]),
        (
            Cmd::Sbatch,
            &[("job-name", Some("n")), ("account", None), ("hold", None)],
        ),
    ];
    let mut out = String::new();
    for (cmd, steps) in CASES {
        writeln!(out, "{cmd:?} {steps:?}").unwrap();
        let mut opts = Opts::new(*cmd, "/home/u");
        let mut failed = None;
        for (long, value) in *steps {
            let def = OPTIONS
                .iter()
                .find(|d| d.long == *long && d.cmds.has(*cmd))
                .unwrap_or_else(|| panic!("no option --{long} for {cmd:?}"));
            if let Err(e) = opts.set(def, *value, Source::Cli) {
                failed = Some(e);
                break;
            }
        }
        match failed {
            Some(e) => failure(&mut out, &e),
            None => writeln!(out, "  {opts:?}").unwrap(),
        }
    }
    insta::assert_snapshot!(out);
}
