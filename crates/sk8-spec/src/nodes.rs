//! Node count ranges (`--nodes=2-4`) parsed like Slurm 22.05's `verify_node_count`.
//!
//! A count is a C `strtol` number (leading white space and `+` accepted,
//! trailing white space ignored) times 1024 for a `k`/`K` suffix and then
//! 1048576 for an `m`/`M` suffix (`1k` = 1024, `1km` is allowed), truncated
//! to a C `int`. With a `-` the value is `min-max`: a missing or negative
//! minimum becomes 1 (`-5` = 1 to 5), a maximum of 0 means no maximum
//! (`2-0`), and a maximum below the minimum is an error (`2-1`, and `2-`,
//! whose missing maximum reads as -1). Without a `-`, a negative count is an
//! error and `0` is allowed.
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values, before
//! contacting the controller (the quoted text is the offending part):
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--nodes`, `-N` | `sbatch: error: "x" is not a valid node count` ([`NodeRangeError::NotACount`]) | 255 |
//! | `--nodes`, `-N` | `sbatch: error: Maximum node count 1 is less than minimum node count 2` ([`NodeRangeError::MaxBelowMin`]) | 255 |
//!
//! `scontrol show job` prints a pending job's `NumNodes=` as `min-max` when
//! there is a maximum (so `--nodes=2` shows `2-2`) and `min` otherwise
//! ([`NodeRange::to_scontrol`]); `Display` writes `2`, `2-4`, `2-0`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::cnum;

/// Why a node count was rejected; the fields carry what Slurm's message
/// quotes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeRangeError {
    /// A part that is not a count (Slurm: `"x" is not a valid node count`).
    #[error("`{0}` is not a valid node count")]
    NotACount(String),
    /// The maximum is below the minimum.
    #[error("maximum node count `{max}` is less than minimum node count `{min}`")]
    MaxBelowMin {
        /// The minimum as Slurm computed it.
        min: i32,
        /// The maximum as Slurm computed it.
        max: i32,
    },
}

/// A node count: a minimum and an optional maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeRange {
    min: u32,
    #[serde(default)]
    max: Option<u32>,
}

impl NodeRange {
    /// Exactly `n` nodes (`--nodes=n`).
    pub const fn exact(n: u32) -> Self {
        Self {
            min: n,
            max: if n == 0 { None } else { Some(n) },
        }
    }

    /// From `min` to `max` nodes; `None` or `Some(0)` means no maximum.
    /// `None` when `max` is below `min`.
    pub const fn new(min: u32, max: Option<u32>) -> Option<Self> {
        match max {
            None | Some(0) => Some(Self { min, max: None }),
            Some(m) if m < min => None,
            Some(m) => Some(Self { min, max: Some(m) }),
        }
    }

    /// The minimum node count.
    pub const fn min(&self) -> u32 {
        self.min
    }

    /// The maximum node count, if bounded.
    pub const fn max(&self) -> Option<u32> {
        self.max
    }

    /// As `scontrol show job` prints `NumNodes=` for a pending job.
    pub fn to_scontrol(&self) -> String {
        match self.max {
            Some(m) => format!("{}-{m}", self.min),
            None => self.min.to_string(),
        }
    }
}

/// `_str_to_nodes`: the count (`-1` when there are no digits) and the rest.
fn str_to_nodes(s: &str) -> (i32, &str) {
    let Some((mut n, _, mut rest)) = cnum::strtol(s) else {
        return (-1, s);
    };
    if let Some(r) = rest.strip_prefix(['k', 'K']) {
        n = n.wrapping_mul(1024);
        rest = r;
    }
    if let Some(r) = rest.strip_prefix(['m', 'M']) {
        n = n.wrapping_mul(1024 * 1024);
        rest = r;
    }
    (n as i32, rest)
}

fn is_c_space(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
}

fn count(part: &str) -> Result<i32, NodeRangeError> {
    let (n, rest) = str_to_nodes(part);
    if is_c_space(rest) {
        Ok(n)
    } else {
        Err(NodeRangeError::NotACount(part.to_owned()))
    }
}

impl FromStr for NodeRange {
    type Err = NodeRangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (min, max) = match s.split_once('-') {
            Some((lo, hi)) => {
                // A negative minimum (including none at all) means 1.
                let min = count(lo)?;
                (if min < 0 { 1 } else { min }, count(hi)?)
            }
            None => {
                let n = count(s)?;
                if n < 0 {
                    return Err(NodeRangeError::NotACount(s.to_owned()));
                }
                (n, n)
            }
        };
        if max != 0 && max < min {
            return Err(NodeRangeError::MaxBelowMin { min, max });
        }
        Ok(Self {
            min: min as u32,
            max: (max != 0).then_some(max as u32),
        })
    }
}

impl fmt::Display for NodeRange {
    /// `2` (exactly two), `2-4`, `2-0` (two or more), `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(m) if m == self.min => write!(f, "{m}"),
            Some(m) => write!(f, "{}-{m}", self.min),
            None if self.min == 0 => f.write_str("0"),
            None => write!(f, "{}-0", self.min),
        }
    }
}
