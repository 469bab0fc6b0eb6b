//! [`Failure`]: what a command prints on standard error when it must stop,
//! and the code it exits with. Parsers report a [`ParseError`]; backends an
//! [`sk8_backend::Error`]; both become a `Failure` here, the one user-facing
//! error type of the commands.

use std::io::Write;
use std::process::ExitCode;

pub use sk8_opts::Line;
use sk8_opts::ParseError;

use crate::exit::EXIT_ERROR;

/// A command that must stop: the lines to print and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Lines for standard error, in order.
    pub lines: Vec<Line>,
    /// The process exit code.
    pub code: u8,
}

impl Failure {
    /// A single `error:` line with exit code `code`.
    pub fn error(text: impl Into<String>, code: u8) -> Self {
        Self {
            lines: vec![Line::error(text)],
            code,
        }
    }

    /// A single `fatal:` line with exit code [`EXIT_ERROR`].
    pub fn fatal(text: impl Into<String>) -> Self {
        Self {
            lines: vec![Line::fatal(text)],
            code: EXIT_ERROR,
        }
    }

    /// Its lines' text without their prefixes, joined by newlines (for a
    /// report that says it in its own form, as `sk8 doctor` does).
    #[must_use]
    pub fn text(&self) -> String {
        let lines: Vec<&str> = self.lines.iter().map(|l| l.text.as_str()).collect();
        lines.join("\n")
    }

    /// A single `error:` line with exit code [`EXIT_ERROR`].
    pub fn refused(text: impl Into<String>) -> Self {
        Self::error(text, EXIT_ERROR)
    }

    /// A backend error as a command prints it: `<what>: <Slurm's words>`.
    pub fn backend(what: &str, e: &sk8_backend::Error) -> Self {
        Self::refused(format!("{what}{e}"))
    }

    /// Renders every line for program `prog`, newline-terminated.
    pub fn render(&self, prog: &str) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(&l.render(prog));
            s.push('\n');
        }
        s
    }

    /// Prints the lines on standard error as program `prog` and returns the
    /// exit code.
    pub fn report(&self, prog: &str) -> ExitCode {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(self.render(prog).as_bytes());
        ExitCode::from(self.code)
    }
}

impl From<ParseError> for Failure {
    fn from(e: ParseError) -> Self {
        Self {
            lines: e.lines,
            code: e.code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_keeps_its_lines_and_code() {
        let parsed = ParseError::error("Invalid --time specification", 255);
        let f = Failure::from(parsed);
        assert_eq!(f.code, 255);
        assert_eq!(
            f.render("sbatch"),
            "sbatch: error: Invalid --time specification\n"
        );
    }
}
