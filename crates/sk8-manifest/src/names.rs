//! Object names and label values that the Kubernetes API accepts, made from any input.
//!
//! DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
//! DNS-1123 subdomain: dot-separated labels, at most 253 characters.
//! Label value: empty, or `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.

/// The longest DNS-1123 label (and label value).
pub const MAX_LABEL: usize = 63;
/// The longest DNS-1123 subdomain.
pub const MAX_SUBDOMAIN: usize = 253;

/// The record ConfigMap's (and headless Service's) name: `sk8-job-<id>`.
pub fn record_name(job_id: u32) -> String {
    format!("sk8-job-{job_id}")
}

/// A pod's name (and hostname): `sk8-job-<id>-<rank>`.
pub fn pod_name(job_id: u32, rank: u32) -> String {
    format!("sk8-job-{job_id}-{rank}")
}

/// The token Secret's name: `sk8-job-<id>-token`.
pub fn secret_name(job_id: u32) -> String {
    format!("sk8-job-{job_id}-token")
}

/// Any string as a valid label value: invalid characters become `_`
/// (`-` for none left), ends trimmed to alphanumerics, cut to 63; `""` stays `""`.
pub fn label_value(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    trim_to(&mapped, MAX_LABEL, |c: char| c.is_ascii_alphanumeric())
}

/// Any string as a valid DNS-1123 label: lower-cased, invalid characters
/// become `-`, cut to 63, ends alphanumeric; never empty (`x` for nothing usable).
pub fn dns_label(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let out = trim_to(&mapped, MAX_LABEL, |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit()
    });
    if out.is_empty() { "x".to_string() } else { out }
}

/// Any string as a valid DNS-1123 subdomain: dot-separated [`dns_label`]s
/// (empty parts dropped), cut to 253 at a label boundary; never empty.
pub fn dns_subdomain(s: &str) -> String {
    let mut out = String::new();
    for part in s.split('.') {
        if part.chars().all(|c| !c.is_ascii_alphanumeric()) {
            continue;
        }
        let label = dns_label(part);
        let extra = label.len() + usize::from(!out.is_empty());
        if out.len() + extra > MAX_SUBDOMAIN {
            break;
        }
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&label);
    }
    if out.is_empty() { "x".to_string() } else { out }
}

/// Whether `s` is a valid DNS-1123 label.
pub fn is_dns_label(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.chars().all(|c| ok(c) || c == '-')
        && s.starts_with(ok)
        && s.ends_with(ok)
}

/// Whether `s` is a valid DNS-1123 subdomain.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_SUBDOMAIN && s.split('.').all(is_dns_label)
}

/// Whether `s` is a valid label value.
pub fn is_label_value(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric();
    s.is_empty()
        || (s.len() <= MAX_LABEL
            && s.chars().all(|c| ok(c) || matches!(c, '-' | '_' | '.'))
            && s.starts_with(ok)
            && s.ends_with(ok))
}

/// Whether `s` is a valid qualified name (label or annotation key):
/// `[prefix/]name`, prefix a DNS subdomain, name <= 63 of `[A-Za-z0-9._-]` with alphanumeric ends.
pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    prefix.is_none_or(is_dns_subdomain) && !name.is_empty() && is_label_value(name)
}

/// Whether `s` is a valid container environment variable name (`[-._a-zA-Z][-._a-zA-Z0-9]*`).
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '-' | '.' | '_'))
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// Drops characters failing `ok` from both ends and cuts to `max`, keeping ends valid.
fn trim_to(s: &str, max: usize, ok: impl Fn(char) -> bool + Copy) -> String {
    // All characters are ASCII here, so byte lengths are character counts.
    let t = s.trim_matches(|c: char| !ok(c));
    let t = if t.len() > max { &t[..max] } else { t };
    t.trim_end_matches(|c: char| !ok(c)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let cases = [
            ("my_job.sh", "my_job.sh", "my-job-sh"),
            ("", "", "x"),
            ("--", "", "x"),
            ("Train GPT (v2)", "Train_GPT__v2", "train-gpt--v2"),
            ("ünïcode", "n_code", "n-code"),
            ("_a_", "a", "a"),
        ];
        for (input, value, label) in cases {
            assert_eq!(label_value(input), value, "label_value({input:?})");
            assert_eq!(dns_label(input), label, "dns_label({input:?})");
        }
        assert_eq!(record_name(7), "sk8-job-7");
        assert_eq!(pod_name(7, 1), "sk8-job-7-1");
        assert_eq!(secret_name(7), "sk8-job-7-token");
        assert_eq!(dns_subdomain("A..b_c.-"), "a.b-c");
    }

    #[test]
    fn validators() {
        assert!(is_qualified_name("sk8.dev/job-id"));
        assert!(is_qualified_name("app.kubernetes.io/managed-by"));
        assert!(!is_qualified_name("sk8.dev/"));
        assert!(!is_qualified_name("Bad_Prefix/x"));
        assert!(is_env_name("SLURM_JOB_ID") && !is_env_name("1X") && !is_env_name("A=B"));
    }

    proptest! {
        #[test]
        fn label_value_is_valid_and_idempotent(s in ".{0,200}") {
            let v = label_value(&s);
            prop_assert!(is_label_value(&v), "{v:?}");
            prop_assert!(v.len() <= MAX_LABEL);
            prop_assert_eq!(label_value(&v), v);
        }

        #[test]
        fn dns_label_is_valid_and_idempotent(s in ".{0,200}") {
            let v = dns_label(&s);
            prop_assert!(is_dns_label(&v), "{v:?}");
            prop_assert_eq!(dns_label(&v), v);
        }

        #[test]
        fn dns_subdomain_is_valid_and_idempotent(s in "([a-zA-Z0-9._ -]|.){0,400}") {
            let v = dns_subdomain(&s);
            prop_assert!(is_dns_subdomain(&v), "{v:?}");
            prop_assert_eq!(dns_subdomain(&v), v);
        }
    }
}
