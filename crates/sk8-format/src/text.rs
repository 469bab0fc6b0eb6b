//! Column padding and truncation as Slurm's `printf` formats do them.
//!
//! squeue and sinfo print every value through one helper: a right-aligned
//! column (`%.18i`) pads on the left and is only cut when the field asks for
//! it; a left-aligned column (`%10j`) is always cut to its width (C's
//! `%.Ns`) and padded on the right; width zero prints the value as it is.
//! squeue's `-O field:` with no digits yields width zero as well.

use std::fmt::Write as _;

/// Widths count bytes, as C does; values are ASCII in practice, and a cut
/// that would split a UTF-8 character backs off to the previous boundary.
fn cut_at(s: &str, width: usize) -> &str {
    if s.len() <= width {
        return s;
    }
    let mut end = width;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends `value` to `out` in a column of `width` (squeue/sinfo's `_print_str`).
///
/// `cut` truncates a right-aligned value longer than the column; left-aligned
/// values are always truncated. A negative width prints the value and one space.
pub fn pad_into(out: &mut String, value: &str, width: i32, right: bool, cut: bool) {
    if width < 0 {
        out.push_str(value);
        out.push(' ');
        return;
    }
    let width = width as usize;
    if width == 0 {
        out.push_str(value);
        return;
    }
    let shown = if right && !cut {
        value
    } else {
        cut_at(value, width)
    };
    // Pad by characters, as `{:>width$}` would, without the formatter's
    // per-character writes (squeue pads thousands of cells).
    let fill = width.saturating_sub(shown.chars().count());
    if right {
        push_spaces(out, fill);
        out.push_str(shown);
    } else {
        out.push_str(shown);
        push_spaces(out, fill);
    }
}

fn push_spaces(out: &mut String, n: usize) {
    const SPACES: &str = "                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// [`pad_into`] returning a new string.
pub fn pad(value: &str, width: i32, right: bool, cut: bool) -> String {
    let mut s = String::new();
    pad_into(&mut s, value, width, right, cut);
    s
}

/// sacct's columns (`%-Ns` / `%Ns` after cutting to the width, with `+` marking a
/// cut value): `width` positive right-aligns, negative left-aligns.
pub fn sacct_cell(out: &mut String, value: &str, width: i32) {
    let w = width.unsigned_abs() as usize;
    if w == 0 {
        out.push_str(value);
        return;
    }
    if value.len() > w {
        out.push_str(cut_at(value, w - 1));
        out.push('+');
    } else if width < 0 {
        let _ = write!(out, "{value:<w$}");
    } else {
        let _ = write!(out, "{value:>w$}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_slurm_print_str() {
        // (value, width, right, cut, expected)
        let cases: &[(&str, i32, bool, bool, &str)] = &[
            ("123", 18, true, true, "               123"),
            ("123", 5, false, true, "123  "),
            ("abcdefghij", 5, false, true, "abcde"),
            ("abcdefghij", 5, false, false, "abcde"),
            ("abcdefghij", 5, true, true, "abcde"),
            ("abcdefghij", 5, true, false, "abcdefghij"),
            ("abc", 0, true, true, "abc"),
            ("abc", 0, false, true, "abc"),
            ("abc", -1, false, true, "abc "),
            ("", 3, false, true, "   "),
            ("", 3, true, true, "   "),
            ("héllo", 2, false, true, "h "),
        ];
        for &(v, w, r, c, want) in cases {
            assert_eq!(pad(v, w, r, c), want, "{v:?} w={w} right={r} cut={c}");
        }
    }

    #[test]
    fn sacct_cells_mark_cut_values() {
        let cases: &[(&str, i32, &str)] = &[
            ("COMPLETED", 10, " COMPLETED"),
            ("COMPLETED", -10, "COMPLETED "),
            ("CANCELLED by 0", 10, "CANCELLED+"),
            ("CANCELLED by 0", -10, "CANCELLED+"),
            ("abc", 0, "abc"),
            ("abcd", 4, "abcd"),
        ];
        for &(v, w, want) in cases {
            let mut s = String::new();
            sacct_cell(&mut s, v, w);
            assert_eq!(s, want, "{v:?} {w}");
        }
    }
}
