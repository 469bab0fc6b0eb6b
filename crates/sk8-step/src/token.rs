//! The job's step token: read from its file, compared in constant time.

use std::io::{self, Read};
use std::path::Path;

/// The largest token file read (4 KiB): sk8's tokens are 64 hex digits, so a
/// page is generous, and `SK8_TOKEN_FILE=/dev/zero` costs 4 KiB, not
/// everything the device gives.
pub const MAX_TOKEN_FILE: u64 = 4096;

/// Reads the token from `path`, without surrounding whitespace (a trailing
/// newline is common in files written by hand or by Kubernetes secrets).
///
/// A file of more than [`MAX_TOKEN_FILE`] bytes is refused
/// (`InvalidData`) after reading one byte past the limit, never more.
pub fn read_token(path: &Path) -> io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_TOKEN_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_TOKEN_FILE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the file is larger than {MAX_TOKEN_FILE} bytes"),
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the token is not UTF-8"))?;
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

    /// Issue 13: `SK8_TOKEN_FILE=/dev/zero` made srun and the agent read
    /// gigabytes.
    #[test]
    fn endless_or_large_token_files_are_refused_after_the_limit() {
        let err = read_token(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("4096"), "{err}");
        let path = std::env::temp_dir().join(format!("sk8-token-big-{}", std::process::id()));
        std::fs::write(&path, "a".repeat(MAX_TOKEN_FILE as usize)).unwrap();
        assert_eq!(read_token(&path).unwrap().len(), MAX_TOKEN_FILE as usize);
        std::fs::write(&path, "a".repeat(MAX_TOKEN_FILE as usize + 1)).unwrap();
        assert_eq!(
            read_token(&path).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn file_is_trimmed() {
        let dir = std::env::temp_dir().join(format!("sk8-token-{}", std::process::id()));
        std::fs::write(&dir, "abc\n").unwrap();
        assert_eq!(read_token(&dir).unwrap(), "abc");
        let _ = std::fs::remove_file(&dir);
    }
}
