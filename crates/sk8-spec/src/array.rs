//! Job array index specifications (`--array=0-15%4`) as the Slurm 22.05 controller reads them.
//!
//! sbatch passes `--array` through untouched; the controller
//! (`_valid_array_inx`/`_parse_array_tok`) splits it at commas (empty items
//! vanish) and reads each item as `first[-last[:step]]`, with C `strtol`
//! numbers (leading white space and `+` accepted), one optional leading `[`
//! and a `]` allowed after each number. An item may end with `%` followed by
//! anything; the throttle is `atoi` of the text after the first `%` of the
//! whole value, and only a positive throttle counts (`%0`, `%x` mean none).
//! Indices must be below `MaxArraySize` (1001 by default, so 0..=1000), the
//! step must be in `1..MaxArraySize`, and `last >= first`. A missing number
//! reads as zero, as `strtol` does: `-`, `[`, `]`, `%4` and `0-` all mean
//! index 0. `SLURM_ARRAY_TASK_STEP` is `atoi` of the text after the first
//! `:` ([`ArraySpec::step`]).
//!
//! `Display` writes the items back in a normal form (`1-3`, `0-20:2`,
//! `1,3%2`) that parses to the same value; [`ArraySpec::to_scontrol`]
//! renders the index set as `scontrol show job` prints `ArrayTaskId=`
//! (ranges, `a-b:s` for a long regular stride, cut to 60 characters plus
//! `...`, then `%throttle`); the throttle alone is `ArrayTaskThrottle=`.
//!
//! Real Slurm (22.05.8) rejects bad values in the controller, after sbatch
//! has read the script:
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--array`, `-a` | `sbatch: error: Batch job submission failed: Invalid job array specification` | 1 |
//!
//! (`--test-only`: `allocation failure: Invalid job array specification`.)
//! An empty value (`--array=`, `--array=,`) submits an ordinary job; our
//! parser reports [`ArrayError::Empty`] for the option layer to drop. Values
//! over 4096 bytes are refused by the controller as `Pathname of a file,
//! directory or other parameter too long` ([`ArrayError::TooLong`]).
//! Known difference: a `:` or `%` inside the junk after a `%` changes Slurm's
//! `SLURM_ARRAY_TASK_STEP` or throttle; we read the step from the first
//! ranged item with one, and drop such junk.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::cnum;

/// Slurm's default `MaxArraySize`.
pub const DEFAULT_MAX_ARRAY_SIZE: u32 = 1001;

/// The largest `MaxArraySize` Slurm takes (`read_config.c`: "MaxArraySize
/// value (%u) is greater than 4000001"); [`ArraySpec::parse_with_max`]
/// holds a larger one to this.
pub const MAX_MAX_ARRAY_SIZE: u32 = 4_000_001;

/// Longest `--array` value the controller takes.
const MAX_LEN: usize = 4096;

/// Why an array specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrayError {
    /// The value holds no items (Slurm then submits an ordinary job).
    #[error("empty array specification")]
    Empty,
    /// The value is longer than the controller accepts.
    #[error("array specification is longer than {MAX_LEN} bytes")]
    TooLong,
    /// An item is malformed, negative, decreasing, or beyond the maximum.
    #[error("invalid array specification `{item}`")]
    Invalid {
        /// The offending item.
        item: String,
    },
}

/// One item of an array specification: `first[-last[:step]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArrayRange {
    /// First index.
    pub first: u32,
    /// Last index (at least `first`; may be skipped by the step).
    pub last: u32,
    /// The step, when written (`:2`).
    #[serde(default)]
    pub step: Option<u32>,
}

impl ArrayRange {
    fn indices(&self) -> impl Iterator<Item = u32> + '_ {
        (self.first..=self.last).step_by(self.step.unwrap_or(1).max(1) as usize)
    }
}

impl fmt::Display for ArrayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            None if self.first == self.last => write!(f, "{}", self.first),
            None => write!(f, "{}-{}", self.first, self.last),
            Some(s) => write!(f, "{}-{}:{s}", self.first, self.last),
        }
    }
}

/// The value of `--array`: index ranges and an optional throttle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ArraySpec {
    ranges: Vec<ArrayRange>,
    #[serde(default)]
    throttle: Option<u32>,
}

impl ArraySpec {
    /// Parses with a cluster's `MaxArraySize` instead of the default 1001.
    pub fn parse_with_max(s: &str, max_array_size: u32) -> Result<Self, ArrayError> {
        if s.len() > MAX_LEN {
            return Err(ArrayError::TooLong);
        }
        let max = i64::from(max_array_size.min(MAX_MAX_ARRAY_SIZE));
        let ranges = s
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| parse_item(t, max).ok_or_else(|| ArrayError::Invalid { item: t.to_owned() }))
            .collect::<Result<Vec<_>, _>>()?;
        if ranges.is_empty() {
            return Err(ArrayError::Empty);
        }
        let throttle = s
            .find('%')
            .map(|i| cnum::atoi(&s[i + 1..]))
            .filter(|&t| t > 0)
            .map(|t| t as u32);
        Ok(Self { ranges, throttle })
    }

    /// The items as given (normalised).
    pub fn ranges(&self) -> &[ArrayRange] {
        &self.ranges
    }

    /// The task indices, sorted, each once.
    ///
    /// Marked in a bitmap as large as the highest index (at most
    /// [`MAX_MAX_ARRAY_SIZE`] entries), so items that repeat each other
    /// (`0-1000,0-1000,...`) cost no more memory than one.
    pub fn indices(&self) -> Vec<u32> {
        let top = self.ranges.iter().map(|r| r.last).max().unwrap_or(0) as usize;
        let mut seen = vec![false; top + 1];
        for r in &self.ranges {
            for i in r.indices() {
                seen[i as usize] = true;
            }
        }
        (0..=top as u32).filter(|&i| seen[i as usize]).collect()
    }

    /// How many tasks (`SLURM_ARRAY_TASK_COUNT`).
    pub fn len(&self) -> usize {
        self.indices().len()
    }

    /// Whether there are no tasks (never true for a parsed value).
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The smallest index (`SLURM_ARRAY_TASK_MIN`).
    pub fn min(&self) -> Option<u32> {
        self.ranges.iter().map(|r| r.first).min()
    }

    /// The largest index (`SLURM_ARRAY_TASK_MAX`).
    pub fn max(&self) -> Option<u32> {
        self.ranges.iter().filter_map(|r| r.indices().last()).max()
    }

    /// `SLURM_ARRAY_TASK_STEP`: the first written step, else 1.
    pub fn step(&self) -> u32 {
        self.ranges.iter().find_map(|r| r.step).unwrap_or(1)
    }

    /// How many tasks may run at once (`%N`), if limited.
    pub const fn throttle(&self) -> Option<u32> {
        self.throttle
    }

    /// The task set as `scontrol show job` prints `ArrayTaskId=` for the
    /// pending array (`0-15%4`, `0-20:2`, `1,3,5-7`).
    pub fn to_scontrol(&self) -> String {
        let idx = self.indices();
        let mut out = stride_form(&idx).unwrap_or_else(|| {
            let full = ranges_form(&idx);
            // Slurm formats into 64 bytes and marks a cut with dots.
            if full.len() > 61 {
                format!("{}...", &full[..60])
            } else {
                full
            }
        });
        if let Some(t) = self.throttle {
            out.push_str(&format!("%{t}"));
        }
        out
    }
}

/// `a-b:s` when the set spans more than 10, has more than 5 members, skips
/// the second index and has one stride throughout.
fn stride_form(idx: &[u32]) -> Option<String> {
    let (&first, &last) = (idx.first()?, idx.last()?);
    if last - first <= 10 || idx.len() <= 5 || idx.get(1) == Some(&(first + 1)) {
        return None;
    }
    let stride = idx[1] - idx[0];
    idx.windows(2)
        .all(|w| w[1] - w[0] == stride)
        .then(|| format!("{first}-{last}:{stride}"))
}

/// `0-3,7,9-10`.
fn ranges_form(idx: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let start = idx[i];
        while i + 1 < idx.len() && idx[i + 1] == idx[i] + 1 {
            i += 1;
        }
        if idx[i] == start {
            parts.push(start.to_string());
        } else {
            parts.push(format!("{start}-{}", idx[i]));
        }
        i += 1;
    }
    parts.join(",")
}

/// `strtol` with C's "no digits reads as 0 and consumes nothing".
fn c_long(s: &str) -> (i64, &str) {
    cnum::strtol(s).map_or((0, s), |(v, _, rest)| (v, rest))
}

fn skip_bracket(s: &str) -> &str {
    s.strip_prefix(']').unwrap_or(s)
}

fn ends_item(s: &str) -> bool {
    s.is_empty() || s.starts_with('%')
}

/// `_parse_array_tok`.
fn parse_item(tok: &str, max: i64) -> Option<ArrayRange> {
    let tok = tok.strip_prefix('[').unwrap_or(tok);
    let (first, rest) = c_long(tok);
    let rest = skip_bracket(rest);
    if first < 0 {
        return None;
    }
    let (last, step) = if let Some(after) = rest.strip_prefix('-') {
        let (last, rest) = c_long(after);
        let rest = skip_bracket(rest);
        let step = if let Some(after) = rest.strip_prefix(':') {
            let (step, rest) = c_long(after);
            if !ends_item(skip_bracket(rest)) || step <= 0 || step >= max {
                return None;
            }
            Some(step)
        } else if !ends_item(rest) {
            return None;
        } else {
            None
        };
        if last < first {
            return None;
        }
        (last, step)
    } else if !ends_item(rest) {
        return None;
    } else {
        (first, None)
    };
    if last >= max {
        return None;
    }
    Some(ArrayRange {
        first: first as u32,
        last: last as u32,
        step: step.map(|s| s as u32),
    })
}

impl FromStr for ArraySpec {
    type Err = ArrayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with_max(s, DEFAULT_MAX_ARRAY_SIZE)
    }
}

impl fmt::Display for ArraySpec {
    /// The items in normal form, then `%throttle`: `0-15%4`, `1,3,5-7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        if let Some(t) = self.throttle {
            write!(f, "%{t}")?;
        }
        Ok(())
    }
}
