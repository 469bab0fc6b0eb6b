//! The clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds (0 on a clock set before 1970, which none here is).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
