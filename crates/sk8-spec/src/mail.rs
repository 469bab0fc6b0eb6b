//! Mail notification event lists (`--mail-type=BEGIN,END`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailType;

