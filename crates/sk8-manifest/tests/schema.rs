//! Gang objects against the schedulers' CRDs (openAPIV3Schema) and Kueue's label rules.

use serde_json::Value;
use sk8_manifest::config::{KubeConfig, Provider};
use sk8_manifest::{labels, names};

use crate::common::{partitioned_config, render_with, sbatch};

/// The openAPIV3Schema of version `version` in a CRD file of /work/shared/crds.
fn crd_schema(file: &str, version: &str) -> Value {
    let path = format!("/work/shared/crds/{file}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let crd: Value = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == version)
        .unwrap_or_else(|| panic!("{path} has no {version}"))["schema"]["openAPIV3Schema"]
        .clone()
}

/// Job shapes that give different PodGroups.
const SHAPES: &[&[&str]] = &[
    &[],
    &["-N2", "--gres=gpu:h100:8", "-c", "32", "--mem=500G"],
    &["-N4", "--gpus=6", "--mem-per-gpu=20G"],
    &["-n", "16", "--mem-per-cpu=1G", "-t", "10"],
    &["-N3", "--exclusive", "--mem=0"],
    &["-p", "gpu", "--gpus-per-node=2"],
];

#[test]
fn pod_groups_match_their_crds() {
    let checks = [
        (
            Provider::Volcano,
            "volcano-podgroup.yaml",
            "v1beta1",
            "scheduling.volcano.sh/v1beta1",
        ),
        (
            Provider::Coscheduling,
            "scheduler-plugins-podgroup.yaml",
            "v1alpha1",
            "scheduling.x-k8s.io/v1alpha1",
        ),
    ];
    let mut validated = 0;
    for (provider, file, version, api) in checks {
        let schema = crd_schema(file, version);
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        for cli in SHAPES {
            let (spec, script) = sbatch(cli, "#!/bin/sh\ntrue\n");
            let cfg = if cli.contains(&"-p") {
                partitioned_config()
            } else {
                KubeConfig::default()
            };
            let objs = render_with(&spec, &script, provider, &cfg, None).unwrap();
            let group = objs.pod_group.expect("a pod group");
            let errors: Vec<String> = validator
                .iter_errors(&group)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{provider} {cli:?}: {errors:?}\n{group:#}"
            );
            assert_eq!(group["apiVersion"], api);
            assert_eq!(group["kind"], "PodGroup");
            assert_eq!(group["spec"]["minMember"], objs.pods.len());
            assert!(names::is_dns_subdomain(
                group["metadata"]["name"].as_str().unwrap()
            ));
            // A deliberately broken copy fails, so the validator does check.
            let mut broken = group.clone();
            broken["spec"]["minMember"] = Value::String("two".into());
            assert!(
                !validator.is_valid(&broken),
                "{provider}: broken PodGroup accepted"
            );
            validated += 1;
        }
    }
    assert_eq!(validated, 2 * SHAPES.len());
}

#[test]
fn kueue_labels_are_valid() {
    for cli in SHAPES {
        let (spec, script) = sbatch(cli, "#!/bin/sh\ntrue\n");
        let cfg = if cli.contains(&"-p") {
            partitioned_config()
        } else {
            KubeConfig::default()
        };
        let objs = render_with(&spec, &script, Provider::Kueue, &cfg, None).unwrap();
        assert!(objs.pod_group.is_none());
        for pod in &objs.pods {
            let l = pod.metadata.labels.as_ref().unwrap();
            let a = pod.metadata.annotations.as_ref().unwrap();
            let queue = &l[labels::KUEUE_QUEUE];
            // A LocalQueue name: a DNS subdomain, and a label value.
            assert!(
                names::is_dns_subdomain(queue) && names::is_label_value(queue),
                "{queue}"
            );
            let want_queue = if cli.contains(&"-p") {
                "team-a"
            } else {
                "default"
            };
            assert_eq!(queue, want_queue);
            assert_eq!(l[labels::KUEUE_POD_GROUP], "sk8-job-4242");
            let total: usize = a[labels::KUEUE_TOTAL_COUNT].parse().unwrap();
            assert_eq!(total, objs.pods.len());
        }
    }
}
