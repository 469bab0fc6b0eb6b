//! Mail notification event lists (`--mail-type=BEGIN,END`) parsed like Slurm 22.05's `parse_mail_type`.
//!
//! The value is a comma-separated list of event names, any case: `NONE`,
//! `BEGIN`, `END`, `FAIL`, `REQUEUE`, `ALL`, `INVALID_DEPEND`, `STAGE_OUT`,
//! `TIME_LIMIT`, `TIME_LIMIT_90`, `TIME_LIMIT_80`, `TIME_LIMIT_50`,
//! `ARRAY_TASKS`. `ALL` is `INVALID_DEPEND,BEGIN,END,FAIL,REQUEUE,STAGE_OUT`
//! (no time limits, no array tasks). Empty items and unknown names are
//! skipped silently (`BEGIN,foo` is `BEGIN`; no white space is trimmed, so
//! ` BEGIN` is unknown); `NONE` clears everything and ends the list
//! (`BEGIN,NONE` is none). A value with no known name at all is an error.
//! Repeated `--mail-type` options add up in Slurm ([`MailType::union`]).
//!
//! What real `/usr/bin/sbatch` (22.05.8) prints for bad values (`foo`, an
//! empty value), before contacting the controller:
//!
//! | option | message | exit |
//! |---|---|---|
//! | `--mail-type` | `sbatch: error: Invalid --mail-type specification` | 255 |
//!
//! `Display` is `scontrol show job`'s `MailType=` text, in Slurm's order
//! (`ARRAY_TASKS,INVALID_DEPEND,BEGIN,END,FAIL,REQUEUE,STAGE_OUT,`
//! `TIME_LIMIT_50,TIME_LIMIT_80,TIME_LIMIT_90,TIME_LIMIT`); an empty set
//! prints `NONE` (scontrol then omits `MailUser=`/`MailType=` altogether).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a mail type list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailTypeError {
    /// No known event name in the list.
    #[error("invalid mail type `{0}`")]
    Invalid(String),
}

/// One mail event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MailFlag {
    /// Mail for each array task, not just the array.
    ArrayTasks,
    /// A dependency can never be satisfied.
    InvalidDepend,
    /// The job started.
    Begin,
    /// The job ended.
    End,
    /// The job failed.
    Fail,
    /// The job was requeued.
    Requeue,
    /// Burst buffer stage-out finished.
    StageOut,
    /// Half the time limit is used.
    TimeLimit50,
    /// 80% of the time limit is used.
    TimeLimit80,
    /// 90% of the time limit is used.
    TimeLimit90,
    /// The time limit is reached.
    TimeLimit,
}

impl MailFlag {
    /// Every flag, in the order `scontrol` prints them.
    pub const ALL: [Self; 11] = [
        Self::ArrayTasks,
        Self::InvalidDepend,
        Self::Begin,
        Self::End,
        Self::Fail,
        Self::Requeue,
        Self::StageOut,
        Self::TimeLimit50,
        Self::TimeLimit80,
        Self::TimeLimit90,
        Self::TimeLimit,
    ];

    /// Slurm's name for the flag (`TIME_LIMIT_90`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::ArrayTasks => "ARRAY_TASKS",
            Self::InvalidDepend => "INVALID_DEPEND",
            Self::Begin => "BEGIN",
            Self::End => "END",
            Self::Fail => "FAIL",
            Self::Requeue => "REQUEUE",
            Self::StageOut => "STAGE_OUT",
            Self::TimeLimit50 => "TIME_LIMIT_50",
            Self::TimeLimit80 => "TIME_LIMIT_80",
            Self::TimeLimit90 => "TIME_LIMIT_90",
            Self::TimeLimit => "TIME_LIMIT",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for MailFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of mail events; empty means `NONE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct MailType {
    bits: u16,
}

impl MailType {
    /// No mail (`NONE`).
    pub const NONE: Self = Self { bits: 0 };

    /// What `ALL` stands for.
    pub const ALL: Self = Self::NONE
        .with(MailFlag::InvalidDepend)
        .with(MailFlag::Begin)
        .with(MailFlag::End)
        .with(MailFlag::Fail)
        .with(MailFlag::Requeue)
        .with(MailFlag::StageOut);

    /// This set plus `flag`.
    pub const fn with(self, flag: MailFlag) -> Self {
        Self {
            bits: self.bits | flag.bit(),
        }
    }

    /// Both sets together, as repeated `--mail-type` options combine.
    pub const fn union(self, other: Self) -> Self {
        Self {
            bits: self.bits | other.bits,
        }
    }

    /// Whether `flag` is in the set.
    pub const fn contains(&self, flag: MailFlag) -> bool {
        self.bits & flag.bit() != 0
    }

    /// Whether the set is empty (`NONE`).
    pub const fn is_none(&self) -> bool {
        self.bits == 0
    }

    /// The flags in the set, in `scontrol`'s order.
    pub fn flags(&self) -> impl Iterator<Item = MailFlag> + '_ {
        MailFlag::ALL.into_iter().filter(|f| self.contains(*f))
    }
}

impl FromStr for MailType {
    type Err = MailTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut set = Self::NONE;
        for tok in s.split(',').filter(|t| !t.is_empty()) {
            if tok.eq_ignore_ascii_case("NONE") {
                return Ok(Self::NONE);
            }
            if tok.eq_ignore_ascii_case("ALL") {
                set = set.union(Self::ALL);
            } else if let Some(flag) = MailFlag::ALL
                .into_iter()
                .find(|f| tok.eq_ignore_ascii_case(f.name()))
            {
                set = set.with(flag);
            }
        }
        if set.is_none() {
            return Err(MailTypeError::Invalid(s.to_owned()));
        }
        Ok(set)
    }
}

impl fmt::Display for MailType {
    /// `BEGIN,END`, or `NONE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("NONE");
        }
        let names: Vec<_> = self.flags().map(MailFlag::name).collect();
        f.write_str(&names.join(","))
    }
}

impl From<MailType> for String {
    fn from(m: MailType) -> Self {
        m.to_string()
    }
}

impl TryFrom<String> for MailType {
    type Error = MailTypeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
