//! How long `sbatch` takes to understand a large script: a 5,000-line script
//! with 100 directives, from the bytes to the job spec (scan, getopt,
//! setters, defaults); and the scan alone.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sk8_opts::sbatch::{Action, Context, Host, parse};

/// A script with 100 directives (a realistic mix, repeated) and 4,899 lines of shell.
fn big_script() -> Vec<u8> {
    const DIRECTIVES: [&str; 10] = [
        "#SBATCH --job-name=train   # the job's name",
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=4",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=64G",
        "#SBATCH --gres=gpu:a100:4",
        "#SBATCH --time=1-02:00:00",
        "#SBATCH --output=logs/%x-%j.out",
        "#SBATCH --array=0-15%4",
        "#SBATCH --mail-type=END,FAIL",
    ];
    let mut s = String::from("#!/bin/bash\n");
    for i in 0..100 {
        s.push_str(DIRECTIVES[i % DIRECTIVES.len()]);
        s.push('\n');
    }
    for i in 0..4_899 {
        s.push_str(&format!(
            "srun python train.py --epoch {i} --lr 0.001 # step {i}\n"
        ));
    }
    s.into_bytes()
}

struct Memory(Vec<u8>);

impl Host for Memory {
    fn read_file(&self, _path: &str) -> std::io::Result<Vec<u8>> {
        Ok(self.0.clone())
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(self.0.clone())
    }
    fn is_readable_file(&self, _path: &str) -> bool {
        true
    }
}

fn context() -> Context {
    Context {
        argv0: "sbatch".into(),
        cwd: "/home/user/project".into(),
        env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        user: "user".into(),
        uid: 1000,
        gid: 1000,
        host: "login1".into(),
        default_partition: None,
    }
}

fn bench(c: &mut Criterion) {
    let script = big_script();
    assert_eq!(script.iter().filter(|b| **b == b'\n').count(), 5_000);
    let host = Memory(script.clone());
    let ctx = context();
    let args = vec!["--test-only".to_string(), "train.sh".to_string()];
    assert!(matches!(parse(&args, &ctx, &host), Ok(Action::Submit(_))));
    c.bench_function("scan 5000-line script (100 directives)", |b| {
        b.iter(|| sk8_directive::scan(black_box(&script)).unwrap())
    });
    c.bench_function("sbatch parse 5000-line script (100 directives)", |b| {
        b.iter(|| parse(black_box(&args), &ctx, &host).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
