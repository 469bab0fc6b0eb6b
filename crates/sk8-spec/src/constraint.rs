//! Node feature constraint expressions (`--constraint='a&b|[c*2&d*4]'`).

/// Placeholder: being written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Constraint;

