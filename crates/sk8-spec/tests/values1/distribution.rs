//! `Distribution`: `verify_dist_type`'s levels, `*` defaults, pack flags and plane sizes.

use sk8_spec::Distribution;
use sk8_spec::distribution::DistributionError;

/// (input, canonical form, or `None` when sbatch refused it).
const CASES: &[(&str, Option<&str>)] = &[
    ("block", Some("block")),
    ("cyclic", Some("cyclic")),
    ("BLOCK", Some("block")),
    ("arbitrary", Some("arbitrary")),
    ("hostfile", Some("arbitrary")),
    ("plane=4", Some("plane=4")),
    ("PLANE=2", Some("plane=2")),
    ("planex=3", Some("plane=3")),
    ("block:cyclic", Some("block:cyclic")),
    ("block:fcyclic", Some("block:fcyclic")),
    ("cyclic:block:fcyclic", Some("cyclic:block:fcyclic")),
    ("*", Some("block")),
    ("*:*", Some("block:cyclic")),
    ("*:*:*", Some("block:cyclic:cyclic")),
    ("block:*:*", Some("block:cyclic:cyclic")),
    ("cyclic:block:*", Some("cyclic:block:block")),
    ("block::cyclic", Some("block:cyclic")),
    ("block,pack", Some("block,Pack")),
    ("block,Pack", Some("block,Pack")),
    ("block,nopack", Some("block,NoPack")),
    ("block:cyclic,NoPack", Some("block:cyclic,NoPack")),
    ("arbitrary,pack", Some("arbitrary,Pack")),
    ("pack", Some("Pack")),
    ("nopack", Some("NoPack")),
    ("block,", Some("block")),
    ("plane", None),
    ("plane=0", None),
    ("plane=-1", None),
    ("plane=4,pack", None),
    ("plane=2147483648", None),
    (",pack", None),
    ("fcyclic", None),
    ("fcyclic:block", None),
    ("block:block:block:block", None),
    ("arbitrary:block", None),
    ("block,,pack", None),
    ("block,pack,nopack", None),
    ("cyc", None),
    ("x", None),
    ("", None),
    ("::", None),
];

#[test]
fn distribution_table() {
    for &(input, want) in CASES {
        let got = input.parse::<Distribution>().map(|d| d.to_string()).ok();
        assert_eq!(got.as_deref(), want, "--distribution={input:?}");
    }
}

#[test]
fn plane_size_from_the_environment() {
    let d = Distribution::parse_with_plane_size("plane", Some("8")).unwrap();
    assert_eq!(d.plane_size(), Some(8));
    assert!(matches!(
        Distribution::parse_with_plane_size("plane", Some("")),
        Err(DistributionError::PlaneSize(_))
    ));
    // An explicit size wins over the environment.
    let d = Distribution::parse_with_plane_size("plane=2", Some("8")).unwrap();
    assert_eq!(d.plane_size(), Some(2));
}
