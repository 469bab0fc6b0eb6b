//! Table-driven checks of every accepted and rejected form.

use std::collections::BTreeMap;

use sk8_spec::begin::BeginToken;
use sk8_spec::pattern::PatternContext;
use sk8_spec::{BeginSpec, Constraint, Dependency, ExportSpec, FilePattern, SignalSpec};

/// (input, Some(display) when accepted, None when rejected)
const DEPENDENCIES: &[(&str, Option<&str>)] = &[
    ("10", Some("afterany:10")),
    ("afterok:10", Some("afterok:10")),
    ("afterok:10:11", Some("afterok:10,afterok:11")),
    ("afterok:10,afterany:11", Some("afterok:10,afterany:11")),
    ("afterok:10?afterany:11", Some("afterok:10?afterany:11")),
    (
        "afterok:10,afterany:11?after:10",
        Some("afterok:10?afterany:11?after:10"),
    ),
    ("after:10+5", Some("after:10+5")),
    ("after:10+0", None),
    ("singleton", Some("singleton")),
    ("Singleton", Some("singleton")),
    ("singleton,singleton", Some("singleton")),
    ("singleton,afterok:10", Some("singleton,afterok:10")),
    ("afterok:11_2", Some("afterok:11_2")),
    ("afterok:11_*", Some("afterok:11_*")),
    ("afterok:11_[1-2]", Some("afterok:11_1,afterok:11_2")),
    ("afterok:11_[1,3]+5", Some("afterok:11_1,afterok:11_3+5")),
    (
        "afterok:11_[1-2]:10",
        Some("afterok:11_1,afterok:11_2,afterok:10"),
    ),
    ("afterok:10(failed)", Some("afterok:10")),
    ("AFTEROK:10", Some("afterok:10")),
    ("afterok:10:10", Some("afterok:10")),
    ("afterok:10,afterok:10+4", Some("afterok:10")),
    ("afterok:10+4,afterok:10", Some("afterok:10+4")),
    ("afterok:abc", None),
    ("afterok:", None),
    ("after", None),
    ("foo:10", None),
    ("10,11", Some("afterany:10,afterany:11")),
    ("10:11", None),
    ("10,afterok:11", None),
    ("afterok:10?11", Some("afterok:10?afterany:11")),
    ("11_2", Some("afterany:11_2")),
    ("11_[1-2]", None),
    ("afterburstbuffer:10", Some("afterburstbuffer:10")),
    ("aftercorr:11", Some("aftercorr:11")),
    ("afternotok:10", Some("afternotok:10")),
    ("expand:10", Some("expand:10")),
    ("0", Some("")),
    ("", Some("")),
    ("afterok:10 ", None),
    ("afterok:10,", None),
    ("afterok:0", None),
    ("after:10+5:11", Some("after:10+5,after:11+5")),
    ("after:10:11+5", Some("after:10,after:11+5")),
    ("afterok:00010", Some("afterok:10")),
];

#[test]
fn dependency_table() {
    for (input, want) in DEPENDENCIES {
        let got = input.parse::<Dependency>().map(|d| d.to_string()).ok();
        assert_eq!(got.as_deref(), *want, "--dependency={input}");
    }
}

#[test]
fn dependency_accessors() {
    let d: Dependency = "afterok:10:11?singleton".parse().unwrap();
    assert!(d.is_any());
    assert!(d.has_singleton());
    assert_eq!(d.job_ids(), vec![10, 11]);
    assert_eq!(d.items().len(), 3);
}

const SIGNALS: &[(&str, Option<&str>)] = &[
    ("USR1", Some("USR1")),
    ("SIGUSR1", Some("USR1")),
    ("usr1", Some("USR1")),
    ("B:USR1", Some("B:USR1")),
    ("R:USR1", Some("R:USR1")),
    ("BR:USR1", Some("RB:USR1")),
    ("RB:USR1", Some("RB:USR1")),
    ("b:usr1", Some("B:USR1")),
    ("BUSR1", Some("B:USR1")),
    ("10", Some("USR1")),
    ("0", None),
    ("65", Some("65")),
    ("65536", None),
    ("65537", Some("HUP")),
    ("-1", Some("65535")),
    ("USR1@90", Some("USR1@90")),
    ("USR1@60", Some("USR1")),
    ("USR1@0", Some("USR1@0")),
    ("USR1@65535", Some("USR1@65535")),
    ("USR1@65536", None),
    ("USR1@-1", None),
    ("USR1@", Some("USR1@0")),
    ("USR1@ 5", Some("USR1@5")),
    ("USR1@5 ", None),
    ("USR1@abc", None),
    ("FOO", None),
    ("SIGFOO", None),
    ("B:", None),
    ("", None),
    ("USR1 ", Some("USR1")),
    (" USR1", Some("USR1")),
    ("@5", None),
    ("B:10@5", Some("B:USR1@5")),
    ("X:USR1", None),
    ("R", None),
    ("RR:USR1", Some("R:USR1")),
    ("TERM", Some("TERM")),
    ("RTMIN", None),
    ("B:SIGKILL@30", Some("B:KILL@30")),
];

#[test]
fn signal_table() {
    for (input, want) in SIGNALS {
        let got = input.parse::<SignalSpec>().map(|d| d.to_string()).ok();
        assert_eq!(got.as_deref(), *want, "--signal={input}");
    }
}

fn ctx() -> PatternContext {
    PatternContext {
        job_id: 2153,
        job_name: "j.sh".into(),
        user: "root".into(),
        node_name: "vm".into(),
        ..PatternContext::default()
    }
}

/// (pattern, batch file name for job 2153 outside an array)
const BATCH_NAMES: &[(&str, &str)] = &[
    ("%x.%N.%u.txt", "j.sh.vm.root.txt"),
    ("%j-%J-%s-%t-%n.txt", "2153-2153-batch-0-0.txt"),
    ("a\\%j.txt", "a%j.txt"),
    ("q\\\\r%j.txt", "q\\r%j.txt"),
    ("%%j-%j-%%%j.txt", "%j-2153-%2153.txt"),
    ("%12j.txt", "0000002153.txt"),
    ("%z-%5z-%.txt", "%z-5z-%.txt"),
    ("w%3", "w3"),
    ("p-%A-%a.txt", "p-2153-4294967294.txt"),
    ("%05J.txt", "02153.txt"),
    ("none", "/dev/null"),
    ("NONE", "/dev/null"),
    ("%3%j", "32153"),
    ("plain.txt", "plain.txt"),
];

#[test]
fn pattern_batch_table() {
    for (pattern, want) in BATCH_NAMES {
        let p: FilePattern = pattern.parse().unwrap();
        assert_eq!(p.expand_batch(&ctx()), *want, "-o {pattern}");
    }
}

#[test]
fn pattern_array_and_step() {
    let array = PatternContext {
        job_id: 1658,
        array_job_id: Some(1657),
        array_task_id: Some(2),
        ..ctx()
    };
    let cases = [
        ("out-%A_%a.txt", "out-1657_2.txt"),
        ("%3a.txt", "002.txt"),
        ("slurm-%A_%a.out", "slurm-1657_2.out"),
    ];
    for (pattern, want) in cases {
        let p: FilePattern = pattern.parse().unwrap();
        assert_eq!(p.expand_batch(&array), want, "-o {pattern}");
    }
    let step = PatternContext {
        step_id: Some(3),
        task_id: 5,
        node_id: 1,
        ..ctx()
    };
    let cases = [("%J-%t-%n-%s.txt", "2153.3-5-1-3.txt"), ("%2t.%N", "05.vm")];
    for (pattern, want) in cases {
        let p: FilePattern = pattern.parse().unwrap();
        assert_eq!(p.expand_step(&step), want, "srun -o {pattern}");
        assert!(p.is_per_task());
    }
}

#[test]
fn pattern_scontrol_view() {
    let p: FilePattern = "%x-%j-%A-%a-%3j-%N-%%.out".parse().unwrap();
    assert_eq!(
        p.scontrol_path(&ctx(), "/tmp/s2"),
        "/tmp/s2/j.sh-2153-2153-4294967294-%3j-%N-%%.out"
    );
    assert_eq!(
        FilePattern::default_batch(false).to_string(),
        "slurm-%j.out"
    );
    assert_eq!(
        FilePattern::default_batch(true).to_string(),
        "slurm-%A_%a.out"
    );
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// (value, canonical display, resulting environment)
#[test]
fn export_table() {
    let submit = env(&[
        ("PATH", "/bin"),
        ("HOME", "/root"),
        ("SLURM_CONF", "/x"),
        ("SLURMX", "1"),
    ]);
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case<'_>] = &[
        (
            "ALL",
            "ALL",
            &[
                ("PATH", "/bin"),
                ("HOME", "/root"),
                ("SLURM_CONF", "/x"),
                ("SLURMX", "1"),
            ],
        ),
        (
            "all",
            "ALL",
            &[
                ("PATH", "/bin"),
                ("HOME", "/root"),
                ("SLURM_CONF", "/x"),
                ("SLURMX", "1"),
            ],
        ),
        (
            "NONE",
            "NONE",
            &[
                ("SLURM_CONF", "/x"),
                ("SLURMX", "1"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "PATH,HOME",
            "PATH,HOME",
            &[
                ("PATH", "/bin"),
                ("HOME", "/root"),
                ("SLURM_CONF", "/x"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "FOO=bar",
            "FOO=bar",
            &[
                ("FOO", "bar"),
                ("SLURM_CONF", "/x"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "ALL,FOO=bar",
            "ALL,FOO=bar",
            &[
                ("PATH", "/bin"),
                ("HOME", "/root"),
                ("SLURM_CONF", "/x"),
                ("SLURMX", "1"),
                ("FOO", "bar"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "\"FOO=a,b\"",
            "\"FOO=a,b\"",
            &[
                ("FOO", "a,b"),
                ("SLURM_CONF", "/x"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "FOO=\"a,b\"",
            "FOO=\"a,b\"",
            &[
                ("FOO", "\"a,b\""),
                ("SLURM_CONF", "/x"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "NIL",
            "NIL",
            &[("SLURM_CONF", "/x"), ("SLURM_GET_USER_ENV", "1")],
        ),
        (
            "NONE,",
            "NONE,",
            &[("SLURM_CONF", "/x"), ("SLURM_GET_USER_ENV", "1")],
        ),
        (
            "PATH=/x,PATH",
            "PATH=/x,PATH",
            &[
                ("PATH", "/bin"),
                ("SLURM_CONF", "/x"),
                ("SLURM_GET_USER_ENV", "1"),
            ],
        ),
        (
            "SLURM_CONF=/y",
            "SLURM_CONF=/y",
            &[("SLURM_CONF", "/x"), ("SLURM_GET_USER_ENV", "1")],
        ),
    ];
    for (input, display, want) in cases {
        let spec: ExportSpec = input.parse().unwrap();
        assert_eq!(spec.to_string(), *display, "--export={input}");
        assert_eq!(spec.apply(&submit), env(want), "--export={input}");
    }
    assert!("A=\"x".parse::<ExportSpec>().is_err());
}

const CONSTRAINTS: &[(&str, Option<&str>)] = &[
    ("a", Some("a")),
    ("a&b", Some("a&b")),
    ("a,b", Some("a&b")),
    ("a|b", Some("a|b")),
    ("[a*2&b*4]", Some("[a*2&b*4]")),
    ("[a|b]", Some("[a|b]")),
    ("a*2", Some("a*2")),
    ("(a|b)&c", Some("(a|b)&c")),
    ("[(a&b)|c]", Some("[(a&b)|c]")),
    ("a&&b", None),
    ("[a|b", None),
    ("a*0", None),
    ("[a][b]", None),
    ("[[a]]", None),
    ("((a))", None),
    ("&a", None),
    ("a)", None),
    ("(a*2)", None),
    ("*2", None),
    ("a[b]", None),
    ("", Some("")),
];

#[test]
fn constraint_table() {
    for (input, want) in CONSTRAINTS {
        let got = input.parse::<Constraint>().map(|c| c.to_string()).ok();
        assert_eq!(got.as_deref(), *want, "--constraint={input}");
    }
    let c: Constraint = "a&b".parse().unwrap();
    assert!(c.is_conjunction());
    assert_eq!(c.features().collect::<Vec<_>>(), ["a", "b"]);
}

/// 2026-11-28T15:52:23Z, a Saturday.
const NOW: i64 = 1_795_881_143;

#[test]
fn begin_table() {
    let day = 86_400;
    let midnight = NOW - NOW % day;
    let cases: &[(&str, Option<i64>)] = &[
        ("now", Some(NOW)),
        ("now+60", Some(NOW + 60)),
        ("now+1hour", Some(NOW + 3600)),
        ("now+2hours", Some(NOW + 7200)),
        ("now+1 day", Some(NOW + day)),
        ("now+1week", Some(NOW + 7 * day)),
        ("now+3minutes", Some(NOW + 180)),
        ("now-10seconds", Some(NOW - 10)),
        ("NOW+1HOUR", Some(NOW + 3600)),
        ("now+1h", None),
        ("now+", None),
        ("now 16:00", None),
        ("16:00", Some(midnight + 16 * 3600)),
        ("15:00", Some(midnight + day + 15 * 3600)),
        ("4:00pm", Some(midnight + 16 * 3600)),
        ("4:00 PM", Some(midnight + 16 * 3600)),
        ("12:00am", Some(midnight + day)),
        ("12:00pm", Some(midnight + day + 12 * 3600)),
        ("13:00pm", None),
        ("23:59:59", Some(midnight + day - 1)),
        ("24:00", None),
        ("10:60", None),
        ("midnight", Some(midnight + day)),
        ("noon", Some(midnight + day + 12 * 3600)),
        ("fika", Some(midnight + day + 15 * 3600)),
        ("teatime", Some(midnight + 16 * 3600)),
        ("elevenses", None),
        ("today", Some(midnight)),
        ("tomorrow", Some(midnight + day)),
        ("tomorrow 10:00", Some(midnight + day + 10 * 3600)),
        ("2027-01-01", Some(1_798_761_600)),
        ("2027-01-01T12:00", Some(1_798_761_600 + 12 * 3600)),
        ("2027-01-01T12:00:30", Some(1_798_761_600 + 12 * 3600 + 30)),
        ("12/25", Some(1_798_156_800)),
        ("12/25/27", Some(1_829_692_800)),
        ("122527", Some(1_829_692_800)),
        ("12.25.27", Some(1_829_692_800)),
        ("1225", Some(1_798_156_800)),
        ("01/01", Some(1_798_761_600)),
        ("12/25-10:00", Some(1_798_156_800 + 36_000)),
        ("02/31/27", Some(1_804_032_000)),
        ("13/01", None),
        ("12/32", None),
        ("uts1900000000", Some(1_900_000_000)),
        ("uts999", None),
        ("garbage", None),
        ("", None),
        ("25:00", None),
    ];
    for (input, want) in cases {
        let got = input
            .parse::<BeginSpec>()
            .map(|b| b.resolve_fixed(NOW, 0))
            .ok();
        assert_eq!(got, *want, "--begin={input}");
    }
    let b: BeginSpec = "16:00".parse().unwrap();
    assert_eq!(
        b.tokens(),
        [BeginToken::Time {
            hour: 16,
            minute: 0,
            second: 0
        }]
    );
    // 16:52 local at UTC+1: 16:00 has passed, so tomorrow 15:00 UTC.
    assert_eq!(
        b.resolve_fixed(NOW, 3600),
        midnight + day + 15 * 3600,
        "16:00 at UTC+1"
    );
}
