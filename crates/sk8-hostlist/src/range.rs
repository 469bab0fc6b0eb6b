//! One run of hosts sharing a prefix (`n[01-08]` is prefix `n`, 1 to 8, width 2), and the width rules that decide which runs may merge.

use std::cmp::Ordering;

use crate::natcmp::strnatcmp;

/// A prefix with a range of numeric suffixes, or a single host without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostRange {
    /// Everything before the number; the whole name of a single host.
    pub(crate) prefix: Box<str>,
    /// First suffix.
    pub(crate) lo: u64,
    /// Last suffix, inclusive.
    pub(crate) hi: u64,
    /// Zero-pad suffixes to this many digits.
    pub(crate) width: usize,
    /// A host with no numeric suffix: `lo` and `hi` mean nothing.
    pub(crate) single: bool,
}

impl HostRange {
    pub(crate) fn new(prefix: &str, lo: u64, hi: u64, width: usize) -> Self {
        Self {
            prefix: prefix.into(),
            lo,
            hi,
            width,
            single: false,
        }
    }

    pub(crate) fn single(name: &str) -> Self {
        Self {
            prefix: name.into(),
            lo: 0,
            hi: 0,
            width: 0,
            single: true,
        }
    }

    /// How many hosts; wraps like Slurm's `unsigned long` (a range over every
    /// `u64` counts zero hosts).
    pub(crate) fn count(&self) -> u64 {
        if self.single {
            1
        } else {
            self.hi.wrapping_sub(self.lo).wrapping_add(1)
        }
    }

    /// How many hosts Slurm's `hostlist_shift` takes from this range before
    /// moving on, or `None` when it stops there: a range wrapping to zero
    /// hosts ends the expansion, and one ending at `u64::MAX` counts as empty
    /// once its first host is taken.
    pub(crate) fn shifted(&self) -> Option<u64> {
        match self.count() {
            _ if self.single => Some(1),
            0 => None,
            _ if self.hi == u64::MAX => Some(1),
            n => Some(n),
        }
    }

    /// Slurm's `hostrange_empty`: nothing left once `hi < lo` (or `hi` wrapped).
    pub(crate) fn is_empty(&self) -> bool {
        self.hi < self.lo || self.hi == u64::MAX
    }

    /// Appends the host at offset `depth` into the range.
    pub(crate) fn write_host(&self, depth: u64, out: &mut String) {
        out.push_str(&self.prefix);
        if !self.single {
            push_padded(out, self.lo.wrapping_add(depth), self.width);
        }
    }

    /// The numeric part as it appears between brackets: `01-08`, `5`.
    pub(crate) fn write_numbers(&self, out: &mut String) {
        if self.single {
            return;
        }
        push_padded(out, self.lo, self.width);
        if self.lo < self.hi {
            out.push('-');
            push_padded(out, self.hi, self.width);
        }
    }
}

/// Appends `n` zero-padded to `width` digits, without going through `fmt`.
pub(crate) fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = digits.len() - start;
    for _ in len..width {
        out.push('0');
    }
    for &d in &digits[start..] {
        out.push(char::from(d));
    }
}

/// How many zeros `width` adds in front of `n`.
fn zero_padding(n: u64, width: usize) -> usize {
    let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    width.saturating_sub(digits)
}

/// Slurm's `_width_equiv`: may `n` (formatted `wn` wide) and `m` (`wm` wide)
/// share one width? They may when the widths are equal or when one of the two
/// numbers would look the same under the other's width; that number's width
/// is then set to the other's (a change no printed name can show).
pub(crate) fn width_equiv(n: u64, wn: &mut usize, m: u64, wm: &mut usize) -> bool {
    if *wn == *wm {
        return true;
    }
    let n_changes = zero_padding(n, *wn) != zero_padding(n, *wm);
    let m_changes = zero_padding(m, *wm) != zero_padding(m, *wn);
    if n_changes && m_changes {
        return false;
    }
    if n_changes {
        *wm = *wn;
    } else {
        *wn = *wm;
    }
    true
}

/// Slurm's `hostrange_width_combine`.
pub(crate) fn width_combine(a: &mut HostRange, b: &mut HostRange) -> bool {
    width_equiv(a.lo, &mut a.width, b.lo, &mut b.width)
}

/// Slurm's `hostrange_prefix_cmp`: natural order of prefixes; with equal
/// prefixes a single host sorts before a numbered range.
pub(crate) fn prefix_cmp(a: &HostRange, b: &HostRange) -> Ordering {
    strnatcmp(a.prefix.as_bytes(), b.prefix.as_bytes()).then(b.single.cmp(&a.single))
}

/// Do `a` and `b` belong between the same pair of brackets when printed?
pub(crate) fn within_range(a: &HostRange, b: Option<&HostRange>) -> bool {
    b.is_some_and(|b| prefix_cmp(a, b).is_eq() && !a.single && !b.single)
}

/// Slurm's `hostrange_cmp`, the sort order of `hostlist_sort`: prefix, then
/// lowest suffix when the widths are compatible, else width.
///
/// Slurm subtracts the suffixes as `unsigned long` and keeps the low 32 bits;
/// this compares them properly, which differs only for suffixes 2^31 apart.
pub(crate) fn range_cmp(a: &mut HostRange, b: &mut HostRange) -> Ordering {
    prefix_cmp(a, b).then_with(|| {
        if width_combine(a, b) {
            a.lo.cmp(&b.lo)
        } else {
            a.width.cmp(&b.width)
        }
    })
}

/// Slurm's `hostrange_intersect` of two sorted ranges (`a` first).
pub(crate) fn intersect(a: &mut HostRange, b: &mut HostRange) -> Option<HostRange> {
    if a.single || b.single {
        return None;
    }
    if a.hi > b.lo && prefix_cmp(a, b).is_eq() && width_combine(a, b) {
        let mut common = a.clone();
        common.lo = b.lo;
        common.hi = b.hi.min(a.hi);
        return Some(common);
    }
    None
}

/// Slurm's `hostrange_join` of two sorted ranges: folds `b` into `a` when they
/// touch or overlap and returns how many hosts were duplicated, or `None` when
/// they stay apart.
pub(crate) fn join(a: &mut HostRange, b: &mut HostRange) -> Option<u64> {
    if !(prefix_cmp(a, b).is_eq() && width_combine(a, b)) {
        return None;
    }
    if a.single && b.single {
        Some(1)
    } else if a.hi == b.lo.wrapping_sub(1) {
        a.hi = b.hi;
        Some(0)
    } else if a.hi >= b.lo {
        if a.hi < b.hi {
            let duplicated = a.hi - b.lo + 1;
            a.hi = b.hi;
            Some(duplicated)
        } else {
            Some(b.count())
        }
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding() {
        let cases: &[(u64, usize, &str)] = &[
            (0, 0, "0"),
            (7, 1, "7"),
            (7, 3, "007"),
            (10, 1, "10"),
            (10, 2, "10"),
            (123, 5, "00123"),
            (u64::MAX, 0, "18446744073709551615"),
            (u64::MAX, 23, "00018446744073709551615"),
        ];
        for &(n, width, want) in cases {
            let mut s = String::new();
            push_padded(&mut s, n, width);
            assert_eq!(s, want, "{n} width {width}");
            assert_eq!(s, format!("{n:0width$}"));
        }
    }

    #[test]
    fn widths() {
        // (n, wn, m, wm, equivalent, wn after, wm after)
        let cases: &[(u64, usize, u64, usize, bool, usize, usize)] = &[
            (1, 1, 2, 1, true, 1, 1),
            (8, 1, 10, 2, true, 1, 1),
            (1, 1, 10, 3, false, 1, 3),
            (1, 2, 2, 1, false, 2, 1),
            (1, 2, 100, 3, true, 2, 2),
            (10, 2, 11, 1, true, 1, 1),
            (9, 2, 10, 2, true, 2, 2),
        ];
        for &(n, wn, m, wm, eq, wn2, wm2) in cases {
            let (mut a, mut b) = (wn, wm);
            assert_eq!(width_equiv(n, &mut a, m, &mut b), eq, "{n}/{wn} {m}/{wm}");
            assert_eq!((a, b), (wn2, wm2), "{n}/{wn} {m}/{wm}");
        }
    }

    #[test]
    fn joins() {
        let r = |lo, hi| HostRange::new("n", lo, hi, 1);
        // (a, b, duplicated, a.hi after)
        let cases = [
            (r(1, 3), r(4, 6), Some(0), 6),
            (r(1, 3), r(2, 6), Some(2), 6),
            (r(1, 6), r(2, 3), Some(2), 6),
            (r(1, 3), r(5, 6), None, 3),
        ];
        for (mut a, mut b, dup, hi) in cases {
            assert_eq!(join(&mut a, &mut b), dup, "{a:?} {b:?}");
            assert_eq!(a.hi, hi);
        }
    }
}
