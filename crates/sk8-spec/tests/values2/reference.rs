//! Differential tests against the reference Slurm 22.05 (`/usr/bin/sbatch`).

use std::process::Command;

use sk8_spec::pattern::PatternContext;
use sk8_spec::{BeginSpec, Constraint, Dependency, FilePattern, SignalSpec};

struct Dir(String);

impl Dir {
    fn new(tag: &str) -> Dir {
        let dir = format!("/tmp/sk8-spec-values2-{tag}-{}", std::process::id());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/job.sh"), "#!/bin/bash\necho hi\n").unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs sbatch in `dir` with `args` then `job.sh`; the job id, or stderr.
fn sbatch(dir: &Dir, args: &[&str]) -> Result<u32, String> {
    let out = Command::new("/usr/bin/sbatch")
        .current_dir(&dir.0)
        .args(args)
        .arg("job.sh")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.trim().strip_prefix("Submitted batch job ") {
        Some(id) if out.status.success() => Ok(id.trim().parse().unwrap()),
        _ => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
    }
}

fn show(id: u32) -> String {
    let out = Command::new("/usr/bin/scontrol")
        .args(["show", "job", "-o", &id.to_string()])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn field(record: &str, name: &str) -> String {
    let key = format!(" {name}=");
    let record = format!(" {record}");
    let at = record
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {record}"));
    record[at + key.len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

fn scancel(id: u32) {
    let _ = Command::new("/usr/bin/scancel")
        .arg(id.to_string())
        .status();
}

/// Submits held with `option=value`; Ok(field) or Err(stderr).
fn held_field(dir: &Dir, option: &str, value: &str, name: &str) -> Result<String, String> {
    let arg = format!("{option}={value}");
    let id = sbatch(dir, &["--hold", &arg])?;
    let record = show(id);
    scancel(id);
    Ok(field(&record, name))
}

#[test]
#[ignore = "needs the reference Slurm"]
fn dependency_matches_scontrol() {
    sk8_harness::reference::require("dependency_matches_scontrol");
    let dir = Dir::new("dep");
    let a = sbatch(&dir, &["--hold"]).unwrap();
    let b = sbatch(&dir, &["--hold"]).unwrap();
    let values = [
        format!("{a}"),
        format!("afterok:{a}"),
        format!("afterok:{a}:{b}"),
        format!("afterok:{a},afterany:{b}"),
        format!("afterok:{a}?afternotok:{b}"),
        format!("afterok:{a},after:{b}?afterany:{a}"),
        format!("after:{a}+5"),
        format!("after:{a}+5:{b}"),
        format!("after:{a}+0"),
        "singleton".to_owned(),
        format!("singleton?afterok:{a}"),
        format!("afterok:{a}_2"),
        format!("afterok:{a}_*"),
        format!("afterok:{a}_[1-3]"),
        format!("AFTERANY:{a}:{a}"),
        format!("{a},{b}"),
        format!("{a}:{b}"),
        format!("{a},afterok:{b}"),
        format!("afterok:{a},"),
        format!("foo:{a}"),
        "afterok:".to_owned(),
        "afterok:x".to_owned(),
        format!("aftercorr:{a}"),
        format!("afterburstbuffer:{a}"),
    ];
    for value in &values {
        let ours = value.parse::<Dependency>().map(|d| d.to_string());
        let theirs = held_field(&dir, "--dependency", value, "Dependency")
            .map(|s| s.replace("(unfulfilled)", ""));
        match (&ours, &theirs) {
            (Ok(o), Ok(t)) => assert_eq!(o, t, "--dependency={value}"),
            (Err(_), Err(e)) => assert!(e.contains("Job dependency problem"), "{value}: {e}"),
            _ => panic!("--dependency={value}: ours {ours:?}, slurm {theirs:?}"),
        }
    }
    scancel(a);
    scancel(b);
}

#[test]
#[ignore = "needs the reference Slurm"]
fn signal_accept_reject_matches_sbatch() {
    sk8_harness::reference::require("signal_accept_reject_matches_sbatch");
    let dir = Dir::new("sig");
    for value in [
        "USR1",
        "B:USR1@90",
        "RB:10",
        "0",
        "65536",
        "USR1@-1",
        "FOO",
        "USR1@abc",
        "BUSR1",
    ] {
        let ours = value.parse::<SignalSpec>().is_ok();
        let theirs = held_field(&dir, "--signal", value, "JobId");
        assert_eq!(ours, theirs.is_ok(), "--signal={value}: {theirs:?}");
        if let Err(e) = theirs {
            assert!(e.contains("Invalid --signal specification"), "{e}");
        }
    }
}

#[test]
#[ignore = "needs the reference Slurm"]
fn stdout_matches_scontrol() {
    sk8_harness::reference::require("stdout_matches_scontrol");
    let dir = Dir::new("out");
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("%x-%j-%A-%a.out", &[]),
        ("%x-%j-%A-%a.out", &["--array=1-2"]),
        ("e%3j%%a", &[]),
        ("/tmp/%u/%a%A", &[]),
        ("none", &[]),
        ("plain", &["--array=4"]),
        ("a\\%j", &[]),
    ];
    for (pattern, extra) in cases {
        let arg = format!("--output={pattern}");
        let mut args = vec!["--hold", arg.as_str()];
        args.extend_from_slice(extra);
        let id = sbatch(&dir, &args).unwrap();
        let record = show(id);
        scancel(id);
        let is_array = !extra.is_empty();
        let ctx = PatternContext {
            job_id: id,
            array_job_id: is_array.then_some(id),
            job_name: "job.sh".into(),
            user: user.trim().into(),
            ..PatternContext::default()
        };
        let p: FilePattern = pattern.parse().unwrap();
        assert_eq!(
            p.scontrol_path(&ctx, &dir.0),
            field(&record, "StdOut"),
            "-o {pattern}"
        );
    }
}

fn unix_of(stamp: &str) -> i64 {
    // scontrol prints local time; the reference machine runs in UTC.
    let n = |r: std::ops::Range<usize>| stamp[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + (153 * m2 + 2) / 5 + d - 1;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)
}

#[test]
#[ignore = "needs the reference Slurm"]
fn begin_matches_eligible_time() {
    sk8_harness::reference::require("begin_matches_eligible_time");
    let dir = Dir::new("begin");
    for value in [
        "now+1hour",
        "now+2days",
        "23:59",
        "tomorrow",
        "2030-01-01T12:00",
        "12/25/30",
        "teatime",
        "garbage",
        "now+1h",
    ] {
        let arg = format!("--begin={value}");
        let ours = value.parse::<BeginSpec>();
        match sbatch(&dir, &["--hold", &arg]) {
            Ok(id) => {
                let record = show(id);
                scancel(id);
                let submit = unix_of(&field(&record, "SubmitTime"));
                let eligible = unix_of(&field(&record, "EligibleTime"));
                let spec = ours.unwrap_or_else(|e| panic!("--begin={value}: {e}"));
                // sbatch parsed the value up to two seconds before submitting.
                let ok = (0..=2).any(|k| spec.resolve_fixed(submit - k, 0) == eligible);
                assert!(ok, "--begin={value}: eligible {eligible}, submit {submit}");
            }
            Err(e) => {
                assert!(ours.is_err(), "--begin={value}: {e}");
                assert!(e.contains("Invalid --begin specification"), "{e}");
            }
        }
    }
}

#[test]
#[ignore = "needs the reference Slurm"]
fn constraint_rejections_match() {
    sk8_harness::reference::require("constraint_rejections_match");
    // The reference node has no features: every constraint is refused there,
    // so only our own rejections can be compared.
    let dir = Dir::new("feat");
    for value in ["a&&b", "[a|b", "a*0", "[a][b]"] {
        assert!(value.parse::<Constraint>().is_err(), "{value}");
        let theirs = held_field(&dir, "--constraint", value, "Features");
        assert!(
            theirs.is_err_and(|e| e.contains("Invalid feature specification")),
            "{value}"
        );
    }
}

#[test]
#[ignore = "needs the reference Slurm"]
fn real_jobs_create_expanded_names() {
    sk8_harness::reference::require("real_jobs_create_expanded_names");
    let dir = Dir::new("run");
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    let host =
        String::from_utf8(Command::new("hostname").arg("-s").output().unwrap().stdout).unwrap();
    let cases: &[(&str, Option<u32>)] = &[
        ("out-%A_%a.txt", Some(2)),
        ("%3a.txt", Some(1)),
        ("%x.%N.%u.txt", None),
        ("%j-%J-%s-%t-%n.txt", None),
        ("a\\%j.txt", None),
        ("%%j-%j-%%%j.txt", None),
        ("%12j.txt", None),
        ("%z-%5z-%.txt", None),
        ("p-%A-%a.txt", None),
    ];
    for (pattern, array_task) in cases {
        let before: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let out = format!("--output={pattern}");
        let arr = array_task.map(|t| format!("--array={t}"));
        let mut args = vec!["--wait", "--partition=debug", out.as_str()];
        if let Some(a) = &arr {
            args.push(a);
        }
        let id = sbatch(&dir, &args).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let ctx = PatternContext {
            job_id: id,
            array_job_id: array_task.map(|_| id),
            array_task_id: *array_task,
            job_name: "job.sh".into(),
            user: user.trim().into(),
            node_name: host.trim().into(),
            ..PatternContext::default()
        };
        let want = pattern.parse::<FilePattern>().unwrap().expand_batch(&ctx);
        let created: Vec<_> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| !before.contains(n))
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        assert_eq!(created, vec![want], "-o {pattern}");
    }
}
