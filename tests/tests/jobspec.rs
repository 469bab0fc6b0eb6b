//! What `scontrol show job` says of a held submission, reference against our parsed JobSpec.
//!
//! Each case is a script, options and input variables, and names the
//! `scontrol show job -o` fields it is about. The reference side is live:
//! every case is submitted held to `/usr/bin/sbatch`, its record read back
//! and the job cancelled. Our side ([`ours::fields`]) parses the same request
//! with `sk8_opts::sbatch::parse` and renders the same fields from our
//! `JobSpec`. The test fails when the reference does not judge a case as the
//! case expects, or when our fields, verdict or messages differ.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use sk8_tests::refslurm::{self, Submission};
use sk8_tests::scontrol;
use sk8_tests::{JobFields, Outcome, TempDir, Verdict};

/// A batch script: the shebang, the given lines, then a command.
macro_rules! script {
    ($($line:expr),* $(,)?) => {
        concat!("#!/bin/bash\n", $($line, "\n",)* "true\n")
    };
}

/// One submission and the fields it is about.
struct Case {
    name: &'static str,
    script: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    /// How sbatch gets the script: a file of this name, or stdin, or none
    /// (`--wrap`).
    via: Via,
    fields: &'static [&'static str],
    /// Whether the reference is meant to accept it (a case meant to show a
    /// value is useless if it is refused; one meant to be refused must be).
    accepted: bool,
}

#[derive(Clone, Copy)]
enum Via {
    File(&'static str),
    Stdin,
    Wrap,
}

const fn case(
    name: &'static str,
    script: &'static str,
    args: &'static [&'static str],
    fields: &'static [&'static str],
) -> Case {
    Case {
        name,
        script,
        args,
        env: &[],
        via: Via::File("job.sh"),
        fields,
        accepted: true,
    }
}

impl Case {
    const fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Self {
        self.env = env;
        self
    }

    const fn via(mut self, via: Via) -> Self {
        self.via = via;
        self
    }

    const fn refused(mut self) -> Self {
        self.accepted = false;
        self
    }

    fn submission(&self) -> Submission {
        let mut sub = Submission::new(self.script, self.args).env(self.env);
        match self.via {
            Via::File(name) => sub.script_name = name.to_owned(),
            Via::Stdin => sub.stdin = true,
            Via::Wrap => sub.script = None,
        }
        sub
    }
}

const SHAPE: &[&str] = &[
    "NumNodes",
    "NumCPUs",
    "NumTasks",
    "CPUs/Task",
    "MinCPUsNode",
    "NtasksPerN:B:S:C",
    "TRES",
];
const MEM: &[&str] = &["MinMemoryNode", "MinMemoryCPU", "TRES"];
const TIME: &[&str] = &["TimeLimit", "TimeMin"];
const PART: &[&str] = &["Partition"];
const NAME: &[&str] = &["JobName"];
const IO: &[&str] = &["StdOut", "StdErr", "StdIn"];
const DIR: &[&str] = &["WorkDir", "StdOut", "StdErr"];
const ARRAY: &[&str] = &["ArrayTaskId", "ArrayTaskThrottle", "StdOut", "StdErr"];
const DEP: &[&str] = &["Dependency"];
const REQUEUE: &[&str] = &["Requeue"];
const FEATURES: &[&str] = &["Features"];
const SHARE: &[&str] = &["OverSubscribe"];
const COMMENT: &[&str] = &["Comment"];
const NICE: &[&str] = &["Nice"];
const BEGIN: &[&str] = &["EligibleTime", "StartTime"];
const HOLD: &[&str] = &["Reason", "Priority"];
const CONTIG: &[&str] = &["Contiguous"];
const MAIL: &[&str] = &["MailUser", "MailType"];
const GRES: &[&str] = &["TresPerNode", "TresPerJob", "TresPerTask", "TRES"];
const NAME_TIME_PART: &[&str] = &["JobName", "TimeLimit", "Partition"];
const NONE: &[&str] = &[];

/// The cases. Requests stay within one node of 2 CPUs and 1 GiB so that any
/// small CI machine accepts what this one does.
const CASES: &[Case] = &[
    // Shape: nodes, tasks, CPUs.
    case("defaults", script!(), &[], SHAPE),
    case("nodes 1", script!("#SBATCH --nodes=1"), &[], SHAPE),
    case("nodes short", script!("#SBATCH -N 1"), &[], SHAPE),
    case("nodes range", script!("#SBATCH --nodes=1-1"), &[], SHAPE),
    case(
        "nodes 2 beyond the cluster",
        script!("#SBATCH --nodes=2"),
        &[],
        SHAPE,
    ),
    case("ntasks 2", script!("#SBATCH --ntasks=2"), &[], SHAPE),
    case("ntasks short", script!("#SBATCH -n 2"), &[], SHAPE),
    case(
        "cpus-per-task 2",
        script!("#SBATCH --cpus-per-task=2"),
        &[],
        SHAPE,
    ),
    case("cpus-per-task short", script!("#SBATCH -c 2"), &[], SHAPE),
    case(
        "ntasks-per-node 2",
        script!("#SBATCH --ntasks-per-node=2"),
        &[],
        SHAPE,
    ),
    case(
        "nodes ntasks-per-node",
        script!("#SBATCH -N 1", "#SBATCH --ntasks-per-node=2"),
        &[],
        SHAPE,
    ),
    case(
        "ntasks and cpus",
        script!("#SBATCH -n 1", "#SBATCH -c 2"),
        &[],
        SHAPE,
    ),
    case(
        "cpus beyond the node",
        script!("#SBATCH -n 1", "#SBATCH -c 64"),
        &[],
        SHAPE,
    ),
    case("mincpus", script!("#SBATCH --mincpus=2"), &[], SHAPE),
    case(
        "exclusive",
        script!("#SBATCH --exclusive"),
        &[],
        &["OverSubscribe", "TRES", "NumCPUs"],
    ),
    case(
        "oversubscribe",
        script!("#SBATCH --oversubscribe"),
        &[],
        SHARE,
    ),
    case(
        "exclusive=user",
        script!("#SBATCH --exclusive=user"),
        &[],
        SHARE,
    ),
    case("bad ntasks", script!("#SBATCH --ntasks=two"), &[], SHAPE).refused(),
    // Memory.
    case("mem 100M", script!("#SBATCH --mem=100M"), &[], MEM),
    case("mem bare number", script!("#SBATCH --mem=100"), &[], MEM),
    case("mem 1G", script!("#SBATCH --mem=1G"), &[], MEM),
    case("mem 0", script!("#SBATCH --mem=0"), &[], MEM),
    case(
        "mem-per-cpu",
        script!("#SBATCH --mem-per-cpu=200M"),
        &[],
        MEM,
    ),
    case(
        "mem-per-cpu with cpus",
        script!("#SBATCH -c 2", "#SBATCH --mem-per-cpu=256"),
        &[],
        MEM,
    ),
    case(
        "mem-per-gpu refused",
        script!("#SBATCH --mem-per-gpu=1G"),
        &[],
        &["MemPerTres", "TRES"],
    )
    .refused(),
    case("mem bad unit", script!("#SBATCH --mem=10X"), &[], MEM).refused(),
    case(
        "mem beyond the node",
        script!("#SBATCH --mem=100T"),
        &[],
        MEM,
    ),
    case(
        "mem argv over directive",
        script!("#SBATCH --mem=100M"),
        &["--mem=200M"],
        MEM,
    ),
    case(
        "mem env over directive",
        script!("#SBATCH --mem=100M"),
        &[],
        MEM,
    )
    .env(&[("SBATCH_MEM_PER_NODE", "300M")]),
    // Time.
    case("time minutes", script!("#SBATCH --time=30"), &[], TIME),
    case("time mm:ss", script!("#SBATCH --time=30:15"), &[], TIME),
    case(
        "time hh:mm:ss",
        script!("#SBATCH --time=1:30:00"),
        &[],
        TIME,
    ),
    case("time days-hours", script!("#SBATCH --time=1-12"), &[], TIME),
    case(
        "time days-hh:mm",
        script!("#SBATCH --time=2-03:04"),
        &[],
        TIME,
    ),
    case(
        "time days-hh:mm:ss",
        script!("#SBATCH -t 1-00:00:30"),
        &[],
        TIME,
    ),
    case(
        "time seconds round up",
        script!("#SBATCH --time=0:0:1"),
        &[],
        TIME,
    ),
    case(
        "time infinite",
        script!("#SBATCH --time=infinite"),
        &[],
        TIME,
    ),
    case(
        "time unlimited",
        script!("#SBATCH --time=UNLIMITED"),
        &[],
        TIME,
    ),
    case(
        "time-min",
        script!("#SBATCH --time=60", "#SBATCH --time-min=30"),
        &[],
        TIME,
    ),
    case("time bad", script!("#SBATCH --time=abc"), &[], TIME).refused(),
    case(
        "time over partition max",
        script!("#SBATCH -p batch", "#SBATCH -t 3-0"),
        &[],
        TIME,
    ),
    case(
        "time env over directive",
        script!("#SBATCH --time=10"),
        &[],
        TIME,
    )
    .env(&[("SBATCH_TIMELIMIT", "20")]),
    case(
        "time argv over env",
        script!("#SBATCH --time=10"),
        &["--time=30"],
        TIME,
    )
    .env(&[("SBATCH_TIMELIMIT", "20")]),
    // Partition.
    case("partition default", script!(), &[], PART),
    case(
        "partition batch",
        script!("#SBATCH --partition=batch"),
        &[],
        PART,
    ),
    case("partition short", script!("#SBATCH -p batch"), &[], PART),
    case(
        "partition list",
        script!("#SBATCH -p batch,debug"),
        &[],
        PART,
    ),
    case(
        "partition unknown refused",
        script!("#SBATCH -p nope"),
        &[],
        PART,
    )
    .refused(),
    case(
        "partition env over directive",
        script!("#SBATCH -p debug"),
        &[],
        PART,
    )
    .env(&[("SBATCH_PARTITION", "batch")]),
    case("partition argv over env", script!(), &["-p", "debug"], PART)
        .env(&[("SBATCH_PARTITION", "batch")]),
    // Job name.
    case("name from script file", script!(), &[], NAME).via(Via::File("train model.sh")),
    case(
        "name from --job-name",
        script!("#SBATCH --job-name=train"),
        &[],
        NAME,
    ),
    case("name short", script!("#SBATCH -J x"), &[], NAME),
    case(
        "name with spaces quoted",
        script!("#SBATCH --job-name=\"a b\""),
        &[],
        NAME,
    ),
    case(
        "name single quoted",
        script!("#SBATCH -J 'my job'"),
        &[],
        NAME,
    ),
    case("name from --wrap", "", &["--wrap=true"], NAME).via(Via::Wrap),
    case("name from stdin", script!(), &[], NAME).via(Via::Stdin),
    case(
        "name env over directive",
        script!("#SBATCH -J dir"),
        &[],
        NAME,
    )
    .env(&[("SBATCH_JOB_NAME", "env")]),
    case(
        "name argv over env",
        script!("#SBATCH -J dir"),
        &["-J", "argv"],
        NAME,
    )
    .env(&[("SBATCH_JOB_NAME", "env")]),
    case("name with hash", script!("#SBATCH -J a#b"), &[], NAME),
    case(
        "name then comment",
        script!("#SBATCH -J abc # the name"),
        &[],
        NAME,
    ),
    // Output, error, input.
    case("io defaults", script!(), &[], IO),
    case("output file", script!("#SBATCH --output=out.txt"), &[], IO),
    case(
        "output pattern %j",
        script!("#SBATCH -o log-%j.out"),
        &[],
        IO,
    ),
    case(
        "output pattern %x",
        script!("#SBATCH -J nm", "#SBATCH -o %x-%j.log"),
        &[],
        IO,
    ),
    case(
        "output pattern %u %N",
        script!("#SBATCH -o %u-%N.log"),
        &[],
        IO,
    ),
    case("error file", script!("#SBATCH --error=err.txt"), &[], IO),
    case(
        "output and error",
        script!("#SBATCH -o o.txt", "#SBATCH -e e.txt"),
        &[],
        IO,
    ),
    case(
        "output absolute",
        script!("#SBATCH -o /tmp/sk8-abs-%j.out"),
        &[],
        IO,
    ),
    case("input file", script!("#SBATCH --input=in.txt"), &[], IO),
    case(
        "output escaped percent",
        script!("#SBATCH -o a%%b.out"),
        &[],
        IO,
    ),
    case("output env", script!(), &[], IO).env(&[("SBATCH_OUTPUT", "env-%j.out")]),
    case("error env", script!(), &[], IO).env(&[("SBATCH_ERROR", "env-%j.err")]),
    // Working directory.
    case("chdir absolute", script!("#SBATCH --chdir=/tmp"), &[], DIR),
    case("chdir short", script!("#SBATCH -D /tmp"), &[], DIR),
    case(
        "chdir with relative output",
        script!("#SBATCH -D /tmp", "#SBATCH -o rel.out"),
        &[],
        DIR,
    ),
    // Arrays.
    case("array range", script!("#SBATCH --array=0-3"), &[], ARRAY),
    case("array list", script!("#SBATCH -a 1,3,5"), &[], ARRAY),
    case("array step", script!("#SBATCH --array=0-10:2"), &[], ARRAY),
    case(
        "array throttle",
        script!("#SBATCH --array=1-8%2"),
        &[],
        ARRAY,
    ),
    case(
        "array default output",
        script!("#SBATCH --array=1-2"),
        &[],
        ARRAY,
    ),
    case(
        "array output %A_%a",
        script!("#SBATCH --array=1-2", "#SBATCH -o r-%A_%a.out"),
        &[],
        ARRAY,
    ),
    case("array bad", script!("#SBATCH --array=3-1"), &[], ARRAY).refused(),
    case("array env", script!(), &[], ARRAY).env(&[("SBATCH_ARRAY_INX", "0-1")]),
    // Dependencies.
    case(
        "dependency singleton",
        script!("#SBATCH --dependency=singleton"),
        &[],
        DEP,
    ),
    case(
        "dependency on unknown job",
        script!("#SBATCH -d afterok:999999999"),
        &[],
        DEP,
    ),
    case(
        "dependency bad type",
        script!("#SBATCH -d whenever:1"),
        &[],
        DEP,
    )
    .refused(),
    // Requeue.
    case("requeue", script!("#SBATCH --requeue"), &[], REQUEUE),
    case("no-requeue", script!("#SBATCH --no-requeue"), &[], REQUEUE),
    case("no-requeue env", script!(), &[], REQUEUE).env(&[("SBATCH_NO_REQUEUE", "1")]),
    case(
        "requeue argv over directive",
        script!("#SBATCH --no-requeue"),
        &["--requeue"],
        REQUEUE,
    ),
    // Constraints and features.
    case(
        "constraint unknown refused",
        script!("#SBATCH --constraint=v100"),
        &[],
        FEATURES,
    )
    .refused(),
    case("contiguous", script!("#SBATCH --contiguous"), &[], CONTIG),
    // Comment, nice, begin, hold, mail.
    case(
        "comment",
        script!("#SBATCH --comment=\"x y=z\""),
        &[],
        COMMENT,
    ),
    case(
        "comment with key-like text",
        script!("#SBATCH --comment=\"a StdErr=b\""),
        &[],
        COMMENT,
    ),
    case("nice", script!("#SBATCH --nice=10"), &[], NICE),
    case("nice bare", script!("#SBATCH --nice"), &[], NICE),
    case(
        "begin relative",
        script!("#SBATCH --begin=now+1hour"),
        &[],
        BEGIN,
    ),
    case("hold", script!("#SBATCH --hold"), &[], HOLD),
    case(
        "mail type",
        script!("#SBATCH --mail-type=END,FAIL"),
        &[],
        MAIL,
    ),
    case(
        "mail user",
        script!("#SBATCH --mail-type=ALL", "#SBATCH --mail-user=a@b.c"),
        &[],
        MAIL,
    ),
    // Export.
    case("export none", script!("#SBATCH --export=NONE"), &[], NONE),
    case(
        "export list",
        script!("#SBATCH --export=ALL,FOO=bar"),
        &[],
        NONE,
    ),
    // GRES and GPUs: the reference has none, so the cluster refuses them.
    case(
        "gres gpu refused",
        script!("#SBATCH --gres=gpu:1"),
        &[],
        GRES,
    )
    .refused(),
    case("gpus refused", script!("#SBATCH --gpus=1"), &[], GRES).refused(),
    case(
        "gpus-per-node refused",
        script!("#SBATCH --gpus-per-node=2"),
        &[],
        GRES,
    )
    .refused(),
    case(
        "gpus-per-task refused",
        script!("#SBATCH --gpus-per-task=1"),
        &[],
        GRES,
    )
    .refused(),
    // Directive quirks.
    case(
        "value on next directive",
        script!("#SBATCH --job-name", "#SBATCH x"),
        &[],
        NAME,
    ),
    case(
        "value after space",
        script!("#SBATCH --job-name spaced"),
        &[],
        NAME,
    ),
    case(
        "directive after a command is ignored",
        "#!/bin/bash\necho hi\n#SBATCH -J late\n",
        &[],
        NAME,
    ),
    case(
        "comments and blank lines before directives",
        "#!/bin/bash\n\n# note\n#SBATCH -J early\n",
        &[],
        NAME,
    ),
    case(
        "indented directive ignored",
        "#!/bin/bash\n  #SBATCH -J indented\ntrue\n",
        &[],
        NAME,
    ),
    case(
        "two options on one line",
        script!("#SBATCH -J two -t 5"),
        &[],
        NAME_TIME_PART,
    ),
    case(
        "last directive wins",
        script!("#SBATCH -J first", "#SBATCH -J second"),
        &[],
        NAME,
    ),
    case(
        "argv over directive",
        script!("#SBATCH -J dir -t 5"),
        &["-J", "argv"],
        NAME_TIME_PART,
    ),
    case(
        "long option prefix",
        script!("#SBATCH --job-nam=pre"),
        &[],
        NAME,
    ),
    case(
        "ambiguous prefix refused",
        script!("#SBATCH --no=1"),
        &[],
        NAME,
    )
    .refused(),
    case(
        "unknown option refused",
        script!("#SBATCH --bogus"),
        &[],
        NAME,
    )
    .refused(),
    case(
        "#SBATCH without space",
        script!("#SBATCH--job-name=tight"),
        &[],
        NAME,
    ),
    case(
        "hetjob",
        script!("#SBATCH -J het -n 1", "#SBATCH hetjob", "#SBATCH -n 1 -c 1"),
        &[],
        &["JobName", "NumTasks", "HetJobOffset"],
    ),
    case(
        "quoted value with hash",
        script!("#SBATCH --comment=\"a # b\""),
        &[],
        COMMENT,
    ),
    case(
        "tab separated",
        "#!/bin/bash\n#SBATCH\t-J\ttabbed\ntrue\n",
        &[],
        NAME,
    ),
];

/// The reference's answer to a case: the records of the held job, or how
/// sbatch refused it.
#[derive(Debug)]
enum Answer {
    Held(Vec<JobFields>),
    Refused(Outcome),
}

/// A record's value with the case's directory and job id written as `$DIR`
/// and `$JOBID`, so that ours can be compared without knowing either.
fn normalise(value: &str, dir: &Path, job_id: &str) -> String {
    let dir = dir.to_string_lossy();
    let value = value.replace(dir.as_ref(), "$DIR");
    let mut out = String::new();
    let mut digits = String::new();
    for c in value.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(if digits == job_id { "$JOBID" } else { &digits });
            digits.clear();
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// The fields whose values hold the job's directory or id.
const PATHS: &[&str] = &["StdOut", "StdErr", "StdIn", "WorkDir", "Command"];

/// The named fields of every component, paths normalised.
fn named(case: &Case, jobs: &[JobFields], dir: &Path) -> Vec<BTreeMap<&'static str, String>> {
    let job_id = jobs
        .first()
        .and_then(|j| j.get("JobId"))
        .unwrap_or_default()
        .to_owned();
    jobs.iter()
        .map(|job| {
            case.fields
                .iter()
                .filter_map(|f| {
                    let v = job.get(f)?;
                    let v = if PATHS.contains(f) {
                        normalise(v, dir, &job_id)
                    } else {
                        v.to_owned()
                    };
                    Some((*f, v))
                })
                .collect()
        })
        .collect()
}

/// What the cases need to know about the reference cluster besides the
/// options: who submits, the default partition, a node's memory (the
/// default memory of a job that asks for none).
struct Facts {
    user: String,
    uid: u32,
    gid: u32,
    default_partition: String,
    node_memory_mb: u64,
}

impl Facts {
    /// Asks the reference: a held default job and `scontrol show node`.
    fn of_reference() -> Self {
        let job = refslurm::submit_held("#!/bin/bash\ntrue\n", &[], &[])
            .expect("the reference accepts a default job");
        let id_of = |key: &str| -> (String, u32) {
            let v = job.get(key).unwrap_or_default();
            let (name, rest) = v.split_once('(').unwrap_or((v, "0)"));
            (
                name.to_owned(),
                rest.trim_end_matches(')').parse().unwrap_or(0),
            )
        };
        let (user, uid) = id_of("UserId");
        let (_, gid) = id_of("GroupId");
        let nodes = std::process::Command::new(refslurm::reference("scontrol"))
            .args(["show", "node", "-o"])
            .output()
            .expect("scontrol runs");
        let nodes = String::from_utf8_lossy(&nodes.stdout);
        let node_memory_mb = nodes
            .split_whitespace()
            .find_map(|w| w.strip_prefix("RealMemory="))
            .and_then(|m| m.parse().ok())
            .expect("scontrol show node prints RealMemory");
        Self {
            user,
            uid,
            gid,
            default_partition: job.get("Partition").unwrap_or("debug").to_owned(),
            node_memory_mb,
        }
    }
}

/// Fields whose reference values depend on the clock; recorded and printed,
/// never compared.
const CLOCK: &[&str] = &["EligibleTime", "StartTime"];

/// Our side: the same fields computed from our parsed request.
mod ours {
    use std::collections::BTreeMap;
    use std::path::Path;

    use sk8_opts::sbatch::{Action, Context, Host, parse};
    use sk8_spec::job::{Memory, Sharing};
    use sk8_spec::pattern::PatternContext;
    use sk8_spec::{JobSpec, MemSize};

    use super::{CLOCK, Case, Facts, PATHS, Via, normalise};

    /// The job id our records use, written back as `$JOBID`.
    const JOB_ID: u32 = 987_654_321;

    /// What our parser made of a case.
    pub enum Parsed {
        /// Field strings as `scontrol show job -o` would print them, per
        /// component, paths normalised as the reference's are.
        Fields(Vec<BTreeMap<&'static str, String>>),
        /// Our parser refused the request with these stderr lines and exit code.
        Refused(Vec<String>, i32),
    }

    /// The files of the case's directory, and the script on stdin.
    struct CaseHost<'a> {
        stdin: &'a [u8],
    }

    impl Host for CaseHost<'_> {
        fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
            std::fs::read(path)
        }

        fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
            Ok(self.stdin.to_vec())
        }

        fn is_readable_file(&self, path: &str) -> bool {
            std::fs::File::open(path)
                .and_then(|f| f.metadata())
                .is_ok_and(|m| m.is_file())
        }
    }

    /// Parses `case` as our sbatch would in `dir` (where the reference run
    /// left the script), with the options the reference got (`--hold
    /// --parsable` first).
    pub fn fields(case: &Case, dir: &Path, facts: &Facts) -> Parsed {
        let mut args: Vec<String> = ["--hold", "--parsable"].map(str::to_owned).to_vec();
        args.extend(case.args.iter().map(|a| (*a).to_owned()));
        if let Via::File(name) = case.via {
            args.push(dir.join(name).to_string_lossy().into_owned());
        }
        let ctx = Context {
            argv0: "sbatch".to_owned(),
            cwd: dir.to_string_lossy().into_owned(),
            env: case
                .env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            user: facts.user.clone(),
            uid: facts.uid,
            gid: facts.gid,
            host: "localhost".to_owned(),
            default_partition: Some(facts.default_partition.clone()),
        };
        let stdin = match case.via {
            Via::Stdin => case.script.as_bytes(),
            _ => &[],
        };
        match parse(&args, &ctx, &CaseHost { stdin }) {
            Ok(Action::Submit(sub)) => Parsed::Fields(
                sub.jobs
                    .iter()
                    .enumerate()
                    .map(|(i, job)| record(case, job, i, sub.jobs.len(), dir, facts))
                    .collect(),
            ),
            Ok(Action::Print(text)) => Parsed::Refused(vec![format!("printed {text:?}")], 0),
            Err(f) => Parsed::Refused(
                f.lines.iter().map(|l| l.render("sbatch")).collect(),
                i32::from(f.code),
            ),
        }
    }

    fn record(
        case: &Case,
        job: &JobSpec,
        index: usize,
        components: usize,
        dir: &Path,
        facts: &Facts,
    ) -> BTreeMap<&'static str, String> {
        case.fields
            .iter()
            .filter(|f| !CLOCK.contains(f))
            .filter_map(|f| {
                let v = value(f, job, index, components, facts)?;
                let v = if PATHS.contains(f) {
                    normalise(&v, dir, &JOB_ID.to_string())
                } else {
                    v
                };
                Some((*f, v))
            })
            .collect()
    }

    /// One field of `scontrol show job -o` for a pending held job, from our
    /// spec; `None` where scontrol prints no such field.
    fn value(
        field: &str,
        job: &JobSpec,
        index: usize,
        components: usize,
        facts: &Facts,
    ) -> Option<String> {
        let tasks = job.tasks();
        let cpus = tasks * job.cpus_per_task();
        let nodes = job.min_nodes();
        let pattern = PatternContext {
            job_id: JOB_ID,
            array_job_id: job.array.is_some().then_some(JOB_ID),
            job_name: job.name.clone(),
            user: facts.user.clone(),
            ..PatternContext::default()
        };
        let yes = |b: bool| if b { "1" } else { "0" }.to_owned();
        Some(match field {
            "JobName" => job.name.clone(),
            "Partition" => job
                .partition
                .clone()
                .unwrap_or_else(|| facts.default_partition.clone()),
            // Without --time a job gets its partition's limit; the cases'
            // partitions have none.
            "TimeLimit" => job
                .time_limit
                .map_or_else(|| "UNLIMITED".to_owned(), |t| t.to_string()),
            "TimeMin" => job
                .time_min
                .map_or_else(|| "N/A".to_owned(), |t| t.to_string()),
            "NumNodes" => job
                .nodes
                .as_ref()
                .map_or_else(|| nodes.to_string(), |n| n.to_scontrol()),
            "NumCPUs" => cpus.to_string(),
            "NumTasks" => tasks.to_string(),
            "CPUs/Task" => job.cpus_per_task().to_string(),
            "MinCPUsNode" => job
                .mincpus
                .unwrap_or(0)
                .max(job.cpus_per_task() * job.ntasks_per_node.unwrap_or(1))
                .to_string(),
            "NtasksPerN:B:S:C" => format!("{}:0:*:*", job.ntasks_per_node.unwrap_or(0)),
            "TRES" => {
                let mem = match &job.memory {
                    Some(Memory::PerNode(m)) if !m.is_all() => m.megabytes() * u64::from(nodes),
                    Some(Memory::PerCpu(m)) => m.megabytes() * u64::from(cpus),
                    _ => facts.node_memory_mb * u64::from(nodes),
                };
                let mem = MemSize::from_megabytes(mem).to_scontrol();
                format!("cpu={cpus},mem={mem},node={nodes},billing={cpus}")
            }
            "MinMemoryNode" => match &job.memory {
                Some(Memory::PerNode(m)) => m.to_scontrol(),
                Some(Memory::PerCpu(_)) => return None,
                _ => "0".to_owned(),
            },
            "MinMemoryCPU" => match &job.memory {
                Some(Memory::PerCpu(m)) => m.to_scontrol(),
                _ => return None,
            },
            "OverSubscribe" => match job.sharing {
                Sharing::Default => "OK",
                Sharing::Exclusive => "NO",
                Sharing::User => "USER",
                Sharing::Mcs => "MCS",
                Sharing::OverSubscribe => "YES",
            }
            .to_owned(),
            "Contiguous" => yes(job.contiguous),
            "Requeue" => yes(job.requeue.unwrap_or(true)),
            "Nice" => job.nice.unwrap_or(0).to_string(),
            "Comment" => job.comment.clone()?,
            "Dependency" => match &job.dependency {
                Some(d) if !d.is_empty() => {
                    let sep = if d.is_any() { "?" } else { "," };
                    d.items()
                        .iter()
                        .map(|i| format!("{i}(unfulfilled)"))
                        .collect::<Vec<_>>()
                        .join(sep)
                }
                _ => "(null)".to_owned(),
            },
            "Features" => job
                .constraint
                .as_ref()
                .map_or_else(|| "(null)".to_owned(), ToString::to_string),
            "ArrayTaskId" => job.array.as_ref()?.to_scontrol(),
            "ArrayTaskThrottle" => job.array.as_ref()?.throttle()?.to_string(),
            "StdOut" => job.stdout.scontrol_path(&pattern, &job.work_dir),
            "StdErr" => job
                .stderr
                .as_ref()
                .unwrap_or(&job.stdout)
                .scontrol_path(&pattern, &job.work_dir),
            "StdIn" => job.stdin.as_ref().map_or_else(
                || "/dev/null".to_owned(),
                |p| p.scontrol_path(&pattern, &job.work_dir),
            ),
            "WorkDir" => job.work_dir.clone(),
            "Reason" => if job.hold { "JobHeldUser" } else { "None" }.to_owned(),
            "Priority" if job.hold => "0".to_owned(),
            "MailType" => job.mail_type.filter(|m| !m.is_none())?.to_string(),
            "MailUser" => {
                job.mail_type.filter(|m| !m.is_none())?;
                job.mail_user.clone().unwrap_or_else(|| facts.user.clone())
            }
            "HetJobOffset" if components > 1 => index.to_string(),
            "HetJobOffset" => return None,
            // GPU requests: the reference cluster refuses them before
            // showing these, so they are never compared.
            "TresPerNode" | "TresPerJob" | "TresPerTask" | "MemPerTres" => return None,
            other => panic!("field `{other}` has no mapping from our JobSpec yet"),
        })
    }
}

#[test]
fn case_table_is_big_unique_and_names_real_fields() {
    assert!(CASES.len() >= 90, "only {} cases", CASES.len());
    for case in CASES {
        for f in case.fields {
            assert!(
                scontrol::is_key(f),
                "{}: `{f}` is not a field scontrol prints",
                case.name
            );
        }
    }
    let mut names: Vec<_> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "duplicate case names");
}

#[test]
#[ignore = "needs the reference Slurm"]
fn held_jobs_show_what_our_jobspec_says() {
    refslurm::require("held_jobs_show_what_our_jobspec_says");
    let print = std::env::var("SK8_JOBSPEC_PRINT").is_ok_and(|v| v == "1");
    let mut problems = String::new();
    let mut report = String::new();
    let facts = Facts::of_reference();
    let (mut compared, mut fields) = (0, 0);
    for case in CASES {
        let dir = TempDir::new("jobspec").expect("temp dir");
        let answer = match case.submission().submit_held_in(dir.path()) {
            Ok(jobs) => Answer::Held(jobs),
            Err(out) => Answer::Refused(out),
        };
        let reference = match &answer {
            Answer::Held(jobs) => Ok(named(case, jobs, dir.path())),
            Answer::Refused(out) => Err(out),
        };
        let _ = writeln!(report, "{}: {:?}", case.name, reference);
        match (&reference, case.accepted) {
            // An absent field is a value too (`MinMemoryCPU` beside
            // `MinMemoryNode`), but a case must show something.
            (Ok(components), true) => {
                let shown = components.iter().any(|c| !c.is_empty());
                if !shown && !case.fields.is_empty() {
                    let _ = writeln!(
                        problems,
                        "{}: the reference printed none of its fields",
                        case.name
                    );
                }
            }
            (Ok(_), false) => {
                let _ = writeln!(problems, "{}: the reference accepted it", case.name);
            }
            (Err(out), true) => {
                let _ = writeln!(problems, "{}: the reference refused it: {out}", case.name);
            }
            (Err(_), false) => {}
        }
        let parsed = ours::fields(case, dir.path(), &facts);
        let reference = reference.map(|components| {
            components
                .into_iter()
                .map(|mut c| {
                    c.retain(|k, _| !CLOCK.contains(k));
                    c
                })
                .collect::<Vec<_>>()
        });
        match (&reference, parsed) {
            (Ok(want), ours::Parsed::Fields(got)) => {
                compared += 1;
                fields += want.iter().map(BTreeMap::len).sum::<usize>();
                if *want != got {
                    let _ = writeln!(
                        problems,
                        "{}: reference {want:?}\n  ours {got:?}",
                        case.name
                    );
                }
            }
            (Ok(_), ours::Parsed::Refused(lines, code)) => {
                let _ = writeln!(
                    problems,
                    "{}: ours refused it ({code}): {lines:?}",
                    case.name
                );
            }
            (Err(out), ours::Parsed::Fields(_)) if out.verdict() == Verdict::ParserRejection => {
                let _ = writeln!(
                    problems,
                    "{}: ours accepted what sbatch refused: {out}",
                    case.name
                );
            }
            (Err(out), ours::Parsed::Refused(lines, code))
                if out.verdict() == Verdict::ParserRejection
                    && (out.messages() != lines || out.exit_code != code) =>
            {
                let _ = writeln!(
                    problems,
                    "{}: reference refused with {out} ours with ({code}) {lines:?}",
                    case.name
                );
            }
            _ => {}
        }
    }
    if print {
        eprintln!("{report}");
    }
    eprintln!(
        "jobspec: {} cases; {compared} held by both sides, {fields} fields compared",
        CASES.len()
    );
    assert!(problems.is_empty(), "{problems}");
}

#[test]
fn normalise_replaces_dir_and_job_id_only() {
    let dir = Path::new("/tmp/x");
    let cases = [
        ("/tmp/x/slurm-42.out", "$DIR/slurm-$JOBID.out"),
        ("/tmp/x/a-421-42", "$DIR/a-421-$JOBID"),
        ("/tmp/xy/42", "$DIRy/$JOBID"),
        ("plain", "plain"),
    ];
    for (value, want) in cases {
        assert_eq!(normalise(value, dir, "42"), want, "{value}");
    }
}
