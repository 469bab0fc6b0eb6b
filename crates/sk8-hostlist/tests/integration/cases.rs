//! Table-driven expand/compress cases; every expectation was observed on Slurm 22.05's `scontrol`.

use sk8_hostlist::{Diagnostic, Error, HostList, compress, compress_sorted, expand};

/// (expression, hosts `scontrol show hostnames` prints, what `scontrol show hostlist` prints)
const EXPAND: &[(&str, &[&str], &str)] = &[
    ("", &[], ""),
    ("n1", &["n1"], "n1"),
    ("node10", &["node10"], "node10"),
    ("n[1-3]", &["n1", "n2", "n3"], "n[1-3]"),
    ("n[001-003]", &["n001", "n002", "n003"], "n[001-003]"),
    (
        "n[1-3,5,7-8]",
        &["n1", "n2", "n3", "n5", "n7", "n8"],
        "n[1-3,5,7-8]",
    ),
    ("n[9-10]", &["n9", "n10"], "n[9-10]"),
    ("n[09-10]", &["n09", "n10"], "n[09-10]"),
    ("n[01-2]", &["n01", "n02"], "n[01-02]"),
    ("n[1-02]", &["n1", "n2"], "n[1-2]"),
    (
        "n[098-101]",
        &["n098", "n099", "n100", "n101"],
        "n[098-101]",
    ),
    ("a,b[1-2],c", &["a", "b1", "b2", "c"], "a,b[1-2],c"),
    ("a b\tc", &["a", "b", "c"], "a,b,c"),
    (",,a,,", &["a"], "a"),
    ("a,a,b", &["a", "a", "b"], "a,a,b"),
    ("n[1-3],n2", &["n1", "n2", "n3", "n2"], "n[1-3,2]"),
    (
        "n[1-3],n[4-6]",
        &["n1", "n2", "n3", "n4", "n5", "n6"],
        "n[1-6]",
    ),
    ("n[8-9],n10", &["n8", "n9", "n10"], "n[8-10]"),
    (
        "n[1-9],n010",
        &["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n010"],
        "n[1-9,010]",
    ),
    (
        "rack[1-2]-n[1-3]",
        &[
            "rack1-n1", "rack1-n2", "rack1-n3", "rack2-n1", "rack2-n2", "rack2-n3",
        ],
        "rack1-n[1-3],rack2-n[1-3]",
    ),
    (
        "n[1-2]x[3-4]",
        &["n1x3", "n1x4", "n2x3", "n2x4"],
        "n1x[3-4],n2x[3-4]",
    ),
    (
        "a[1-2]b[3-4]c[5-6]",
        &[
            "a1b3c5", "a1b3c6", "a2b3c5", "a2b3c6", "a1b4c5", "a1b4c6", "a2b4c5", "a2b4c6",
        ],
        "a1b3c[5-6],a2b3c[5-6],a1b4c[5-6],a2b4c[5-6]",
    ),
    (
        "a[1-2][3-4]",
        &["a13", "a14", "a23", "a24"],
        "a1[3-4],a2[3-4]",
    ),
    ("[1-3]", &["1", "2", "3"], "[1-3]"),
    ("123", &["123"], "123"),
    ("n1-3", &["n1-3"], "n1-3"),
    ("rack1-n3", &["rack1-n3"], "rack1-n3"),
    ("n[1, 2]", &["n1", "n02"], "n[1,02]"),
    ("n[+1-2]", &["n01", "n02"], "n[01-02]"),
    ("n[1-]", &["n1"], "n1"),
    ("n[1a-3]", &["n01", "n02", "n03"], "n[01-03]"),
    ("n[1-", &["n]"], "n]"),
    ("n[1,2", &["n]", "2"], "n],2"),
    ("[1-2", &["1-2"], "1-2"),
    ("[", &[""], ""),
    ("a[b[1-2]", &["a[b1", "a[b2"], "a[b[1-2]"),
    ("a]b[1-2]", &["a]b1", "a]b2"], "a]b[1-2]"),
    ("a[[1-2]b[3]", &["a[1b3", "a[2b3"], "a[1b3,a[2b3"),
    ("a[x]b[1]c[2]", &[], ""),
    (
        "n99999999999999999999999",
        &["n00018446744073709551615"],
        "n00018446744073709551615",
    ),
    (
        "n[99999999999999999999]",
        &["n18446744073709551615"],
        "n18446744073709551615",
    ),
    ("n[0-99999999999999999999]", &[], "n0-18446744073709551615"),
];

#[test]
fn expand_and_print() {
    for &(expr, hosts, printed) in EXPAND {
        let list: HostList = expr.parse().unwrap_or_else(|e| panic!("{expr:?}: {e}"));
        assert_eq!(list.expand(), hosts, "expand {expr:?}");
        assert_eq!(list.len(), hosts.len(), "len {expr:?}");
        assert_eq!(list.iter().len(), hosts.len(), "iter len {expr:?}");
        assert_eq!(list.to_string(), printed, "print {expr:?}");
        assert_eq!(
            expand(expr),
            Ok(hosts.iter().map(|h| h.to_string()).collect()),
            "expand() {expr:?}"
        );
        for (i, host) in hosts.iter().enumerate() {
            assert_eq!(list.nth(i).as_deref(), Some(*host), "nth {i} of {expr:?}");
        }
        assert_eq!(list.nth(hosts.len()), None, "nth past the end of {expr:?}");
        let mut seen = Vec::new();
        list.for_each_host(|h| seen.push(h.to_owned()));
        assert_eq!(seen, hosts, "for_each_host {expr:?}");
    }
}

/// (host names, `scontrol show hostlist`, `scontrol show hostlistsorted`)
const COMPRESS: &[(&[&str], &str, &str)] = &[
    (&[], "", ""),
    (&["n1", "n2", "n3", "n5"], "n[1-3,5]", "n[1-3,5]"),
    (&["n01", "n02"], "n[01-02]", "n[01-02]"),
    (&["n3", "n1", "n2"], "n[3,1-2]", "n[1-3]"),
    (&["n1", "n1", "n2"], "n[1,1-2]", "n[1,1-2]"),
    (&["n1", "n2", "n1"], "n[1-2,1]", "n[1,1-2]"),
    (&["a", "b", "a"], "a,b,a", "a,a,b"),
    (&["n9", "n10"], "n[9-10]", "n[9-10]"),
    (&["n09", "n10"], "n[09-10]", "n[09-10]"),
    (&["n1", "n01"], "n[1,01]", "n[1,01]"),
    (&["n1", "n001", "n2"], "n[1,001,2]", "n[1-2,001]"),
    (&["n10", "n9"], "n[10,9]", "n[9-10]"),
    (
        &["rack1-n3", "rack1-n4", "rack2-n1"],
        "rack1-n[3-4],rack2-n1",
        "rack1-n[3-4],rack2-n1",
    ),
    (&["n1", "m1", "n2"], "n1,m1,n2", "m1,n[1-2]"),
    (&["n", "n1", "n2"], "n,n[1-2]", "n,n[1-2]"),
    (&["n1", "n2", "n"], "n[1-2],n", "n,n[1-2]"),
    (&["1", "2", "3"], "[1-3]", "[1-3]"),
    (
        &["a1b2", "a1b3", "a01b4"],
        "a1b[2-3],a01b4",
        "a01b4,a1b[2-3]",
    ),
    (&["n2", "n10", "n1"], "n[2,10,1]", "n[1-2,10]"),
    (
        &["node10", "node2", "gpu1"],
        "node[10,2],gpu1",
        "gpu1,node[2,10]",
    ),
];

#[test]
fn compress_like_scontrol() {
    for &(hosts, printed, sorted) in COMPRESS {
        assert_eq!(compress(hosts), printed, "compress {hosts:?}");
        assert_eq!(compress_sorted(hosts), sorted, "compress_sorted {hosts:?}");
        assert_eq!(
            HostList::from_hosts(hosts).expand(),
            hosts,
            "from_hosts {hosts:?}"
        );
    }
}

#[test]
fn sort_keeps_every_host_and_uniq_drops_duplicates() {
    // (expression, after sort, after uniq)
    let cases: &[(&str, &str, &str)] = &[
        ("n[1-3],n[2-5]", "n[1-2,2-3,3-5]", "n[1-5]"),
        ("b,a,b,a", "a,a,b,b", "a,b"),
        ("n[5-9],n[1-6],n3", "n[1-3,3-5,5-6,6-9]", "n[1-9]"),
        ("n[01-03],n[2-4]", "n[2-4,01-03]", "n[2-4,01-03]"),
    ];
    for &(expr, sorted, uniq) in cases {
        let list: HostList = expr.parse().unwrap();
        let mut s = list.clone();
        s.sort();
        assert_eq!(s.to_string(), sorted, "sort {expr:?}");
        assert_eq!(s.len(), list.len(), "sort keeps the count of {expr:?}");
        let mut u = list.clone();
        u.uniq();
        assert_eq!(u.to_string(), uniq, "uniq {expr:?}");
        let mut want: Vec<String> = list.expand();
        want.sort();
        want.dedup();
        let mut got = u.expand();
        assert_eq!(got.len(), u.len(), "uniq count of {expr:?}");
        got.sort();
        assert_eq!(got, want, "uniq hosts of {expr:?}");
    }
}

#[test]
fn sort_of_a_range_over_every_number() {
    // Slurm counts `n[0-18446744073709551615]` as zero hosts (the count wraps).
    let mut list: HostList = "n[0-99999999999999999999],n1".parse().unwrap();
    assert_eq!(list.len(), 1);
    list.sort();
    assert_eq!(list.to_string(), "n[0-1,1-18446744073709551615]");
}

#[test]
fn ranges_reaching_the_largest_number() {
    // (expression, len, hosts iterated). Slurm stops expanding at a range that
    // wraps to zero hosts and segfaults after the first host of a range ending
    // at 2^64-1; sk8 yields that first host and goes on.
    let cases: &[(&str, usize, &[&str])] = &[
        ("n1,n[0-99999999999999999999],n2", 2, &["n1"]),
        (
            "n[18446744073709551614-99999999999999999999],m",
            3,
            &["n18446744073709551614", "m"],
        ),
    ];
    for &(expr, len, hosts) in cases {
        let list: HostList = expr.parse().unwrap();
        assert_eq!(list.len(), len, "{expr:?}");
        assert_eq!(list.expand(), hosts, "{expr:?}");
        assert_eq!(list.iter().len(), hosts.len(), "{expr:?}");
    }
}

#[test]
fn malformed_input() {
    // (expression, error, diagnostics Slurm logs)
    let range = |expr: &str, range: &str| Error::InvalidRange {
        expr: expr.into(),
        range: range.into(),
    };
    let cases: Vec<(&str, Error, Vec<&str>)> = vec![
        (
            "n[3-1]",
            range("n[3-1]", "3-1"),
            vec!["_parse_single_range: Invalid range: `3-1'"],
        ),
        (
            "n[a-b]",
            range("n[a-b]", "a-b"),
            vec!["_parse_single_range: Invalid range: `a-b'"],
        ),
        (
            "n[]",
            range("n[]", ""),
            vec!["_parse_single_range: Invalid range: `'"],
        ),
        (
            "n[1,,2]",
            range("n[1,,2]", ""),
            vec!["_parse_single_range: Invalid range: `'"],
        ),
        (
            "n[-1]",
            range("n[-1]", "-1"),
            vec!["_parse_single_range: Invalid range: `-1'"],
        ),
        (
            "n[1--2]",
            range("n[1--2]", "1--2"),
            vec!["_parse_single_range: Invalid range: `1--2'"],
        ),
        (
            "n[1x2]",
            range("n[1x2]", "1x2"),
            vec!["_parse_single_range: Invalid range: `1x2'"],
        ),
        (
            "n[1a]",
            range("n[1a]", "1a"),
            vec!["_parse_single_range: Invalid range: `1a'"],
        ),
        (
            "n[1 ]",
            range("n[1 ]", "1 "),
            vec!["_parse_single_range: Invalid range: `1 '"],
        ),
        (
            "a[1-2]]b[3]",
            range("a[1-2]]b[3]", "1-2]"),
            vec!["_parse_single_range: Invalid range: `1-2]'"],
        ),
        (
            "n[0-65536]",
            Error::TooManyHosts {
                expr: "n[0-65536]".into(),
                range: "0-65536".into(),
            },
            vec!["_parse_single_range: Too many hosts in range `0-65536'"],
        ),
        (
            "n[1-3]x",
            Error::TextAfterBracket {
                expr: "n[1-3]x".into(),
            },
            vec![],
        ),
        (
            "n[1-3]]",
            Error::TextAfterBracket {
                expr: "n[1-3]]".into(),
            },
            vec![],
        ),
        (
            "a[1-40000,1-40000]b[1]",
            Error::TooManyPrefixes {
                expr: "a[1-40000,1-40000]b[1]".into(),
            },
            vec![],
        ),
    ];
    for (expr, error, logged) in cases {
        let (result, diagnostics) = HostList::parse_with_diagnostics(expr);
        assert_eq!(result.as_ref().err(), Some(&error), "{expr:?}");
        assert_eq!(error.expr(), expr);
        let logged_ours: Vec<String> = diagnostics.iter().map(Diagnostic::to_string).collect();
        assert_eq!(logged_ours, logged, "diagnostics of {expr:?}");
        assert_eq!(
            expr.parse::<HostList>().err(),
            Some(error.clone()),
            "{expr:?}"
        );
    }
}

#[test]
fn accepted_with_diagnostics() {
    let (result, diagnostics) = HostList::parse_with_diagnostics("a[x]b[1-3]c[2]");
    assert_eq!(result.map(|l| l.len()), Ok(0));
    assert_eq!(diagnostics, vec![Diagnostic::InvalidRange("x".into()); 3]);
}

#[test]
fn refuses_runaway_expressions() {
    let cases = ["a[0-65535]b[0-65535]c[1]", "a[x]b[0-65535]c[0-65535]d[1]"];
    for expr in cases {
        let err = expr.parse::<HostList>().unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{expr:?}: {err:?}");
    }
    // The largest a single prefix bracket may be, which Slurm accepts too.
    let big: HostList = "a[0-65535]b[1-2]".parse().unwrap();
    assert_eq!(big.len(), 131_072);
    assert_eq!(big.nth(131_071).as_deref(), Some("a65535b2"));
}

#[test]
fn positions() {
    // (expression, host, position)
    let cases: &[(&str, &str, Option<usize>)] = &[
        ("n[1-3]", "n2", Some(1)),
        ("n[1-3]", "n4", None),
        ("n[1-3]", "n02", None),
        ("a,n[01-10],b", "n07", Some(7)),
        ("a,n[01-10],b", "b", Some(11)),
        ("a,n[01-10],b", "a", Some(0)),
        ("nid0000[2-7]", "nid00003", Some(1)),
        ("n[9-10]", "n10", Some(1)),
        ("m1,n1", "n1", Some(1)),
        ("n1,n1", "n1", Some(0)),
        ("", "n1", None),
    ];
    for &(expr, host, want) in cases {
        let list: HostList = expr.parse().unwrap();
        assert_eq!(list.position(host), want, "{host:?} in {expr:?}");
        assert_eq!(list.contains(host), want.is_some());
    }
}

#[test]
fn push_and_extend() {
    let mut list: HostList = "n[1-2]".parse().unwrap();
    assert_eq!(list.push("n[3-4],m"), Ok(3));
    list.push_host("x[1]");
    list.extend(["n5", "n6"]);
    assert_eq!(list.to_string(), "n[1-4],m,x[1],n[5-6]");
    assert_eq!(list.len(), 8);
    assert!(list.push("n[2-1]").is_err());
    assert_eq!(list.len(), 8);
    let collected: HostList = ["a1", "a2"].into_iter().collect();
    assert_eq!(collected.to_string(), "a[1-2]");
}

#[test]
fn equality_is_by_hosts() {
    let cases: &[(&str, &str, bool)] = &[
        ("n[1-3]", "n1,n2,n3", true),
        ("n[1-3]", "n[1-2],n3", true),
        ("n[1-3]", "n[3,1-2]", false),
        ("n[01-03]", "n[1-3]", false),
        ("", ",", true),
    ];
    for &(a, b, eq) in cases {
        let (a, b): (HostList, HostList) = (a.parse().unwrap(), b.parse().unwrap());
        assert_eq!(a == b, eq, "{a} == {b}");
    }
}

#[test]
fn serde_as_string() {
    let list: HostList = "n[1-3],m".parse().unwrap();
    let json = serde_json::to_string(&list).unwrap();
    assert_eq!(json, r#""n[1-3],m""#);
    let back: HostList = serde_json::from_str(&json).unwrap();
    assert_eq!(back, list);
    let bad = serde_json::from_str::<HostList>(r#""n[3-1]""#).unwrap_err();
    assert!(bad.to_string().contains("invalid range `3-1`"), "{bad}");
}
