//! Batch jobs run side by side under the reference Slurm and under our `sbatch`, compared end to end.
//!
//! Each case in `runs/cases.rs` runs with `/usr/bin/sbatch --wait` and with
//! our `sbatch --wait` (on the local backend, in a fresh `SK8_HOME`), each in
//! its own fresh directory. Compared, after normalising job ids, the
//! directory, times and host-specific variable values (`sidebyside.rs`):
//! sbatch's exit code, stdout and stderr; every file the job left (names and
//! contents; `SLURM_*` dumps of the batch script and of each `srun` task
//! variable by variable, names and values); the final state and exit code
//! of every job and array task. Every difference must be listed in
//! [`KNOWN_DIFFERENCES`] with its reason; any other fails the test.

#[path = "runs/cases.rs"]
mod cases;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use sk8_tests::refslurm;
use sk8_tests::sidebyside::{Case, Difference, OursHome, Side, compare};

/// Threads for the one-CPU cases, then for the cases that take the whole
/// node. The reference's `sbatch --wait` polls after 2, 10 and 42 s, so
/// a job that finishes in 3 s costs 10 s: several cases share the node, each
/// queueing briefly, rather than each waiting out its poll alone.
const THREADS: [usize; 2] = [6, 3];
/// Our job ids start above this, far from any count or index in the output.
const FIRST_ID: u32 = 700_000;

/// A difference that remains, with its cause.
struct Known {
    /// The case, or `*` for all.
    case: &'static str,
    /// The difference's key (`env:SLURM_JOB_QOS`, `state:J1`, `file:...`);
    /// a trailing `*` matches any key with that prefix.
    key: &'static str,
    /// The component that causes it.
    component: &'static str,
    /// Why it differs.
    reason: &'static str,
}

impl Known {
    fn matches(&self, case: &str, d: &Difference) -> bool {
        (self.case == "*" || self.case == case)
            && match self.key.strip_suffix('*') {
                Some(prefix) => d.key.starts_with(prefix),
                None => d.key == self.key,
            }
    }
}

/// Every difference that remains between the reference and ours.
const KNOWN_DIFFERENCES: &[Known] = &[
    Known {
        case: "*",
        key: "env:SLURM_JOB_ACCOUNT",
        component: "sk8-local",
        reason: "no accounting: Slurm sets the user's default account (`root`) even without -A",
    },
    Known {
        case: "*",
        key: "env:SLURM_JOB_QOS",
        component: "sk8-local",
        reason: "no accounting: Slurm sets the association's QOS (`normal`)",
    },
    Known {
        case: "*",
        key: "env:SLURM_WORKING_CLUSTER",
        component: "sk8-env",
        reason: "Slurm's sbatch sets `cluster:controller:port:protocol:plugin` for routing; not set by ours",
    },
    Known {
        case: "script_on_stdin",
        key: "env:SLURM_JOB_NAME",
        component: "sbatch parse",
        reason: "a script on stdin leaves the job name unset in Slurm (no SLURM_JOB_NAME); ours names it `sbatch`",
    },
    Known {
        case: "command_not_found",
        key: "file:slurm-J1.out",
        component: "sk8-local",
        reason: "bash names the script's copy: Slurm `/var/spool/slurmd/jobN/slurm_script`, ours `$SK8_HOME/jobs/N/slurm_script`",
    },
    Known {
        case: "standard_streams_umask_cwd",
        key: "file:slurm-J1.out",
        component: "sk8-local",
        reason: "`$0` of the batch script: the copy's directory is slurmd's spool in Slurm, `$SK8_HOME/jobs/N` in ours",
    },
    Known {
        case: "four_tasks_overcommit",
        key: "*",
        component: "sk8-local",
        reason: "`-n 4 --overcommit` on a 2-CPU node: Slurm runs it, ours refuses (Requested node configuration is not available)",
    },
    Known {
        case: "pattern_subdirectory",
        key: "state:J1",
        component: "sk8-local",
        reason: "output file in a missing directory: Slurm ends the job FAILED 0:53, ours FAILED 1:0",
    },
];

#[test]
#[ignore = "needs the reference Slurm"]
fn batch_jobs_match_the_reference() {
    refslurm::require("batch_jobs_match_the_reference");
    let started = Instant::now();
    let ours = OursHome::new(FIRST_ID);
    // SK8_RUNS_FILTER=name runs only the cases whose name contains it.
    let filter = std::env::var("SK8_RUNS_FILTER").ok();
    let cases: Vec<Case> = cases::all()
        .into_iter()
        .filter(|c| filter.as_ref().is_none_or(|f| c.name.contains(f.as_str())))
        .collect();
    let total = cases.len();
    assert!(filter.is_some() || total >= 40, "only {total} cases");
    // The whole-node cases would block every later job on the reference
    // (no backfill past jobs without a time limit) while the time-limit case
    // holds a CPU, so they run after the others.
    let (whole, single): (Vec<Case>, Vec<Case>) = cases.into_iter().partition(|c| c.cpus > 1);
    let mut results = run_all(single, THREADS[0], &ours);
    results.extend(run_all(whole, THREADS[1], &ours));
    results.sort_by(|a, b| a.0.cmp(&b.0));

    let mut report = String::new();
    let mut unexplained = 0;
    let mut seen: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (name, diffs) in &results {
        if diffs.is_empty() {
            continue;
        }
        for d in diffs {
            match KNOWN_DIFFERENCES.iter().position(|k| k.matches(name, d)) {
                Some(i) => seen.entry(i).or_default().push(name.clone()),
                None => {
                    unexplained += 1;
                    let _ = writeln!(
                        report,
                        "UNEXPLAINED {name}: {} in {}\n  reference: {:?}\n  ours:      {:?}",
                        d.key, d.place, d.reference, d.ours
                    );
                }
            }
        }
    }
    let clean = results.iter().filter(|(_, d)| d.is_empty()).count();
    let _ = writeln!(
        report,
        "\n{total} cases in {:.0?}: {clean} identical, {} with differences",
        started.elapsed(),
        total - clean
    );
    let _ = writeln!(report, "known differences (component, key, cases, reason):");
    for (i, k) in KNOWN_DIFFERENCES.iter().enumerate() {
        let cases = seen.get(&i).map_or(0, |c| {
            let mut c = c.clone();
            c.dedup();
            c.len()
        });
        let _ = writeln!(
            report,
            "  {:10} {:28} {:>2} case(s) {}{}",
            k.component,
            k.key,
            cases,
            k.reason,
            if cases == 0 {
                " [not seen this run]"
            } else {
                ""
            }
        );
    }
    assert_eq!(
        unexplained, 0,
        "differences not in KNOWN_DIFFERENCES:\n{report}"
    );
    eprintln!("{report}");
}

/// Runs `cases` on `threads` threads, in order; both sides of a case run
/// at the same time.
fn run_all(cases: Vec<Case>, threads: usize, ours: &OursHome) -> Vec<(String, Vec<Difference>)> {
    let queue = Mutex::new(cases.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let Some(case) = queue.lock().expect("queue lock").next() else {
                        return;
                    };
                    let t0 = Instant::now();
                    let (r, o) = std::thread::scope(|s| {
                        let r = s.spawn(|| {
                            let run = case.run(Side::Reference, ours);
                            (run, t0.elapsed())
                        });
                        let o = case.run(Side::Ours, ours);
                        let ours_took = t0.elapsed();
                        let (r, ref_took) = r.join().expect("the reference side ran");
                        eprintln!(
                            "{:32} reference {ref_took:>6.1?}  ours {ours_took:>6.1?}",
                            case.name
                        );
                        (r, o)
                    });
                    let diffs = compare(&r.normalise(), &o.normalise());
                    results
                        .lock()
                        .expect("results lock")
                        .push((case.name.clone(), diffs));
                }
            });
        }
    });
    results.into_inner().expect("results lock")
}
