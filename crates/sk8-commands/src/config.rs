//! Where sk8's state and configuration live: the one list of config files
//! every command and both backends read (before, sk8-local and sk8-kube
//! each had a list, and they disagreed when `SK8_HOME` was unset), and the
//! `backend` key that chooses between them (DESIGN.md §3).

use std::path::PathBuf;

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

/// The `backend` key of the first config file that exists, and where it was
/// found (for messages); empty when no file says.
pub fn backend_key() -> Result<(String, String), Failure> {
    #[derive(serde::Deserialize)]
    struct Top {
        backend: Option<String>,
    }
    for path in files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let top: Top = toml::from_str(&text).map_err(|e| {
            Failure::refused(format!(
                "invalid config `{}`: {}",
                path.display(),
                e.message()
            ))
        })?;
        return Ok((
            top.backend.unwrap_or_default(),
            format!("`{}`", path.display()),
        ));
    }
    Ok((String::new(), String::new()))
}
