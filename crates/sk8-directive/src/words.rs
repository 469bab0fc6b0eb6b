//! Slurm's word splitting for one directive line (the rules of `get_argument` in sbatch).
//!
//! The rules, as sbatch 22.05 applies them (each one is checked against real sbatch in
//! `tests/reference.rs`):
//! - blanks are C `isspace` bytes: space, `\t`, `\n`, `\v`, `\f`, `\r`;
//! - `'...'` and `"..."` group bytes, blanks and `#` included, and may sit mid-word
//!   (`a"b c"d` is `ab cd`); the other quote character is literal inside them;
//! - a backslash makes the next byte literal, inside quotes too, except that an escaped blank
//!   still ends the word outside quotes (`a\ b` is two words, `a` and `b`);
//! - an unquoted `#` ends the word and the line;
//! - a word that comes out empty (`""`, `''`, a lone `\`) ends the line: the words after it
//!   are dropped;
//! - a word `hetjob` or `packjob` (any case, followed by a blank or the end of the line) ends
//!   the line, wherever it stands; only as the first word does it also separate components;
//! - a word starting with `:` and an unclosed quote are fatal errors.

/// C's `isspace` in the C locale, which is what sbatch runs under.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// Index of the first non-blank byte of `s` (or `s.len()`).
pub(crate) fn skip_space(s: &[u8]) -> usize {
    s.iter().position(|&b| !is_space(b)).unwrap_or(s.len())
}

/// Whether `s` starts with a component separator word: `hetjob` or `packjob` in any case,
/// then a blank or the end. Returns which one.
pub(crate) fn separator(s: &[u8]) -> Option<Separator> {
    let ends_at = |n: usize| s.len() == n || is_space(s[n]);
    if s.len() >= 7 && s[..7].eq_ignore_ascii_case(b"packjob") && ends_at(7) {
        Some(Separator::PackJob)
    } else if s.len() >= 6 && s[..6].eq_ignore_ascii_case(b"hetjob") && ends_at(6) {
        Some(Separator::HetJob)
    } else {
        None
    }
}

/// The two spellings of the heterogeneous-job component separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    HetJob,
    PackJob,
}

/// What reading one word from a line produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// A word, and how many bytes of the input it used (blanks before it included).
    Word(String, usize),
    /// Nothing more on this line.
    End,
    /// A `hetjob`/`packjob` word, which ends the line.
    Separator(Separator),
}

/// Why a word could not be read; the caller adds the line number.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WordError {
    Unmatched(u8),
    Colon,
}

/// Reads the next word of `rest`, which is what is left of a directive line.
pub(crate) fn next_word(rest: &[u8]) -> Result<Next, WordError> {
    let mut i = skip_space(rest);
    if let Some(sep) = separator(&rest[i..]) {
        return Ok(Next::Separator(sep));
    }
    match rest.get(i) {
        None => return Ok(Next::End),
        Some(b':') => return Err(WordError::Colon),
        Some(_) => {}
    }
    let start = i;
    let mut word: Vec<u8> = Vec::new();
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    while i < rest.len() && (quote.is_some() || !is_space(rest[i])) {
        let b = rest[i];
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
            i += 1;
            continue;
        } else if let Some(q) = quote {
            if b == q {
                quote = None;
                i += 1;
                continue;
            }
        } else if b == b'"' || b == b'\'' {
            quote = Some(b);
            i += 1;
            continue;
        } else if b == b'#' {
            break;
        }
        if word.is_empty() {
            word.reserve(rest.len() - start);
        }
        word.push(b);
        i += 1;
    }
    if let Some(q) = quote {
        return Err(WordError::Unmatched(q));
    }
    if word.is_empty() {
        return Ok(Next::End);
    }
    let text = match String::from_utf8(word) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    };
    Ok(Next::Word(text, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a whole line, for the table below.
    fn split(line: &str) -> Result<(Vec<String>, Option<Separator>), WordError> {
        let mut words = Vec::new();
        let mut rest = line.as_bytes();
        loop {
            match next_word(rest)? {
                Next::Word(w, used) => {
                    words.push(w);
                    rest = &rest[used..];
                }
                Next::End => return Ok((words, None)),
                Next::Separator(sep) => return Ok((words, Some(sep))),
            }
        }
    }

    #[test]
    fn splits_like_get_argument() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("   \t ", &[]),
            ("-J x", &["-J", "x"]),
            ("\t-J\tx\t", &["-J", "x"]),
            ("-J\x0bx\x0cy\rz", &["-J", "x", "y", "z"]),
            ("-J 'a b'", &["-J", "a b"]),
            ("-J \"a b\"", &["-J", "a b"]),
            ("-J a\"b c\"d", &["-J", "ab cd"]),
            ("-J \"it's\"", &["-J", "it's"]),
            ("-J 'say \"hi\"'", &["-J", "say \"hi\""]),
            ("-J a\\\"b", &["-J", "a\"b"]),
            ("-J \"a\\\"b\"", &["-J", "a\"b"]),
            ("-J 'a\\'b'", &["-J", "a'b"]),
            ("-J a\\\\b", &["-J", "a\\b"]),
            ("-J a\\ b", &["-J", "a", "b"]),
            ("-J \"a\\ b\"", &["-J", "a b"]),
            ("-J a\\#b", &["-J", "a#b"]),
            ("-J a#b c", &["-J", "a"]),
            ("-J a #b c", &["-J", "a"]),
            ("-J '#a'", &["-J", "#a"]),
            ("#-J a", &[]),
            ("-J \"\" --comment x", &["-J"]),
            ("-J '' x", &["-J"]),
            ("-J \\ x", &["-J"]),
            ("-J x\\", &["-J", "x"]),
            ("-J hetjobs", &["-J", "hetjobs"]),
            ("-J hetjob#", &["-J", "hetjob"]),
            ("-J 'hetjob'", &["-J", "hetjob"]),
            ("-J a:b", &["-J", "a:b"]),
            ("-J ':b'", &["-J", ":b"]),
            ("--comment=a\\:b", &["--comment=a:b"]),
            ("-J é", &["-J", "é"]),
        ];
        for &(line, want) in cases {
            let (words, sep) = split(line).unwrap_or_else(|e| panic!("{line:?}: {e:?}"));
            assert_eq!(words, want, "line {line:?}");
            assert_eq!(sep, None, "line {line:?}");
        }
    }

    #[test]
    fn separator_word_ends_the_line() {
        let cases: &[(&str, &[&str], Separator)] = &[
            ("hetjob", &[], Separator::HetJob),
            ("HetJob -J x", &[], Separator::HetJob),
            ("packjob\t-J x", &[], Separator::PackJob),
            ("-J x hetjob -J y", &["-J", "x"], Separator::HetJob),
            ("-J x PACKJOB", &["-J", "x"], Separator::PackJob),
        ];
        for &(line, want, want_sep) in cases {
            let (words, sep) = split(line).unwrap();
            assert_eq!(words, want, "line {line:?}");
            assert_eq!(sep, Some(want_sep), "line {line:?}");
        }
    }

    #[test]
    fn rejects_like_get_argument() {
        let cases: &[(&str, WordError)] = &[
            ("-J \"abc", WordError::Unmatched(b'"')),
            ("-J 'abc", WordError::Unmatched(b'\'')),
            ("-J \"a\\\"", WordError::Unmatched(b'"')),
            ("-J 'a\"", WordError::Unmatched(b'\'')),
            ("-J x'", WordError::Unmatched(b'\'')),
            (":", WordError::Colon),
            ("-J :x", WordError::Colon),
            ("-J x :", WordError::Colon),
        ];
        for (line, want) in cases {
            assert_eq!(split(line).unwrap_err(), *want, "line {line:?}");
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(
            next_word(b"a\xffb c").unwrap(),
            Next::Word("a\u{fffd}b".to_owned(), 3)
        );
    }
}
