//! `srun -N4 true` inside an allocation of four virtual nodes: the time from
//! starting `srun` to its exit (issue 3's target: under 50 ms). A plain
//! loop, not criterion: each sample is a whole process.
//!
//! `cargo bench -p sk8-step --bench srun_n4` (release binaries).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../tests/step/harness.rs"]
mod harness;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // special: run a few samples then, to prove the bench works.
    let samples: usize = if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        5
    };
    let job = harness::Job::start(900, &[("n1", 2), ("n2", 2), ("n3", 2), ("n4", 2)], None);
    let srun = harness::bin("srun");
    let mut times: Vec<Duration> = Vec::with_capacity(samples);
    for i in 0..samples + 5 {
        let start = Instant::now();
        let status = Command::new(&srun)
            .args(["-N4", "true"])
            .env_clear()
            .envs(job.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&job.dir)
            .stdin(Stdio::null())
            .status()
            .expect("srun runs");
        let took = start.elapsed();
        assert!(status.success(), "srun -N4 true failed");
        // The first runs warm the page cache.
        if i >= 5 {
            times.push(took);
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len() as f64;
    println!(
        "srun -N4 true (4 virtual nodes, {} runs): min {:.2} ms, median {:.2} ms, mean {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        times.len(),
        ms(times[0]),
        ms(times[times.len() / 2]),
        mean,
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1]),
    );
}
