//! Reading the `[kubernetes]` table of `config.toml` (sk8-commands finds the file).

use std::path::{Path, PathBuf};

use sk8_backend::Error;
use sk8_manifest::config::KubeConfig;

/// The `[kubernetes]` table of the first of `files` that exists
/// (sk8-commands' `config::files` is the one list); every field defaults
/// when no file or no table is there.
pub fn load_config(files: &[PathBuf]) -> Result<KubeConfig, Error> {
    match files.iter().find(|p| p.is_file()) {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Backend(format!("cannot read `{}`: {e}", path.display())))?;
            parse_config(&text, path)
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
