//! Dependencies, pure: whether `--dependency` holds, given what became of the
//! jobs it names (Slurm's `test_job_dependency`).

use sk8_backend::JobState;
use sk8_spec::Dependency;
use sk8_spec::dependency::{ArrayTask, DependencyItem, DependencyKind};

/// What the dependency needs to know of one job (or array task) it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its state.
    pub state: JobState,
    /// When it started.
    pub start_time: Option<i64>,
    /// When it ended.
    pub end_time: Option<i64>,
    /// Its exit code.
    pub exit_code: u8,
    /// Its array task index, if any.
    pub task: Option<u32>,
    /// Pending array indices this record still stands for.
    pub pending_tasks: Vec<u32>,
}

impl Target {
    fn ok(&self) -> bool {
        self.state == JobState::Completed && self.exit_code == 0
    }

    fn finished(&self) -> bool {
        self.state.is_finished()
    }

    fn covers(&self, task: u32) -> bool {
        self.task == Some(task) || self.pending_tasks.contains(&task)
    }
}

/// Whether a dependency (or one item) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It holds.
    Satisfied,
    /// Not yet; with the time it will hold by itself, when known (`+delay`).
    Wait(Option<i64>),
    /// It never will (`DependencyNeverSatisfied`).
    Never,
}

/// Evaluates one item. `targets` are the records of the job it names (all
/// tasks of an array); `my_task` is the dependent's array index (for
/// `aftercorr`); `singleton_free` says no other job of the same name and
/// user is ahead (for `singleton`).
pub fn item_status(
    item: &DependencyItem,
    targets: &[Target],
    my_task: Option<u32>,
    singleton_free: bool,
    now: i64,
) -> Status {
    if item.kind == DependencyKind::Singleton {
        return if singleton_free {
            Status::Satisfied
        } else {
            Status::Wait(None)
        };
    }
    let picked: Vec<&Target> = match item.task {
        ArrayTask::Task(t) => targets.iter().filter(|x| x.covers(t)).collect(),
        ArrayTask::Job | ArrayTask::All => targets.iter().collect(),
    };
    // A job that no longer exists no longer holds anything back.
    if picked.is_empty() {
        return Status::Satisfied;
    }
    let max_time = |f: &dyn Fn(&Target) -> Option<i64>| picked.iter().filter_map(|t| f(t)).max();
    let (holds_at, never) = match item.kind {
        DependencyKind::After => {
            let started = picked
                .iter()
                .all(|t| t.state != JobState::Pending || t.finished());
            (
                started.then(|| max_time(&|t| t.start_time.or(t.end_time)).unwrap_or(now)),
                false,
            )
        }
        DependencyKind::AfterAny | DependencyKind::AfterBurstBuffer | DependencyKind::Expand => {
            let done = picked.iter().all(|t| t.finished());
            (
                done.then(|| max_time(&|t| t.end_time).unwrap_or(now)),
                false,
            )
        }
        DependencyKind::AfterOk => {
            let failed = picked.iter().any(|t| t.finished() && !t.ok());
            let done = picked.iter().all(|t| t.finished());
            (
                (done && !failed).then(|| max_time(&|t| t.end_time).unwrap_or(now)),
                failed,
            )
        }
        DependencyKind::AfterNotOk => {
            let done = picked.iter().all(|t| t.finished());
            let failed = picked.iter().any(|t| t.finished() && !t.ok());
            (
                (done && failed).then(|| max_time(&|t| t.end_time).unwrap_or(now)),
                done && !failed,
            )
        }
        DependencyKind::AfterCorr => {
            let mine: Vec<&&Target> = match my_task {
                Some(t) => picked.iter().filter(|x| x.covers(t)).collect(),
                None => picked.iter().collect(),
            };
            if mine.is_empty() {
                return Status::Satisfied;
            }
            let failed = mine.iter().any(|t| t.finished() && !t.ok());
            let done = mine.iter().all(|t| t.finished());
            let at = mine.iter().filter_map(|t| t.end_time).max().unwrap_or(now);
            ((done && !failed).then_some(at), failed)
        }
        DependencyKind::Singleton => unreachable!("handled above"),
    };
    if never {
        return Status::Never;
    }
    match holds_at {
        None => Status::Wait(None),
        Some(t) => {
            let at = t + i64::from(item.delay_minutes) * 60;
            if at <= now {
                Status::Satisfied
            } else {
                Status::Wait(Some(at))
            }
        }
    }
}

/// Evaluates the whole dependency: `,` needs every item, `?` any one.
/// `targets` looks up the records of a job id.
pub fn status(
    dep: &Dependency,
    targets: &dyn Fn(u32) -> Vec<Target>,
    my_task: Option<u32>,
    singleton_free: bool,
    now: i64,
) -> Status {
    let each: Vec<Status> = dep
        .items()
        .iter()
        .map(|i| item_status(i, &targets(i.job_id), my_task, singleton_free, now))
        .collect();
    let soonest = |v: &[Status]| {
        v.iter()
            .filter_map(|s| match s {
                Status::Wait(t) => *t,
                _ => None,
            })
            .min()
    };
    if each.is_empty() {
        return Status::Satisfied;
    }
    if dep.is_any() {
        if each.contains(&Status::Satisfied) {
            Status::Satisfied
        } else if each.iter().all(|s| *s == Status::Never) {
            Status::Never
        } else {
            Status::Wait(soonest(&each))
        }
    } else if each.contains(&Status::Never) {
        Status::Never
    } else if each.iter().all(|s| *s == Status::Satisfied) {
        Status::Satisfied
    } else {
        // All must hold: a time is known only when every waiting item has one.
        let waits: Vec<Option<i64>> = each
            .iter()
            .filter_map(|s| match s {
                Status::Wait(t) => Some(*t),
                _ => None,
            })
            .collect();
        let all_timed = waits.iter().all(Option::is_some);
        Status::Wait(if all_timed {
            waits.into_iter().flatten().max()
        } else {
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(state: JobState, code: u8) -> Target {
        Target {
            state,
            start_time: (state != JobState::Pending).then_some(10),
            end_time: state.is_finished().then_some(20),
            exit_code: code,
            task: None,
            pending_tasks: vec![],
        }
    }

    fn dep(text: &str) -> Dependency {
        text.parse().unwrap()
    }

    use JobState::{Cancelled, Completed, Failed, Pending, Running, Timeout};

    #[test]
    fn kinds_table() {
        let s = Status::Satisfied;
        let w = Status::Wait(None);
        let n = Status::Never;
        let cases: Vec<(&str, Target, Status)> = vec![
            ("after:1", t(Pending, 0), w),
            ("after:1", t(Running, 0), s),
            ("after:1", t(Cancelled, 0), s),
            ("afterany:1", t(Running, 0), w),
            ("afterany:1", t(Failed, 1), s),
            ("afterany:1", t(Completed, 0), s),
            ("afterok:1", t(Running, 0), w),
            ("afterok:1", t(Completed, 0), s),
            ("afterok:1", t(Failed, 3), n),
            ("afterok:1", t(Timeout, 0), n),
            ("afterok:1", t(Cancelled, 0), n),
            ("afternotok:1", t(Running, 0), w),
            ("afternotok:1", t(Failed, 1), s),
            ("afternotok:1", t(Timeout, 0), s),
            ("afternotok:1", t(Completed, 0), n),
        ];
        for (text, target, want) in cases {
            let got = status(&dep(text), &|_| vec![target.clone()], None, true, 100);
            assert_eq!(got, want, "{text} on {:?}", target.state);
        }
    }

    #[test]
    fn any_and_all() {
        let states = |id: u32| match id {
            1 => vec![t(Completed, 0)],
            2 => vec![t(Failed, 1)],
            _ => vec![t(Running, 0)],
        };
        let cases = [
            ("afterok:1,afterok:2", Status::Never),
            ("afterok:1?afterok:2", Status::Satisfied),
            ("afterok:2?afterok:3", Status::Wait(None)),
            ("afterok:2?afternotok:1", Status::Never),
            ("afterok:1,afterany:3", Status::Wait(None)),
            ("afterok:1,afternotok:2", Status::Satisfied),
        ];
        for (text, want) in cases {
            assert_eq!(status(&dep(text), &states, None, true, 100), want, "{text}");
        }
    }

    #[test]
    fn delays() {
        // Ended at 20; +1 minute holds from 80.
        let done = |_| vec![t(Completed, 0)];
        assert_eq!(
            status(&dep("afterok:1+1"), &done, None, true, 50),
            Status::Wait(Some(80))
        );
        assert_eq!(
            status(&dep("afterok:1+1"), &done, None, true, 80),
            Status::Satisfied
        );
        assert_eq!(
            status(&dep("after:1+2"), &done, None, true, 50),
            Status::Wait(Some(130))
        );
    }

    #[test]
    fn arrays_and_corr() {
        let task = |i: u32, st: JobState, code: u8| Target {
            task: Some(i),
            ..t(st, code)
        };
        let meta_pending = Target {
            pending_tasks: vec![3],
            ..t(Pending, 0)
        };
        let arr = vec![task(1, Completed, 0), task(2, Failed, 1), meta_pending];
        let look = |_| arr.clone();
        // The whole array: task 3 still pending.
        assert_eq!(
            status(&dep("afterany:7"), &look, None, true, 100),
            Status::Wait(None)
        );
        // afterok on the whole array: task 2 failed, never.
        assert_eq!(
            status(&dep("afterok:7"), &look, None, true, 100),
            Status::Never
        );
        // One task.
        assert_eq!(
            status(&dep("afterok:7_1"), &look, None, true, 100),
            Status::Satisfied
        );
        assert_eq!(
            status(&dep("afterok:7_3"), &look, None, true, 100),
            Status::Wait(None)
        );
        // aftercorr: my task 1 follows their task 1; 2 never; 3 waits.
        let corr = dep("aftercorr:7");
        assert_eq!(status(&corr, &look, Some(1), true, 100), Status::Satisfied);
        assert_eq!(status(&corr, &look, Some(2), true, 100), Status::Never);
        assert_eq!(status(&corr, &look, Some(3), true, 100), Status::Wait(None));
    }

    #[test]
    fn singleton() {
        let none = |_| vec![];
        assert_eq!(
            status(&dep("singleton"), &none, None, false, 0),
            Status::Wait(None)
        );
        assert_eq!(
            status(&dep("singleton"), &none, None, true, 0),
            Status::Satisfied
        );
    }
}
