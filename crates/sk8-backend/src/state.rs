//! Job and node states with Slurm's names and compact codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A job's state, as `squeue -t` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum JobState {
    /// Waiting to start.
    Pending,
    /// Resources allocated, nodes being readied (pods bound, not started).
    Configuring,
    /// Running.
    Running,
    /// Suspended.
    Suspended,
    /// Finished; its processes are being cleaned up.
    Completing,
    /// Finished with exit code 0.
    Completed,
    /// Cancelled by a user or an administrator.
    Cancelled,
    /// Finished with a non-zero exit code or another failure.
    Failed,
    /// Reached its time limit.
    Timeout,
    /// Ended by the failure of one of its nodes.
    NodeFail,
    /// Preempted.
    Preempted,
    /// Its node failed to boot.
    BootFail,
    /// Reached its deadline.
    Deadline,
    /// Ran out of memory.
    OutOfMemory,
    /// Being requeued.
    Requeued,
}

impl JobState {
    /// Every state, in Slurm's order.
    pub const ALL: [JobState; 15] = [
        Self::Pending,
        Self::Running,
        Self::Suspended,
        Self::Completed,
        Self::Cancelled,
        Self::Failed,
        Self::Timeout,
        Self::NodeFail,
        Self::Preempted,
        Self::BootFail,
        Self::Deadline,
        Self::OutOfMemory,
        Self::Completing,
        Self::Configuring,
        Self::Requeued,
    ];

    /// The long name (`PENDING`, `OUT_OF_MEMORY`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Configuring => "CONFIGURING",
            Self::Running => "RUNNING",
            Self::Suspended => "SUSPENDED",
            Self::Completing => "COMPLETING",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::Failed => "FAILED",
            Self::Timeout => "TIMEOUT",
            Self::NodeFail => "NODE_FAIL",
            Self::Preempted => "PREEMPTED",
            Self::BootFail => "BOOT_FAIL",
            Self::Deadline => "DEADLINE",
            Self::OutOfMemory => "OUT_OF_MEMORY",
            Self::Requeued => "REQUEUED",
        }
    }

    /// The compact code `squeue` prints in `%t` (`PD`, `R`, `CG`, `OOM`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::Pending => "PD",
            Self::Configuring => "CF",
            Self::Running => "R",
            Self::Suspended => "S",
            Self::Completing => "CG",
            Self::Completed => "CD",
            Self::Cancelled => "CA",
            Self::Failed => "F",
            Self::Timeout => "TO",
            Self::NodeFail => "NF",
            Self::Preempted => "PR",
            Self::BootFail => "BF",
            Self::Deadline => "DL",
            Self::OutOfMemory => "OOM",
            Self::Requeued => "RQ",
        }
    }

    /// True once the job can no longer run (Slurm's `IS_JOB_FINISHED`).
    pub const fn is_finished(self) -> bool {
        matches!(
            self,
            Self::Completed
                | Self::Cancelled
                | Self::Failed
                | Self::Timeout
                | Self::NodeFail
                | Self::Preempted
                | Self::BootFail
                | Self::Deadline
                | Self::OutOfMemory
        )
    }

    /// True while the job holds resources.
    pub const fn is_active(self) -> bool {
        matches!(
            self,
            Self::Configuring | Self::Running | Self::Suspended | Self::Completing
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A state name or code that names no state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid job state specified: {0}")]
pub struct UnknownState(pub String);

impl FromStr for JobState {
    type Err = UnknownState;

    /// Accepts the long name or the compact code, in any case, as `squeue -t`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| s.eq_ignore_ascii_case(st.name()) || s.eq_ignore_ascii_case(st.code()))
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// A node's state, as `sinfo` prints it (`idle`, `mix`, `alloc`, `drain`,
/// `drng`, `down`), with the "not responding" flag (`down*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeState {
    /// No job on it.
    Idle,
    /// Some of its CPUs allocated.
    Mixed,
    /// All of its CPUs allocated.
    Allocated,
    /// Drained by an administrator, no job on it.
    Drained,
    /// Draining: no new jobs, some still running.
    Draining,
    /// Down.
    Down,
    /// Not known yet.
    Unknown,
}

impl NodeState {
    /// The short name `sinfo` prints in `%t` (`idle`, `mix`, `alloc`, `drain`,
    /// `drng`, `down`, `unk`).
    pub const fn short(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Mixed => "mix",
            Self::Allocated => "alloc",
            Self::Drained => "drain",
            Self::Draining => "drng",
            Self::Down => "down",
            Self::Unknown => "unk",
        }
    }

    /// The long name `sinfo` prints in `%T` and `scontrol` in `State=`.
    pub const fn long(self) -> &'static str {
        match self {
            Self::Idle => "IDLE",
            Self::Mixed => "MIXED",
            Self::Allocated => "ALLOCATED",
            Self::Drained => "DRAINED",
            Self::Draining => "DRAINING",
            Self::Down => "DOWN",
            Self::Unknown => "UNKNOWN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_parse_back() {
        for st in JobState::ALL {
            assert_eq!(st.name().parse::<JobState>(), Ok(st));
            assert_eq!(st.code().to_lowercase().parse::<JobState>(), Ok(st));
        }
        assert!("BOGUS".parse::<JobState>().is_err());
    }

    #[test]
    fn finished_and_active_are_disjoint() {
        for st in JobState::ALL {
            assert!(!(st.is_finished() && st.is_active()), "{st}");
        }
        assert!(JobState::Completed.is_finished());
        assert!(JobState::Running.is_active());
        assert!(!JobState::Pending.is_finished() && !JobState::Pending.is_active());
    }
}
