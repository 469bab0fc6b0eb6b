//! Slurm hostlist expressions (`n[001-010]`, `rack[1-2]-n[1-3]`): expand them and compress host names back, exactly as Slurm 22.05 does.
//!
//! The semantics are those of Slurm's `src/common/hostlist.c` on a cluster
//! with one name dimension (the usual case; `scontrol show hostnames` and
//! `scontrol show hostlist` are the oracle the tests compare with):
//!
//! - Hosts are separated by commas, spaces or tabs, except inside brackets.
//! - `prefix[ranges]`: ranges are `N` or `LO-HI`, comma-separated; the width
//!   of `LO` as written sets the zero padding (`n[09-10]` is n09 n10, `n[9-10]`
//!   is n9 n10, `n[1-02]` is n1 n2). At most 65536 hosts per range.
//! - Brackets inside the prefix expand too (`rack[1-2]-n[1-3]`). The last
//!   group is innermost; the others nest from right to left, so
//!   `a[1-2]b[3-4]c[5-6]` gives a1b3c5 a1b3c6 a2b3c5 a2b3c6 a1b4c5 ...
//! - Nothing is sorted or de-duplicated when parsing or printing;
//!   [`HostList::sort`] and [`HostList::uniq`] do that on request.
//! - Compression only ever works on the last run of digits of a name:
//!   `rack1-n3,rack1-n4,rack2-n1` prints as `rack1-n[3-4],rack2-n1`.
//! - Slurm's lenient corners are kept: `n[1-` is the host `n]`, `[1-2` is the
//!   host `1-2`, `n[1a-3]` is n01 n02 n03, `n[1-]` is n1, `n[ 1]` is n01, a
//!   bad range in a nested prefix (`a[x]b[1]c[2]`) is ignored.
//!
//! # What `scontrol` prints for bad input
//!
//! For `scontrol show hostnames EXPR` and `scontrol show hostlist EXPR`, Slurm
//! logs each [`Diagnostic`] to stderr as `scontrol: error: {diagnostic}` (e.g.
//! ``scontrol: error: _parse_single_range: Invalid range: `3-1'``) and then,
//! when the expression is refused ([`Error`]), prints `Invalid hostlist: EXPR`
//! to stderr and nothing to stdout. The exit code is **0** for `hostnames`
//! and **1** for `hostlist`/`hostlistsorted`. With no argument, `hostnames`
//! reads `SLURM_NODELIST` and, when that is unset, logs
//! `scontrol: error: host list is empty` and exits 0; `hostlist` prints
//! `invalid encode argument` and the usage, exit 1. An empty expression is
//! valid: `hostnames` prints nothing, `hostlist` prints an empty line.
//!
//! # Where sk8 differs
//!
//! Only where Slurm crashes, hangs or cannot be reached: a range ending at
//! 2^64-1 (Slurm segfaults while expanding it), a prefix range ending there
//! (Slurm loops forever), expressions needing more than 2^20 ranges and
//! prefixes or 64 MiB of prefixes ([`Error::TooLarge`]; Slurm has no limit),
//! [`expand`] of more than 2^20 names ([`Error::TooManyToExpand`]; iterate
//! instead), more than 262144 ranges
//! in one bracket ([`Error::TooManyRanges`]; fatal in Slurm), and sort order
//! for suffixes 2^31 or more apart (Slurm compares only 32 bits).
//! Multi-dimensional names (`NodeName=bg[000x733]` on a 3-D cluster) and
//! Cray's `nid%05u` shortening are not supported.

mod error;
mod hostlist;
mod msort;
mod natcmp;
mod parse;
mod range;

pub use error::{Diagnostic, Error, Result};
pub use hostlist::{HostList, Iter, MAX_EXPANDED_BYTES, MAX_EXPANDED_HOSTS};

/// Expands a hostlist expression into host names, in Slurm's order.
///
/// Refuses ([`Error::TooManyToExpand`]) a list of more than
/// [`MAX_EXPANDED_HOSTS`] names or [`MAX_EXPANDED_BYTES`] bytes of them
/// before allocating any: each bracket may be within Slurm's limits while
/// their product (`n[1-65536]x[1-65536]`) is not.
///
/// ```
/// assert_eq!(sk8_hostlist::expand("n[1-2],m")?, ["n1", "n2", "m"]);
/// assert!(sk8_hostlist::expand("n[1-65536]x[1-65536]").is_err());
/// # Ok::<(), sk8_hostlist::Error>(())
/// ```
pub fn expand(expr: &str) -> Result<Vec<String>> {
    expr.parse::<HostList>()?.try_expand().map_err(|e| match e {
        Error::TooManyToExpand { hosts, .. } => Error::TooManyToExpand {
            expr: expr.to_owned(),
            hosts,
        },
        other => other,
    })
}

/// Compresses host names, kept in their order, into a hostlist expression, as
/// `scontrol show hostlist` does.
///
/// ```
/// assert_eq!(sk8_hostlist::compress(&["n1", "n2", "n3", "n5"]), "n[1-3,5]");
/// assert_eq!(sk8_hostlist::compress(&["n3", "n1", "n2"]), "n[3,1-2]");
/// ```
pub fn compress<S: AsRef<str>>(hosts: &[S]) -> String {
    HostList::from_hosts(hosts).to_string()
}

/// Compresses host names after sorting them, as `scontrol show
/// hostlistsorted` does (duplicates are kept).
///
/// ```
/// assert_eq!(sk8_hostlist::compress_sorted(&["n3", "n1", "n2"]), "n[1-3]");
/// ```
pub fn compress_sorted<S: AsRef<str>>(hosts: &[S]) -> String {
    let mut list = HostList::from_hosts(hosts);
    list.sort();
    list.to_string()
}
