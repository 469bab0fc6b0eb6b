//! Property tests: compress/expand round trips, and what sorting keeps.

use proptest::prelude::*;
use sk8_hostlist::{HostList, compress, compress_sorted, expand};

/// A name prefix that ends in a letter (so a number after it stays separate).
fn prefix() -> impl Strategy<Value = String> {
    "[a-c]{1,2}(-[a-c]|[0-9]-[a-c])?"
}

/// A host name: prefix, a number (zero-padded or not), or both.
fn host() -> impl Strategy<Value = String> {
    (
        proptest::option::of(prefix()),
        proptest::option::of((0u64..1200, 0usize..5)),
    )
        .prop_map(|(p, n)| match (p, n) {
            (p, Some((n, w))) => format!("{}{n:0w$}", p.unwrap_or_default()),
            (Some(p), None) => p,
            (None, None) => "x".to_owned(),
        })
}

/// One group of a canonical expression: a prefix and its numeric spans, or a bare name.
#[derive(Debug, Clone)]
struct Group {
    prefix: String,
    /// `(lo, count)`, ascending, never touching; empty for a bare name.
    spans: Vec<(u64, u64)>,
    /// Zero-pad to this width; 0 prints numbers as they are.
    width: usize,
}

fn group() -> impl Strategy<Value = Group> {
    (
        prefix(),
        proptest::collection::vec((2u64..40, 1u64..5), 0..4),
        prop_oneof![Just(0), 1usize..4],
    )
        .prop_map(|(prefix, steps, width)| {
            // Gaps of at least two keep neighbouring spans from merging.
            let mut next = 0;
            let spans = steps
                .into_iter()
                .map(|(gap, count)| {
                    let lo = next + gap;
                    next = lo + count + 1;
                    (lo, count)
                })
                .collect();
            Group {
                prefix,
                spans,
                width,
            }
        })
}

/// Canonical expressions (exactly what Slurm prints for their hosts) and how many hosts each names.
fn canonical() -> impl Strategy<Value = (String, usize)> {
    proptest::collection::vec(group(), 0..5).prop_map(|mut groups| {
        // Neighbours with one prefix would share brackets; keep them apart.
        groups.dedup_by(|b, a| a.prefix == b.prefix);
        let mut count = 0;
        let printed: Vec<String> = groups
            .iter()
            .map(|g| {
                let w = g.width;
                let numbers: Vec<String> = g
                    .spans
                    .iter()
                    .map(|&(lo, n)| {
                        count += n as usize;
                        if n == 1 {
                            format!("{lo:0w$}")
                        } else {
                            format!("{lo:0w$}-{:0w$}", lo + n - 1)
                        }
                    })
                    .collect();
                match (numbers.len(), g.spans.first()) {
                    (0, _) => {
                        count += 1;
                        g.prefix.clone()
                    }
                    (1, Some(&(_, 1))) => format!("{}{}", g.prefix, numbers[0]),
                    _ => format!("{}[{}]", g.prefix, numbers.join(",")),
                }
            })
            .collect();
        (printed.join(","), count)
    })
}

proptest! {
    #[test]
    fn expand_of_compress_gives_the_hosts_back(hosts in proptest::collection::vec(host(), 0..40)) {
        let printed = compress(&hosts);
        prop_assert_eq!(expand(&printed), Ok(hosts.clone()), "via {:?}", printed);
        let list = HostList::from_hosts(&hosts);
        prop_assert_eq!(list.len(), hosts.len());
        let reparsed: HostList = printed.parse().unwrap();
        prop_assert_eq!(reparsed, list);
    }

    #[test]
    fn compress_of_expand_gives_the_expression_back((expr, count) in canonical()) {
        let hosts = expand(&expr).unwrap();
        prop_assert_eq!(hosts.len(), count);
        prop_assert_eq!(compress(&hosts), expr.clone());
        let list: HostList = expr.parse().unwrap();
        prop_assert_eq!(list.to_string(), expr);
        prop_assert_eq!(list.len(), count);
    }

    #[test]
    fn sort_keeps_every_host_and_uniq_keeps_one_of_each(
        hosts in proptest::collection::vec(host(), 0..40),
    ) {
        let mut want = hosts.clone();
        want.sort();
        let mut sorted = HostList::from_hosts(&hosts);
        sorted.sort();
        prop_assert_eq!(sorted.len(), hosts.len());
        let mut got = expand(&compress_sorted(&hosts)).unwrap();
        got.sort();
        prop_assert_eq!(&got, &want);
        want.dedup();
        let mut uniq = HostList::from_hosts(&hosts);
        uniq.uniq();
        prop_assert_eq!(uniq.len(), want.len());
        let mut got = uniq.expand();
        got.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn sort_orders_by_prefix_then_number(
        hosts in proptest::collection::vec(("[a-c]{1,2}", proptest::option::of(0u64..200)), 0..40),
    ) {
        let names: Vec<String> = hosts
            .iter()
            .map(|(p, n)| n.map_or_else(|| p.clone(), |n| format!("{p}{n}")))
            .collect();
        let mut want = hosts.clone();
        want.sort_by(|a, b| (&a.0, a.1.is_some(), a.1).cmp(&(&b.0, b.1.is_some(), b.1)));
        let want: Vec<String> = want
            .iter()
            .map(|(p, n)| n.map_or_else(|| p.clone(), |n| format!("{p}{n}")))
            .collect();
        prop_assert_eq!(expand(&compress_sorted(&names)).unwrap(), want);
    }

    /// With prefixes of one length only: where lengths differ, Slurm's lookup
    /// shifts digits between prefix and suffix (`nid0000[2-7]` finds
    /// `nid00003`) and may find another name (`a000` in `0000,a000`).
    #[test]
    fn position_finds_every_host(
        hosts in proptest::collection::vec(
            ("[a-c]{2}", proptest::option::of((0u64..1200, 0usize..5))).prop_map(|(p, n)| match n {
                Some((n, w)) => format!("{p}{n:0w$}"),
                None => p,
            }),
            1..30,
        ),
    ) {
        let list = HostList::from_hosts(&hosts);
        for (i, host) in hosts.iter().enumerate() {
            let first = hosts.iter().position(|h| h == host).unwrap();
            prop_assert_eq!(list.position(host), Some(first), "{} at {}", host, i);
            prop_assert_eq!(list.nth(i), Some(host.clone()));
        }
    }

    #[test]
    fn any_input_parses_or_errs_without_panicking(expr in "[a-c0-9\\[\\]\\-, x+]{0,24}") {
        let (result, _) = HostList::parse_with_diagnostics(&expr);
        if let Ok(list) = result {
            prop_assert!(list.iter().len() <= list.len());
            let _ = list.to_string();
        }
    }
}
