//! Column padding and truncation as Slurm's `printf` formats do them.
//!
//! squeue and sinfo print every value through one helper: a right-aligned
//! column (`%.18i`) pads on the left and is only cut when the field asks for
//! it; a left-aligned column (`%10j`) is always cut to its width (C's
//! `%.Ns`) and padded on the right; width zero prints the value as it is.
//! squeue's `-O field:` with no digits yields width zero as well.

/// What the widths of one format may add up to, in columns: sk8's own limit.
/// Slurm has none that holds: squeue and sinfo build each cell in a
/// `char temp[width + 1]` on the stack and crash past about 8 MB
/// (`squeue -o %.8388608i` exits with SIGSEGV), and sacct pads to any `int`
/// (2 GB of spaces for `jobid%2147483647`). 65535 is also the widest field
/// Rust's formatter takes, and far more than any terminal shows.
pub const MAX_LINE_WIDTH: u32 = 65535;

/// The widths a format has asked for so far, against [`MAX_LINE_WIDTH`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct WidthBudget {
    left: u32,
}

impl WidthBudget {
    pub(crate) const fn new() -> Self {
        Self {
            left: MAX_LINE_WIDTH,
        }
    }

    /// Takes `columns` out of the budget; `Err` with what is left when they
    /// do not fit.
    pub(crate) fn take(&mut self, columns: u32) -> Result<(), u32> {
        if columns > self.left {
            return Err(self.left);
        }
        self.left -= columns;
        Ok(())
    }

    /// Takes a squeue/sinfo width (a negative one pads nothing: it prints
    /// the value and one space); when it does not fit, records `error` and
    /// returns what is left as the width to use.
    pub(crate) fn fit(
        &mut self,
        width: i32,
        errors: &mut Vec<String>,
        error: impl FnOnce() -> String,
    ) -> i32 {
        match self.take(width.max(0).unsigned_abs()) {
            Ok(()) => width,
            Err(left) => {
                errors.push(error());
                self.left = 0;
                i32::try_from(left).unwrap_or(i32::MAX)
            }
        }
    }
}

/// The `-o`/`-O` message for a width over the budget; the format goes on
/// with the width cut to what is left.
pub(crate) fn width_error(kind: &str, spec: &str) -> String {
    format!(
        "Invalid {kind} format specification: {spec} (field widths add up to at most {MAX_LINE_WIDTH})"
    )
}

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

pub(crate) fn push_spaces(out: &mut String, n: usize) {
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
        return;
    }
    // By hand, not `{:>w$}`: Rust's formatter panics past 65535.
    let fill = w.saturating_sub(value.chars().count());
    if width < 0 {
        out.push_str(value);
        push_spaces(out, fill);
    } else {
        push_spaces(out, fill);
        out.push_str(value);
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
