//! Where sk8's state and configuration live: the one list of config files
//! every command and both backends read (before, sk8-local and sk8-kube
//! each had a list, and they disagreed when `SK8_HOME` was unset), and the
//! `backend` key that chooses between them (DESIGN.md §3).

use std::path::{Path, PathBuf};

use crate::failure::Failure;

/// The local state directory: `$SK8_HOME`, else the user's data
/// directory's `sk8` (`~/.local/share/sk8`).
#[must_use]
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("SK8_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    dirs::data_local_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("sk8")
}

/// The config files, in the order they are looked at; the first that
/// exists is the configuration: [`home`]`/config.toml`, the user's config
/// directory's `sk8/config.toml`, `/etc/sk8/config.toml`.
#[must_use]
pub fn files() -> Vec<PathBuf> {
    let mut out = vec![home().join("config.toml")];
    if let Some(dir) = dirs::config_dir() {
        out.push(dir.join("sk8").join("config.toml"));
    }
    out.push(PathBuf::from("/etc/sk8/config.toml"));
    out
}

/// The configuration: the first of [`files`] that exists, read once and
/// parsed once, split into the sections its readers own. The `backend` key
/// chooses the backend; the `[kubernetes]` table is sk8-kube's; every other
/// key (`cluster`, `kill_wait`, `busy_timeout_ms`, `[[node]]`,
/// `[[partition]]`) is the local backend's, which refuses keys it does not
/// know, so a typo is an error rather than a silent default.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Config {
    /// The file it came from, for messages; `None` when no file exists.
    pub path: Option<PathBuf>,
    /// The `backend` key (`local`, `kubernetes`).
    pub backend: Option<String>,
    /// The `[kubernetes]` table.
    pub kubernetes: Option<toml::Table>,
    /// The local backend's keys.
    pub local: toml::Table,
}

impl Config {
    /// Reads the first of [`files`] that exists; with none, the default.
    pub fn load() -> Result<Self, Failure> {
        Self::load_from(&files())
    }

    /// Reads the first of `files` that exists; with none, the default.
    pub fn load_from(files: &[PathBuf]) -> Result<Self, Failure> {
        for path in files {
            match std::fs::read_to_string(path) {
                Ok(text) => return Self::parse(&text, path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(invalid(path, &e.to_string())),
            }
        }
        Ok(Self::default())
    }

    /// Parses the text of the config file at `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Failure> {
        let mut local: toml::Table =
            toml::from_str(text).map_err(|e| invalid(path, e.message()))?;
        let backend = match local.remove("backend") {
            None => None,
            Some(toml::Value::String(b)) => Some(b),
            Some(_) => return Err(invalid(path, "`backend` must be a string")),
        };
        let kubernetes = match local.remove("kubernetes") {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => return Err(invalid(path, "`kubernetes` must be a table")),
        };
        Ok(Self {
            path: Some(path.to_path_buf()),
            backend,
            kubernetes,
            local,
        })
    }

    /// Where the configuration came from, for messages (`` `path` ``, or
    /// `the default configuration`).
    #[must_use]
    pub fn origin(&self) -> String {
        self.path.as_ref().map_or_else(
            || "the default configuration".to_owned(),
            |p| format!("`{}`", p.display()),
        )
    }

    /// A section's own error, said with the file it is in.
    #[must_use]
    pub fn invalid(&self, message: &str) -> Failure {
        match &self.path {
            Some(p) => invalid(p, message),
            None => Failure::refused(message.to_owned()),
        }
    }
}

fn invalid(path: &Path, message: &str) -> Failure {
    Failure::refused(format!("invalid config `{}`: {message}", path.display()))
}
