//! Natural-order string comparison with the quirks of Slurm's `strnatcmp`, which decides whether two host name prefixes "match".

use std::cmp::Ordering;

/// `isspace` in the C locale.
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// The byte at `i`, or NUL past the end (the strings are C strings to Slurm).
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// Compares two strings as Slurm's `strnatcmp` does: runs of digits compare by
/// value (or left-aligned when either starts with `0`), whitespace is skipped,
/// everything else compares bytewise.
///
/// It is not a strict total order (`"a b"` equals `"ab"`), which is why callers
/// sort with [`crate::msort`] rather than the standard library's sort.
pub(crate) fn strnatcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut ai, mut bi) = (0, 0);
    loop {
        let mut ca = at(a, ai);
        let mut cb = at(b, bi);
        while is_c_space(ca) {
            ai += 1;
            ca = at(a, ai);
        }
        while is_c_space(cb) {
            bi += 1;
            cb = at(b, bi);
        }
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let result = if ca == b'0' || cb == b'0' {
                compare_left(&a[ai..], &b[bi..])
            } else {
                compare_right(&a[ai..], &b[bi..])
            };
            if result != Ordering::Equal {
                return result;
            }
        }
        if ca == 0 && cb == 0 {
            return Ordering::Equal;
        }
        match ca.cmp(&cb) {
            Ordering::Equal => {}
            other => return other,
        }
        ai += 1;
        bi += 1;
    }
}

/// Right-aligned numbers: the longer run wins, else the first differing digit.
fn compare_right(a: &[u8], b: &[u8]) -> Ordering {
    let mut bias = Ordering::Equal;
    for i in 0.. {
        let (ca, cb) = (at(a, i), at(b, i));
        match (ca.is_ascii_digit(), cb.is_ascii_digit()) {
            (false, false) => return bias,
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            (true, true) => {
                if bias == Ordering::Equal {
                    bias = ca.cmp(&cb);
                }
            }
        }
    }
    bias
}

/// Left-aligned numbers (fractions, or runs with leading zeros): the first difference wins.
fn compare_left(a: &[u8], b: &[u8]) -> Ordering {
    for i in 0.. {
        let (ca, cb) = (at(a, i), at(b, i));
        match (ca.is_ascii_digit(), cb.is_ascii_digit()) {
            (false, false) => return Ordering::Equal,
            (false, true) => return Ordering::Less,
            (true, false) => return Ordering::Greater,
            (true, true) => match ca.cmp(&cb) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn natural_order() {
        let cases: &[(&str, &str, Ordering)] = &[
            ("n", "n", Equal),
            ("a", "b", Less),
            ("n2", "n10", Less),
            ("n10", "n9", Greater),
            ("n01", "n1", Less),
            ("n0", "n00", Less),
            ("rack1-n", "rack1-n", Equal),
            ("rack2-n", "rack10-n", Less),
            ("a\rb", "ab", Equal),
            ("", "a", Less),
            ("a", "", Greater),
            ("x1.5", "x1.10", Less),
            ("B", "a", Less),
        ];
        for &(a, b, want) in cases {
            assert_eq!(
                strnatcmp(a.as_bytes(), b.as_bytes()),
                want,
                "{a:?} vs {b:?}"
            );
            assert_eq!(
                strnatcmp(b.as_bytes(), a.as_bytes()),
                want.reverse(),
                "{b:?} vs {a:?}"
            );
        }
    }
}
