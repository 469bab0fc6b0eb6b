//! What the parsers report when a command's input is wrong: the lines
//! Slurm would print and the exit code its option code would exit with.
//! sk8-commands turns a [`ParseError`] into the command's `Failure`.

use std::fmt;

/// Exit code of Slurm's `exit(-1)`: option setters and getopt failures.
pub const EXIT_OPTION: u8 = 255;
/// Exit code of `exit(1)`/`fatal()`: bad numbers, script problems, conflicts.
pub const EXIT_ERROR: u8 = 1;

/// How Slurm's log prefixes a message line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `sbatch: error: ...`
    Error,
    /// `sbatch: fatal: ...`
    Fatal,
    /// `sbatch: ...` (info, and glibc's getopt messages use the program name alone)
    Info,
    /// Printed as is, with no prefix (`Try "sbatch --help" ...`).
    Bare,
}

/// One line a command prints on standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Its prefix.
    pub level: Level,
    /// Its text after the prefix.
    pub text: String,
}

impl Line {
    /// An `error:` line.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            level: Level::Error,
            text: text.into(),
        }
    }
    /// A `fatal:` line.
    pub fn fatal(text: impl Into<String>) -> Self {
        Self {
            level: Level::Fatal,
            text: text.into(),
        }
    }
    /// An info line (`sbatch: text`).
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            level: Level::Info,
            text: text.into(),
        }
    }
    /// A line printed as is.
    pub fn bare(text: impl Into<String>) -> Self {
        Self {
            level: Level::Bare,
            text: text.into(),
        }
    }

    /// The line as printed by program `prog`.
    pub fn render(&self, prog: &str) -> String {
        match self.level {
            Level::Error => format!("{prog}: error: {}", self.text),
            Level::Fatal => format!("{prog}: fatal: {}", self.text),
            Level::Info => format!("{prog}: {}", self.text),
            Level::Bare => self.text.clone(),
        }
    }
}

/// Input a parser rejected: the lines to print and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Lines for standard error, in order.
    pub lines: Vec<Line>,
    /// The process exit code.
    pub code: u8,
}

impl ParseError {
    /// A single `error:` line with exit code `code`.
    pub fn error(text: impl Into<String>, code: u8) -> Self {
        Self {
            lines: vec![Line::error(text)],
            code,
        }
    }

    /// A single `fatal:` line (exit code 1).
    pub fn fatal(text: impl Into<String>) -> Self {
        Self {
            lines: vec![Line::fatal(text)],
            code: EXIT_ERROR,
        }
    }

    /// Prepends a line printed before the error (parsers that print their own
    /// diagnostic first, as Slurm's `parse_time` does).
    pub fn after(mut self, line: Line) -> Self {
        self.lines.insert(0, line);
        self
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
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.render("sbatch").trim_end())
    }
}

impl std::error::Error for ParseError {}
