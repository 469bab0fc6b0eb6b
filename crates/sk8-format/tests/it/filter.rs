//! [`JobFilter::matches`], the one filter squeue, scancel, sacct and
//! scontrol and both backends select jobs with: the cases the two copies it
//! replaced decided differently, pinned against what Slurm 22.05 does
//! (`squeue -p debug` lists a job submitted with `-p batch,debug`).

use sk8_backend::{ArrayInfo, JobFilter, JobRef, JobState};

use crate::convert::blank_job;

fn filter(f: impl FnOnce(&mut JobFilter)) -> JobFilter {
    let mut out = JobFilter::default();
    f(&mut out);
    out
}

#[test]
fn a_job_in_several_partitions_matches_each_of_them() {
    let mut job = blank_job(7);
    job.spec.partition = Some("batch,debug".to_owned());
    for p in ["batch", "debug"] {
        assert!(
            filter(|f| f.partitions = vec![p.to_owned()]).matches(&job),
            "{p}"
        );
    }
    assert!(!filter(|f| f.partitions = vec!["gpu".to_owned()]).matches(&job));
    assert!(!filter(|f| f.partitions = vec!["batch,debug".to_owned()]).matches(&job));
}

#[test]
fn a_job_without_a_partition_matches_no_partition_filter() {
    let job = blank_job(7);
    assert!(!filter(|f| f.partitions = vec!["debug".to_owned()]).matches(&job));
    assert!(filter(|_| {}).matches(&job));
}

#[test]
fn finished_jobs_pass_only_when_asked_for() {
    let mut job = blank_job(7);
    job.state = JobState::Completed;
    assert!(!filter(|_| {}).matches(&job));
    assert!(filter(|f| f.include_finished = true).matches(&job));
    // A state list names the states wanted, finished ones included.
    assert!(filter(|f| f.states = vec![JobState::Completed]).matches(&job));
    assert!(!filter(|f| f.states = vec![JobState::Running]).matches(&job));
}

#[test]
fn an_array_id_matches_its_tasks_and_its_pending_record() {
    let mut task = blank_job(12);
    task.array = Some(ArrayInfo {
        job_id: 10,
        task_id: Some(2),
        pending: None,
    });
    let mut rest = blank_job(10);
    rest.array = Some(ArrayInfo {
        job_id: 10,
        task_id: None,
        pending: Some("3-9:2%4".to_owned()),
    });
    let by = |id, task| filter(|f| f.ids = vec![JobRef { id, task }]);
    for j in [&task, &rest] {
        assert!(by(10, None).matches(j));
    }
    assert!(by(12, None).matches(&task));
    assert!(by(10, Some(2)).matches(&task));
    assert!(!by(10, Some(2)).matches(&rest));
    assert!(by(10, Some(5)).matches(&rest));
    // 4 is not in 3-9:2; the throttle is no task.
    assert!(!by(10, Some(4)).matches(&rest));
    assert!(!by(10, Some(5)).matches(&task));
    // A task reference never names a job outside an array.
    assert!(!by(12, Some(0)).matches(&blank_job(12)));
}

#[test]
fn every_set_field_must_match() {
    let mut job = blank_job(7);
    job.spec.user = "alice".to_owned();
    job.spec.name = "train".to_owned();
    job.nodes = vec!["n1".to_owned(), "n2".to_owned()];
    job.state = JobState::Running;
    let all = filter(|f| {
        f.users = vec!["alice".to_owned()];
        f.names = vec!["train".to_owned()];
        f.nodes = vec!["n2".to_owned()];
        f.states = vec![JobState::Running];
    });
    assert!(all.matches(&job));
    let wrong_node = JobFilter {
        nodes: vec!["n3".to_owned()],
        ..all.clone()
    };
    assert!(!wrong_node.matches(&job));
    let wrong_user = JobFilter {
        users: vec!["bob".to_owned()],
        ..all
    };
    assert!(!wrong_user.matches(&job));
}
