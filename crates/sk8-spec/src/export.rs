//! Environment export specifications (`--export=ALL,FOO=bar`).
//!
//! Slurm 22.05 semantics (`src/sbatch/sbatch.c`, `env_merge_filter` and
//! `find_quote_token` in `src/common/env.c`):
//! - no `--export`, or exactly `ALL` (any case): the whole submitting
//!   environment;
//! - exactly `NONE` (any case): only the variables whose names start with
//!   `SLURM`, and the job loads the user's login environment
//!   (`SLURM_GET_USER_ENV=1`);
//! - anything else is a `,`-separated list: `ALL` merges the whole
//!   environment, `NAME=value` sets a variable, `NAME` copies it when the
//!   submitter has it; later entries overwrite earlier ones; then every
//!   `SLURM_*` variable is added and `SLURM_GET_USER_ENV=1` is set. `NIL`
//!   is no keyword in 22.05 (it is a variable name there). `NONE,FOO=1` is a
//!   list whose `NONE` names a (normally absent) variable;
//! - quotes protect commas: `'...'` and `"..."` pair up anywhere in a token,
//!   and a token wholly inside one pair of quotes loses them
//!   (`"FOO=a,b"` sets `a,b`; `FOO="a,b"` keeps the quotes in the value).
//!
//! sbatch never fails for `--export` (sbatch, srun): for an unterminated quote
//! real `sbatch` prints `sbatch: error: Improperly formed environment variable
//! (A="x)` and still submits (exit 0); this parser rejects that value
//! instead. The controller checks nothing. sbatch also exports the value as
//! `SLURM_EXPORT_ENV` unless it is `ALL` (the job environment's concern).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why an export list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A quote is never closed.
    #[error("improperly formed environment variable `{0}`")]
    UnbalancedQuote(String),
}

/// One entry of an export list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportItem {
    /// `ALL` inside a list.
    All,
    /// `NAME`: copy the submitter's value, if any.
    Name(String),
    /// `NAME=value`.
    Set {
        /// Variable name (may be empty, as Slurm allows `=x`).
        name: String,
        /// Its value.
        value: String,
    },
}

/// A parsed `--export` value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ExportSpec {
    /// `ALL` (and the default).
    #[default]
    All,
    /// `NONE`.
    None,
    /// A list of entries.
    List(Vec<ExportItem>),
}

/// The variable sbatch sets to make the job load the user's login environment.
pub const GET_USER_ENV: &str = "SLURM_GET_USER_ENV";

impl ExportSpec {
    /// The list entries (empty for `ALL`/`NONE`).
    pub fn items(&self) -> &[ExportItem] {
        match self {
            Self::List(items) => items,
            _ => &[],
        }
    }

    /// True when the job loads the user's login environment
    /// (`SLURM_GET_USER_ENV=1` is set): for `NONE` and lists.
    pub fn loads_user_env(&self) -> bool {
        !matches!(self, Self::All)
    }

    /// The environment the job receives, given the submitting environment.
    pub fn apply(&self, submit_env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        match self {
            Self::All => return submit_env.clone(),
            Self::None => {
                for (k, v) in submit_env {
                    if k.starts_with("SLURM") {
                        env.insert(k.clone(), v.clone());
                    }
                }
            }
            Self::List(items) => {
                for item in items {
                    match item {
                        ExportItem::All => {
                            env.extend(submit_env.iter().map(|(k, v)| (k.clone(), v.clone())));
                        }
                        ExportItem::Name(name) => {
                            if let Some(v) = submit_env.get(name) {
                                env.insert(name.clone(), v.clone());
                            }
                        }
                        ExportItem::Set { name, value } => {
                            env.insert(name.clone(), value.clone());
                        }
                    }
                }
                for (k, v) in submit_env {
                    if k.starts_with("SLURM_") {
                        env.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        env.insert(GET_USER_ENV.to_owned(), "1".to_owned());
        env
    }
}

/// Splits on `,` outside quotes, stripping a pair of quotes that wraps a
/// whole token, as Slurm's `find_quote_token` does.
fn tokens(s: &str) -> Result<Vec<String>, ExportError> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut start = 0;
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    loop {
        let at_end = i == bytes.len();
        let c = if at_end { 0 } else { bytes[i] };
        if c == b'\'' {
            single = !single;
        } else if c == b'"' {
            double = !double;
        } else if (c == b',' || at_end) && !single && !double {
            let tok = &s[start..i];
            let stripped = match (tok.as_bytes().first(), tok.as_bytes().last()) {
                (Some(q @ (b'\'' | b'"')), Some(l)) if q == l && tok.len() >= 2 => {
                    &tok[1..tok.len() - 1]
                }
                _ => tok,
            };
            out.push(stripped.to_owned());
            if at_end {
                return Ok(out);
            }
            start = i + 1;
        } else if at_end {
            return Err(ExportError::UnbalancedQuote(s[start..].to_owned()));
        }
        i += 1;
    }
}

impl FromStr for ExportSpec {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("ALL") {
            return Ok(Self::All);
        }
        if s.eq_ignore_ascii_case("NONE") {
            return Ok(Self::None);
        }
        let mut items = Vec::new();
        for tok in tokens(s)? {
            if tok.eq_ignore_ascii_case("ALL") {
                items.push(ExportItem::All);
            } else if let Some((name, value)) = tok.split_once('=') {
                items.push(ExportItem::Set {
                    name: name.to_owned(),
                    value: value.to_owned(),
                });
            } else if !tok.is_empty() {
                items.push(ExportItem::Name(tok));
            }
        }
        Ok(Self::List(items))
    }
}

/// Renders one token so that [`tokens`] reads it back unchanged.
fn render_token(text: &str) -> String {
    let plain_ok = |t: &str| tokens(t).is_ok_and(|v| v.len() == 1 && v[0] == text);
    if plain_ok(text) {
        return text.to_owned();
    }
    for q in ['"', '\''] {
        let quoted = format!("{q}{text}{q}");
        if plain_ok(&quoted) {
            return quoted;
        }
    }
    text.to_owned()
}

impl fmt::Display for ExportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = match self {
            Self::All => return f.write_str("ALL"),
            Self::None => return f.write_str("NONE"),
            Self::List(items) => items,
        };
        let mut text = String::new();
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                text.push(',');
            }
            match item {
                ExportItem::All => text.push_str("ALL"),
                ExportItem::Name(name) => text.push_str(&render_token(name)),
                ExportItem::Set { name, value } => {
                    text.push_str(&render_token(&format!("{name}={value}")));
                }
            }
        }
        // A one-entry list must not read back as the `ALL`/`NONE` keywords.
        if text.eq_ignore_ascii_case("ALL") || text.eq_ignore_ascii_case("NONE") {
            text.push(',');
        }
        f.write_str(&text)
    }
}
