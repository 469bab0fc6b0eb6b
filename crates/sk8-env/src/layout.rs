//! Task layouts: how many tasks each node runs, in Slurm's block and cyclic orders.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a per-node count list (`2(x3),1`) did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountsError {
    /// An element is neither `N` nor `N(xR)`.
    #[error("invalid per-node count `{0}`")]
    Element(String),
    /// A repetition of zero, as in `2(x0)`.
    #[error("zero repetition in `{0}`")]
    ZeroRepeat(String),
}

/// Per-node counts in allocation order, as `SLURM_TASKS_PER_NODE` and
/// `SLURM_JOB_CPUS_PER_NODE` print them; `srun` parses them back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts(pub Vec<u32>);

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tasks_per_node_string(&self.0))
    }
}

impl FromStr for Counts {
    type Err = CountsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = Vec::new();
        if s.is_empty() {
            return Ok(Self(out));
        }
        for item in s.split(',') {
            let bad = || CountsError::Element(item.to_string());
            let (value, reps) = match item.split_once("(x") {
                Some((v, rest)) => {
                    let r = rest.strip_suffix(')').ok_or_else(bad)?;
                    (v, r.parse::<usize>().map_err(|_| bad())?)
                }
                None => (item, 1),
            };
            if reps == 0 {
                return Err(CountsError::ZeroRepeat(item.to_string()));
            }
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let value: u32 = value.parse().map_err(|_| bad())?;
            out.extend(std::iter::repeat_n(value, reps));
        }
        Ok(Self(out))
    }
}

/// Renders per-node counts the way Slurm prints `SLURM_TASKS_PER_NODE` and
/// `SLURM_JOB_CPUS_PER_NODE`: runs of equal counts become `count(xN)`.
///
/// `[2, 2, 2, 1]` gives `2(x3),1`; an empty slice gives the empty string.
#[must_use]
pub fn tasks_per_node_string(counts: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < counts.len() {
        let value = counts[i];
        let run = counts[i..].iter().take_while(|&&c| c == value).count();
        if !out.is_empty() {
            out.push(',');
        }
        if run > 1 {
            let _ = write!(out, "{value}(x{run})");
        } else {
            let _ = write!(out, "{value}");
        }
        i += run;
    }
    out
}

/// Per-node task slots: CPUs divided by CPUs per task, never below one.
fn slots(cpus_per_node: &[u32], cpus_per_task: u32) -> Vec<u32> {
    let per_task = cpus_per_task.max(1);
    cpus_per_node
        .iter()
        .map(|&c| (c / per_task).max(1))
        .collect()
}

/// Tasks per node for Slurm's `block` distribution (without `Pack`): a fake
/// cyclic pass decides the counts so heterogeneous nodes fill evenly, and
/// nodes are oversubscribed round-robin once every slot is taken.
#[must_use]
pub fn block_counts(cpus_per_node: &[u32], cpus_per_task: u32, ntasks: u32) -> Vec<u32> {
    let slots = slots(cpus_per_node, cpus_per_task);
    let mut counts = vec![0_u32; slots.len()];
    if slots.is_empty() {
        return counts;
    }
    let mut placed = 0;
    let mut oversubscribe = false;
    let mut round = 0;
    while placed < ntasks {
        let mut space_left = false;
        for (i, &s) in slots.iter().enumerate() {
            if placed == ntasks {
                break;
            }
            if round < s || oversubscribe {
                counts[i] += 1;
                placed += 1;
                if round + 1 < s {
                    space_left = true;
                }
            }
        }
        if !space_left {
            oversubscribe = true;
        }
        round += 1;
    }
    counts
}

/// Task ids per node for Slurm's `cyclic` distribution: one task per node in
/// turn while slots remain, then oversubscribing evenly.
#[must_use]
pub fn cyclic_tasks(cpus_per_node: &[u32], cpus_per_task: u32, ntasks: u32) -> Vec<Vec<u32>> {
    let slots = slots(cpus_per_node, cpus_per_task);
    let mut tids = vec![Vec::new(); slots.len()];
    if slots.is_empty() {
        return tids;
    }
    let total: u32 = slots.iter().sum();
    let nodes = u32::try_from(slots.len()).unwrap_or(u32::MAX);
    let extra = ntasks.saturating_sub(total).div_ceil(nodes);
    let mut task = 0;
    let mut round = 0;
    while task < ntasks {
        for (i, &s) in slots.iter().enumerate() {
            if task == ntasks {
                break;
            }
            if round < s + extra {
                tids[i].push(task);
                task += 1;
            }
        }
        round += 1;
    }
    tids
}

/// Task ids per node when counts are laid out in block order.
#[must_use]
pub fn block_tasks(counts: &[u32]) -> Vec<Vec<u32>> {
    let mut next = 0;
    counts
        .iter()
        .map(|&c| {
            let ids = (next..next + c).collect();
            next += c;
            ids
        })
        .collect()
}
