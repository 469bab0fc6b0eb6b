//! Finding and reading the `[kubernetes]` table of `config.toml`.

use std::path::{Path, PathBuf};

use sk8_backend::Error;
use sk8_manifest::config::KubeConfig;

/// The config files looked at, in order: `$SK8_HOME/config.toml`, the
/// user's config directory's `sk8/config.toml`, `/etc/sk8/config.toml`.
pub fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(home) = std::env::var_os("SK8_HOME").filter(|h| !h.is_empty()) {
        out.push(PathBuf::from(home).join("config.toml"));
    }
    if let Some(dir) = dirs::config_dir() {
        out.push(dir.join("sk8").join("config.toml"));
    }
    out.push(PathBuf::from("/etc/sk8/config.toml"));
    out
}

/// The `[kubernetes]` table of the first config file that exists; every
/// field defaults when the file or the table is absent.
pub fn load_config() -> Result<KubeConfig, Error> {
    match candidates().into_iter().find(|p| p.is_file()) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Backend(format!("cannot read `{}`: {e}", path.display())))?;
            parse_config(&text, &path)
        }
        None => Ok(KubeConfig::default()),
    }
}

/// The `[kubernetes]` table of `text` (read from `path`, for messages).
pub fn parse_config(text: &str, path: &Path) -> Result<KubeConfig, Error> {
    let bad = |e: String| Error::Backend(format!("invalid config file `{}`: {e}", path.display()));
    let table: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    match table.get("kubernetes") {
        None => Ok(KubeConfig::default()),
        Some(v) => v
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        let p = Path::new("/x/config.toml");
        let cases: &[(&str, Option<(&str, i64)>)] = &[
            ("", Some(("ubuntu:22.04", 30))),
            ("backend = \"kubernetes\"\n", Some(("ubuntu:22.04", 30))),
            (
                "[kubernetes]\nimage = \"busybox\"\ngrace_period_secs = 5\n",
                Some(("busybox", 5)),
            ),
            ("[kubernetes]\nnot_a_field = 1\n", None),
            ("[kubernetes\n", None),
        ];
        for (text, want) in cases {
            let got = parse_config(text, p);
            match want {
                Some((image, grace)) => {
                    let cfg = got.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                    assert_eq!(
                        (cfg.image.as_str(), cfg.grace_period_secs),
                        (*image, *grace)
                    );
                }
                None => {
                    let e = got.expect_err(text);
                    assert!(e.to_string().contains("/x/config.toml"), "{e}");
                }
            }
        }
    }
}
