//! Writes words back as a directive line that sbatch (and [`crate::scan`]) reads as the same words.

use std::borrow::Cow;

use crate::words::{is_space, separator};

/// A word that no directive line can carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// sbatch drops an empty word and everything after it on the line.
    #[error("an empty word cannot be written in a directive")]
    Empty,
    /// A directive is one line.
    #[error("word `{0}` holds a line break")]
    LineBreak(String),
    /// sbatch refuses scripts with NUL bytes.
    #[error("word `{0}` holds a NUL byte")]
    Nul(String),
}

/// Whether `b` must be quoted: it would otherwise end the word or be read specially.
fn special(b: u8) -> bool {
    is_space(b) || matches!(b, b'"' | b'\'' | b'\\' | b'#')
}

/// `word` as sbatch's word splitting needs to see it: unchanged when that is safe, otherwise
/// in double quotes with `"` and `\` escaped.
pub fn quote(word: &str) -> Result<Cow<'_, str>, QuoteError> {
    let bytes = word.as_bytes();
    if bytes.is_empty() {
        return Err(QuoteError::Empty);
    }
    if bytes.contains(&b'\n') {
        return Err(QuoteError::LineBreak(word.to_owned()));
    }
    if bytes.contains(&0) {
        return Err(QuoteError::Nul(word.to_owned()));
    }
    let plain =
        bytes[0] != b':' && separator(bytes).is_none() && !bytes.iter().copied().any(special);
    if plain {
        return Ok(Cow::Borrowed(word));
    }
    let mut out = String::with_capacity(word.len() + 4);
    out.push('"');
    for c in word.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(Cow::Owned(out))
}

/// A `#SBATCH` line (without its `\n`) that sbatch reads as exactly `words`.
pub fn directive_line<S: AsRef<str>>(words: &[S]) -> Result<String, QuoteError> {
    let mut line = String::from(crate::SBATCH_PREFIX);
    for word in words {
        line.push(' ');
        line.push_str(&quote(word.as_ref())?);
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        let cases: &[(&str, &str)] = &[
            ("-J", "-J"),
            ("--job-name=x", "--job-name=x"),
            ("a:b", "a:b"),
            ("é", "é"),
            ("a b", "\"a b\""),
            ("a\tb", "\"a\tb\""),
            ("it's", "\"it's\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("a\\b", "\"a\\\\b\""),
            ("#x", "\"#x\""),
            (":x", "\":x\""),
            ("hetjob", "\"hetjob\""),
            ("PackJob", "\"PackJob\""),
            ("hetjobs", "hetjobs"),
        ];
        for &(word, want) in cases {
            assert_eq!(quote(word).unwrap(), want, "word {word:?}");
        }
    }

    #[test]
    fn refuses_what_no_line_can_carry() {
        let cases: &[(&str, QuoteError)] = &[
            ("", QuoteError::Empty),
            ("a\nb", QuoteError::LineBreak("a\nb".to_owned())),
            ("a\0b", QuoteError::Nul("a\0b".to_owned())),
        ];
        for (word, want) in cases {
            assert_eq!(quote(word).unwrap_err(), *want, "word {word:?}");
        }
    }

    #[test]
    fn builds_a_line() {
        assert_eq!(
            directive_line(&["-J", "a b"]).unwrap(),
            "#SBATCH -J \"a b\"".to_owned()
        );
    }
}
