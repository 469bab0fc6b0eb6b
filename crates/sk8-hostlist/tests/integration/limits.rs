//! Issue 13: every expression a user can type is bounded before anything
//! is allocated, whatever each bracket holds (their product, long prefixes,
//! zero padding).

use sk8_hostlist::{Error, HostList, MAX_EXPANDED_BYTES, MAX_EXPANDED_HOSTS, expand};

/// Issue 13's reproducer: each bracket is within Slurm's 64K, their product
/// (2^32 names, about 100 GB) is not. `sbatch -w` aborted on the allocation.
#[test]
fn issue_13_product_of_brackets_is_refused_before_expanding() {
    for expr in ["n[1-65536]x[1-65536]", "n[1-5000]x[1-5000]"] {
        let list: HostList = expr.parse().expect("each bracket is within Slurm's limits");
        let err = expand(expr).unwrap_err();
        assert!(
            matches!(&err, Error::TooManyToExpand { hosts, .. } if *hosts == list.len() as u64),
            "{expr}: {err:?}"
        );
        assert_eq!(err.expr(), expr);
        assert!(list.try_expand().is_err());
        // Lookups and the compressed form need no expansion.
        assert_eq!(
            list.nth(list.len() - 1).as_deref(),
            Some(&*format!(
                "n{}",
                if expr.contains("65536") {
                    "65536x65536"
                } else {
                    "5000x5000"
                }
            ))
        );
    }
}

#[test]
fn expansion_limits_are_exact() {
    // 1024 x 1024 names is exactly the host limit.
    let at_limit = "n[1-1024]x[1-1024]";
    assert_eq!(expand(at_limit).map(|v| v.len()), Ok(MAX_EXPANDED_HOSTS));
    let over = "n[1-1024]x[1-1025]";
    assert!(matches!(
        expand(over),
        Err(Error::TooManyToExpand { hosts, .. }) if hosts == 1024 * 1025
    ));
    // Few names, but long ones: zero padding and prefixes multiply too.
    let padded = format!("n[{}1-60000]", "0".repeat(1000));
    let list: HostList = padded.parse().unwrap();
    let (hosts, bytes) = list.expanded_size();
    assert_eq!(hosts, 60_000);
    assert!(bytes > MAX_EXPANDED_BYTES as u64, "{bytes}");
    assert!(matches!(
        expand(&padded),
        Err(Error::TooManyToExpand { .. })
    ));
    // An upper bound: every name of a range counts its widest number.
    let (_, small) = "n[1-10],m".parse::<HostList>().unwrap().expanded_size();
    assert_eq!(small, 10 * 3 + 1);
}

/// A long prefix before many ranges would be copied once per range.
#[test]
fn long_prefixes_times_many_ranges_are_refused_while_parsing() {
    let ranges: Vec<String> = (0..20_000).map(|i| (2 * i).to_string()).collect();
    let expr = format!("{}[{}]", "x".repeat(10_000), ranges.join(","));
    let err = expr.parse::<HostList>().unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    // The same ranges behind a short prefix are fine.
    let short = format!("x[{}]", ranges.join(","));
    assert_eq!(short.parse::<HostList>().map(|l| l.len()), Ok(20_000));
    // A long name inside a prefix bracket, times its values.
    let nested = format!("a[1-65536]{}[1]", "b".repeat(2_000));
    assert!(matches!(
        nested.parse::<HostList>(),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn write_hosts_streams_what_iter_yields() {
    let list: HostList = "n[1-3],m,a[1-2]b[7-8]".parse().unwrap();
    let mut out = Vec::new();
    list.write_hosts(&mut out).unwrap();
    let want: String = list.iter().map(|h| h + "\n").collect();
    assert_eq!(String::from_utf8(out).unwrap(), want);
    // Far more names than the expansion limit, through a bounded buffer:
    // count them instead of keeping them.
    struct Count(usize, usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.iter().filter(|&&c| c == b'\n').count();
            self.1 = self.1.max(b.len());
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let big: HostList = "n[1-2048]x[1-1024]".parse().unwrap();
    let mut count = Count(0, 0);
    big.write_hosts(&mut count).unwrap();
    assert_eq!(count.0, 2048 * 1024);
    assert!(count.1 < 128 << 10, "one write of {} bytes", count.1);
}
