//! The one filter and sort model squeue, scancel and sacct share: `-j`,
//! `-u`, `-n`, `-p`, `-t`, `-w` matching, and squeue's `-S` sort keys.
//!
//! Slurm sorts by applying one sort per key, from the last key to the
//! first, each with glibc's merge sort (stable), after a first sort by
//! expected start time whose comparison is not symmetric for jobs without
//! one. We run the same merge sort with the same comparisons so that ties
//! come out in Slurm's order.

use std::borrow::Borrow;
use std::cmp::Ordering;

use sk8_backend::{JobInfo, JobRef, JobState};

use crate::job::{self, Context};

/// Why a filter or sort specification was refused (Slurm's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `-t` named no state.
    #[error("Invalid job state specified: {0}")]
    State(String),
    /// `-j` had a bad id.
    #[error("Invalid job id: {0}")]
    JobId(String),
}

/// `-t`/`--states`: a comma list of names or codes, any case; `all` means
/// every state. Returns `None` for `all`.
pub fn parse_states(list: &str) -> Result<Option<Vec<JobState>>, Error> {
    let mut out = Vec::new();
    for name in list.split(',').filter(|s| !s.is_empty()) {
        if name.eq_ignore_ascii_case("all") {
            return Ok(None);
        }
        let st = name
            .parse::<JobState>()
            .map_err(|_| Error::State(name.to_owned()))?;
        if !out.contains(&st) {
            out.push(st);
        }
    }
    Ok(Some(out))
}

/// `-j`: `12`, `12_3`, `12_[1-3]` (several, comma separated).
pub fn parse_job_refs(list: &str) -> Result<Vec<JobRef>, Error> {
    let mut out = Vec::new();
    let bad = |s: &str| Error::JobId(s.to_owned());
    let mut rest = list;
    while !rest.is_empty() {
        // A bracketed task list may itself hold commas.
        let end = match (rest.find('['), rest.find(',')) {
            (Some(b), Some(c)) if b < c => rest.find(']').map_or(rest.len(), |e| e + 1),
            (_, Some(c)) => c,
            (_, None) => rest.len(),
        };
        let item = &rest[..end];
        rest = rest[end..].trim_start_matches(',');
        if item.is_empty() {
            continue;
        }
        match item.split_once('_') {
            None => out.push(JobRef::job(item.parse().map_err(|_| bad(item))?)),
            Some((id, tasks)) => {
                let id = id.parse().map_err(|_| bad(item))?;
                let tasks = tasks.trim_start_matches('[').trim_end_matches(']');
                for t in sk8_backend::parse_task_set(tasks).ok_or_else(|| bad(item))? {
                    out.push(JobRef { id, task: Some(t) });
                }
            }
        }
    }
    Ok(out)
}

/// One `-S` key: a field letter, reversed by a leading `-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The squeue letter (`i`, `t`, `p`, `P`, `M`, ...).
    pub field: char,
    /// Descending.
    pub reverse: bool,
}

/// Parses `-S` the way squeue scans it: every letter is a key; `,` and `+`
/// separate; `-` reverses the letter after it.
pub fn parse_sort(spec: &str) -> Vec<SortKey> {
    let b = spec.as_bytes();
    let mut keys = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        if matches!(c, b',' | b'+' | b'-') {
            continue;
        }
        keys.push(SortKey {
            field: char::from(c),
            reverse: i > 0 && b[i - 1] == b'-',
        });
    }
    keys
}

/// glibc's `msort`: a top-down merge sort that takes from the left run
/// whenever the comparison is not `Greater`. Ill-behaved comparisons (the
/// start-time one) then order ties exactly as Slurm does.
pub fn merge_sort<T: Clone>(v: &mut [T], cmp: &mut dyn FnMut(&T, &T) -> Ordering) {
    let mut scratch = Vec::with_capacity(v.len());
    merge_sort_with(v, &mut scratch, cmp);
}

/// [`merge_sort`] merging through one buffer.
fn merge_sort_with<T: Clone>(
    v: &mut [T],
    merged: &mut Vec<T>,
    cmp: &mut dyn FnMut(&T, &T) -> Ordering,
) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    merge_sort_with(&mut v[..n1], merged, cmp);
    merge_sort_with(&mut v[n1..], merged, cmp);
    merged.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) != Ordering::Greater {
            merged.push(v[i].clone());
            i += 1;
        } else {
            merged.push(v[j].clone());
            j += 1;
        }
    }
    merged.extend_from_slice(&v[i..n1]);
    merged.extend_from_slice(&v[j..n]);
    v.clone_from_slice(merged);
}

fn id_key(job: &JobInfo) -> (u32, u32) {
    match (&job.array, job.het) {
        (_, Some((leader, off))) => (leader, off),
        (Some(a), None) => (a.job_id, a.task_id.unwrap_or(u32::MAX - 1)),
        (None, None) => (job.id, u32::MAX - 1),
    }
}

/// Compares two jobs by one squeue sort letter (ascending).
fn compare(field: char, a: &JobInfo, b: &JobInfo, ctx: &Context) -> Ordering {
    match field {
        'i' => {
            let (ia, ib) = (id_key(a), id_key(b));
            if ia.0 == ib.0 {
                ia.1.cmp(&ib.1)
            } else {
                ia.0.cmp(&ib.0)
            }
        }
        'A' => a.id.cmp(&b.id),
        'j' => a.spec.name.cmp(&b.spec.name),
        't' => a.state.code().cmp(b.state.code()),
        'T' => a.state.name().cmp(b.state.name()),
        'p' | 'Q' => a.priority.cmp(&b.priority),
        'P' => opt(&a.spec.partition).cmp(opt(&b.spec.partition)),
        'u' => a.spec.user.cmp(&b.spec.user),
        'U' => a.spec.uid.cmp(&b.spec.uid),
        'G' => a.spec.gid.cmp(&b.spec.gid),
        'g' => ctx.group_name(a.spec.gid).cmp(&ctx.group_name(b.spec.gid)),
        'a' => opt(&a.spec.account).cmp(opt(&b.spec.account)),
        'q' => opt(&a.spec.qos).cmp(opt(&b.spec.qos)),
        'v' => opt(&a.spec.reservation).cmp(opt(&b.spec.reservation)),
        'C' => a.cpus.cmp(&b.cpus),
        'D' => job::num_nodes(a).cmp(&job::num_nodes(b)),
        'M' => job::time_used(a, ctx.now).cmp(&job::time_used(b, ctx.now)),
        'l' => limit_minutes(a).cmp(&limit_minutes(b)),
        'L' => time_left_secs(a, ctx).cmp(&time_left_secs(b, ctx)),
        'V' => a.submit_time.cmp(&b.submit_time),
        'e' => a.end_time.unwrap_or(0).cmp(&b.end_time.unwrap_or(0)),
        'S' => start_order(a, b, ctx.now),
        'N' => job::node_list(a).cmp(&job::node_list(b)),
        'B' => a.batch_host.cmp(&b.batch_host),
        'm' => mem(a).cmp(&mem(b)),
        _ => Ordering::Equal,
    }
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

fn limit_minutes(j: &JobInfo) -> u64 {
    match job::limit(j) {
        Some(sk8_spec::TimeLimit::Minutes(m)) => u64::from(m),
        _ => u64::from(u32::MAX),
    }
}

fn time_left_secs(j: &JobInfo, ctx: &Context) -> i64 {
    match job::limit(j) {
        Some(sk8_spec::TimeLimit::Minutes(m)) => i64::from(m) * 60 - job::time_used(j, ctx.now),
        _ => i64::MAX,
    }
}

fn mem(j: &JobInfo) -> u64 {
    use sk8_spec::job::Memory;
    match &j.spec.memory {
        Some(Memory::PerNode(m) | Memory::PerCpu(m) | Memory::PerGpu(m)) => m.megabytes(),
        None => 0,
    }
}

/// Slurm's start-time comparison: a job without a start time is greater
/// than anything (even another such job), so those end up last, reversed.
fn start_order(a: &JobInfo, b: &JobInfo, now: i64) -> Ordering {
    let start = |j: &JobInfo| j.start_time.unwrap_or(0);
    if start(a) == 0 {
        return Ordering::Greater;
    }
    if start(b) == 0 {
        return Ordering::Less;
    }
    let eff = |j: &JobInfo| {
        if j.state == JobState::Pending && start(j) < now {
            now
        } else {
            start(j)
        }
    };
    eff(a).cmp(&eff(b))
}

/// Slurm's first sort (latest expected start first) without running the
/// merge sort: under glibc's `msort` its asymmetric comparison puts the jobs
/// without a start time last in reverse order, and sorts the others stably.
/// [`start_time_msort`] is the literal version; a test checks they agree.
pub fn sort_by_start_time<J: Borrow<JobInfo> + Clone>(jobs: &mut [J], now: i64) {
    let started = |j: &J| j.borrow().start_time.unwrap_or(0) != 0;
    let mut with: Vec<J> = jobs.iter().filter(|j| started(j)).cloned().collect();
    let without: Vec<J> = jobs.iter().rev().filter(|j| !started(j)).cloned().collect();
    with.sort_by(|a, b| start_order(b.borrow(), a.borrow(), now));
    with.extend(without);
    jobs.clone_from_slice(&with);
}

/// The start-time sort exactly as squeue runs it: glibc's merge sort with
/// Slurm's comparison, reversed except for its answers about jobs without a
/// start time.
pub fn start_time_msort<J: Borrow<JobInfo> + Clone>(jobs: &mut [J], now: i64) {
    merge_sort(jobs, &mut |a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        match start_order(a, b, now) {
            Ordering::Greater if a.start_time.unwrap_or(0) == 0 => Ordering::Greater,
            Ordering::Less if b.start_time.unwrap_or(0) == 0 => Ordering::Less,
            o => o.reverse(),
        }
    });
}

/// Sorts jobs as squeue does: first by expected start time (latest first),
/// then by each `-S` key from the last to the first.
pub fn sort_jobs<J: Borrow<JobInfo> + Clone>(jobs: &mut [J], keys: &[SortKey], ctx: &Context) {
    sort_by_start_time(jobs, ctx.now);
    // One glibc merge sort per key, from the last key to the first, as
    // squeue does: a single combined sort differs when a comparison is
    // ill-behaved (the start-time one, `S`).
    for key in keys.iter().rev() {
        merge_sort(jobs, &mut |a: &J, b: &J| {
            let o = compare(key.field, a.borrow(), b.borrow(), ctx);
            if key.reverse { o.reverse() } else { o }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_parse_like_squeue() {
        let cases: &[(&str, &[(char, bool)])] = &[
            ("P,t,-p", &[('P', false), ('t', false), ('p', true)]),
            ("-t,p,i", &[('t', true), ('p', false), ('i', false)]),
            ("i", &[('i', false)]),
            ("+i,-M", &[('i', false), ('M', true)]),
            ("ti", &[('t', false), ('i', false)]),
        ];
        for (spec, want) in cases {
            let got: Vec<(char, bool)> = parse_sort(spec)
                .iter()
                .map(|k| (k.field, k.reverse))
                .collect();
            assert_eq!(&got, want, "{spec}");
        }
    }

    #[test]
    fn states_parse_names_codes_and_all() {
        assert_eq!(
            parse_states("pd,r").unwrap(),
            Some(vec![JobState::Pending, JobState::Running])
        );
        assert_eq!(
            parse_states("PENDING,CD").unwrap(),
            Some(vec![JobState::Pending, JobState::Completed])
        );
        assert_eq!(parse_states("all").unwrap(), None);
        assert_eq!(
            parse_states("bogus").unwrap_err().to_string(),
            "Invalid job state specified: bogus"
        );
    }

    #[test]
    fn job_refs_parse_tasks_and_lists() {
        let r = parse_job_refs("12,13_2,14_[1-3,5]").unwrap();
        let want = vec![
            JobRef::job(12),
            JobRef {
                id: 13,
                task: Some(2),
            },
            JobRef {
                id: 14,
                task: Some(1),
            },
            JobRef {
                id: 14,
                task: Some(2),
            },
            JobRef {
                id: 14,
                task: Some(3),
            },
            JobRef {
                id: 14,
                task: Some(5),
            },
        ];
        assert_eq!(r, want);
        assert!(parse_job_refs("x").is_err());
    }

    #[test]
    fn merge_sort_is_stable_and_takes_left_on_ties() {
        let mut v = vec![(1, 'a'), (0, 'b'), (1, 'c'), (0, 'd')];
        merge_sort(&mut v, &mut |a, b| a.0.cmp(&b.0));
        assert_eq!(v, vec![(0, 'b'), (0, 'd'), (1, 'a'), (1, 'c')]);
        // An always-greater comparison reverses, as glibc's msort does.
        let mut v = vec![1, 2, 3, 4, 5];
        merge_sort(&mut v, &mut |_, _| Ordering::Greater);
        assert_eq!(v, vec![5, 4, 3, 2, 1]);
    }
}
