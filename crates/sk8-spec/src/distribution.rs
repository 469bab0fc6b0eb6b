//! Task distribution methods (`--distribution=block:cyclic,Pack`) parsed like Slurm 22.05's `verify_dist_type`.
//!
//! Forms: `plane=<size>` (any text starting with `plane`, any case, then
//! `=` and a size in `1..=i32::MAX`; without `=` the size comes from
//! `SLURM_DIST_PLANESIZE`, see [`Distribution::parse_with_plane_size`]), or
//! up to three `:`-separated levels (node, socket, core) followed by an
//! optional `,Pack`/`,NoPack` (any case). The node level is `block`,
//! `cyclic` or `arbitrary` (alias `hostfile`, alone only); socket and core
//! levels are `block`, `cyclic`, `fcyclic`. A `*` takes the default: `block`
//! for nodes, `cyclic` for sockets, the socket method for cores. Empty levels
//! vanish (`block::cyclic` is `block:cyclic`), and a lone `Pack`/`NoPack`
//! is accepted too. Known difference: Slurm also accepts the contradictory
//! `pack,nopack`, which we refuse.
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values, before
//! contacting the controller:
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--distribution`, `-m` | `sbatch: error: Invalid --distribution specification` | 255 |
//! | `--distribution=plane...` with a bad or missing size | `sbatch: error: Invalid plane size or size not specified` then `sbatch: error: Invalid --distribution specification` | 255 |
//!
//! `arbitrary` parses, but sbatch then insists on a node list:
//! `sbatch: error: With Arbitrary distribution you need to specify a
//! nodelist or hostfile with the -w option`, exit 1. `scontrol show job`
//! does not print the distribution; `Display` writes Slurm's own names
//! (`block:cyclic`, as in `SLURM_DISTRIBUTION`) with `,Pack`/`,NoPack`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::cnum;

/// Why a distribution was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    /// `plane` without a valid size.
    #[error("invalid plane size or size not specified in `{0}`")]
    PlaneSize(String),
    /// Anything else that is not a known distribution.
    #[error("invalid distribution `{0}`")]
    Invalid(String),
}

/// How tasks go to nodes (the first level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeDist {
    /// Fill each node before the next.
    Block,
    /// Round-robin over nodes.
    Cyclic,
    /// In the order of the node list (`hostfile`).
    Arbitrary,
}

/// How CPUs are taken within a node (socket and core levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CpuDist {
    /// Consecutively.
    Block,
    /// Round-robin.
    Cyclic,
    /// Round-robin over all CPUs of a socket/core before the next (`fcyclic`).
    FCyclic,
}

/// The `,Pack`/`,NoPack` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackFlag {
    /// Pack tasks tightly on nodes.
    Pack,
    /// Spread tasks evenly over nodes.
    NoPack,
}

/// The value of `--distribution`/`-m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// `plane=<size>`: blocks of `size` tasks per node in turn.
    Plane {
        /// Tasks per block, at least 1.
        size: u32,
    },
    /// Up to three levels and a pack flag.
    Levels {
        /// The node level; `None` only for a lone `Pack`/`NoPack`.
        node: Option<NodeDist>,
        /// The socket level.
        socket: Option<CpuDist>,
        /// The core level (only with a socket level).
        core: Option<CpuDist>,
        /// `,Pack` or `,NoPack`.
        pack: Option<PackFlag>,
    },
}

impl Distribution {
    /// Parses with the value of `SLURM_DIST_PLANESIZE`, which gives the size
    /// for a `plane` written without `=`.
    pub fn parse_with_plane_size(
        s: &str,
        plane_size_env: Option<&str>,
    ) -> Result<Self, DistributionError> {
        let starts_plane = s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("plane"));
        if starts_plane {
            let size = match s.split_once('=') {
                Some((_, size)) => Some(size),
                None => plane_size_env.filter(|e| !e.is_empty()),
            };
            return size
                .and_then(plane_size)
                .map(|size| Self::Plane { size })
                .ok_or_else(|| DistributionError::PlaneSize(s.to_owned()));
        }
        parse_levels(s).ok_or_else(|| DistributionError::Invalid(s.to_owned()))
    }

    /// The plane size, for `plane=<size>`.
    pub const fn plane_size(&self) -> Option<u32> {
        match self {
            Self::Plane { size } => Some(*size),
            Self::Levels { .. } => None,
        }
    }
}

fn plane_size(s: &str) -> Option<u32> {
    match cnum::strtol(s)? {
        (n, false, "") if n > 0 && n <= i64::from(i32::MAX) => Some(n as u32),
        _ => None,
    }
}

fn pack_flag(s: &str) -> Option<PackFlag> {
    if s.eq_ignore_ascii_case("pack") {
        Some(PackFlag::Pack)
    } else if s.eq_ignore_ascii_case("nopack") {
        Some(PackFlag::NoPack)
    } else {
        None
    }
}

fn cpu_dist(s: &str) -> Option<CpuDist> {
    [
        ("block", CpuDist::Block),
        ("cyclic", CpuDist::Cyclic),
        ("fcyclic", CpuDist::FCyclic),
    ]
    .into_iter()
    .find_map(|(name, d)| s.eq_ignore_ascii_case(name).then_some(d))
}

/// `_parse_dist_base`.
fn parse_levels(s: &str) -> Option<Distribution> {
    if s.is_empty() || s.starts_with(',') {
        return None;
    }
    // strtok: the base ends at the first comma; the rest is the flag.
    let (base, flag) = match s.split_once(',') {
        Some((b, f)) => (b, Some(f)),
        None => (s, None),
    };
    let mut tokens: Vec<&str> = Vec::new();
    let mut socket_token = "";
    for (i, tok) in base.split(':').filter(|t| !t.is_empty()).enumerate() {
        if i > 2 {
            return None;
        }
        let resolved = match (tok, i) {
            ("*", 0) => "block",
            ("*", 1) => "cyclic",
            ("*", _) => socket_token,
            (t, _) => t,
        };
        if i == 1 {
            socket_token = resolved;
        }
        tokens.push(resolved);
    }
    let levels = match tokens.as_slice() {
        [] => return None,
        [one] => {
            if let Some(p) = pack_flag(one) {
                // A lone flag may be repeated (`pack,pack`); Slurm also
                // takes `pack,nopack`, which we refuse as contradictory.
                return match flag {
                    Some(f) if !f.is_empty() && pack_flag(f) != Some(p) => None,
                    _ => Some(Distribution::Levels {
                        node: None,
                        socket: None,
                        core: None,
                        pack: Some(p),
                    }),
                };
            }
            let node = if one.eq_ignore_ascii_case("block") {
                NodeDist::Block
            } else if one.eq_ignore_ascii_case("cyclic") {
                NodeDist::Cyclic
            } else if one.eq_ignore_ascii_case("arbitrary") || one.eq_ignore_ascii_case("hostfile")
            {
                NodeDist::Arbitrary
            } else {
                return None;
            };
            (node, None, None)
        }
        [node, rest @ ..] => {
            let node = if node.eq_ignore_ascii_case("block") {
                NodeDist::Block
            } else if node.eq_ignore_ascii_case("cyclic") {
                NodeDist::Cyclic
            } else {
                return None;
            };
            let socket = cpu_dist(rest[0])?;
            let core = match rest.get(1) {
                Some(c) => Some(cpu_dist(c)?),
                None => None,
            };
            (node, Some(socket), core)
        }
    };
    let pack = match flag {
        Some(f) if !f.is_empty() => Some(pack_flag(f)?),
        _ => None,
    };
    Some(Distribution::Levels {
        node: Some(levels.0),
        socket: levels.1,
        core: levels.2,
        pack,
    })
}

impl FromStr for Distribution {
    type Err = DistributionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with_plane_size(s, None)
    }
}

impl fmt::Display for NodeDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Block => "block",
            Self::Cyclic => "cyclic",
            Self::Arbitrary => "arbitrary",
        })
    }
}

impl fmt::Display for CpuDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Block => "block",
            Self::Cyclic => "cyclic",
            Self::FCyclic => "fcyclic",
        })
    }
}

impl fmt::Display for PackFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pack => "Pack",
            Self::NoPack => "NoPack",
        })
    }
}

impl fmt::Display for Distribution {
    /// `plane=4`, `block`, `block:cyclic:fcyclic,Pack`, `NoPack`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plane { size } => write!(f, "plane={size}"),
            Self::Levels {
                node,
                socket,
                core,
                pack,
            } => {
                let mut sep = "";
                if let Some(n) = node {
                    write!(f, "{n}")?;
                    sep = ",";
                }
                if let Some(s) = socket {
                    write!(f, ":{s}")?;
                }
                if let Some(c) = core {
                    write!(f, ":{c}")?;
                }
                if let Some(p) = pack {
                    write!(f, "{sep}{p}")?;
                }
                Ok(())
            }
        }
    }
}
