//! [`HostList`]: an ordered list of hosts kept as ranges, with Slurm's expansion, compression, sorting and lookup.

use std::fmt;
use std::iter::FusedIterator;
use std::str::FromStr;

use crate::error::{Diagnostic, Error, Result};

/// The most names [`HostList::try_expand`] (and [`crate::expand`]) makes:
/// sk8's own limit (Slurm has none), ten times the largest clusters Slurm
/// runs. A list naming more can still be iterated.
pub const MAX_EXPANDED_HOSTS: usize = 1 << 20;

/// The most bytes of names [`HostList::try_expand`] makes (32 MiB): long
/// prefixes or zero padding multiply with the host count.
pub const MAX_EXPANDED_BYTES: usize = 32 << 20;
use crate::msort::msort_by;
use crate::parse::{Parser, strtoul};
use crate::range::{self, HostRange};

/// An ordered list of host names, duplicates allowed, stored as ranges.
///
/// Parse one from a hostlist expression with [`str::parse`]; `Display` prints
/// Slurm's compressed form, exactly as `scontrol show hostlist` does; iterate
/// to expand it, in the order `scontrol show hostnames` prints.
///
/// ```
/// use sk8_hostlist::HostList;
///
/// let hl: HostList = "rack[1-2]-n[01-02]".parse()?;
/// assert_eq!(hl.len(), 4);
/// assert_eq!(hl.nth(1).as_deref(), Some("rack1-n02"));
/// assert_eq!(hl.to_string(), "rack1-n[01-02],rack2-n[01-02]");
/// # Ok::<(), sk8_hostlist::Error>(())
/// ```
///
/// Two lists are equal when they expand to the same names in the same order.
#[derive(Clone, Default)]
pub struct HostList {
    ranges: Vec<HostRange>,
    count: usize,
}

impl HostList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses an expression and also returns the messages Slurm would log
    /// while parsing it (it logs some even for expressions it accepts).
    ///
    /// A later `scontrol` prints each diagnostic as `scontrol: error: {d}`,
    /// then, on `Err`, `Invalid hostlist: {expr}`; see the crate docs for the
    /// exit codes.
    pub fn parse_with_diagnostics(expr: &str) -> (Result<Self>, Vec<Diagnostic>) {
        let mut parser = Parser::new(expr);
        let result = parser.run();
        (result.map(|()| parser.list), parser.diagnostics)
    }

    /// A list of the given host names, in order, taken literally (no brackets
    /// or separators are interpreted); Slurm's `hostlist_push_host`.
    pub fn from_hosts<I, S>(hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Self::new();
        for host in hosts {
            list.push_host(host.as_ref());
        }
        list
    }

    /// Appends one host name, taken literally.
    pub fn push_host(&mut self, host: &str) {
        let digits = host.bytes().rev().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            self.push_range(HostRange::single(host));
        } else {
            let (prefix, suffix) = host.split_at(host.len() - digits);
            let (num, _) = strtoul(suffix).unwrap_or((0, 0));
            self.push_range(HostRange::new(prefix, num, num, digits));
        }
    }

    /// Parses `expr` and appends its hosts; returns how many were added.
    pub fn push(&mut self, expr: &str) -> Result<usize> {
        let other: Self = expr.parse()?;
        let added = other.count;
        for range in other.ranges {
            self.push_range(range);
        }
        Ok(added)
    }

    /// Appends a range, extending the last one when it continues it.
    pub(crate) fn push_range(&mut self, mut range: HostRange) {
        self.count = self.count.wrapping_add(range.count() as usize);
        if let Some(tail) = self.ranges.last_mut() {
            if tail.hi == range.lo.wrapping_sub(1)
                && range::prefix_cmp(tail, &range).is_eq()
                && range::width_combine(tail, &mut range)
            {
                tail.hi = range.hi;
                return;
            }
        }
        self.ranges.push(range);
    }

    /// How many hosts, duplicates included.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list names no host.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The host at position `index`, or `None` past the end.
    pub fn nth(&self, index: usize) -> Option<String> {
        let mut rest = index as u64;
        for range in &self.ranges {
            let n = range.count();
            if rest < n {
                let mut out = String::with_capacity(range.prefix.len() + 20);
                range.write_host(rest, &mut out);
                return Some(out);
            }
            rest -= n;
        }
        None
    }

    /// The hosts in order; the same as `iter().collect()`.
    ///
    /// This allocates every name, however many the list holds (a list from
    /// `n[1-65536]x[1-65536]` names 2^32): for lists from users, prefer
    /// [`HostList::try_expand`], or stream with [`HostList::for_each_host`]
    /// or [`HostList::write_hosts`].
    pub fn expand(&self) -> Vec<String> {
        self.iter().collect()
    }

    /// The hosts in order, unless there are more than
    /// [`MAX_EXPANDED_HOSTS`] of them or their names would take more than
    /// [`MAX_EXPANDED_BYTES`]; checked before anything is allocated.
    pub fn try_expand(&self) -> Result<Vec<String>> {
        let (hosts, bytes) = self.expanded_size();
        if hosts > MAX_EXPANDED_HOSTS as u64 || bytes > MAX_EXPANDED_BYTES as u64 {
            return Err(Error::TooManyToExpand {
                expr: self.to_string(),
                hosts,
            });
        }
        Ok(self.expand())
    }

    /// How many names [`HostList::iter`] yields, and at most how many bytes
    /// they take (each name of a range counted with the range's widest
    /// number), without making them.
    pub fn expanded_size(&self) -> (u64, u64) {
        let (mut hosts, mut bytes) = (0_u64, 0_u64);
        for range in &self.ranges {
            let Some(n) = range.shifted() else { break };
            let digits = if range.single {
                0
            } else {
                let hi = range.lo.saturating_add(n - 1);
                range
                    .width
                    .max(hi.checked_ilog10().map_or(1, |d| d as usize + 1))
            };
            let name = (range.prefix.len() + digits) as u64;
            hosts = hosts.saturating_add(n);
            bytes = bytes.saturating_add(n.saturating_mul(name));
        }
        (hosts, bytes)
    }

    /// Writes every host name followed by a newline to `out`, in order,
    /// through a small buffer: what `scontrol show hostnames` prints, in
    /// memory that does not grow with the list.
    pub fn write_hosts<W: std::io::Write>(&self, out: &mut W) -> std::io::Result<()> {
        const FLUSH_AT: usize = 64 << 10;
        let mut buf = String::with_capacity(FLUSH_AT + 64);
        for range in &self.ranges {
            let Some(n) = range.shifted() else { break };
            for depth in 0..n {
                range.write_host(depth, &mut buf);
                buf.push('\n');
                if buf.len() >= FLUSH_AT {
                    out.write_all(buf.as_bytes())?;
                    buf.clear();
                }
            }
        }
        out.write_all(buf.as_bytes())
    }

    /// An iterator over the host names, in order: what `scontrol show
    /// hostnames` prints. Only for ranges reaching `u64::MAX` does that differ
    /// from [`HostList::len`] and [`HostList::nth`], as it does in Slurm.
    pub fn iter(&self) -> Iter<'_> {
        let left = self
            .ranges
            .iter()
            .map(HostRange::shifted)
            .map_while(|n| n)
            .sum::<u64>();
        Iter {
            ranges: &self.ranges,
            depth: 0,
            left: left as usize,
        }
    }

    /// Calls `f` with every host name in order, as [`HostList::iter`] yields
    /// them, reusing one buffer (no allocation per host).
    pub fn for_each_host(&self, mut f: impl FnMut(&str)) {
        let mut buf = String::new();
        for range in &self.ranges {
            let Some(n) = range.shifted() else { return };
            for depth in 0..n {
                buf.clear();
                range.write_host(depth, &mut buf);
                f(&buf);
            }
        }
    }

    /// The position of the first occurrence of `host`, as Slurm's
    /// `hostlist_find` computes it (including its leniency with leading zeros
    /// moved into the prefix: `nid0000[2-7]` finds `nid00002`).
    pub fn position(&self, host: &str) -> Option<usize> {
        let mut name = Name::new(host);
        let mut before: u64 = 0;
        for range in &self.ranges {
            if name.within(range) {
                let offset = if name.suffix.is_some() {
                    name.num.wrapping_sub(range.lo)
                } else {
                    0
                };
                return Some(before.wrapping_add(offset) as usize);
            }
            before = before.wrapping_add(range.count());
        }
        None
    }

    /// Whether `host` is in the list (see [`HostList::position`]).
    pub fn contains(&self, host: &str) -> bool {
        self.position(host).is_some()
    }

    /// Sorts the hosts as `scontrol show hostlistsorted` does: by prefix in
    /// natural order, then number; overlapping ranges are split so that every
    /// host stays (duplicates are kept).
    pub fn sort(&mut self) {
        if self.ranges.len() <= 1 {
            return;
        }
        msort_by(&mut self.ranges, range::range_cmp);
        self.coalesce();
    }

    /// Sorts and drops duplicate hosts (Slurm's `hostlist_uniq`).
    pub fn uniq(&mut self) {
        if self.ranges.len() <= 1 {
            return;
        }
        msort_by(&mut self.ranges, range::range_cmp);
        let mut i = 1;
        while i < self.ranges.len() {
            let (a, b) = pair(&mut self.ranges, i);
            match range::join(a, b) {
                Some(duplicated) => {
                    self.ranges.remove(i);
                    self.count = self.count.wrapping_sub(duplicated as usize);
                }
                None => i += 1,
            }
        }
    }

    /// Splits overlapping neighbours after a sort (Slurm's `hostlist_coalesce`).
    ///
    /// Slurm restarts from the end after every split and inserts one host
    /// at a time, so eight copies of `n[1-65536]` keep `scontrol show
    /// hostlistsorted` busy for minutes. This splices each split's hosts in
    /// at once and stops splitting after [`MAX_SORT_WORK`] steps: what is
    /// left is still sorted and keeps every host, only its overlapping
    /// ranges stay whole instead of being cut into single hosts.
    fn coalesce(&mut self) {
        let ranges = &mut self.ranges;
        let mut work: usize = 0;
        let mut i = ranges.len() - 1;
        while i > 0 {
            work += 1;
            if work > MAX_SORT_WORK {
                break;
            }
            let len = ranges.len();
            let (prev, next) = pair(ranges, i);
            if let Some(common) = range::intersect(prev, next) {
                // Every host of the overlap but its ends goes in twice, and
                // the scan starts again from the end: charged before any of
                // it is done.
                let overlap =
                    usize::try_from(common.hi.saturating_sub(common.lo)).unwrap_or(usize::MAX);
                work = work
                    .saturating_add(len)
                    .saturating_add(overlap.saturating_mul(2));
                if work > MAX_SORT_WORK {
                    break;
                }
                if common.hi < prev.hi {
                    next.hi = prev.hi;
                }
                prev.hi = common.lo;
                next.lo = common.hi;
                let prev_hi = prev.hi;
                let next_lo = next.lo;
                if ranges[i - 1].is_empty() {
                    ranges.remove(i);
                }
                let mut singles = Vec::with_capacity(overlap.saturating_mul(2).saturating_add(2));
                let mut n = common.lo;
                loop {
                    let one = HostRange {
                        lo: n,
                        hi: n,
                        ..common.clone()
                    };
                    if n > prev_hi {
                        singles.push(one.clone());
                    }
                    if n < next_lo {
                        singles.push(one);
                    }
                    if n >= common.hi {
                        break;
                    }
                    n += 1;
                }
                ranges.splice(i..i, singles);
                i = ranges.len();
            }
            i -= 1;
        }
        self.collapse();
    }

    /// Joins neighbours that continue each other (Slurm's `hostlist_collapse`),
    /// from the end as Slurm does, in one pass.
    fn collapse(&mut self) {
        let mut rest = std::mem::take(&mut self.ranges);
        let Some(mut next) = rest.pop() else {
            return;
        };
        let mut kept = Vec::with_capacity(rest.len() + 1);
        while let Some(mut prev) = rest.pop() {
            if prev.hi == next.lo.wrapping_sub(1)
                && range::prefix_cmp(&prev, &next).is_eq()
                && range::width_combine(&mut prev, &mut next)
            {
                prev.hi = next.hi;
            } else {
                kept.push(next);
            }
            next = prev;
        }
        kept.push(next);
        kept.reverse();
        self.ranges = kept;
    }
}

/// Steps [`HostList::sort`] spends splitting overlapping ranges before it
/// leaves the rest whole: sk8's own limit (Slurm has none, and takes minutes).
const MAX_SORT_WORK: usize = 1 << 26;

/// Mutable references to `ranges[i - 1]` and `ranges[i]`.
fn pair(ranges: &mut [HostRange], i: usize) -> (&mut HostRange, &mut HostRange) {
    let (left, right) = ranges.split_at_mut(i);
    (&mut left[i - 1], &mut right[0])
}

/// A host name split for lookup (Slurm's `hostname_t`), which lookup may
/// re-split as it goes.
struct Name<'a> {
    host: &'a [u8],
    prefix: Vec<u8>,
    /// Where the numeric suffix starts in `host`, when there is one.
    suffix: Option<usize>,
    num: u64,
}

impl<'a> Name<'a> {
    fn new(host: &'a str) -> Self {
        let b = host.as_bytes();
        let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Self {
                host: b,
                prefix: b.to_vec(),
                suffix: None,
                num: 0,
            };
        }
        let start = b.len() - digits;
        let num = strtoul(&host[start..]).map_or(0, |(n, _)| n);
        Self {
            host: b,
            prefix: b[..start].to_vec(),
            suffix: Some(start),
            num,
        }
    }

    /// Slurm's `hostrange_hn_within`. When the prefixes differ only in length,
    /// Slurm moves digits between prefix and suffix to make them agree, and
    /// keeps that split for the ranges that follow.
    fn within(&mut self, range: &HostRange) -> bool {
        if range.single {
            return self.host == range.prefix.as_bytes();
        }
        let Some(mut start) = self.suffix else {
            return false;
        };
        let wanted = range.prefix.as_bytes();
        if wanted != self.prefix.as_slice() {
            let (len1, len2) = (wanted.len(), self.prefix.len());
            let suffix_len = self.host.len() - start;
            if len1 > len2 && suffix_len >= len1 - len2 {
                self.prefix
                    .extend_from_slice(&self.host[start..start + len1 - len2]);
                start += len1 - len2;
            } else if len1 < len2 {
                self.prefix.truncate(len1);
                start -= len2 - len1;
            } else {
                return false;
            }
            self.suffix = Some(start);
            self.num = std::str::from_utf8(&self.host[start..])
                .ok()
                .and_then(strtoul)
                .map_or(0, |(n, _)| n);
            if wanted != self.prefix.as_slice() {
                return false;
            }
        }
        if self.num < range.lo || self.num > range.hi {
            return false;
        }
        // Slurm passes the suffix through an `int` here.
        let num = i64::from(self.num as i32) as u64;
        let (mut range_width, mut width) = (range.width, self.host.len() - start);
        range::width_equiv(range.lo, &mut range_width, num, &mut width)
    }
}

/// Iterator over the names of a [`HostList`]; see [`HostList::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    ranges: &'a [HostRange],
    depth: u64,
    left: usize,
}

impl Iterator for Iter<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        loop {
            let range = self.ranges.first()?;
            let Some(n) = range.shifted() else {
                self.ranges = &[];
                return None;
            };
            if self.depth < n {
                let mut out = String::with_capacity(range.prefix.len() + 20);
                range.write_host(self.depth, &mut out);
                self.depth += 1;
                self.left = self.left.saturating_sub(1);
                return Some(out);
            }
            self.ranges = &self.ranges[1..];
            self.depth = 0;
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a HostList {
    type Item = String;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for HostList {
    fn from_iter<I: IntoIterator<Item = S>>(hosts: I) -> Self {
        Self::from_hosts(hosts)
    }
}

impl<S: AsRef<str>> Extend<S> for HostList {
    fn extend<I: IntoIterator<Item = S>>(&mut self, hosts: I) {
        for host in hosts {
            self.push_host(host.as_ref());
        }
    }
}

impl FromStr for HostList {
    type Err = Error;

    /// Parses a hostlist expression as Slurm's `hostlist_create` does.
    fn from_str(expr: &str) -> Result<Self> {
        Self::parse_with_diagnostics(expr).0
    }
}

impl fmt::Display for HostList {
    /// Slurm's ranged string: consecutive ranges with the same prefix share
    /// one pair of brackets, in list order (`n[1-3,5],m7`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let ranges = &self.ranges;
        let mut i = 0;
        while i < ranges.len() {
            if i > 0 {
                out.push(',');
            }
            let first = &ranges[i];
            let brackets = first.count() > 1 || range::within_range(first, ranges.get(i + 1));
            out.push_str(&first.prefix);
            if brackets {
                out.push('[');
            }
            let start = i;
            loop {
                if i > start {
                    out.push(',');
                }
                ranges[i].write_numbers(&mut out);
                i += 1;
                if !(i < ranges.len() && range::within_range(&ranges[i], ranges.get(i - 1))) {
                    break;
                }
            }
            if brackets {
                out.push(']');
            }
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for HostList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostList({self})")
    }
}

impl PartialEq for HostList {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.iter().eq(other.iter())
    }
}

impl Eq for HostList {}

impl serde::Serialize for HostList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HostList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let expr = String::deserialize(deserializer)?;
        expr.parse().map_err(serde::de::Error::custom)
    }
}
