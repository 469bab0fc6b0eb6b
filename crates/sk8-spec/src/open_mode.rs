//! Output file open modes (`--open-mode=append`), read from the first letter as Slurm 22.05 does.
//!
//! Slurm looks only at the first character: `a`/`A` is append and `t`/`T`
//! is truncate, so `app`, `Append`, `tr` and even `apple` are accepted.
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values (including an
//! empty one), before contacting the controller:
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--open-mode` | `sbatch: error: Invalid --open-mode specification` | 255 |
//!
//! `scontrol show job` does not print the mode; `Display` writes `append` or
//! `truncate`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an open mode was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenModeError {
    /// The value does not start with `a`, `A`, `t` or `T`.
    #[error("invalid open mode `{0}`")]
    Invalid(String),
}

/// How the job's output files are opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenMode {
    /// Add to existing files.
    Append,
    /// Empty existing files first (Slurm's default).
    Truncate,
}

impl OpenMode {
    /// Whether output is appended.
    pub const fn is_append(&self) -> bool {
        matches!(self, Self::Append)
    }
}

impl FromStr for OpenMode {
    type Err = OpenModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.bytes().next() {
            Some(b'a' | b'A') => Ok(Self::Append),
            Some(b't' | b'T') => Ok(Self::Truncate),
            _ => Err(OpenModeError::Invalid(s.to_owned())),
        }
    }
}

impl fmt::Display for OpenMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Append => "append",
            Self::Truncate => "truncate",
        })
    }
}
