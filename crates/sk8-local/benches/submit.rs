//! Submission cost of the local backend: `submit` of a held job (the
//! library call `sbatch --hold` makes), and the latency from `submit` to
//! the batch script's first line running.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sk8_backend::{Backend, SubmitRequest};
use sk8_local::LocalBackend;
use sk8_opts::sbatch::{Action, parse};

fn lab(name: &str) -> (PathBuf, LocalBackend) {
    let home = std::env::temp_dir().join(format!("sk8-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(home.join("work")).unwrap();
    std::fs::write(
        home.join("config.toml"),
        "[[node]]\nname = \"bench\"\ncpus = 4\nmemory_mb = 1000\n",
    )
    .unwrap();
    let backend = LocalBackend::with_home(&home).unwrap();
    (home, backend)
}

fn request(home: &std::path::Path, args: &[&str]) -> SubmitRequest {
    let mut ctx = sk8_commands::host::context("sbatch");
    ctx.cwd = home.join("work").display().to_string();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match parse(&args, &ctx, &sk8_commands::host::RealHost) {
        Ok(Action::Submit(s)) => SubmitRequest {
            jobs: s.jobs,
            script: s.script,
        },
        _ => panic!("not a submission"),
    }
}

fn submit_hold(c: &mut Criterion) {
    let (home, backend) = lab("hold");
    let req = request(&home, &["--hold", "--wrap", "true"]);
    c.bench_function("submit --hold", |b| {
        b.iter(|| backend.submit(&req).unwrap())
    });
    let _ = std::fs::remove_dir_all(&home);
}

fn submit_to_start(c: &mut Criterion) {
    let (home, backend) = lab("start");
    let work = home.join("work");
    let req = request(
        &home,
        &["-o", "/dev/null", "--wrap", "touch started.$SLURM_JOB_ID"],
    );
    let mut g = c.benchmark_group("latency");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("submit to script start", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let begun = Instant::now();
                let id = backend.submit(&req).unwrap();
                let marker = work.join(format!("started.{id}"));
                while !marker.exists() {
                    std::thread::sleep(Duration::from_micros(200));
                }
                total += begun.elapsed();
                // Let the job end so the next one finds the node free.
                while backend
                    .job(sk8_backend::JobRef::job(id))
                    .is_ok_and(|j| !j.state.is_finished())
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            total
        });
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&home);
}

criterion_group!(benches, submit_hold, submit_to_start);
criterion_main!(benches);
