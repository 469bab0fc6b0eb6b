//! Why a hostlist expression was refused, and the messages Slurm logs while parsing one.

use std::fmt;

/// The result of hostlist operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A hostlist expression Slurm refuses (`hostlist_create` returns `NULL`).
///
/// `scontrol` reports every one of these the same way, whatever the cause:
/// `Invalid hostlist: EXPR` on stderr, preceded by the [`Diagnostic`]s the parse
/// logged (see [`HostList::parse_with_diagnostics`](crate::HostList::parse_with_diagnostics)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A number or range between brackets did not parse (`n[3-1]`, `n[a]`, `n[]`).
    #[error("invalid range `{range}` in hostlist `{expr}`")]
    InvalidRange {
        /// The whole expression.
        expr: String,
        /// The offending comma-separated piece, as written.
        range: String,
    },
    /// A range between brackets names more than 65536 hosts.
    #[error(
        "too many hosts in range `{range}` in hostlist `{expr}`\n(hint: one range holds at most 65536 hosts)"
    )]
    TooManyHosts {
        /// The whole expression.
        expr: String,
        /// The offending range, as written.
        range: String,
    },
    /// Something other than a separator follows the last `]` of a name (`n[1-3]x`).
    #[error("unexpected text after `]` in hostlist `{expr}`")]
    TextAfterBracket {
        /// The whole expression.
        expr: String,
    },
    /// A bracket inside a name's prefix (`rack[1-70000]-n[1]`) expands to more than 65536 values.
    #[error("prefix brackets expand to more than 65536 names in hostlist `{expr}`")]
    TooManyPrefixes {
        /// The whole expression.
        expr: String,
    },
    /// One pair of brackets holds more than 262144 comma-separated ranges.
    ///
    /// Slurm treats this as fatal: `scontrol: fatal: _parse_range_list: Too many
    /// ranges, can't process entire list`, exit code 1.
    #[error("more than 262144 ranges between one pair of brackets in hostlist `{expr}`")]
    TooManyRanges {
        /// The whole expression.
        expr: String,
    },
    /// The expression needs more work than sk8 allows (nested prefix brackets).
    ///
    /// Slurm has no such limit; it would spend minutes, or run out of memory,
    /// building billions of ranges.
    #[error(
        "hostlist `{expr}` is too large to expand\n(hint: at most {max} ranges and prefixes, and {bytes} bytes of prefixes)",
        bytes = crate::parse::MAX_WORK_BYTES
    )]
    TooLarge {
        /// The whole expression.
        expr: String,
        /// The limit that was hit.
        max: usize,
    },
    /// Expanding the list would make more names, or more bytes of names,
    /// than sk8 holds in memory at once ([`MAX_EXPANDED_HOSTS`],
    /// [`MAX_EXPANDED_BYTES`]); iterate instead (`scontrol show hostnames`
    /// streams any size, as Slurm does).
    ///
    /// [`MAX_EXPANDED_HOSTS`]: crate::MAX_EXPANDED_HOSTS
    /// [`MAX_EXPANDED_BYTES`]: crate::MAX_EXPANDED_BYTES
    #[error(
        "hostlist `{expr}` names {hosts} hosts, too many to expand\n(hint: at most {max_hosts} hosts and {max_bytes} bytes of names)",
        max_hosts = crate::MAX_EXPANDED_HOSTS,
        max_bytes = crate::MAX_EXPANDED_BYTES
    )]
    TooManyToExpand {
        /// The whole expression.
        expr: String,
        /// How many hosts it names.
        hosts: u64,
    },
}

impl Error {
    /// The expression that was refused.
    pub fn expr(&self) -> &str {
        match self {
            Self::InvalidRange { expr, .. }
            | Self::TooManyHosts { expr, .. }
            | Self::TextAfterBracket { expr }
            | Self::TooManyPrefixes { expr }
            | Self::TooManyRanges { expr }
            | Self::TooLarge { expr, .. }
            | Self::TooManyToExpand { expr, .. } => expr,
        }
    }
}

/// A message Slurm's hostlist parser logs through `error()` while parsing.
///
/// `Display` renders Slurm's exact text, without the `scontrol: error: ` that
/// the logger puts in front. A parse can log these and still succeed: Slurm
/// ignores a bad range inside a name's prefix when the prefix holds several
/// bracket groups (`a[x]b[1]c[2]` logs one message and expands to nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// `_parse_single_range: Invalid range: `RANGE'`
    InvalidRange(String),
    /// `_parse_single_range: Too many hosts in range `RANGE'`
    TooManyHosts(String),
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRange(range) => {
                write!(f, "_parse_single_range: Invalid range: `{range}'")
            }
            Self::TooManyHosts(range) => {
                write!(f, "_parse_single_range: Too many hosts in range `{range}'")
            }
        }
    }
}
