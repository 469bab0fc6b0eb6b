//! The same jobs run again on real Slurm when it is running, compared with our model.

use std::path::Path;
use std::process::Command;

use super::reference::{CASES, Case, DUMP_SCRIPT, differences, dump_dirs, in_scope, read_dump};

fn submit(root: &Path, case: &Case) -> Result<(), String> {
    let out_dir = root.join(case.name);
    let output = Command::new("/usr/bin/sbatch")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", std::env::var("HOME").unwrap_or_else(|_| "/".into()))
        .env("USER", std::env::var("USER").unwrap_or_default())
        .current_dir(root)
        .arg("--wait")
        .arg(format!("--output={}/{}-%a.out", root.display(), case.name))
        .args(case.args)
        .arg(root.join("dump.sh"))
        .arg(&out_dir)
        .output()
        .map_err(|e| format!("sbatch: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}`: {}",
            case.name,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Copies the in-scope lines of live dumps into `tests/fixtures/` (run with
/// `SK8_ENV_BLESS=1` to refresh the checked-in references).
fn bless(root: &Path, case: &Case) {
    for (name, dir) in dump_dirs(root, case) {
        let target = super::fixtures::root().join(&name);
        std::fs::create_dir_all(&target).expect("fixture dir");
        for (file, vars) in read_dump(&dir) {
            let text: String = vars
                .iter()
                .filter(|(k, _)| in_scope(k))
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect();
            std::fs::write(target.join(file), text).expect("fixture file");
        }
    }
}

#[test]
#[ignore = "needs the reference Slurm"]
fn every_case_matches_live_slurm() {
    sk8_harness::reference::require("every_case_matches_live_slurm");
    let root = std::env::temp_dir().join(format!("sk8-env-live-{}", std::process::id()));
    std::fs::create_dir_all(&root).expect("temp dir");
    std::fs::write(root.join("dump.sh"), DUMP_SCRIPT).expect("dump script");
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = CASES
            .iter()
            .map(|case| s.spawn(|| submit(&root, case)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().expect("thread").err())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "reference jobs failed:\n{}",
        failures.join("\n")
    );
    let mut diffs = Vec::new();
    for case in CASES {
        let dirs = dump_dirs(&root, case);
        assert!(!dirs.is_empty(), "`{}` left no dump", case.name);
        for (name, dir) in &dirs {
            assert!(read_dump(dir).len() >= 4, "`{name}` dumped too little");
            diffs.extend(differences(case, name, dir));
        }
        if std::env::var_os("SK8_ENV_BLESS").is_some() {
            bless(&root, case);
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
