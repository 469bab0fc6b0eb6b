//! Node feature constraint expressions (`--constraint='a&b|[c*2&d*4]'`).
//!
//! sbatch passes `--constraint` (and `--prefer`, `--cluster-constraint`)
//! untouched; all checks are the controller's (`build_feature_list` in
//! `src/slurmctld/job_scheduler.c`), which this parser mirrors:
//! - features joined by `&` (and) or `|` (or); `,` is taken as `&` (Slurm
//!   rewrites it, so scontrol shows `Features=a&b` for `a,b`);
//! - `name*count` (count > 0) asks for that many nodes with the feature;
//! - one pair of `[...]` at most (matching OR / exclusive AND sets), and
//!   `(...)` groups, neither nested in itself; `!` is no operator in 22.05;
//! - an operator, `*`, `]` or `)` needs a feature before it; `[` and `(`
//!   must not follow a feature; text after `)` or a count up to the next
//!   operator is ignored by Slurm and dropped here.
//!
//! Real `sbatch` (exit 1) for a bad expression (`a&&b`, `[a|b`, `a*0`,
//! `[a][b]`): `sbatch: error: Batch job submission failed: Invalid feature
//! specification` (`allocation failure: Invalid feature specification` with
//! `--test-only`). The controller gives the same message for a well-formed
//! expression naming a feature no node has, which this crate cannot know.
//!
//! `Display` renders the canonical form scontrol shows as `Features=`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a constraint was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    /// A character that is not allowed where it stands.
    #[error("unexpected `{ch}` at byte {pos}")]
    Unexpected {
        /// The character.
        ch: char,
        /// Its byte offset.
        pos: usize,
    },
    /// A `*` without a positive count after it.
    #[error("invalid feature count at byte {0}")]
    BadCount(usize),
    /// More than one `[...]`.
    #[error("more than one set of brackets")]
    TwoBrackets,
    /// An open `[` or `(` is never closed.
    #[error("unbalanced `{0}`")]
    Unbalanced(char),
}

/// One element of a constraint expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Token {
    /// A feature name, with an optional node count.
    Feature {
        /// The feature name.
        name: String,
        /// `*count`, if given.
        count: Option<u32>,
    },
    /// `&`
    And,
    /// `|`
    Or,
    /// `[`
    OpenBracket,
    /// `]`
    CloseBracket,
    /// `(`
    OpenParen,
    /// `)`
    CloseParen,
}

/// A parsed `--constraint` expression.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Constraint {
    tokens: Vec<Token>,
}

impl Constraint {
    /// The elements in order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// The feature names, in order (with repeats).
    pub fn features(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().filter_map(|t| match t {
            Token::Feature { name, .. } => Some(name.as_str()),
            _ => None,
        })
    }

    /// True when no feature is asked for.
    pub fn is_empty(&self) -> bool {
        self.features().next().is_none()
    }

    /// True when the expression is a plain conjunction (`a&b&c`): every node
    /// must have every feature.
    pub fn is_conjunction(&self) -> bool {
        self.tokens
            .iter()
            .all(|t| matches!(t, Token::Feature { count: None, .. } | Token::And))
    }
}

impl FromStr for Constraint {
    type Err = ConstraintError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut tokens = Vec::new();
        // The feature being read: its start and whether it is closed
        // (after `*count` or `)`, Slurm ignores text up to the next operator).
        let mut feature: Option<(usize, Option<usize>)> = None;
        let (mut bracket, mut paren, mut bracket_sets) = (0, 0, 0);
        let mut count: Option<u32> = None;
        let unexpected = |ch: char, pos: usize| ConstraintError::Unexpected { ch, pos };
        let flush = |tokens: &mut Vec<Token>,
                     feature: &mut Option<(usize, Option<usize>)>,
                     count: &mut Option<u32>,
                     end: usize| {
            if let Some((start, stop)) = feature.take() {
                let name = s[start..stop.unwrap_or(end)].to_owned();
                tokens.push(Token::Feature {
                    name,
                    count: count.take(),
                });
            }
        };
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '*' => {
                    let Some((start, None)) = feature else {
                        return Err(ConstraintError::BadCount(i));
                    };
                    if paren != 0 {
                        return Err(ConstraintError::BadCount(i));
                    }
                    let digits: String = s[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    let n: u32 = digits.parse().unwrap_or(0);
                    if n == 0 {
                        return Err(ConstraintError::BadCount(i));
                    }
                    for _ in 0..digits.len() {
                        chars.next();
                    }
                    count = Some(n);
                    feature = Some((start, Some(i)));
                }
                '&' | ',' | '|' => {
                    if feature.is_none() {
                        return Err(unexpected(c, i));
                    }
                    flush(&mut tokens, &mut feature, &mut count, i);
                    tokens.push(if c == '|' { Token::Or } else { Token::And });
                }
                '[' => {
                    if feature.is_some() || bracket > 0 {
                        return Err(unexpected(c, i));
                    }
                    bracket += 1;
                    bracket_sets += 1;
                    if bracket_sets > 1 {
                        return Err(ConstraintError::TwoBrackets);
                    }
                    tokens.push(Token::OpenBracket);
                }
                ']' | ')' => {
                    let depth = if c == ']' { &mut bracket } else { &mut paren };
                    if feature.is_none() || *depth == 0 {
                        return Err(unexpected(c, i));
                    }
                    *depth -= 1;
                    flush(&mut tokens, &mut feature, &mut count, i);
                    tokens.push(if c == ']' {
                        Token::CloseBracket
                    } else {
                        Token::CloseParen
                    });
                    // Slurm keeps the feature open past `]`/`)`: text up to the
                    // next operator is dropped, and an operator is allowed.
                    feature = Some((i, Some(i)));
                }
                '(' => {
                    if feature.is_some() || paren > 0 {
                        return Err(unexpected(c, i));
                    }
                    paren += 1;
                    tokens.push(Token::OpenParen);
                }
                _ => {
                    if feature.is_none() {
                        feature = Some((i, None));
                    }
                }
            }
        }
        if bracket != 0 {
            return Err(ConstraintError::Unbalanced('['));
        }
        if paren != 0 {
            return Err(ConstraintError::Unbalanced('('));
        }
        flush(&mut tokens, &mut feature, &mut count, s.len());
        tokens.retain(|t| !matches!(t, Token::Feature { name, .. } if name.is_empty()));
        Ok(Constraint { tokens })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for token in &self.tokens {
            match token {
                Token::Feature { name, count: None } => f.write_str(name)?,
                Token::Feature {
                    name,
                    count: Some(n),
                } => write!(f, "{name}*{n}")?,
                Token::And => f.write_str("&")?,
                Token::Or => f.write_str("|")?,
                Token::OpenBracket => f.write_str("[")?,
                Token::CloseBracket => f.write_str("]")?,
                Token::OpenParen => f.write_str("(")?,
                Token::CloseParen => f.write_str(")")?,
            }
        }
        Ok(())
    }
}
