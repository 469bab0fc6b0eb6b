//! Slurm's hostlist grammar: separators, bracketed ranges, brackets inside a prefix, and the lenient corners Slurm accepts.

use crate::error::{Diagnostic, Error, Result};
use crate::hostlist::HostList;
use crate::natcmp::is_c_space;
use crate::range::{HostRange, push_padded};

/// Characters between hosts (`hostlist_create` uses tab, comma and space).
const SEPARATORS: &[u8] = b"\t, ";
/// Hosts one bracketed range may name (Slurm's `MAX_RANGE`).
pub(crate) const MAX_RANGE: u64 = 64 * 1024;
/// Comma-separated ranges one pair of brackets may hold (`MAX_RANGES`).
const MAX_RANGES: usize = 256 * 1024;
/// Names the brackets of one prefix may expand to (`MAX_PREFIX_CNT`).
const MAX_PREFIX_CNT: u64 = 64 * 1024;
/// Ranges plus expanded prefixes one expression may cost; sk8's own limit.
pub(crate) const MAX_WORK: usize = 1 << 20;
/// Bytes of prefixes one expression may copy into its ranges; sk8's own
/// limit. Every range holds its own prefix, so a long prefix before many
/// ranges (`<1 MB of x>[1,3,5,...]`) would otherwise cost its length once
/// per range.
pub(crate) const MAX_WORK_BYTES: usize = 64 << 20;

/// A parsed bracket piece: `lo`, `hi` and the zero-padding width.
#[derive(Debug, Clone, Copy)]
struct Span {
    lo: u64,
    hi: u64,
    width: usize,
}

/// Why a nested step gave up; Slurm ignores some of these (see [`Parser::prefixed`]).
enum Fail {
    /// Slurm's `return -1`: the caller decides whether it matters.
    Soft(Error),
    /// Beyond anything Slurm would survive: always fatal.
    Hard(Error),
}

impl Fail {
    fn into_error(self) -> Error {
        match self {
            Self::Soft(e) | Self::Hard(e) => e,
        }
    }
}

pub(crate) struct Parser<'a> {
    expr: &'a str,
    pub(crate) list: HostList,
    pub(crate) diagnostics: Vec<Diagnostic>,
    work: usize,
    work_bytes: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(expr: &'a str) -> Self {
        Self {
            expr,
            list: HostList::new(),
            diagnostics: Vec::new(),
            work: 0,
            work_bytes: 0,
        }
    }

    /// Parses the whole expression into `self.list`, as `hostlist_create` does.
    pub(crate) fn run(&mut self) -> Result<()> {
        // Slurm sees a C string: nothing after a NUL exists.
        let text = self.expr.split('\0').next().unwrap_or_default();
        let mut tokens = Tokens { s: text, pos: 0 };
        while let Some(tok) = tokens.next_token() {
            self.token(tok).map_err(Fail::into_error)?;
        }
        Ok(())
    }

    fn token(&mut self, tok: &str) -> Result<(), Fail> {
        let Some(open) = tok.rfind('[') else {
            self.list.push_host(tok);
            return self.charge(0, 0);
        };
        let (prefix, rest) = (&tok[..open], &tok[open + 1..]);
        match rest.find(']') {
            Some(close) => {
                let after = &rest[close + 1..];
                if !(after.is_empty() || after.starts_with(',')) {
                    return Err(Fail::Soft(Error::TextAfterBracket {
                        expr: self.expr.into(),
                    }));
                }
                let spans = self.range_list(&rest[..close])?;
                self.prefixed(prefix, &spans)
            }
            // A '[' that is never closed: Slurm keeps the text before it and
            // adds a ']' (so `n[1-` names the host `n]`), or keeps what
            // follows it when nothing precedes it.
            None if !prefix.is_empty() => {
                self.list.push_host(&format!("{prefix}]"));
                self.charge(0, 0)
            }
            None => {
                self.list.push_host(rest);
                self.charge(0, 0)
            }
        }
    }

    /// Pushes `prefix` + each of `spans`, first expanding the last bracket
    /// group inside `prefix` (`rack[1-2]-n` gives `rack1-n`, `rack2-n`).
    ///
    /// With several groups in the prefix Slurm recurses, and ignores what
    /// fails below the first level: `a[x]b[1]c[2]` is a valid, empty list.
    fn prefixed(&mut self, prefix: &str, spans: &[Span]) -> Result<(), Fail> {
        let group = prefix
            .rfind('[')
            .and_then(|open| prefix[open..].rfind(']').map(|close| (open, open + close)));
        let Some((open, close)) = group else {
            for span in spans {
                self.charge(1, prefix.len())?;
                self.list
                    .push_range(HostRange::new(prefix, span.lo, span.hi, span.width));
            }
            return Ok(());
        };
        let (head, tail) = (&prefix[..open], &prefix[close + 1..]);
        let recurse = head.contains('[');
        let outer = self.range_list(&prefix[open + 1..close])?;
        let mut total: u64 = 0;
        let mut name = String::new();
        for span in outer {
            let count = span.hi.wrapping_sub(span.lo).wrapping_add(1);
            total = total.wrapping_add(count);
            // A span over every u64 counts zero; Slurm would loop forever on it.
            if total > MAX_PREFIX_CNT || count == 0 {
                return Err(Fail::Soft(Error::TooManyPrefixes {
                    expr: self.expr.into(),
                }));
            }
            for j in span.lo..=span.hi {
                self.charge(1, head.len() + tail.len() + span.width.max(20))?;
                name.clear();
                name.push_str(head);
                push_padded(&mut name, j, span.width);
                name.push_str(tail);
                if recurse {
                    match self.prefixed(&name, spans) {
                        Ok(()) | Err(Fail::Soft(_)) => {}
                        Err(hard @ Fail::Hard(_)) => return Err(hard),
                    }
                } else {
                    for s in spans {
                        self.charge(1, name.len())?;
                        self.list
                            .push_range(HostRange::new(&name, s.lo, s.hi, s.width));
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts `units` ranges or prefixes and `bytes` of names copied, before
    /// they are made.
    fn charge(&mut self, units: usize, bytes: usize) -> Result<(), Fail> {
        self.work += units;
        self.work_bytes = self.work_bytes.saturating_add(bytes);
        if self.work > MAX_WORK || self.work_bytes > MAX_WORK_BYTES {
            return Err(Fail::Hard(Error::TooLarge {
                expr: self.expr.into(),
                max: MAX_WORK,
            }));
        }
        Ok(())
    }

    /// The comma-separated pieces between one pair of brackets.
    fn range_list(&mut self, inner: &str) -> Result<Vec<Span>, Fail> {
        let mut spans = Vec::new();
        for (i, piece) in inner.split(',').enumerate() {
            if i == MAX_RANGES {
                return Err(Fail::Hard(Error::TooManyRanges {
                    expr: self.expr.into(),
                }));
            }
            spans.push(self.single_range(piece)?);
        }
        Ok(spans)
    }

    /// One piece: `7`, `01-10`; Slurm's `_parse_single_range`.
    fn single_range(&mut self, piece: &str) -> Result<Span, Fail> {
        let (lo_text, hi_text) = match piece.split_once('-') {
            Some((lo, hi)) => (lo, Some(hi)),
            None => (piece, None),
        };
        // Boxes (`1x2`) are for multi-dimensional clusters only, and a second
        // '-' would be a negative number.
        if piece.contains('x') || hi_text.is_some_and(|hi| hi.starts_with('-')) {
            return Err(self.invalid(piece));
        }
        let Some((lo, lo_used)) = strtoul(lo_text) else {
            return Err(self.invalid(piece));
        };
        // Slurm checks what trails the last number it read; text after the
        // low end of a range slips through (`n[1a-3]` is n01 to n03).
        let (hi, trailing) = match hi_text {
            Some(hi_text) if !hi_text.is_empty() => match strtoul(hi_text) {
                Some((hi, used)) => (hi, &hi_text[used..]),
                None => return Err(self.invalid(piece)),
            },
            _ => (lo, &lo_text[lo_used..]),
        };
        if !trailing.is_empty() || lo > hi {
            return Err(self.invalid(piece));
        }
        if hi.wrapping_sub(lo).wrapping_add(1) > MAX_RANGE {
            self.diagnostics
                .push(Diagnostic::TooManyHosts(piece.into()));
            return Err(Fail::Soft(Error::TooManyHosts {
                expr: self.expr.into(),
                range: piece.into(),
            }));
        }
        Ok(Span {
            lo,
            hi,
            width: lo_text.len(),
        })
    }

    fn invalid(&mut self, piece: &str) -> Fail {
        self.diagnostics
            .push(Diagnostic::InvalidRange(piece.into()));
        Fail::Soft(Error::InvalidRange {
            expr: self.expr.into(),
            range: piece.into(),
        })
    }
}

/// Splits an expression into host tokens; a bracketed part is never split,
/// whatever separators it holds (`n[1, 2]` is one token). Slurm's `_next_tok`.
struct Tokens<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn next_token(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let is_sep = |i: usize| SEPARATORS.contains(&b[i]);
        while self.pos < b.len() && is_sep(self.pos) {
            self.pos += 1;
        }
        if self.pos == b.len() {
            return None;
        }
        let start = self.pos;
        let mut scan = start;
        'token: loop {
            while self.pos < b.len() && !is_sep(self.pos) {
                self.pos += 1;
            }
            // Step over bracket pairs that straddle the separator just found.
            loop {
                let Some(open) = find(b, scan, b'[').filter(|&open| open <= self.pos) else {
                    break 'token;
                };
                let Some(close) = find(b, scan, b']').filter(|&close| close > open) else {
                    break 'token;
                };
                if close < self.pos {
                    scan = close + 1;
                } else {
                    self.pos = close;
                    continue 'token;
                }
            }
        }
        let end = self.pos;
        while self.pos < b.len() && is_sep(self.pos) {
            self.pos += 1;
        }
        Some(&self.s[start..end])
    }
}

fn find(b: &[u8], from: usize, c: u8) -> Option<usize> {
    b[from..].iter().position(|&x| x == c).map(|i| from + i)
}

/// C's `strtoul(s, &end, 10)`: leading whitespace, an optional sign, digits;
/// saturates at `u64::MAX` and negates modulo 2^64. Returns the value and the
/// bytes consumed, or `None` when there are no digits.
pub(crate) fn strtoul(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = i;
    let mut value: Option<u64> = Some(0);
    while i < b.len() && b[i].is_ascii_digit() {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(b[i] - b'0')));
        i += 1;
    }
    if i == digits {
        return None;
    }
    let value = match value {
        None => u64::MAX,
        Some(v) if negative => v.wrapping_neg(),
        Some(v) => v,
    };
    Some((value, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoul_like_c() {
        let cases: &[(&str, Option<(u64, usize)>)] = &[
            ("", None),
            ("x", None),
            ("-", None),
            ("12", Some((12, 2))),
            ("007", Some((7, 3))),
            ("1a", Some((1, 1))),
            (" 2", Some((2, 2))),
            ("+3", Some((3, 2))),
            ("-2", Some((u64::MAX - 1, 2))),
            ("18446744073709551615", Some((u64::MAX, 20))),
            ("99999999999999999999", Some((u64::MAX, 20))),
        ];
        for &(s, want) in cases {
            assert_eq!(strtoul(s), want, "{s:?}");
        }
    }

    #[test]
    fn tokens() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            (",, ,", &[]),
            ("a,b c\td", &["a", "b", "c", "d"]),
            ("n[1,2],m", &["n[1,2]", "m"]),
            ("n[1, 2]", &["n[1, 2]"]),
            ("a[1,2]b[3,4]", &["a[1,2]b[3,4]"]),
            ("n[1,2", &["n[1", "2"]),
            ("n[1,2]x,b", &["n[1,2]x", "b"]),
            ("n],a[1", &["n]", "a[1"]),
        ];
        for &(s, want) in cases {
            let mut t = Tokens { s, pos: 0 };
            let got: Vec<&str> = std::iter::from_fn(|| t.next_token()).collect();
            assert_eq!(got, want, "{s:?}");
        }
    }
}
