//! Every exit code an sk8 command exits with, named once (as fd's
//! `exit_codes.rs` and nextest's `exit_codes.rs` do): the commands use these
//! names, never a number.
//!
//! The option parsers' two codes are sk8-opts' (its [`ParseError`] carries
//! one of them); they are re-exported here so a command names every code
//! through this module.
//!
//! [`ParseError`]: sk8_opts::ParseError

use std::process::ExitCode;

/// Success.
pub const EXIT_OK: u8 = 0;
/// Slurm's `exit(1)`/`fatal()`: a request the command or the controller
/// refused, a job or node not found, a backend that cannot be reached.
pub const EXIT_ERROR: u8 = sk8_opts::error::EXIT_ERROR;
/// Slurm's `exit(-1)`: an option the parser or a setter rejected.
pub const EXIT_OPTION: u8 = sk8_opts::error::EXIT_OPTION;
/// A usage error of sk8's own commands (`sk8` with no known subcommand), as
/// getopt-style tools exit.
pub const EXIT_USAGE: u8 = 2;
/// Added to a signal's number when a child died of it (shells' `128+N`).
pub const SIGNAL_BASE: u8 = 128;

/// [`EXIT_ERROR`] as an [`ExitCode`].
#[must_use]
pub fn error() -> ExitCode {
    ExitCode::from(EXIT_ERROR)
}

/// [`EXIT_USAGE`] as an [`ExitCode`].
#[must_use]
pub fn usage() -> ExitCode {
    ExitCode::from(EXIT_USAGE)
}

/// The exit code of a child that died of signal `sig`: `128 + sig`,
/// saturating for numbers no signal has.
#[must_use]
pub fn of_signal(sig: i32) -> u8 {
    u8::try_from(sig).map_or(u8::MAX, |s| SIGNAL_BASE.saturating_add(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_slurms() {
        // Slurm's `exit(-1)` is 255 and `fatal()` is 1; sk8 keeps both.
        assert_eq!(EXIT_OPTION, 255);
        assert_eq!(EXIT_ERROR, 1);
        assert_eq!(of_signal(9), 137);
        assert_eq!(of_signal(1_000), 255);
    }
}
