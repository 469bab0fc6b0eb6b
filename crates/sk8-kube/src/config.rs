//! Reading the `[kubernetes]` table of `config.toml` (sk8-commands finds
//! the file, parses it once and hands this crate its section).

use sk8_manifest::config::KubeConfig;

/// The configuration the `[kubernetes]` table says; every field defaults
/// when there is no table. The error is the table's own, for the caller to
/// say with the file's name.
pub fn kube_config(section: Option<toml::Table>) -> Result<KubeConfig, String> {
    match section {
        None => Ok(KubeConfig::default()),
        Some(t) => toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned()),
    }
}

/// The `[kubernetes]` table of a config file's text, for the tests that
/// read back what `sk8 init` writes.
#[cfg(test)]
pub(crate) fn parse_config(text: &str) -> Result<KubeConfig, String> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    match table.remove("kubernetes") {
        None => Ok(KubeConfig::default()),
        Some(toml::Value::Table(t)) => kube_config(Some(t)),
        Some(_) => Err("`kubernetes` must be a table".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
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
            let got = parse_config(text);
            match want {
                Some((image, grace)) => {
                    let cfg = got.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                    assert_eq!(
                        (cfg.image.as_str(), cfg.grace_period_secs),
                        (*image, *grace)
                    );
                }
                None => {
                    got.expect_err(text);
                }
            }
        }
    }
}
