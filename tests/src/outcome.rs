//! What a command did (exit code, stdout, stderr) and how sbatch's verdict is read from it.

use std::fmt;
use std::process::Output;

/// The observable result of one command run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code; a death by signal `N` is recorded as `128 + N`, as a shell would.
    pub exit_code: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl From<Output> for Outcome {
    fn from(out: Output) -> Self {
        use std::os::unix::process::ExitStatusExt;
        let exit_code = out
            .status
            .code()
            .or_else(|| out.status.signal().map(|s| 128 + s))
            .unwrap_or(-1);
        Self {
            exit_code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Outcome {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }

    /// The `sbatch: warning: ...` lines of stderr, in order.
    pub fn warnings(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| is_warning(l)).collect()
    }

    /// The stderr lines that are neither warnings nor the `--test-only`
    /// forecast (`sbatch: Job N to start at ...`), in order.
    pub fn messages(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !is_warning(l) && !is_forecast(l))
            .collect()
    }

    /// The outcome with every occurrence of `from` (a temp path) in stdout and
    /// stderr replaced by `to`, so runs in different directories compare.
    pub fn replace(&self, from: &str, to: &str) -> Self {
        Self {
            exit_code: self.exit_code,
            stdout: self.stdout.replace(from, to),
            stderr: self.stderr.replace(from, to),
        }
    }

    /// How `sbatch` (with or without `--test-only`) judged its request.
    pub fn verdict(&self) -> Verdict {
        if self.success() {
            return Verdict::Accepted;
        }
        let messages = self.messages();
        let controller = self.exit_code == 1
            && (messages.iter().any(|l| {
                l.starts_with("allocation failure: ")
                    || l.starts_with("sbatch: error: Batch job submission failed: ")
                    || (l.starts_with("sbatch: error: No cluster '")
                        && l.ends_with("' known by database."))
            }) || messages == [GRES_CONFIG_REJECTION]);
        if controller {
            Verdict::ControllerRejection
        } else {
            Verdict::ParserRejection
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "exit {}", self.exit_code)?;
        for line in self.stdout.lines() {
            writeln!(f, "  stdout| {line}")?;
        }
        for line in self.stderr.lines() {
            writeln!(f, "  stderr| {line}")?;
        }
        Ok(())
    }
}

/// sbatch checks `--gres` and friends against this cluster's GRES
/// configuration before sending the job; the reference cluster has no GPUs,
/// so that check stands in for the controller's and says nothing about
/// parsing.
const GRES_CONFIG_REJECTION: &str = "sbatch: error: Invalid generic resource (gres) specification";

fn is_warning(line: &str) -> bool {
    line.starts_with("sbatch: warning: ")
}

fn is_forecast(line: &str) -> bool {
    line.strip_prefix("sbatch: Job ")
        .is_some_and(|rest| rest.contains(" to start at "))
}

/// sbatch's judgement of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Exit 0: the job was (or, with `--test-only`, would be) queued.
    Accepted,
    /// sbatch itself refused the options before asking the controller.
    ParserRejection,
    /// The options parsed, but the cluster refused them (unknown partition,
    /// too much memory, GRES the node lacks, unknown cluster...). For a parser
    /// this counts as accepted.
    ControllerRejection,
}

impl Verdict {
    /// Whether the options got past sbatch's own parsing.
    pub fn parsed(self) -> bool {
        self != Self::ParserRejection
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Accepted => "accepted",
            Self::ParserRejection => "parser rejection",
            Self::ControllerRejection => "controller rejection",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(exit_code: i32, stderr: &str) -> Outcome {
        Outcome {
            exit_code,
            stdout: String::new(),
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn verdicts_of_real_sbatch_outputs() {
        use Verdict::*;
        let cases: &[(i32, &str, Verdict)] = &[
            (
                0,
                "sbatch: Job 8 to start at 2026-11-28T15:52:27 using 1 processors on nodes vm in partition debug\n",
                Accepted,
            ),
            (
                255,
                "sbatch: error: Invalid --time specification\n",
                ParserRejection,
            ),
            (
                255,
                "sbatch: unrecognized option '--bogus'\nTry \"sbatch --help\" for more information\n",
                ParserRejection,
            ),
            (
                1,
                "sbatch: error: invalid partition specified: nope\nallocation failure: Invalid partition name specified\n",
                ControllerRejection,
            ),
            (
                1,
                "allocation failure: Requested node configuration is not available\n",
                ControllerRejection,
            ),
            (
                1,
                "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n",
                ControllerRejection,
            ),
            (
                1,
                "sbatch: error: Invalid generic resource (gres) specification\n",
                ControllerRejection,
            ),
            (
                1,
                "sbatch: error: gres_job_state_validate: --ntasks-per-tres needs either a GRES GPU specification or a node/ntask specification\nsbatch: error: Invalid generic resource (gres) specification\n",
                ParserRejection,
            ),
            (
                1,
                "sbatch: error: No cluster 'c4' known by database.\nsbatch: error: 'c4' can't be reached now, or it is an invalid entry for --cluster.  Use 'sacctmgr list clusters' to see available clusters.\n",
                ControllerRejection,
            ),
            (
                1,
                "sbatch: error: Invalid numeric value \"X\" for --cpus-per-task.\n",
                ParserRejection,
            ),
            (
                0,
                "sbatch: warning: odd\nsbatch: Job 1 to start at x using 1 processors on nodes vm in partition debug\n",
                Accepted,
            ),
        ];
        for (exit_code, stderr, want) in cases {
            assert_eq!(outcome(*exit_code, stderr).verdict(), *want, "{stderr}");
        }
    }

    #[test]
    fn warnings_and_messages_split_stderr() {
        let o = outcome(
            0,
            "sbatch: warning: a\nsbatch: error: b\nsbatch: Job 3 to start at now\nsbatch: warning: c\n",
        );
        assert_eq!(o.warnings(), ["sbatch: warning: a", "sbatch: warning: c"]);
        assert_eq!(o.messages(), ["sbatch: error: b"]);
        let moved = o.replace("error", "E");
        assert_eq!(moved.messages(), ["sbatch: E: b"]);
    }
}
