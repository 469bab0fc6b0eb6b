//! Running one job scenario under the reference Slurm and under our commands, and comparing what each left behind.
//!
//! A [`Case`] is a batch script with its options, input variables and files
//! to create first, optionally preceded by jobs it depends on and followed
//! by a cancel. [`Case::run`] runs it with `sbatch --wait` in a fresh
//! directory per side and returns a [`Run`]: sbatch's outcome, every file the
//! job wrote, and the final state and exit code of every job involved
//! (array tasks included). Both runs are normalised with one set of rules
//! (job ids, the directory, times, host-specific variables) and
//! [`compare`] lists what still differs, one [`Difference`] per variable,
//! file, state or stream, so a table of known differences can name each.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sk8_backend::{Backend, JobFilter, JobRef, SignalScope};
use sk8_local::LocalBackend;

use crate::outcome::Outcome;
use crate::refslurm::{self, Submission};
use crate::scontrol::JobFields;
use crate::tempdir::TempDir;

/// The `PATH` every job starts from; ours gets its binary directory in front,
/// so `srun` and `scontrol` inside the job are ours.
pub const BASE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Variables whose value depends on the host, the process or the moment:
/// compared for presence only.
pub const HOST_SPECIFIC: &[&str] = &[
    "SLURM_TASK_PID",
    "SLURM_SRUN_COMM_PORT",
    "SLURM_STEP_LAUNCHER_PORT",
    "SLURM_CLUSTER_NAME",
    "SLURM_CONF",
    "SLURM_WORKING_CLUSTER",
];

/// How long any job of a case may take before the case is declared hung.
const CASE_TIMEOUT: Duration = Duration::from_secs(240);

/// Which implementation runs a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `/usr/bin/sbatch` and the reference cluster.
    Reference,
    /// Our `sbatch` on the local backend.
    Ours,
}

/// A job submitted (without waiting) before the case's own job, e.g. the
/// one a dependency names.
#[derive(Debug, Clone)]
pub struct Before {
    /// Its script, saved as `before<N>.sh`.
    pub script: String,
    /// Its sbatch options.
    pub args: Vec<String>,
}

/// One scenario.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its name (also a prefix of the temp directories).
    pub name: String,
    /// The job submitted with `--wait`. `{J1}`, `{J2}`... in its options
    /// stand for the ids of the `before` jobs.
    pub submission: Submission,
    /// Jobs submitted first, in order.
    pub before: Vec<Before>,
    /// Files created in the directory first: (relative path, contents);
    /// a path ending in `/` is a directory.
    pub files: Vec<(String, String)>,
    /// Cancel the job once it has written its id to the file `started`.
    pub cancel: bool,
    /// CPUs its job takes (2: the whole reference node), so a runner can
    /// keep such cases from blocking the queue.
    pub cpus: u32,
}

/// The final record of one job (or array task).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Final {
    /// The job id.
    pub id: u32,
    /// The array's id and this task's index, for an array task.
    pub array: Option<(u32, u32)>,
    /// Slurm's state name.
    pub state: String,
    /// `code:signal`.
    pub exit: String,
}

/// What one side did, raw.
#[derive(Debug)]
pub struct Run {
    /// `sbatch --wait`'s outcome.
    pub sbatch: Outcome,
    /// The ids of the `before` jobs, then the case's job.
    pub ids: Vec<u32>,
    /// Every job's final record.
    pub finals: Vec<Final>,
    /// Every file in the directory but the scripts: relative path -> contents.
    pub files: BTreeMap<String, String>,
    /// The directory it ran in (already removed).
    pub dir: PathBuf,
}

/// Where our side keeps its state for one test binary run.
pub struct OursHome {
    home: TempDir,
    backend: LocalBackend,
}

impl OursHome {
    /// A fresh `SK8_HOME` whose job ids start above `first_id`, so that our
    /// ids are as unmistakable in text as the reference's (ids of 1, 2...
    /// would collide with every task count).
    pub fn new(first_id: u32) -> Self {
        let home = TempDir::new("sk8home").expect("a temp dir");
        let backend = LocalBackend::with_home(home.path()).expect("the local backend opens");
        let db = rusqlite::Connection::open(home.path().join("state.db")).expect("state.db opens");
        let n = db
            .execute(
                "UPDATE counter SET value = ?1 WHERE name = 'job_id'",
                [first_id],
            )
            .expect("the job id counter is set");
        assert_eq!(n, 1, "sk8-local's counter row `job_id` moved");
        Self { home, backend }
    }

    /// The state directory.
    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// The backend, for states and cancels.
    pub fn backend(&self) -> &LocalBackend {
        &self.backend
    }
}

impl Case {
    /// A case running `script` with options `args` (plus `common`).
    pub fn new(name: &str, script: &str, args: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            submission: Submission::new(script, args),
            before: Vec::new(),
            files: Vec::new(),
            cancel: false,
            cpus: 1,
        }
    }

    /// Runs the case on `side`.
    pub fn run(&self, side: Side, ours: &OursHome) -> Run {
        let label = match side {
            Side::Reference => "ref",
            Side::Ours => "ours",
        };
        let dir = TempDir::new(&format!("runs-{}-{label}", self.name)).expect("a temp dir");
        let path = dir.path();
        for (name, contents) in &self.files {
            let p = path.join(name);
            if name.ends_with('/') {
                std::fs::create_dir_all(&p).expect("a directory is made");
            } else {
                std::fs::write(&p, contents).expect("a file is written");
            }
        }
        let (program, env) = side_env(side, ours);
        let mut ids = Vec::new();
        let mut scripts = vec![self.submission.script_name.clone()];
        for (i, before) in self.before.iter().enumerate() {
            let name = format!("before{}.sh", i + 1);
            let mut sub = Submission::new(&before.script, &[]);
            sub.script_name.clone_from(&name);
            sub.args = substitute(&before.args, &ids);
            let sub = sub.env(&borrowed(&env));
            let out = sub.run(&program, &["--parsable"], path);
            let id = out
                .stdout
                .trim()
                .split(';')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{}: {label} before-job {name}: {out}", self.name));
            ids.push(id);
            scripts.push(name);
        }
        let mut sub = self.submission.clone();
        sub.args = substitute(&sub.args, &ids);
        let sub = sub.env(&borrowed(&env));
        let sbatch = std::thread::scope(|s| {
            if self.cancel {
                s.spawn(|| cancel_when_started(side, ours, path));
            }
            sub.run(&program, &["--wait"], path)
        });
        let main_id = sbatch
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("Submitted batch job "))
            .or_else(|| sbatch.stdout.lines().next())
            .and_then(|s| s.trim().parse::<u32>().ok());
        ids.extend(main_id);
        let finals = finals(side, ours, &ids);
        let mut files = BTreeMap::new();
        read_tree(path, path, &scripts, &mut files);
        Run {
            sbatch,
            ids,
            finals,
            files,
            dir: path.to_path_buf(),
        }
    }
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The sbatch to run and the variables it gets, per side.
fn side_env(side: Side, ours: &OursHome) -> (PathBuf, Vec<(String, String)>) {
    match side {
        Side::Reference => (
            refslurm::reference("sbatch"),
            vec![("PATH".to_owned(), BASE_PATH.to_owned())],
        ),
        Side::Ours => {
            let sbatch = refslurm::ours("sbatch");
            for bin in ["srun", "scontrol", "sk8", "sk8-agent"] {
                refslurm::ours(bin);
            }
            let bin_dir = sbatch.parent().expect("a binary directory").to_path_buf();
            (
                sbatch,
                vec![
                    (
                        "PATH".to_owned(),
                        format!("{}:{BASE_PATH}", bin_dir.display()),
                    ),
                    ("SK8_HOME".to_owned(), ours.path().display().to_string()),
                ],
            )
        }
    }
}

/// `{J1}`, `{J2}`... -> the ids of the jobs submitted so far.
fn substitute(args: &[String], ids: &[u32]) -> Vec<String> {
    args.iter()
        .map(|a| {
            let mut a = a.clone();
            for (i, id) in ids.iter().enumerate() {
                a = a.replace(&format!("{{J{}}}", i + 1), &id.to_string());
            }
            a
        })
        .collect()
}

/// Waits for the job to write its id to `started`, then cancels it.
fn cancel_when_started(side: Side, ours: &OursHome, dir: &Path) {
    let deadline = Instant::now() + CASE_TIMEOUT;
    let id: u32 = loop {
        let text = std::fs::read_to_string(dir.join("started")).unwrap_or_default();
        if let Ok(id) = text.trim().parse() {
            break id;
        }
        assert!(Instant::now() < deadline, "the job never started");
        std::thread::sleep(Duration::from_millis(50));
    };
    match side {
        Side::Reference => {
            let out = Command::new(refslurm::reference("scancel"))
                .arg(id.to_string())
                .stdin(Stdio::null())
                .output()
                .expect("scancel runs");
            assert!(out.status.success(), "scancel {id}: {out:?}");
        }
        Side::Ours => ours
            .backend()
            .signal(JobRef::job(id), None, SignalScope::default())
            .unwrap_or_else(|e| panic!("cancel {id}: {e}")),
    }
}

/// Every record of `ids` (array tasks included), once all have finished.
fn finals(side: Side, ours: &OursHome, ids: &[u32]) -> Vec<Final> {
    let deadline = Instant::now() + CASE_TIMEOUT;
    loop {
        let all: Vec<Final> = ids
            .iter()
            .flat_map(|&id| match side {
                Side::Reference => reference_finals(id),
                Side::Ours => ours_finals(ours, id),
            })
            .collect();
        let done = all.iter().all(|f| {
            !matches!(
                f.state.as_str(),
                "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "SUSPENDED"
            )
        });
        if done || Instant::now() > deadline {
            return all;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn reference_finals(id: u32) -> Vec<Final> {
    let out = Command::new(refslurm::reference("scontrol"))
        .args(["show", "job", "-o", &id.to_string()])
        .stdin(Stdio::null())
        .output()
        .expect("scontrol runs");
    let text = String::from_utf8_lossy(&out.stdout);
    JobFields::parse_all(&text)
        .unwrap_or_default()
        .iter()
        .map(|j| {
            let num = |k: &str| j.get(k).and_then(|v| v.parse::<u32>().ok());
            Final {
                id: num("JobId").unwrap_or_default(),
                array: num("ArrayJobId").zip(num("ArrayTaskId")),
                state: j.get("JobState").unwrap_or("?").to_owned(),
                exit: j.get("ExitCode").unwrap_or("?").to_owned(),
            }
        })
        .collect()
}

fn ours_finals(ours: &OursHome, id: u32) -> Vec<Final> {
    let filter = JobFilter {
        ids: vec![JobRef::job(id)],
        include_finished: true,
        ..JobFilter::default()
    };
    ours.backend()
        .jobs(&filter)
        .unwrap_or_default()
        .iter()
        .map(|j| Final {
            id: j.id,
            array: j
                .array
                .as_ref()
                .and_then(|a| a.task_id.map(|t| (a.job_id, t))),
            state: j.state.name().to_owned(),
            exit: format!("{}:{}", j.exit.code, j.exit.signal),
        })
        .collect()
}

fn read_tree(root: &Path, dir: &Path, skip: &[String], out: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .expect("inside the root")
            .display()
            .to_string();
        if path.is_dir() {
            out.insert(format!("{rel}/"), String::new());
            read_tree(root, &path, skip, out);
        } else if !skip.contains(&rel) {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.insert(rel, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
}

/// A run with job ids, its directory and times replaced by placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// sbatch's exit code.
    pub exit_code: i32,
    /// sbatch's stdout.
    pub stdout: String,
    /// sbatch's stderr.
    pub stderr: String,
    /// Job name -> `STATE code:signal`.
    pub finals: BTreeMap<String, String>,
    /// File name -> contents.
    pub files: BTreeMap<String, String>,
}

impl Run {
    /// The run with the rules applied: the `k`-th job is `J<k>`, an array
    /// task's own id `J<k>[task]` (the task that keeps the array's id stays
    /// `J<k>`), the directory `<DIR>`, `YYYY-MM-DDTHH:MM:SS` times `<TIME>`,
    /// and the values of [`HOST_SPECIFIC`] variables `<host-specific>`.
    pub fn normalise(&self) -> Normalised {
        let mut names: BTreeMap<u32, String> = BTreeMap::new();
        for (k, id) in self.ids.iter().enumerate() {
            names.insert(*id, format!("J{}", k + 1));
        }
        for f in &self.finals {
            if let Some((array, task)) = f.array
                && f.id != array
                && let Some(base) = names.get(&array).cloned()
            {
                names.insert(f.id, format!("{base}[{task}]"));
            }
        }
        let dir = self.dir.display().to_string();
        let text = |s: &str| normalise_text(s, &dir, &names);
        let finals = self
            .finals
            .iter()
            .map(|f| {
                let key = match f.array {
                    Some((array, task)) => format!(
                        "{}_{task}",
                        names.get(&array).cloned().unwrap_or(array.to_string())
                    ),
                    None => names.get(&f.id).cloned().unwrap_or(f.id.to_string()),
                };
                (key, format!("{} {}", f.state, f.exit))
            })
            .collect();
        Normalised {
            exit_code: self.sbatch.exit_code,
            stdout: text(&self.sbatch.stdout),
            stderr: text(&self.sbatch.stderr),
            finals,
            files: self.files.iter().map(|(k, v)| (text(k), text(v))).collect(),
        }
    }
}

/// Applies the normalisation rules to one text.
pub fn normalise_text(s: &str, dir: &str, ids: &BTreeMap<u32, String>) -> String {
    let s = s.replace(dir, "<DIR>");
    let s = s
        .lines()
        .map(|line| match line.split_once('=') {
            Some((k, _)) if HOST_SPECIFIC.contains(&k) => format!("{k}=<host-specific>"),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if s.ends_with('\n') { "\n" } else { "" };
    replace_times(&replace_ids(&s, ids))
}

/// Every maximal run of digits that is a known job id becomes its name.
fn replace_ids(s: &str, ids: &BTreeMap<u32, String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        match digits.parse::<u32>().ok().and_then(|n| ids.get(&n)) {
            Some(name) if !digits.starts_with('0') => out.push_str(name),
            // `%10j`: the id zero-padded to a width.
            Some(name) => {
                let _ = write!(out, "{name}(width {})", digits.len());
            }
            None => out.push_str(digits),
        }
        digits.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// `2026-11-28T15:52:27` -> `<TIME>`.
fn replace_times(s: &str) -> String {
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= shape.len()
            && shape.iter().zip(&bytes[i..]).all(|(want, got)| match want {
                b'd' => got.is_ascii_digit(),
                w => w == got,
            });
        if fits {
            out.push_str("<TIME>");
            i += shape.len();
        } else {
            let c = s[i..].chars().next().expect("inside the string");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// One thing that differs between the reference's run and ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs: `exit`, `stdout`, `stderr`, `state:J1`, `files`,
    /// `env:SLURM_X` (a variable in any dump), `file:<name>`.
    pub key: String,
    /// Where (the file of an `env:` difference).
    pub place: String,
    /// The reference's side.
    pub reference: String,
    /// Ours.
    pub ours: String,
}

/// Whether every non-empty line of `text` is `NAME=value` with an
/// upper-case name: an environment dump.
fn is_env_dump(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.is_empty()).peekable();
    lines.peek().is_some()
        && lines.all(|l| {
            l.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            })
        })
}

fn env_map(text: &str) -> BTreeMap<&str, &str> {
    text.lines().filter_map(|l| l.split_once('=')).collect()
}

/// Everything that differs between two normalised runs.
pub fn compare(reference: &Normalised, ours: &Normalised) -> Vec<Difference> {
    let mut diffs = Vec::new();
    let mut push = |key: String, place: &str, r: String, o: String| {
        if r != o {
            diffs.push(Difference {
                key,
                place: place.to_owned(),
                reference: r,
                ours: o,
            });
        }
    };
    push(
        "exit".into(),
        "sbatch --wait",
        reference.exit_code.to_string(),
        ours.exit_code.to_string(),
    );
    push(
        "stdout".into(),
        "sbatch --wait",
        reference.stdout.clone(),
        ours.stdout.clone(),
    );
    push(
        "stderr".into(),
        "sbatch --wait",
        reference.stderr.clone(),
        ours.stderr.clone(),
    );
    let keys = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    for job in union(&keys(&reference.finals), &keys(&ours.finals)) {
        push(
            format!("state:{job}"),
            "final record",
            reference.finals.get(&job).cloned().unwrap_or_default(),
            ours.finals.get(&job).cloned().unwrap_or_default(),
        );
    }
    let (rf, of) = (keys(&reference.files), keys(&ours.files));
    push(
        "files".into(),
        "directory",
        only(&rf, &of).join(" "),
        only(&of, &rf).join(" "),
    );
    for name in rf.iter().filter(|n| of.contains(n)) {
        let (r, o) = (&reference.files[name], &ours.files[name]);
        if is_env_dump(r) && is_env_dump(o) {
            let (rm, om) = (env_map(r), env_map(o));
            let vars = union(
                &rm.keys().map(|k| (*k).to_owned()).collect::<Vec<_>>(),
                &om.keys().map(|k| (*k).to_owned()).collect::<Vec<_>>(),
            );
            for var in vars {
                let show = |m: &BTreeMap<&str, &str>| {
                    m.get(var.as_str())
                        .map_or_else(|| "(unset)".to_owned(), |v| (*v).to_owned())
                };
                push(format!("env:{var}"), name, show(&rm), show(&om));
            }
        } else {
            push(format!("file:{name}"), name, r.clone(), o.clone());
        }
    }
    diffs
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut all: Vec<String> = a.iter().chain(b).cloned().collect();
    all.sort();
    all.dedup();
    all
}

fn only(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_dirs_times_and_host_values_are_normalised() {
        let ids = BTreeMap::from([(27761, "J1".to_owned()), (27762, "J1[2]".to_owned())]);
        let text = "SLURM_JOB_ID=27762\nSLURM_TASK_PID=99\nSLURM_NTASKS=2\n\
                    out /tmp/x/slurm-27761.out 127761 0027761 at 2026-11-28T15:52:27\n";
        assert_eq!(
            normalise_text(text, "/tmp/x", &ids),
            "SLURM_JOB_ID=J1[2]\nSLURM_TASK_PID=<host-specific>\nSLURM_NTASKS=2\n\
             out <DIR>/slurm-J1.out 127761 J1(width 7) at <TIME>\n"
        );
    }

    #[test]
    fn env_dumps_compare_per_variable() {
        let run = |files: &[(&str, &str)]| Normalised {
            exit_code: 0,
            stdout: String::new(),
            stderr: String::new(),
            finals: BTreeMap::new(),
            files: files
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let r = run(&[("b.env", "SLURM_A=1\nSLURM_B=2\n"), ("out", "x\n")]);
        let o = run(&[("b.env", "SLURM_A=1\nSLURM_C=3\n"), ("out", "x\n")]);
        let keys: Vec<_> = compare(&r, &o).into_iter().map(|d| d.key).collect();
        assert_eq!(keys, ["env:SLURM_B", "env:SLURM_C"]);
        assert!(compare(&r, &r).is_empty());
        assert!(!is_env_dump("hello\n"));
    }
}
