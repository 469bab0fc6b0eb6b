//! Kubernetes resource quantities (`500m`, `2Gi`, `1e3`) parsed to thousandths.

/// The message the API server gives for a quantity it cannot parse.
pub const QUANTITY_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Parses a quantity to its value times 1000, rounded up (so `1` cpu is
/// `1000`, `500m` is `500`, `1Ki` is `1_024_000`).
pub fn parse_milli(s: &str) -> Option<i128> {
    let s = s.trim();
    let num_end = s
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(s.len(), |(i, _)| i);
    let (num, suffix) = s.split_at(num_end);
    let (neg, digits) = match num.as_bytes().first() {
        Some(b'-') => (true, &num[1..]),
        Some(b'+') => (false, &num[1..]),
        _ => (false, num),
    };
    if digits.is_empty() || digits == "." || digits.matches('.').count() > 1 {
        return None;
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    // value = mantissa * 10^exp10 * 2^exp2
    let mut mantissa: i128 = 0;
    for c in int.chars().chain(frac.chars()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(c.to_digit(10)?))?;
    }
    let mut exp10: i32 = -i32::try_from(frac.len()).ok()?;
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        e if e.starts_with(['e', 'E']) => {
            let rest = &e[1..];
            let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            exp10 += rest.parse::<i32>().ok()?;
        }
        _ => return None,
    }
    exp10 += 3; // thousandths
    let mut v = mantissa.checked_mul(1i128.checked_shl(exp2)?)?;
    if exp10 >= 0 {
        v = v.checked_mul(10i128.checked_pow(u32::try_from(exp10).ok()?)?)?;
    } else {
        let d = 10i128
            .checked_pow(u32::try_from(-exp10).ok()?)
            .unwrap_or(i128::MAX);
        v = (v + d - 1) / d;
    }
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::parse_milli;

    #[test]
    fn parses_the_forms_the_server_accepts() {
        let cases: &[(&str, Option<i128>)] = &[
            ("1", Some(1000)),
            ("500m", Some(500)),
            ("0.5", Some(500)),
            ("2Gi", Some(2 * (1 << 30) * 1000)),
            ("1k", Some(1_000_000)),
            ("1e3", Some(1_000_000)),
            ("1E-3", Some(1)),
            ("100n", Some(1)),
            ("8", Some(8000)),
            ("", None),
            ("abc", None),
            ("1.2.3", None),
            ("5 cores", None),
            ("1Xi", None),
            ("1e", None),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_milli(s), want, "{s}");
        }
    }
}
