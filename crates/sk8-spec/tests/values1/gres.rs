//! `Gres`, `GresList` and `GpuSpec`: Slurm's item grammar, counts with suffixes, and the `TresPer*=` text.

use sk8_spec::gres::GresError;
use sk8_spec::{GpuSpec, Gres, GresList};

/// (input, (name, type, count) per item, or `None` when Slurm's parser refuses it).
type Items = &'static [(&'static str, Option<&'static str>, u64)];
const LISTS: &[(&str, Option<Items>)] = &[
    ("gpu", Some(&[("gpu", None, 1)])),
    ("gpu:2", Some(&[("gpu", None, 2)])),
    ("gpu:a100:2", Some(&[("gpu", Some("a100"), 2)])),
    ("gpu:a100", Some(&[("gpu", Some("a100"), 1)])),
    ("gres:gpu:2", Some(&[("gpu", None, 2)])),
    (
        "gpu:2,shard:1",
        Some(&[("gpu", None, 2), ("shard", None, 1)]),
    ),
    (
        "gpu:0,gres:shard:0",
        Some(&[("gpu", None, 0), ("shard", None, 0)]),
    ),
    ("gpu:1k", Some(&[("gpu", None, 1024)])),
    ("gpu:1kb", Some(&[("gpu", None, 1000)])),
    ("gpu:2KiB", Some(&[("gpu", None, 2048)])),
    ("gpu:1M", Some(&[("gpu", None, 1 << 20)])),
    ("gpu:1g", Some(&[("gpu", None, 1 << 30)])),
    ("gpu:k", Some(&[("gpu", None, 0)])),
    ("gpu:1.5", Some(&[("gpu", Some("1.5"), 1)])),
    ("gpu:-1", Some(&[("gpu", Some("-1"), 1)])),
    ("gpu:2:3", Some(&[("gpu", Some("2"), 3)])),
    ("mps:100", Some(&[("mps", None, 100)])),
    (
        "gpu:a100:2,mps:100",
        Some(&[("gpu", Some("a100"), 2), ("mps", None, 100)]),
    ),
    ("none", Some(&[])),
    ("NONE", Some(&[])),
    ("gpu:", None),
    ("gpu::1", None),
    ("gpu:a100:", None),
    ("gpu:x:y", None),
    ("gpu:a:2x", None),
    (":2", None),
    ("gres/gpu:2", None),
    ("gpu:0,,shard:0", None),
    ("gpu:0,", None),
    ("", None),
];

#[test]
fn gres_list_table() {
    for &(input, want) in LISTS {
        let got = input.parse::<GresList>().ok().map(|l| {
            l.items()
                .iter()
                .map(|g| (g.name().to_owned(), g.kind().map(str::to_owned), g.count()))
                .collect::<Vec<_>>()
        });
        let want = want.map(|w| {
            w.iter()
                .map(|(n, k, c)| ((*n).to_owned(), k.map(str::to_owned), *c))
                .collect::<Vec<_>>()
        });
        assert_eq!(got, want, "--gres={input:?}");
    }
}

#[test]
fn gres_help_and_tres_text() {
    assert_eq!("help".parse::<GresList>(), Err(GresError::Help));
    assert_eq!("LIST".parse::<GresList>(), Err(GresError::Help));
    let l: GresList = "gpu:0,gres:shard:0".parse().unwrap();
    assert_eq!(l.to_tres().as_deref(), Some("gres:gpu:0,gres:shard:0"));
    assert_eq!("none".parse::<GresList>().unwrap().to_tres(), None);
    assert_eq!("none".parse::<GresList>().unwrap().to_string(), "none");
    let g: Gres = "gpu:a100".parse().unwrap();
    assert_eq!(g.to_string(), "gpu:a100:1");
    assert!(g.is_gpu());
    let l: GresList = "gpu:2,shard:1".parse().unwrap();
    assert_eq!(l.gpus().count(), 1);
}

/// (input, `TresPerJob=` text, or `None` when refused).
const GPUS: &[(&str, Option<&str>)] = &[
    ("0", Some("gres:gpu:0")),
    ("2", Some("gres:gpu:2")),
    ("h100:8", Some("gres:gpu:h100:8")),
    ("h100:0", Some("gres:gpu:h100:0")),
    ("h100", Some("gres:gpu:h100:1")),
    ("0,a100:0", Some("gres:gpu:0,gres:gpu:a100:0")),
    ("0,,a100:0", Some("gres:gpu:0,gres:gpu:a100:0")),
    ("4k", Some("gres:gpu:4096")),
    ("a:b:c", None),
    ("h100:", None),
    (":2", None),
    ("h100:x", None),
    ("", None),
    (",", None),
];

#[test]
fn gpu_spec_table() {
    for &(input, want) in GPUS {
        let got = input.parse::<GpuSpec>().ok().map(|g| g.to_tres());
        assert_eq!(got.as_deref(), want, "--gpus={input:?}");
    }
    let g: GpuSpec = "h100:8,2".parse().unwrap();
    assert_eq!(g.total(), 10);
    assert_eq!(g.to_string(), "h100:8,2");
    assert_eq!(GpuSpec::count(4).to_tres(), "gres:gpu:4");
}
