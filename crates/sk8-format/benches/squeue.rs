//! Formatting 1,000 jobs with squeue's default layout (filter, sort, render),
//! and sinfo's summary of 100 nodes.

use criterion::{Criterion, criterion_group, criterion_main};
use sk8_backend::{JobFilter, JobState};
use sk8_format::{Context, filter, squeue};

#[path = "../tests/it/convert.rs"]
#[allow(dead_code)]
mod convert;

fn jobs(n: u32) -> Vec<sk8_backend::JobInfo> {
    (0..n)
        .map(|i| {
            let mut j = convert::blank_job(1000 + i);
            j.spec.name = format!("job{}", i % 37);
            j.spec.user = format!("user{}", i % 7);
            j.spec.partition = Some(if i % 3 == 0 { "gpu" } else { "cpu" }.to_owned());
            j.submit_time = 1_795_880_000 + i64::from(i);
            j.priority = 4_294_000_000 - i;
            if i % 4 == 0 {
                j.state = JobState::Running;
                j.start_time = Some(1_795_880_100 + i64::from(i));
                j.nodes = vec![format!("n{}", i % 50)];
            } else {
                j.reason = "Priority".to_owned();
            }
            j
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let all = jobs(1000);
    let ctx = Context::at(1_795_890_000);
    let format = squeue::Format::default_layout(false);
    let keys = filter::parse_sort(squeue::DEFAULT_SORT);
    c.bench_function("squeue default layout, 1000 jobs", |b| {
        b.iter(|| {
            let shown = squeue::select(&all, &JobFilter::default(), &keys, false, &ctx);
            format.render(&shown, &ctx, false)
        })
    });
}

fn parts(c: &mut Criterion) {
    let all = jobs(1000);
    let ctx = Context::at(1_795_890_000);
    let format = squeue::Format::default_layout(false);
    let keys = filter::parse_sort(squeue::DEFAULT_SORT);
    c.bench_function("sort only, 1000 jobs", |b| {
        b.iter(|| squeue::select(&all, &JobFilter::default(), &keys, false, &ctx).len())
    });
    c.bench_function("render only, 1000 jobs", |b| {
        b.iter(|| format.render(&all, &ctx, false))
    });
}

criterion_group!(benches, bench, parts);
criterion_main!(benches);
