//! The job's step token: read from its file, compared in constant time.

use std::io;
use std::path::Path;

/// Reads the token from `path`, without surrounding whitespace (a trailing
/// newline is common in files written by hand or by Kubernetes secrets).
pub fn read_token(path: &Path) -> io::Result<String> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.trim().to_string())
}

/// Compares two tokens in time that depends only on their lengths' maximum,
/// never on where they first differ.
#[must_use]
pub fn tokens_equal(given: &[u8], expected: &[u8]) -> bool {
    let n = given.len().max(expected.len());
    let mut diff = u8::from(given.len() != expected.len());
    for i in 0..n {
        let a = given.get(i).copied().unwrap_or(0);
        let b = expected.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(a ^ b);
    }
    // An empty expected token would let anyone in: never accept it.
    diff == 0 && !expected.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_identical_and_non_empty() {
        assert!(tokens_equal(b"s3cret", b"s3cret"));
        assert!(!tokens_equal(b"s3cret", b"s3creT"));
        assert!(!tokens_equal(b"s3cre", b"s3cret"));
        assert!(!tokens_equal(b"s3cret\0", b"s3cret"));
        assert!(!tokens_equal(b"", b"s3cret"));
        assert!(!tokens_equal(b"", b""));
    }

    #[test]
    fn file_is_trimmed() {
        let dir = std::env::temp_dir().join(format!("sk8-token-{}", std::process::id()));
        std::fs::write(&dir, "abc\n").unwrap();
        assert_eq!(read_token(&dir).unwrap(), "abc");
        let _ = std::fs::remove_file(&dir);
    }
}
