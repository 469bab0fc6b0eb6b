//! Property tests: `parse(display(x)) == x` (and JSON round trips) for the part-1 value types.

use proptest::prelude::*;
use sk8_spec::gres::{GpuSpec, Gres};
use sk8_spec::{ArraySpec, Distribution, GresList, MemSize, NodeRange, TimeLimit};

fn time_limit() -> impl Strategy<Value = TimeLimit> {
    prop_oneof![
        Just(TimeLimit::Unlimited),
        (1..=TimeLimit::MAX_ROUND_TRIP_MINUTES).prop_map(TimeLimit::Minutes),
    ]
}

/// Every size the parser can produce from a non-wrapping input.
fn mem_size() -> impl Strategy<Value = MemSize> {
    prop_oneof![
        (0..=i64::MAX as u64).prop_map(MemSize::from_megabytes),
        (0..(1u64 << 40)).prop_map(|g| MemSize::from_megabytes(g * 1024)),
        (0..(1u64 << 30)).prop_map(|t| MemSize::from_megabytes(t << 20)),
    ]
}

/// Array text built from items the controller accepts.
fn array_text() -> impl Strategy<Value = String> {
    let item = (
        0u32..=1000,
        0u32..=1000,
        prop::option::of(1u32..1001),
        any::<bool>(),
    )
        .prop_map(|(first, span, step, ranged)| {
            let last = (first + span).min(1000);
            match (ranged, step) {
                (false, _) => first.to_string(),
                (true, None) => format!("{first}-{last}"),
                (true, Some(s)) => format!("{first}-{last}:{s}"),
            }
        });
    (
        prop::collection::vec(item, 1..6),
        prop::option::of(1u32..=i32::MAX as u32),
    )
        .prop_map(|(items, throttle)| {
            let mut text = items.join(",");
            if let Some(t) = throttle {
                text.push_str(&format!("%{t}"));
            }
            text
        })
}

fn gres() -> impl Strategy<Value = Gres> {
    (
        "[a-z][a-z0-9_]{0,7}",
        prop::option::of("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,6}"),
        0..u64::MAX,
    )
        .prop_map(|(name, kind, count)| Gres::new(name, kind, count))
}

fn node_range() -> impl Strategy<Value = NodeRange> {
    (0..=i32::MAX as u32, prop::option::of(0..=i32::MAX as u32))
        .prop_filter_map("max below min", |(min, max)| NodeRange::new(min, max))
}

proptest! {
    #[test]
    fn time_limit_round_trips(t in time_limit()) {
        prop_assert_eq!(t.to_string().parse::<TimeLimit>(), Ok(t));
        let json = serde_json::to_string(&t).unwrap();
        prop_assert_eq!(serde_json::from_str::<TimeLimit>(&json).unwrap(), t);
    }

    #[test]
    fn mem_size_round_trips(m in mem_size()) {
        prop_assert_eq!(m.to_string().parse::<MemSize>(), Ok(m));
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<MemSize>(&json).unwrap(), m);
    }

    #[test]
    fn array_spec_round_trips(text in array_text()) {
        let a: ArraySpec = text.parse().unwrap();
        prop_assert_eq!(a.to_string().parse::<ArraySpec>(), Ok(a.clone()));
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(serde_json::from_str::<ArraySpec>(&json).unwrap(), a.clone());
        // The scontrol text names the same set whenever it is not cut short.
        let shown = a.to_scontrol();
        let shown = shown.split('%').next().unwrap();
        if !shown.ends_with("...") {
            prop_assert_eq!(shown.parse::<ArraySpec>().unwrap().indices(), a.indices());
        }
    }

    #[test]
    fn gres_list_round_trips(items in prop::collection::vec(gres(), 0..5)) {
        let l = GresList::new(items);
        prop_assert_eq!(l.to_string().parse::<GresList>(), Ok(l.clone()));
        let json = serde_json::to_string(&l).unwrap();
        prop_assert_eq!(serde_json::from_str::<GresList>(&json).unwrap(), l);
    }

    #[test]
    fn gpu_spec_round_trips(items in prop::collection::vec(
        (prop::option::of("[a-z][a-z0-9]{1,5}"), 0..u64::MAX), 1..4)) {
        let text: Vec<String> = items.iter().map(|(k, c)| match k {
            Some(k) => format!("{k}:{c}"),
            None => c.to_string(),
        }).collect();
        let g: GpuSpec = text.join(",").parse().unwrap();
        prop_assert_eq!(g.to_string().parse::<GpuSpec>(), Ok(g.clone()));
        prop_assert_eq!(g.items().len(), items.len());
    }

    #[test]
    fn node_range_round_trips(n in node_range()) {
        prop_assert_eq!(n.to_string().parse::<NodeRange>(), Ok(n));
        let json = serde_json::to_string(&n).unwrap();
        prop_assert_eq!(serde_json::from_str::<NodeRange>(&json).unwrap(), n);
    }

    #[test]
    fn distribution_round_trips(text in prop_oneof![
        (1u32..=i32::MAX as u32).prop_map(|n| format!("plane={n}")),
        ("(block|cyclic|\\*)(:(block|cyclic|fcyclic|\\*)){0,2}(,(pack|nopack))?")
            .prop_map(|s| s),
    ]) {
        let d: Distribution = text.parse().unwrap();
        prop_assert_eq!(d.to_string().parse::<Distribution>(), Ok(d));
    }
}
