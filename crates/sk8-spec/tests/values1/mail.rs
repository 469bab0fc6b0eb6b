//! `MailType`: names, `ALL`, `NONE`, skipped unknowns, and `MailType=` order.

use sk8_spec::MailType;
use sk8_spec::mail::MailFlag;

/// (input, `MailType=` as scontrol showed it, or `None` when sbatch refused it).
const CASES: &[(&str, Option<&str>)] = &[
    ("BEGIN", Some("BEGIN")),
    ("begin", Some("BEGIN")),
    ("END,BEGIN", Some("BEGIN,END")),
    (
        "ALL",
        Some("INVALID_DEPEND,BEGIN,END,FAIL,REQUEUE,STAGE_OUT"),
    ),
    ("NONE", Some("NONE")),
    ("none", Some("NONE")),
    ("BEGIN,NONE", Some("NONE")),
    ("BEGIN,foo", Some("BEGIN")),
    (",BEGIN,", Some("BEGIN")),
    (
        "ARRAY_TASKS,ALL",
        Some("ARRAY_TASKS,INVALID_DEPEND,BEGIN,END,FAIL,REQUEUE,STAGE_OUT"),
    ),
    (
        "TIME_LIMIT,TIME_LIMIT_50,TIME_LIMIT_80,TIME_LIMIT_90",
        Some("TIME_LIMIT_50,TIME_LIMIT_80,TIME_LIMIT_90,TIME_LIMIT"),
    ),
    (
        "INVALID_DEPEND,STAGE_OUT,REQUEUE,FAIL",
        Some("INVALID_DEPEND,FAIL,REQUEUE,STAGE_OUT"),
    ),
    ("time_limit_90", Some("TIME_LIMIT_90")),
    ("foo", None),
    ("", None),
    ("BEGIN END", None),
    (" BEGIN", None),
    (",", None),
];

#[test]
fn mail_table() {
    for &(input, want) in CASES {
        let got = input.parse::<MailType>().map(|m| m.to_string()).ok();
        assert_eq!(got.as_deref(), want, "--mail-type={input:?}");
    }
}

#[test]
fn mail_sets() {
    let m: MailType = "BEGIN".parse().unwrap();
    let both = m.union("END".parse().unwrap());
    assert!(both.contains(MailFlag::Begin) && both.contains(MailFlag::End));
    assert!(!both.contains(MailFlag::Fail));
    assert_eq!(
        both.flags().collect::<Vec<_>>(),
        [MailFlag::Begin, MailFlag::End]
    );
    assert!(!MailType::ALL.contains(MailFlag::TimeLimit));
    for flag in MailFlag::ALL {
        let one = MailType::NONE.with(flag);
        assert_eq!(one.to_string(), flag.name());
        assert_eq!(one.to_string().parse::<MailType>(), Ok(one));
    }
    let json = serde_json::to_string(&both).unwrap();
    assert_eq!(serde_json::from_str::<MailType>(&json).unwrap(), both);
}
