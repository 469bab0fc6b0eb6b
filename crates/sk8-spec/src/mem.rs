//! Memory sizes in Slurm's units (`--mem=4G`, default megabytes), parsed like `str_to_mbytes`.
//!
//! A size is a non-negative decimal integer (C `strtoll`: leading white space
//! and a `+` are accepted) followed by nothing (megabytes) or one of `K`, `M`,
//! `G`, `T` in either case, optionally followed by `B`/`b` (`4GB`, `4gb`,
//! `4Gb`). Kilobytes round up to whole megabytes. Fractions (`4.5G`), inner
//! spaces (`4 G`), `P` and a bare `B` are rejected. `0` (in any unit) asks
//! for all the memory of each node and is kept as zero megabytes
//! ([`MemSize::is_all`]). Products that overflow wrap like Slurm's 64-bit C
//! arithmetic.
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values, all before
//! contacting the controller:
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--mem` | `sbatch: error: Invalid --mem specification` | 255 |
//! | `--mem-per-cpu` | `sbatch: error: Invalid --mem-per-cpu specification` | 255 |
//! | `--mem-per-gpu` | `sbatch: error: Invalid --mem-per-gpu specification` | 255 |
//!
//! `scontrol show job` prints the value as `MinMemoryNode=` (`--mem`) or
//! `MinMemoryCPU=` (`--mem-per-cpu`), in the largest unit that keeps it exact
//! but allowing halves (`1536` shows as `1.50G`), after a trip through a C
//! `float`: [`MemSize::to_scontrol`] reproduces that text exactly, while
//! `Display` keeps to integers so that it parses back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::cnum;

/// Why a memory size was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemError {
    /// The value was empty.
    #[error("empty memory specification")]
    Empty,
    /// No number, a negative number, an overflowing number or a bad unit.
    #[error("invalid memory specification `{0}`")]
    Invalid(String),
}

/// A memory size in megabytes; zero means all the memory of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MemSize {
    megabytes: u64,
}

const KIB: u64 = 1024;

impl MemSize {
    /// `--mem=0`: all the memory of each allocated node.
    pub const ALL: Self = Self { megabytes: 0 };

    /// A size of `megabytes` megabytes (1 M = 1024 K = 1 MiB, as in Slurm).
    pub const fn from_megabytes(megabytes: u64) -> Self {
        Self { megabytes }
    }

    /// The size in megabytes (zero for [`MemSize::ALL`]).
    pub const fn megabytes(&self) -> u64 {
        self.megabytes
    }

    /// The size in bytes, saturating.
    pub const fn bytes(&self) -> u64 {
        self.megabytes.saturating_mul(KIB * KIB)
    }

    /// Whether this asks for all the memory of a node (`--mem=0`).
    pub const fn is_all(&self) -> bool {
        self.megabytes == 0
    }

    /// The text `scontrol show job` prints for this size
    /// (`MinMemoryNode=`/`MinMemoryCPU=`): `100M`, `4G`, `1.50G`, `0`.
    pub fn to_scontrol(&self) -> String {
        // Slurm passes the value through a C float before formatting it.
        let mut num = f64::from(self.megabytes as f32);
        if num as i64 == 0 {
            return "0".to_owned();
        }
        const UNITS: &[u8] = b"\0KMGTP?";
        let mut unit = 2; // megabytes
        while num >= KIB as f64 && (num as u64) % (KIB / 2) == 0 {
            num /= KIB as f64;
            unit += 1;
        }
        let unit = char::from(UNITS[unit.min(UNITS.len() - 1)]);
        let whole = num as u64;
        if whole as f64 == num {
            format!("{whole}{unit}")
        } else {
            format!("{num:.2}{unit}")
        }
    }
}

impl FromStr for MemSize {
    type Err = MemError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(MemError::Empty);
        }
        let invalid = || MemError::Invalid(s.to_owned());
        let (n, overflow, rest) = cnum::strtol(s).ok_or_else(invalid)?;
        if overflow || n < 0 {
            return Err(invalid());
        }
        let mut unit = rest.chars();
        let letter = unit.next();
        let tail = unit.as_str();
        if letter.is_some() && !(tail.is_empty() || tail.eq_ignore_ascii_case("b")) {
            return Err(invalid());
        }
        let mb = match letter.map(|c| c.to_ascii_uppercase()) {
            None | Some('M') => n,
            Some('K') => n.wrapping_add(1023) / 1024,
            Some('G') => n.wrapping_mul(1024),
            Some('T') => n.wrapping_mul(1024 * 1024),
            Some(_) => return Err(invalid()),
        };
        Ok(Self::from_megabytes(mb as u64))
    }
}

impl fmt::Display for MemSize {
    /// The largest of `M`, `G`, `T` that keeps the value an exact integer
    /// (`100M`, `4G`, `1536M`), or `0`; equal to `scontrol`'s text whenever
    /// that has no fraction.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = self.megabytes;
        if n == 0 {
            return f.write_str("0");
        }
        let mut unit = 'M';
        for next in ['G', 'T'] {
            if n % KIB != 0 {
                break;
            }
            n /= KIB;
            unit = next;
        }
        write!(f, "{n}{unit}")
    }
}
