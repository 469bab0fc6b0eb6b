//! Output file name patterns (`slurm-%j.out`, `%3a`) and their expansion.
//!
//! Slurm 22.05 semantics (slurmd `src/slurmd/common/fname.c` for batch
//! scripts, `src/srun/libsrun/fname.c` + slurmstepd for srun tasks):
//! - `%j` job id, `%J` job id plus `.step` (just the job id for the batch
//!   script), `%A` array master id (the job id outside arrays), `%a` array
//!   task id (4294967294 outside arrays), `%x` job name, `%N` node name,
//!   `%n` node index, `%t` task rank, `%u` user name, `%s` step id (`batch`
//!   for the batch script), `%%` a literal `%`;
//! - a width between `%` and the letter zero-pads numbers (`%3a` -> `007`),
//!   capped at 10; it is ignored for `%x %N %u` and for `%s` = `batch`;
//! - an unknown letter is kept: `%z` stays `%z`, but `%5z` becomes `5z`
//!   (Slurm drops the `%` and all width digits but the last);
//! - a backslash anywhere disables every expansion: each `\\` becomes `\`,
//!   every other `\` is dropped (`a\%j` names the file `a%j`);
//! - `none` (any case) means `/dev/null`.
//!
//! sbatch accepts any `--output`/`--error`/`--input` text, so parsing never
//! fails: no message of real sbatch concerns the pattern itself (a file that
//! cannot be opened shows up only when the job runs). sbatch makes relative
//! patterns absolute against `--chdir` (see [`FilePattern::in_dir`]).
//!
//! What `scontrol show job` prints as `StdOut=`/`StdErr=` is not the file
//! name: only `%A %a %j %u %x` are substituted there, without widths, and
//! `%%` stays; [`FilePattern::scontrol_path`] reproduces that view.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Value Slurm prints for an array task id outside an array (`NO_VAL`).
pub const NO_ARRAY_TASK: u32 = 4_294_967_294;

/// Widths above this are cut down to it.
pub const MAX_WIDTH: u32 = 10;

/// Never returned: parsing a file pattern cannot fail, as in sbatch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {}

/// A substitutable field of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    /// `%j`
    JobId,
    /// `%J`
    JobStep,
    /// `%A`
    ArrayJobId,
    /// `%a`
    ArrayTaskId,
    /// `%x`
    JobName,
    /// `%N`
    NodeName,
    /// `%n`
    NodeId,
    /// `%t`
    TaskId,
    /// `%u`
    User,
    /// `%s`
    StepId,
}

impl Field {
    const LETTERS: [(char, Field); 10] = [
        ('j', Field::JobId),
        ('J', Field::JobStep),
        ('A', Field::ArrayJobId),
        ('a', Field::ArrayTaskId),
        ('x', Field::JobName),
        ('N', Field::NodeName),
        ('n', Field::NodeId),
        ('t', Field::TaskId),
        ('u', Field::User),
        ('s', Field::StepId),
    ];

    /// The field for a pattern letter.
    pub fn from_letter(c: char) -> Option<Field> {
        Self::LETTERS.iter().find(|(l, _)| *l == c).map(|(_, f)| *f)
    }

    /// The pattern letter of the field.
    pub fn letter(self) -> char {
        Self::LETTERS
            .iter()
            .find(|(_, f)| *f == self)
            .map_or('?', |(l, _)| *l)
    }
}

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Segment {
    /// Text copied as is.
    Literal(String),
    /// `%%`: one `%`.
    Percent,
    /// `%[width]letter`.
    Field {
        /// What to substitute.
        field: Field,
        /// Zero-padding width (already capped at [`MAX_WIDTH`]), 0 for none.
        width: u32,
    },
}

/// A parsed `--output`/`--error`/`--input` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilePattern {
    /// A pattern with substitutions.
    Pattern(Vec<Segment>),
    /// A name holding a backslash: no substitution; the raw text is kept.
    Escaped(String),
}

/// What a pattern is expanded with. Outside arrays leave the array fields `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PatternContext {
    /// The job id (`SLURM_JOB_ID`; for an array task, its own id).
    pub job_id: u32,
    /// The array master job id, for array jobs.
    pub array_job_id: Option<u32>,
    /// The array task index, for array tasks.
    pub array_task_id: Option<u32>,
    /// The job name (`--job-name`, default the script's file name).
    pub job_name: String,
    /// The submitting user's name.
    pub user: String,
    /// Short host name of the node that opens the file.
    pub node_name: String,
    /// Index of that node in the allocation.
    pub node_id: u32,
    /// Global task rank (0 for the batch script).
    pub task_id: u32,
    /// The step id; `None` for the batch script.
    pub step_id: Option<u32>,
}

/// Where srun sends a task's stream, by the pattern's special forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrunIo {
    /// `all...` or `-...`: every task to srun's own stream (the default).
    All,
    /// A bare task number below the task count: only that task, to srun.
    OneTask(u32),
    /// A file per task (or shared), after expansion.
    File,
}

impl FilePattern {
    /// The default output pattern of a batch job: `slurm-%j.out`, or
    /// `slurm-%A_%a.out` for an array.
    pub fn default_batch(is_array: bool) -> Self {
        let text = if is_array {
            "slurm-%A_%a.out"
        } else {
            "slurm-%j.out"
        };
        parse(text)
    }

    /// True when the pattern holds a substitution.
    pub fn has_fields(&self) -> bool {
        match self {
            Self::Pattern(segs) => segs.iter().any(|s| matches!(s, Segment::Field { .. })),
            Self::Escaped(_) => false,
        }
    }

    /// True when the pattern depends on the task, node or user (srun opens
    /// one file per task then).
    pub fn is_per_task(&self) -> bool {
        self.segments().iter().any(|s| {
            matches!(s, Segment::Field { field, .. }
                if matches!(field, Field::TaskId | Field::NodeId | Field::NodeName | Field::User))
        })
    }

    /// The pieces of a substituting pattern (empty for an escaped name).
    pub fn segments(&self) -> &[Segment] {
        match self {
            Self::Pattern(segs) => segs,
            Self::Escaped(_) => &[],
        }
    }

    /// True for an absolute path.
    pub fn is_absolute(&self) -> bool {
        self.to_string().starts_with('/')
    }

    /// The pattern sbatch sends: relative patterns prefixed with `dir/`
    /// (the directory text is not escaped, as in sbatch).
    pub fn in_dir(&self, dir: &str) -> Self {
        if self.is_absolute() {
            return self.clone();
        }
        parse(&format!("{dir}/{self}"))
    }

    /// The file name slurmd opens for the batch script's stream.
    pub fn expand_batch(&self, ctx: &PatternContext) -> String {
        let batch = PatternContext {
            step_id: None,
            task_id: 0,
            node_id: 0,
            ..ctx.clone()
        };
        self.expand(&batch)
    }

    /// The file name one srun task's stream goes to (`ctx.task_id` is the
    /// task's global rank, `ctx.step_id` the step).
    pub fn expand_step(&self, ctx: &PatternContext) -> String {
        self.expand(ctx)
    }

    /// How srun treats the pattern for a step of `ntasks` tasks.
    pub fn srun_io(&self, ntasks: u32) -> SrunIo {
        let text = self.to_string();
        if text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("all")) || text.starts_with('-') {
            return SrunIo::All;
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(n) = text.parse::<u32>() {
                if n < ntasks {
                    return SrunIo::OneTask(n);
                }
            }
        }
        SrunIo::File
    }

    fn expand(&self, ctx: &PatternContext) -> String {
        let segs = match self {
            Self::Escaped(raw) => return unescape(raw),
            Self::Pattern(segs) => segs,
        };
        let mut out = String::new();
        for seg in segs {
            match seg {
                Segment::Literal(text) => out.push_str(text),
                Segment::Percent => out.push('%'),
                Segment::Field { field, width } => {
                    let w = *width as usize;
                    let num = |out: &mut String, n: u32| out.push_str(&format!("{n:0w$}"));
                    match field {
                        Field::JobId => num(&mut out, ctx.job_id),
                        Field::JobStep => {
                            num(&mut out, ctx.job_id);
                            if let Some(step) = ctx.step_id {
                                out.push_str(&format!(".{step}"));
                            }
                        }
                        Field::ArrayJobId => match ctx.array_task_id {
                            Some(_) => num(&mut out, ctx.array_job_id.unwrap_or(ctx.job_id)),
                            None => num(&mut out, ctx.job_id),
                        },
                        Field::ArrayTaskId => {
                            num(&mut out, ctx.array_task_id.unwrap_or(NO_ARRAY_TASK));
                        }
                        Field::JobName => out.push_str(&ctx.job_name),
                        Field::NodeName => out.push_str(&ctx.node_name),
                        Field::NodeId => num(&mut out, ctx.node_id),
                        Field::TaskId => num(&mut out, ctx.task_id),
                        Field::User => out.push_str(&ctx.user),
                        Field::StepId => match ctx.step_id {
                            Some(step) => num(&mut out, step),
                            None => out.push_str("batch"),
                        },
                    }
                }
            }
        }
        out
    }

    /// What `scontrol show job` prints for this pattern as `StdOut=` (or
    /// `StdErr=`/`StdIn=`): `%A %a %j %u %x` substituted in that order,
    /// widths and other fields untouched, relative names under `work_dir`.
    pub fn scontrol_path(&self, ctx: &PatternContext, work_dir: &str) -> String {
        let mut text = self.to_string();
        let array_job = match ctx.array_task_id {
            Some(_) => ctx.array_job_id.unwrap_or(ctx.job_id),
            None => ctx.job_id,
        };
        text = text.replace("%A", &array_job.to_string());
        text = text.replace(
            "%a",
            &ctx.array_task_id.unwrap_or(NO_ARRAY_TASK).to_string(),
        );
        text = text.replace("%j", &ctx.job_id.to_string());
        text = text.replace("%u", &ctx.user);
        text = text.replace("%x", &ctx.job_name);
        if text.starts_with('/') {
            text
        } else {
            format!("{work_dir}/{text}")
        }
    }

    /// What `scontrol show job` prints as `StdOut=` for a batch job without
    /// `--output`.
    pub fn scontrol_default_path(ctx: &PatternContext, work_dir: &str) -> String {
        match ctx.array_job_id {
            Some(array) => format!(
                "{work_dir}/slurm-{array}_{}.out",
                ctx.array_task_id.unwrap_or(NO_ARRAY_TASK)
            ),
            None => format!("{work_dir}/slurm-{}.out", ctx.job_id),
        }
    }
}

/// Slurm's backslash removal: `\\` -> `\`, any other `\` dropped.
fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if chars.peek() == Some(&'\\') {
                chars.next();
                out.push('\\');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn push_literal(segs: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Segment::Literal(last)) = segs.last_mut() {
        last.push_str(text);
    } else {
        segs.push(Segment::Literal(text.to_owned()));
    }
}

fn parse(s: &str) -> FilePattern {
    if s.eq_ignore_ascii_case("none") {
        return parse("/dev/null");
    }
    if s.contains('\\') {
        return FilePattern::Escaped(s.to_owned());
    }
    let mut segs = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find('%') {
        push_literal(&mut segs, &rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('%') {
            segs.push(Segment::Percent);
            rest = tail;
            continue;
        }
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let next = after[digits..].chars().next();
        match next.and_then(Field::from_letter) {
            Some(field) => {
                let width = after[..digits]
                    .parse::<u64>()
                    .map_or(if digits > 0 { MAX_WIDTH } else { 0 }, |w| {
                        w.min(u64::from(MAX_WIDTH)) as u32
                    });
                segs.push(Segment::Field { field, width });
                rest = &after[digits + 1..];
            }
            None if digits > 0 => {
                // Slurm keeps only the last width digit of an unknown field.
                push_literal(&mut segs, &after[digits - 1..digits]);
                rest = &after[digits..];
            }
            None => {
                push_literal(&mut segs, "%");
                rest = after;
            }
        }
    }
    push_literal(&mut segs, rest);
    FilePattern::Pattern(segs)
}

impl FromStr for FilePattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(parse(s))
    }
}

impl fmt::Display for FilePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let segs = match self {
            Self::Escaped(raw) => return f.write_str(raw),
            Self::Pattern(segs) => segs,
        };
        for seg in segs {
            match seg {
                Segment::Literal(text) => f.write_str(text)?,
                Segment::Percent => f.write_str("%%")?,
                Segment::Field { field, width: 0 } => write!(f, "%{}", field.letter())?,
                Segment::Field { field, width } => write!(f, "%{width}{}", field.letter())?,
            }
        }
        Ok(())
    }
}
