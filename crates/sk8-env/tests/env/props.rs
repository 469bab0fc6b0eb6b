//! Property tests: count lists round-trip, layouts place every task once, output is sorted.

use proptest::prelude::*;
use sk8_env::{
    Allocation, Counts, HostFacts, JobRequest, Node, StepLayout, StepRequest, batch_env,
    block_counts, cyclic_tasks,
};

proptest! {
    #[test]
    fn counts_round_trip(v in prop::collection::vec(0_u32..6, 0..40)) {
        let text = Counts(v.clone()).to_string();
        prop_assert_eq!(text.parse::<Counts>(), Ok(Counts(v)));
    }

    #[test]
    fn block_places_every_task(cpus in prop::collection::vec(1_u32..9, 1..9), cpt in 1_u32..4, n in 0_u32..80) {
        let counts = block_counts(&cpus, cpt, n);
        prop_assert_eq!(counts.len(), cpus.len());
        prop_assert_eq!(counts.iter().sum::<u32>(), n);
    }

    #[test]
    fn cyclic_is_a_permutation(cpus in prop::collection::vec(1_u32..9, 1..9), n in 0_u32..80) {
        let mut all: Vec<u32> = cyclic_tasks(&cpus, 1, n).concat();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn step_layout_covers_its_tasks(nodes in 1_usize..6, n in 1_u32..30, cyclic in any::<bool>()) {
        let alloc = Allocation {
            nodes: (0..nodes).map(|i| Node { name: format!("n{i}"), cpus: 2, ..Node::default() }).collect(),
            ..Allocation::default()
        };
        let step = StepRequest {
            ntasks: Some(n),
            distribution: cyclic.then(|| "cyclic".to_string()),
            ..StepRequest::default()
        };
        let layout = StepLayout::plan(&JobRequest::default(), &alloc, 0, &step);
        prop_assert_eq!(layout.ntasks(), n);
        prop_assert!(layout.nodes.len() <= nodes);
    }

    #[test]
    fn batch_env_is_sorted_and_unique(cpus in prop::collection::vec(1_u32..9, 1..6), job in 1_u32..1_000_000) {
        let alloc = Allocation {
            job_id: job,
            nodes: cpus.iter().enumerate().map(|(i, &c)| Node { name: format!("n{i}"), cpus: c, ..Node::default() }).collect(),
            ..Allocation::default()
        };
        let env = batch_env(&JobRequest::default(), &alloc, &HostFacts::default(), 1);
        prop_assert!(env.windows(2).all(|w| w[0].0 < w[1].0));
        let id = job.to_string();
        prop_assert!(env.iter().any(|(k, v)| k == "SLURM_JOB_ID" && *v == id));
    }
}
