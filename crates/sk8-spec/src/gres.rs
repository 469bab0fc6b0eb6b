//! Generic resources and GPU requests (`--gres=gpu:a100:2`, `--gpus=h100:8`) as Slurm 22.05 reads them.
//!
//! `--gres` takes a comma-separated list of `name[:type][:count]`, each item
//! optionally prefixed `gres:`. Following Slurm's `_get_next_gres`: with one
//! colon the part after it is a count when it reads as one and a type
//! otherwise (`gpu:a100` is one `a100`); with two, type then count; no count
//! means one. A count is a C `strtoull` number with an optional suffix of
//! `k`/`kib` (×1024), `kb` (×1000), and likewise `m`, `g`, `t`, `p`, any case
//! (so `gpu:2k` is 2048 GPUs, and a bare suffix such as `gpu:k` is a count of
//! zero). Zero counts are accepted and ignored by Slurm but still shown.
//! `none` (any case) is the empty list; `help`/`list` ask for the GRES help
//! ([`GresError::Help`]: sbatch prints `Valid gres options are:` and the
//! configured names, and exits 0). 22.05 has no `gres/` prefix:
//! `gres/gpu:2` names an unknown resource and we reject it.
//!
//! `--gpus`, `-G`, `--gpus-per-node`, `--gpus-per-task` and
//! `--gpus-per-socket` take a comma-separated list of `[type:]count`
//! ([`GpuSpec`]), each item read as `gpu:<item>` (so `--gpus=h100` is one
//! `h100`). `scontrol show job` prints them with a `gres:gpu:` prefix in
//! `TresPerJob=`, `TresPerNode=`, `TresPerTask=`, `TresPerSocket=`
//! ([`GpuSpec::to_tres`]); `--gres` goes to `TresPerNode=` as
//! `gres:name[:type]:count` items ([`GresList::to_tres`]).
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values:
//!
//! | case | message | exit |
//! |---|---|---|
//! | syntax errors (`gpu:`, `gpu::1`, `gpu:a:x`), unknown names, and on the reference cluster (no `GresTypes`) every non-zero request, for `--gres` and every `--gpus*` option | `sbatch: error: Invalid generic resource (gres) specification` (sbatch's own check, before contacting the controller) | 1 |
//! | empty items in `--gres` (`gpu:0,,shard:0`, `--gres=`) | `sbatch: error: Batch job submission failed: Invalid Trackable RESource (TRES) specification` (the controller) | 1 |
//!
//! Under `--test-only` the controller's refusals read `allocation failure:
//! <reason>` instead. Empty `--gpus*=` values are ignored by sbatch (no
//! request); our parser reports them as [`GresError::Empty`] for the option
//! layer to drop.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::cnum;

/// Why a GRES or GPU specification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GresError {
    /// The value was empty.
    #[error("empty generic resource specification")]
    Empty,
    /// `help` or `list`: the caller should print the GRES help and exit 0.
    #[error("generic resource help requested")]
    Help,
    /// An empty item between commas (the controller rejects these).
    #[error("empty item in generic resource list `{0}`")]
    EmptyItem(String),
    /// An item without a name (`:2`) or with a `/` in it (`gres/gpu`).
    #[error("invalid generic resource name in `{0}`")]
    BadName(String),
    /// An item ending in a colon or with an empty type (`gpu:`, `gpu::1`).
    #[error("invalid generic resource format `{0}`")]
    BadFormat(String),
    /// A count that is not a number with an optional size suffix.
    #[error("invalid generic resource count `{count}` in `{item}`")]
    BadCount {
        /// The whole item.
        item: String,
        /// The count part.
        count: String,
    },
}

/// One generic resource request: `gpu`, `gpu:2`, `gpu:a100:2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Gres {
    name: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    count: u64,
}

impl Gres {
    /// A request for `count` of `name`, optionally of one `kind` (`a100`).
    pub fn new(name: impl Into<String>, kind: Option<String>, count: u64) -> Self {
        Self {
            name: name.into(),
            kind,
            count,
        }
    }

    /// The resource name (`gpu`, `shard`, `mps`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The resource type (`a100`), if one was asked for.
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// How many (suffixes applied); zero requests are ignored by Slurm.
    pub const fn count(&self) -> u64 {
        self.count
    }

    /// Whether this is a GPU request.
    pub fn is_gpu(&self) -> bool {
        self.name == "gpu"
    }
}

/// `suffix_mult`: the multiplier a count suffix stands for.
fn suffix_mult(suffix: &str) -> Option<u64> {
    const TABLE: &[(&str, &str, u64)] = &[
        ("k", "kib", 1 << 10),
        ("m", "mib", 1 << 20),
        ("g", "gib", 1 << 30),
        ("t", "tib", 1 << 40),
        ("p", "pib", 1 << 50),
    ];
    if suffix.is_empty() {
        return Some(1);
    }
    TABLE
        .iter()
        .enumerate()
        .find_map(|(i, (short, long, binary))| {
            let decimal = 1000u64.pow(i as u32 + 1);
            if suffix.eq_ignore_ascii_case(short) || suffix.eq_ignore_ascii_case(long) {
                Some(*binary)
            } else if suffix.eq_ignore_ascii_case(&format!("{short}b")) {
                Some(decimal)
            } else {
                None
            }
        })
}

/// `_is_valid_number`: a `strtoull` number (no digits reads as zero) with
/// an optional suffix; `u64::MAX` before the suffix is refused.
fn count_value(s: &str) -> Option<u64> {
    let (n, rest) = cnum::strtoull(s).unwrap_or((0, s));
    if n == u64::MAX {
        return None;
    }
    Some(n.wrapping_mul(suffix_mult(rest)?))
}

impl FromStr for Gres {
    type Err = GresError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(GresError::Empty);
        }
        let item = s.strip_prefix("gres:").unwrap_or(s);
        let mut parts = item.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        let (kind, count) = match (parts.next(), parts.next()) {
            (None, _) => (None, 1),
            (Some(""), _) | (Some(_), Some("")) => {
                return Err(GresError::BadFormat(s.to_owned()));
            }
            (Some(one), None) => match count_value(one) {
                Some(n) => (None, n),
                None => (Some(one.to_owned()), 1),
            },
            (Some(kind), Some(count)) => {
                let n = count_value(count).ok_or_else(|| GresError::BadCount {
                    item: s.to_owned(),
                    count: count.to_owned(),
                })?;
                (Some(kind.to_owned()), n)
            }
        };
        if name.is_empty() || name.contains('/') {
            return Err(GresError::BadName(s.to_owned()));
        }
        Ok(Self::new(name, kind, count))
    }
}

impl fmt::Display for Gres {
    /// `name[:type]:count`, the count always written out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(kind) = &self.kind {
            write!(f, ":{kind}")?;
        }
        write!(f, ":{}", self.count)
    }
}

/// The value of `--gres`: a list of [`Gres`]; empty for `none`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GresList {
    items: Vec<Gres>,
}

impl GresList {
    /// A list of the given requests.
    pub fn new(items: Vec<Gres>) -> Self {
        Self { items }
    }

    /// The requests in the order given.
    pub fn items(&self) -> &[Gres] {
        &self.items
    }

    /// Whether nothing is requested (`none`).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The GPU requests among the items.
    pub fn gpus(&self) -> impl Iterator<Item = &Gres> {
        self.items.iter().filter(|g| g.is_gpu())
    }

    /// The items as `scontrol show job` prints them in `TresPerNode=`
    /// (`gres:gpu:2,gres:shard:1`); `None` for `none`, which Slurm does not
    /// show.
    pub fn to_tres(&self) -> Option<String> {
        (!self.items.is_empty()).then(|| tres_join(self.items.iter().map(Gres::to_string)))
    }
}

fn tres_join(items: impl Iterator<Item = String>) -> String {
    items
        .map(|i| format!("gres:{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl FromStr for GresList {
    type Err = GresError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(GresError::Empty);
        }
        if s.eq_ignore_ascii_case("help") || s.eq_ignore_ascii_case("list") {
            return Err(GresError::Help);
        }
        if s.eq_ignore_ascii_case("none") {
            return Ok(Self::default());
        }
        let items = s
            .split(',')
            .map(|item| {
                if item.is_empty() || item == "gres:" {
                    Err(GresError::EmptyItem(s.to_owned()))
                } else {
                    item.parse()
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { items })
    }
}

impl fmt::Display for GresList {
    /// `gpu:2,shard:1`, or `none` for the empty list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.items.is_empty() {
            return f.write_str("none");
        }
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

/// One item of a GPU request: `count` GPUs, optionally of one `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GpuCount {
    /// The GPU type (`h100`), if one was asked for.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// How many.
    pub count: u64,
}

/// The value of `--gpus`/`-G`, `--gpus-per-node`, `--gpus-per-task`,
/// `--gpus-per-socket`: `[type:]count[,...]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GpuSpec {
    items: Vec<GpuCount>,
}

impl GpuSpec {
    /// `count` GPUs of any type.
    pub fn count(count: u64) -> Self {
        Self {
            items: vec![GpuCount { kind: None, count }],
        }
    }

    /// The items in the order given.
    pub fn items(&self) -> &[GpuCount] {
        &self.items
    }

    /// The total number of GPUs over all items (saturating).
    pub fn total(&self) -> u64 {
        self.items
            .iter()
            .fold(0u64, |acc, i| acc.saturating_add(i.count))
    }

    /// As `scontrol show job` prints it (`gres:gpu:h100:8,gres:gpu:2`) in
    /// `TresPerJob=`/`TresPerNode=`/`TresPerTask=`/`TresPerSocket=`.
    pub fn to_tres(&self) -> String {
        tres_join(self.items.iter().map(|i| format!("gpu:{}", item_text(i))))
    }
}

fn item_text(i: &GpuCount) -> String {
    match &i.kind {
        Some(kind) => format!("{kind}:{}", i.count),
        None => i.count.to_string(),
    }
}

impl FromStr for GpuSpec {
    type Err = GresError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Slurm splits with strtok, so empty items vanish.
        let items = s
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                let g: Gres = format!("gpu:{t}").parse().map_err(|e| match e {
                    GresError::BadCount { count, .. } => GresError::BadCount {
                        item: t.to_owned(),
                        count,
                    },
                    _ => GresError::BadFormat(t.to_owned()),
                })?;
                if g.name != "gpu" {
                    return Err(GresError::BadFormat(t.to_owned()));
                }
                Ok(GpuCount {
                    kind: g.kind,
                    count: g.count,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if items.is_empty() {
            return Err(GresError::Empty);
        }
        Ok(Self { items })
    }
}

impl fmt::Display for GpuSpec {
    /// `h100:8,2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<_> = self.items.iter().map(item_text).collect();
        f.write_str(&text.join(","))
    }
}
