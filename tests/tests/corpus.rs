//! Every `#SBATCH` line of the public corpus is judged by our `sbatch --test-only` as by the reference.
//!
//! `../shared/corpus/directives.tsv` holds 2,339 directive lines found in
//! public repositories. Each becomes `#!/bin/bash\n<line>\ntrue\n` and runs
//! under `/usr/bin/sbatch --test-only` and under ours, in the same directory.
//! The reference is asked live on every run (no committed expectations).
//!
//! - reference accepts, or the cluster refuses what parsed (controller
//!   rejection): ours exits 0 (or refuses exactly as the reference does);
//! - reference's parser refuses: ours prints the same messages and exits the
//!   same way;
//! - pyxis' `--container-*` options, which the reference lacks: ours accepts.
//!
//! Warnings are compared too and reported on their own line; they fail the
//! test only with `SK8_CORPUS_STRICT_WARNINGS=1`, since ours may warn where
//! Slurm is silent (options accepted but meaningless off Slurm).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sk8_tests::refslurm::{self, Submission};
use sk8_tests::{Outcome, TempDir, Verdict};

/// Reference and ours run side by side on this many threads.
const THREADS: usize = 4;
/// Disagreements printed in full.
const SHOWN: usize = 50;

struct Line {
    number: usize,
    directive: String,
    origin: String,
}

fn corpus() -> Vec<Line> {
    let path = refslurm::shared_dir().join("corpus/directives.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()));
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| {
            let mut cols = l.splitn(3, '\t');
            let directive = cols.next().unwrap_or_default().replace("\\t", "\t");
            let origin = cols.collect::<Vec<_>>().join(":");
            Line {
                number: i + 1,
                directive,
                origin,
            }
        })
        .collect()
}

/// What the reference's outcome asks of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Reference(Verdict),
    /// The reference does not know pyxis' options; we accept them.
    Pyxis,
}

impl Class {
    fn of(reference: &Outcome) -> Self {
        let pyxis = reference
            .messages()
            .first()
            .is_some_and(|l| l.starts_with("sbatch: unrecognized option '--container-"));
        if pyxis {
            Self::Pyxis
        } else {
            Self::Reference(reference.verdict())
        }
    }

    fn name(self) -> String {
        match self {
            Self::Reference(v) => v.to_string(),
            Self::Pyxis => "pyxis --container-* (ours accepts)".to_owned(),
        }
    }
}

/// Whether ours agrees with the reference on the verdict, and on the
/// messages and exit code of a parser rejection. Saying exactly what the
/// reference says (a controller's refusal included) always agrees.
fn agrees(class: Class, reference: &Outcome, ours: &Outcome) -> bool {
    let same = ours.exit_code == reference.exit_code
        && ours.messages() == reference.messages()
        && ours.stdout == reference.stdout;
    match class {
        Class::Reference(Verdict::ParserRejection) => same,
        // What the cluster refuses is the scheduler's business, not the
        // parser's: ours may accept it, refuse it the same way, or refuse
        // it as its own scheduler would (its cluster only mirrors the
        // reference's nodes and partitions, not its GRES or accounts).
        Class::Reference(Verdict::ControllerRejection) => {
            ours.success() || same || ours.verdict() == Verdict::ControllerRejection
        }
        Class::Reference(_) => ours.success() || same,
        Class::Pyxis => ours.success(),
    }
}

/// Differences that are not the parser's, each with its reason: the line
/// parses the same on both sides, but our backend cannot run what it asks.
fn known_difference(line: &Line, ours: &Outcome) -> Option<&'static str> {
    let words: Vec<&str> = line.directive.split_whitespace().collect();
    let separator = matches!(words.get(1), Some(w) if w.eq_ignore_ascii_case("hetjob") || w.eq_ignore_ascii_case("packjob"));
    (separator && ours.stderr.contains("heterogeneous jobs is not supported by the local backend"))
        .then_some("heterogeneous jobs: parsed as Slurm does, refused by the local backend, which cannot run them yet")
}

struct Run {
    line: Line,
    reference: Outcome,
    ours: Outcome,
}

fn run_all(lines: Vec<Line>, ours: &Path) -> Vec<Run> {
    let next = AtomicUsize::new(0);
    let lines: Vec<Mutex<Option<Line>>> = lines.into_iter().map(|l| Mutex::new(Some(l))).collect();
    let results = Mutex::new(Vec::with_capacity(lines.len()));
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                let dir = TempDir::new("corpus").expect("temp dir");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = lines.get(i) else { break };
                    let line = slot.lock().expect("unpoisoned").take().expect("taken once");
                    let home = sk8_tests::mirror::mirror_home().display().to_string();
                    let sub =
                        Submission::new(&format!("#!/bin/bash\n{}\ntrue\n", line.directive), &[])
                            .env(&[("SK8_HOME", home.as_str())]);
                    let reference =
                        sub.run(&refslurm::reference("sbatch"), &["--test-only"], dir.path());
                    let ours = sub.run(ours, &["--test-only"], dir.path());
                    results.lock().expect("unpoisoned").push(Run {
                        line,
                        reference,
                        ours,
                    });
                }
            });
        }
    });
    let mut results = results.into_inner().expect("unpoisoned");
    results.sort_by_key(|r| r.line.number);
    results
}

#[derive(Default)]
struct Tally {
    lines: usize,
    agree: usize,
    disagree: usize,
    warnings_differ: usize,
}

#[test]
#[ignore = "needs the reference Slurm"]
fn corpus_lines_get_the_reference_verdict() {
    refslurm::require("corpus_lines_get_the_reference_verdict");
    let ours: PathBuf = refslurm::ours("sbatch");
    let lines = corpus();
    assert!(lines.len() > 2000, "the corpus has {} lines", lines.len());
    let results = run_all(lines, &ours);

    let mut tally: BTreeMap<Class, Tally> = BTreeMap::new();
    let mut shown = String::new();
    let mut disagreements = 0;
    let mut warning_report = String::new();
    for r in &results {
        let class = Class::of(&r.reference);
        let t = tally.entry(class).or_default();
        t.lines += 1;
        if agrees(class, &r.reference, &r.ours) {
            t.agree += 1;
        } else if let Some(why) = known_difference(&r.line, &r.ours) {
            t.agree += 1;
            eprintln!(
                "known difference, line {} ({:?}): {why}",
                r.line.number, r.line.directive
            );
        } else {
            t.disagree += 1;
            disagreements += 1;
            if disagreements <= SHOWN {
                let _ = writeln!(
                    shown,
                    "--- line {} ({}): {:?}\n reference ({}): {} ours: {}",
                    r.line.number,
                    r.line.origin,
                    r.line.directive,
                    class.name(),
                    r.reference,
                    r.ours
                );
            }
        }
        if r.reference.warnings() != r.ours.warnings() {
            t.warnings_differ += 1;
            if t.warnings_differ <= 5 {
                let _ = writeln!(
                    warning_report,
                    "--- line {}: {:?}\n reference: {:?}\n ours:      {:?}",
                    r.line.number,
                    r.line.directive,
                    r.reference.warnings(),
                    r.ours.warnings()
                );
            }
        }
    }

    let mut table = format!(
        "corpus: {} lines, ours = `{}`\n{:<40} {:>6} {:>6} {:>9} {:>15}\n",
        results.len(),
        ours.display(),
        "reference class",
        "lines",
        "agree",
        "disagree",
        "warnings differ"
    );
    for (class, t) in &tally {
        let _ = writeln!(
            table,
            "{:<40} {:>6} {:>6} {:>9} {:>15}",
            class.name(),
            t.lines,
            t.agree,
            t.disagree,
            t.warnings_differ
        );
    }
    eprintln!("{table}");
    let warnings: usize = tally.values().map(|t| t.warnings_differ).sum();
    if warnings > 0 {
        eprintln!("warning differences (first few per class):\n{warning_report}");
    }
    if disagreements > 0 {
        eprintln!(
            "first {} of {disagreements} disagreements:\n{shown}",
            disagreements.min(SHOWN)
        );
    }
    let strict = std::env::var("SK8_CORPUS_STRICT_WARNINGS").is_ok_and(|v| v == "1");
    assert_eq!(
        disagreements, 0,
        "ours disagrees with the reference on {disagreements} corpus lines"
    );
    assert!(
        !strict || warnings == 0,
        "warnings differ on {warnings} corpus lines"
    );
}
