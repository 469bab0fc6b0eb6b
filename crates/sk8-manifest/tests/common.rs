//! Shared helpers: JobSpecs built the way sbatch builds them, and object-name validators.

use std::collections::BTreeMap;

use sk8_manifest::config::{KubeConfig, PartitionConfig, Provider, TolerationConfig};
use sk8_manifest::names;
use sk8_manifest::{JobObjects, RenderError, RenderInput};
use sk8_opts::sbatch::{Action, Context, Host, parse};
use sk8_spec::JobSpec;

/// The submit directory of every case.
pub const CWD: &str = "/home/alice/proj";
/// The token every case renders (never shown: to_yaml redacts it).
pub const TOKEN: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/// Scripts read from memory.
struct MemHost<'a> {
    script: &'a str,
}

impl Host for MemHost<'_> {
    fn read_file(&self, _path: &str) -> std::io::Result<Vec<u8>> {
        Ok(self.script.as_bytes().to_vec())
    }
    fn read_stdin(&self) -> std::io::Result<Vec<u8>> {
        Ok(self.script.as_bytes().to_vec())
    }
    fn is_readable_file(&self, _path: &str) -> bool {
        true
    }
}

/// The submitting environment: usual variables, some the pods must not get.
pub fn submit_env() -> BTreeMap<String, String> {
    [
        ("HOME", "/home/alice"),
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("PWD", CWD),
        ("SHLVL", "1"),
        ("_", "/usr/bin/sbatch"),
        ("HOSTNAME", "login1"),
        ("USER", "alice"),
        ("LANG", "C.UTF-8"),
        ("WANDB_API_KEY", "wandb-secret"),
        ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
        ("BASH_FUNC_module%%", "() { eval $(modulecmd bash $*); }"),
        ("SLURM_CONF", "/etc/slurm/slurm.conf"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// sbatch's parse of `cli` with `script` as the batch script file (`job.sh`).
pub fn sbatch(cli: &[&str], script: &str) -> (JobSpec, String) {
    let ctx = Context {
        argv0: "sbatch".into(),
        cwd: CWD.into(),
        env: submit_env(),
        user: "alice".into(),
        uid: 1000,
        gid: 1000,
        host: "login1".into(),
        default_partition: None,
    };
    let mut args: Vec<String> = cli.iter().map(ToString::to_string).collect();
    if !cli.iter().any(|a| a.starts_with("--wrap")) {
        args.push(format!("{CWD}/job.sh"));
    }
    match parse(&args, &ctx, &MemHost { script }) {
        Ok(Action::Submit(sub)) => {
            let script = String::from_utf8(sub.script).expect("utf-8 script");
            (sub.jobs[0].clone(), script)
        }
        Ok(Action::Print(p)) => panic!("sbatch printed {p}"),
        Err(e) => panic!("sbatch refused {cli:?}: {e:?}"),
    }
}

/// The configuration with a `gpu` and a `cpu` partition.
pub fn partitioned_config() -> KubeConfig {
    let mut cfg = KubeConfig::default();
    cfg.partitions.insert(
        "cpu".into(),
        PartitionConfig {
            node_selector: BTreeMap::from([("pool".into(), "cpu".into())]),
            default: true,
            max_time: Some("1-00:00:00".into()),
            default_time: Some("1:00:00".into()),
            ..PartitionConfig::default()
        },
    );
    cfg.partitions.insert(
        "gpu".into(),
        PartitionConfig {
            queue: Some("team-a".into()),
            node_selector: BTreeMap::from([("pool".into(), "gpu".into())]),
            tolerations: vec![TolerationConfig {
                key: "dedicated".into(),
                operator: Some("Equal".into()),
                value: Some("gpu".into()),
                effect: Some("NoSchedule".into()),
            }],
            ..PartitionConfig::default()
        },
    );
    cfg
}

/// Renders job 4242 (or the array task) of `spec` under `provider`.
pub fn render_with(
    spec: &JobSpec,
    script: &str,
    provider: Provider,
    cfg: &KubeConfig,
    array: Option<(u32, u32)>,
) -> Result<JobObjects, RenderError> {
    let job_id = array.map_or(4242, |(a, t)| a + t);
    sk8_manifest::render(
        &RenderInput {
            job_id,
            spec,
            script,
            token: TOKEN,
            namespace: "research",
            provider,
            cluster: "sk8",
            submit_time: 1_760_000_000,
            array,
            hold: spec.hold,
        },
        cfg,
    )
}

/// Every name, label and annotation key/value of `objs` is one the API accepts.
pub fn assert_valid_names(objs: &JobObjects) {
    let mut metas: Vec<(String, serde_json::Value)> = vec![
        (
            "record".into(),
            serde_json::to_value(&objs.record.metadata).unwrap(),
        ),
        (
            "secret".into(),
            serde_json::to_value(&objs.secret.metadata).unwrap(),
        ),
        (
            "service".into(),
            serde_json::to_value(&objs.service.metadata).unwrap(),
        ),
    ];
    if let Some(g) = &objs.pod_group {
        metas.push(("podgroup".into(), g["metadata"].clone()));
    }
    for p in &objs.pods {
        metas.push(("pod".into(), serde_json::to_value(&p.metadata).unwrap()));
        let spec = p.spec.as_ref().unwrap();
        let host = spec.hostname.as_deref().unwrap();
        assert!(names::is_dns_label(host), "hostname {host:?}");
        assert!(names::is_dns_label(spec.subdomain.as_deref().unwrap()));
        for c in &spec.containers {
            assert!(names::is_dns_label(&c.name));
            for e in c.env.iter().flatten() {
                assert!(names::is_env_name(&e.name), "env name {:?}", e.name);
            }
            for m in c.volume_mounts.iter().flatten() {
                assert!(names::is_dns_label(&m.name), "volume mount {:?}", m.name);
            }
        }
        for v in spec.volumes.iter().flatten() {
            assert!(names::is_dns_label(&v.name), "volume {:?}", v.name);
        }
        for (k, v) in spec.node_selector.iter().flatten() {
            assert!(
                names::is_qualified_name(k) && names::is_label_value(v),
                "{k}={v}"
            );
        }
    }
    for (what, m) in metas {
        let name = m["name"].as_str().unwrap();
        // ConfigMaps, Secrets, Pods and PodGroups need subdomains; Services labels.
        assert!(names::is_dns_subdomain(name), "{what} name {name:?}");
        if what == "service" || what == "pod" {
            assert!(names::is_dns_label(name), "{what} name {name:?}");
        }
        for (k, v) in m["labels"].as_object().into_iter().flatten() {
            assert!(names::is_qualified_name(k), "{what} label key {k:?}");
            let v = v.as_str().unwrap();
            assert!(names::is_label_value(v), "{what} label {k}={v:?}");
        }
        for (k, _) in m["annotations"].as_object().into_iter().flatten() {
            assert!(names::is_qualified_name(k), "{what} annotation key {k:?}");
        }
    }
}
