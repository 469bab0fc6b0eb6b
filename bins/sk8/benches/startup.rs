//! The whole `sbatch --help` start-up, as a user pays it: process spawn,
//! table lookup and rendering, writing 7 kB of help to a pipe.

use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let exe = env!("CARGO_BIN_EXE_sbatch");
    c.bench_function("sbatch --help (process start to exit)", |b| {
        b.iter(|| {
            let status = Command::new(exe)
                .arg("--help")
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
