//! The resolved job request ([`JobSpec`]) and the Slurm value types it is made of.
//!
//! Every value type has a `FromStr` with Slurm's own semantics and a `Display`
//! that renders it back in the form Slurm prints, so that
//! `x.to_string().parse() == Ok(x)`. Parsers never name the option they serve:
//! `sk8-opts` adds the flag to the message, as Slurm's setters do.
//!
//! Serialized, every field is written, `None` too (no
//! `skip_serializing_if`): sk8-local caches job records in postcard, whose
//! fields go by position, so a skipped field would shift every one after it.
//! Fields added later take `#[serde(default)]` so that older JSON still reads.

pub mod array;
pub mod begin;
pub mod civil;
pub mod constraint;
pub mod dependency;
pub mod distribution;
pub mod export;
pub mod gres;
pub mod job;
pub mod mail;
pub mod mem;
pub mod nodes;
pub mod open_mode;
pub mod pattern;
pub mod signal;
pub mod time;

pub use array::ArraySpec;
pub use begin::BeginSpec;
pub use civil::Zone;
pub use constraint::Constraint;
pub use dependency::Dependency;
pub use distribution::Distribution;
pub use export::ExportSpec;
pub use gres::{GpuSpec, Gres, GresList};
pub use job::JobSpec;
pub use mail::MailType;
pub use mem::MemSize;
pub use nodes::NodeRange;
pub use open_mode::OpenMode;
pub use pattern::FilePattern;
pub use signal::SignalSpec;
pub use time::TimeLimit;
