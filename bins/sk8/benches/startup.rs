//! The whole `sbatch --help` start-up, as a user pays it: process spawn
//! through the `sbatch` link to the multi-call binary, dispatch, table
//! lookup and rendering, writing 7 kB of help to a pipe.

use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    sk8_harness::bins::use_cargo_bin(env!("CARGO_BIN_EXE_sk8"));
    let exe = sk8_harness::bins::command("sbatch");
    c.bench_function("sbatch --help (process start to exit)", |b| {
        b.iter(|| {
            let status = Command::new(&exe)
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
