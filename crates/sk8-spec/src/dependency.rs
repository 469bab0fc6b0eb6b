//! Job dependencies (`--dependency=afterok:12:13,singleton`).
//!
//! sbatch passes the string to the controller untouched; every rejection
//! comes from slurmctld (`update_job_dependency` in
//! `src/slurmctld/job_scheduler.c`). This parser accepts what that function
//! accepts, except what needs the job table. Semantics:
//! - items are joined by `,` (all must hold) or `?` (any); one `?` anywhere
//!   makes the whole list "any" and Slurm shows every separator as `?`;
//! - `singleton`, `after`, `afterany`, `afterok`, `afternotok`, `aftercorr`,
//!   `afterburstbuffer`, `expand` (type names case-insensitive), each typed
//!   item followed by `:`-separated job ids; `+MIN` (> 0) after an id sets a
//!   delay, which Slurm carries to the later ids of the same item;
//! - a job id is `N`, `N_T` (one array task), `N_*` (whole array) or
//!   `N_[1-3,5]` (expanded into one id per task, as the controller does);
//! - a bare id list (`--dependency=123` or `123,124`) means `afterany`, but
//!   only when no `:` appears in the rest of the string;
//! - duplicates (same type, job and task) are dropped, the first kept; a
//!   `(state)` suffix is accepted and ignored; `""` and `"0"` mean none.
//!
//! Real `sbatch` (exit 1) for a bad value, e.g. `foo:1`, `afterok:`,
//! `after:1+0`, `afterok:1,`, `10,afterok:11`, `10:11`:
//! `sbatch: error: Batch job submission failed: Job dependency problem`
//! (`allocation failure: Job dependency problem` with `--test-only`), and for
//! `expand:` on a cluster without job expansion: `sbatch: error: Batch job
//! submission failed: Requested operation not supported on this system`.
//! Controller-only checks this crate cannot make: depending on oneself,
//! circular dependencies, `expand` targets; unknown job ids are accepted
//! (shown `unfulfilled`). A plain id of a job array is shown by scontrol as
//! `N_*`; we keep what was written.
//!
//! `Display` is scontrol's `Dependency=` without the `(unfulfilled)` suffixes.

use std::fmt;
use std::str::FromStr;

use nom::branch::alt;
use nom::bytes::complete::{tag_no_case, take_till};
use nom::character::complete::{char, digit1};
use nom::combinator::{map, map_res, opt, recognize, value};
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};
use serde::{Deserialize, Serialize};

/// Why a dependency string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyError {
    /// The text at this byte offset does not fit the grammar.
    #[error("invalid dependency at byte {offset}: `{rest}`")]
    Syntax {
        /// Byte offset of the first bad character.
        offset: usize,
        /// The text from there on.
        rest: String,
    },
    /// Job id 0 is not a job.
    #[error("job id `0` is not valid in a dependency")]
    ZeroJobId,
    /// A `+time` delay must be positive minutes.
    #[error("dependency delay must be a positive number of minutes, got `{0}`")]
    BadDelay(String),
    /// An array range such as `12_[3-1]` is malformed or empty.
    #[error("invalid array task range `{0}`")]
    BadArrayRange(String),
}

/// The condition of one dependency item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DependencyKind {
    /// `after`: the job has started (or was cancelled).
    After,
    /// `afterany`: the job has ended, however.
    AfterAny,
    /// `afterok`: the job ended with exit code 0.
    AfterOk,
    /// `afternotok`: the job failed.
    AfterNotOk,
    /// `aftercorr`: the corresponding task of another array succeeded.
    AfterCorr,
    /// `afterburstbuffer`: the job ended and its burst buffer was staged out.
    AfterBurstBuffer,
    /// `expand`: this job grows the allocation of a running job (hetjob).
    Expand,
    /// `singleton`: no other job of the same name and user is running.
    Singleton,
}

impl DependencyKind {
    /// Every kind, in the order Slurm's parser tries them.
    pub const ALL: [DependencyKind; 8] = [
        Self::AfterNotOk,
        Self::AfterCorr,
        Self::AfterAny,
        Self::AfterOk,
        Self::AfterBurstBuffer,
        Self::After,
        Self::Expand,
        Self::Singleton,
    ];

    /// The keyword Slurm uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::After => "after",
            Self::AfterAny => "afterany",
            Self::AfterOk => "afterok",
            Self::AfterNotOk => "afternotok",
            Self::AfterCorr => "aftercorr",
            Self::AfterBurstBuffer => "afterburstbuffer",
            Self::Expand => "expand",
            Self::Singleton => "singleton",
        }
    }
}

impl fmt::Display for DependencyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of a job (array) an item waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArrayTask {
    /// A plain job id (`12`).
    Job,
    /// Every task of an array (`12_*`).
    All,
    /// One array task (`12_3`).
    Task(u32),
}

/// One condition: `afterok:12_3+5` or `singleton`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DependencyItem {
    /// The condition.
    pub kind: DependencyKind,
    /// The job waited for (0 for `singleton`).
    pub job_id: u32,
    /// Which task(s) of it.
    pub task: ArrayTask,
    /// Delay in minutes after the condition holds (`+MIN`), 0 for none.
    pub delay_minutes: u32,
}

impl DependencyItem {
    /// A `kind:job_id` item without task or delay.
    pub fn new(kind: DependencyKind, job_id: u32) -> Self {
        Self {
            kind,
            job_id,
            task: ArrayTask::Job,
            delay_minutes: 0,
        }
    }

    /// The `singleton` item.
    pub fn singleton() -> Self {
        Self::new(DependencyKind::Singleton, 0)
    }

    fn same_target(&self, other: &Self) -> bool {
        self.kind == other.kind && self.job_id == other.job_id && self.task == other.task
    }
}

impl fmt::Display for DependencyItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == DependencyKind::Singleton {
            return f.write_str("singleton");
        }
        write!(f, "{}:{}", self.kind, self.job_id)?;
        match self.task {
            ArrayTask::Job => {}
            ArrayTask::All => f.write_str("_*")?,
            ArrayTask::Task(t) => write!(f, "_{t}")?,
        }
        if self.delay_minutes > 0 {
            write!(f, "+{}", self.delay_minutes)?;
        }
        Ok(())
    }
}

/// A parsed `--dependency` value: items that must all (or any) hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dependency {
    items: Vec<DependencyItem>,
    any: bool,
}

impl Dependency {
    /// Builds a dependency; duplicates are dropped as Slurm does.
    pub fn new(items: impl IntoIterator<Item = DependencyItem>, any: bool) -> Self {
        let mut dep = Dependency {
            items: Vec::new(),
            any,
        };
        for item in items {
            dep.push(item);
        }
        dep
    }

    fn push(&mut self, item: DependencyItem) {
        if !self.items.iter().any(|i| i.same_target(&item)) {
            self.items.push(item);
        }
    }

    /// The conditions, in order.
    pub fn items(&self) -> &[DependencyItem] {
        &self.items
    }

    /// True when one condition suffices (`?`), false when all must hold (`,`).
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// True when there is no dependency (`""` or `"0"`).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The ids of the jobs waited for, without repeats.
    pub fn job_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::new();
        for item in &self.items {
            if item.kind != DependencyKind::Singleton && !ids.contains(&item.job_id) {
                ids.push(item.job_id);
            }
        }
        ids
    }

    /// True when a `singleton` item is present.
    pub fn has_singleton(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.kind == DependencyKind::Singleton)
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.any { "?" } else { "," };
        for (n, item) in self.items.iter().enumerate() {
            if n > 0 {
                f.write_str(sep)?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

/// The task part of one id: `_*`, `_N`, `_[list]`.
#[derive(Debug, Clone)]
enum TaskSel {
    Job,
    All,
    One(u32),
    List(String),
}

fn number(input: &str) -> IResult<&str, u32> {
    // Slurm reads ids with strtol; leading zeros and a `+` sign are fine.
    map_res(preceded(opt(char('+')), digit1), |d: &str| {
        d.parse::<u64>()
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
    })
    .parse(input)
}

fn task_sel(input: &str) -> IResult<&str, TaskSel> {
    let (input, sel) = opt(preceded(
        char('_'),
        alt((
            value(TaskSel::All, char('*')),
            map(
                delimited(char('['), take_till(|c| c == ']'), char(']')),
                |s: &str| TaskSel::List(s.to_owned()),
            ),
            map(number, TaskSel::One),
        )),
    ))
    .parse(input)?;
    Ok((input, sel.unwrap_or(TaskSel::Job)))
}

fn state_suffix(input: &str) -> IResult<&str, Option<&str>> {
    opt(recognize((char('('), take_till(|c| c == ')'), char(')')))).parse(input)
}

fn kind(input: &str) -> IResult<&str, DependencyKind> {
    alt((
        value(DependencyKind::AfterNotOk, tag_no_case("afternotok:")),
        value(DependencyKind::AfterCorr, tag_no_case("aftercorr:")),
        value(DependencyKind::AfterAny, tag_no_case("afterany:")),
        value(DependencyKind::AfterOk, tag_no_case("afterok:")),
        value(
            DependencyKind::AfterBurstBuffer,
            tag_no_case("afterburstbuffer:"),
        ),
        value(DependencyKind::After, tag_no_case("after:")),
        value(DependencyKind::Expand, tag_no_case("expand:")),
    ))
    .parse(input)
}

/// Expands `1-3,5` (an array index list) into task ids.
fn expand_tasks(list: &str) -> Result<Vec<u32>, DependencyError> {
    let bad = || DependencyError::BadArrayRange(list.to_owned());
    let mut out = Vec::new();
    for part in list.split(',') {
        let (range, step) = match part.split_once(':') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| bad())?),
            None => (part, 1),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (
                a.parse::<u32>().map_err(|_| bad())?,
                b.parse().map_err(|_| bad())?,
            ),
            None => {
                let v = range.parse::<u32>().map_err(|_| bad())?;
                (v, v)
            }
        };
        if lo > hi || step == 0 {
            return Err(bad());
        }
        out.extend((lo..=hi).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

impl FromStr for Dependency {
    type Err = DependencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut dep = Dependency::default();
        if s.is_empty() || s == "0" {
            return Ok(dep);
        }
        let syntax = |rest: &str| DependencyError::Syntax {
            offset: s.len() - rest.len(),
            rest: rest.to_owned(),
        };
        let mut rest = s;
        loop {
            if let Ok((after, _)) = tag_no_case::<_, _, ()>("singleton").parse(rest) {
                let (after, _) = state_suffix(after).map_err(|_| syntax(after))?;
                dep.push(DependencyItem::singleton());
                rest = after;
            } else if !has_colon(rest) && rest.starts_with(|c: char| c.is_ascii_digit()) {
                // Old format: a bare job id means afterany.
                let (after, id) = number(rest).map_err(|_| syntax(rest))?;
                let (after, sel) = task_sel(after).map_err(|_| syntax(after))?;
                for item in items_for(DependencyKind::AfterAny, id, sel, 0, 0)? {
                    dep.push(item);
                }
                rest = after;
                if !(rest.is_empty() || rest.starts_with(',')) {
                    return Err(syntax(rest));
                }
            } else {
                let (mut after, kind) = kind(rest).map_err(|_| syntax(rest))?;
                let mut delay = 0;
                loop {
                    let (a, id) = number(after).map_err(|_| syntax(after))?;
                    let (a, sel) = task_sel(a).map_err(|_| syntax(a))?;
                    let mut a = a;
                    let carried = delay;
                    if let Some(d) = a.strip_prefix('+') {
                        let digits =
                            d.len() - d.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                        let minutes: u32 = d[..digits].parse().unwrap_or(0);
                        if minutes == 0 {
                            return Err(DependencyError::BadDelay(d[..digits].to_owned()));
                        }
                        delay = minutes;
                        a = &d[digits..];
                    }
                    let (a, _) = state_suffix(a).map_err(|_| syntax(a))?;
                    for item in items_for(kind, id, sel, carried, delay)? {
                        dep.push(item);
                    }
                    after = a;
                    match after.strip_prefix(':') {
                        Some(next) => after = next,
                        None => break,
                    }
                }
                rest = after;
            }
            if let Some(next) = rest.strip_prefix(',') {
                rest = next;
            } else if let Some(next) = rest.strip_prefix('?') {
                dep.any = true;
                rest = next;
            } else if rest.is_empty() {
                return Ok(dep);
            } else {
                return Err(syntax(rest));
            }
        }
    }
}

fn items_for(
    kind: DependencyKind,
    job_id: u32,
    sel: TaskSel,
    carried: u32,
    delay: u32,
) -> Result<Vec<DependencyItem>, DependencyError> {
    if job_id == 0 {
        return Err(DependencyError::ZeroJobId);
    }
    let item = |task| DependencyItem {
        kind,
        job_id,
        task,
        delay_minutes: delay,
    };
    Ok(match sel {
        TaskSel::Job => vec![item(ArrayTask::Job)],
        TaskSel::All => vec![item(ArrayTask::All)],
        TaskSel::One(t) => vec![item(ArrayTask::Task(t))],
        TaskSel::List(list) => {
            let tasks = expand_tasks(&list)?;
            let last = tasks.len() - 1;
            // Slurm rewrites `N_[a,b]+D` as `N_a:N_b+D`: only the last id
            // carries a delay written after the bracket.
            tasks
                .into_iter()
                .enumerate()
                .map(|(n, t)| DependencyItem {
                    delay_minutes: if n == last { delay } else { carried },
                    ..item(ArrayTask::Task(t))
                })
                .collect()
        }
    })
}

/// Whether `rest` holds a `:` once Slurm has rewritten `N_[a,b]` as
/// `N_a:N_b` (which it does before looking for the old bare-id format).
fn has_colon(rest: &str) -> bool {
    if rest.contains(':') {
        return true;
    }
    let mut tail = rest;
    while let Some(at) = tail.find("_[") {
        let inner = &tail[at + 2..];
        let Some(end) = inner.find(']') else {
            return false;
        };
        if expand_tasks(&inner[..end]).is_ok_and(|t| t.len() > 1) {
            return true;
        }
        tail = &inner[end..];
    }
    false
}
