//! What the `sbatch_parse` fuzz target checks, shared with the test that
//! replays its corpus: sbatch's parse of any command line and script ends in
//! a job spec or a failure with a message and a non-zero exit code, never a
//! panic.

use std::collections::BTreeMap;

use sk8_opts::sbatch::{Action, Context, Host, parse};

struct Memory(Vec<u8>);

impl Host for Memory {
    fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
        if path.ends_with("job.sh") {
            Ok(self.0.clone())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(self.0.clone())
    }
    fn is_readable_file(&self, path: &str) -> bool {
        path.ends_with("job.sh")
    }
}

/// Parses `data` as `argv words \n-separated` NUL `script`.
pub fn check_sbatch(data: &[u8]) {
    let (argv, script) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let mut args: Vec<String> = String::from_utf8_lossy(argv)
        .split('\n')
        .filter(|w| !w.is_empty())
        .take(64)
        .map(str::to_string)
        .collect();
    args.push("job.sh".to_string());
    let ctx = Context {
        argv0: "sbatch".into(),
        cwd: "/home/u".into(),
        env: BTreeMap::new(),
        user: "u".into(),
        uid: 1000,
        gid: 1000,
        host: "h".into(),
        default_partition: None,
    };
    match parse(&args, &ctx, &Memory(script.to_vec())) {
        Ok(Action::Submit(s)) => {
            assert!(!s.jobs.is_empty());
            for job in &s.jobs {
                let _ = serde_json::to_string(job).expect("a job spec serialises");
            }
        }
        Ok(Action::Print(text)) => assert!(!text.is_empty()),
        Err(f) => {
            assert!(!f.lines.is_empty(), "a failure says why");
            assert!(f.code != 0 || f.lines.iter().any(|l| !l.text.is_empty()));
        }
    }
}
