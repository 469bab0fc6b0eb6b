//! Golden manifests: typical batch scripts, parsed as sbatch parses them, rendered per provider.

use sk8_manifest::RenderError;
use sk8_manifest::config::{KubeConfig, Provider};

use crate::common::{TOKEN, assert_valid_names, partitioned_config, render_with, sbatch};

/// One golden case.
struct Case {
    name: &'static str,
    providers: &'static [Provider],
    cli: &'static [&'static str],
    script: &'static str,
    partitioned: bool,
    array: Option<(u32, u32)>,
}

const ALL: &[Provider] = &[
    Provider::Kueue,
    Provider::Volcano,
    Provider::Coscheduling,
    Provider::Native,
    Provider::None,
];

const TORCHRUN: &str = "#!/bin/bash
#SBATCH --job-name=llm-pretrain
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gres=gpu:H100:8
#SBATCH --cpus-per-task=96
#SBATCH --mem=1000G
#SBATCH --time=2-00:00:00
head=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n1)
srun torchrun --nnodes=$SLURM_NNODES --nproc-per-node=8 \\
  --rdzv-backend=c10d --rdzv-endpoint=$head:29500 train.py
";

fn cases() -> Vec<Case> {
    let c = |name, providers, cli, script| Case {
        name,
        providers,
        cli,
        script,
        partitioned: false,
        array: None,
    };
    vec![
        c(
            "single_node_cpu",
            &[Provider::None],
            &[],
            "#!/bin/bash\n#SBATCH -n 4 -c 2 --mem=8G\nsrun hostname\n",
        ),
        c(
            "mem_per_cpu",
            &[Provider::Kueue],
            &[],
            "#!/bin/bash\n#SBATCH -N1 --ntasks-per-node=8 --mem-per-cpu=2G\n./run\n",
        ),
        c("gpu_torchrun_2node", ALL, &[], TORCHRUN),
        c(
            "gpus_per_node",
            &[Provider::Volcano],
            &[],
            "#!/bin/bash\n#SBATCH -N2 --gpus-per-node=a100:4 --cpus-per-gpu=8 --mem-per-gpu=40G\nsrun python train.py\n",
        ),
        c(
            "gpus_total",
            &[Provider::Kueue],
            &["--gpus=3", "-N2"],
            "#!/bin/sh\nnvidia-smi\n",
        ),
        c(
            "exclusive",
            &[Provider::Coscheduling],
            &["--exclusive", "-N2"],
            "#!/bin/bash\nsrun ./bench\n",
        ),
        c(
            "constraint",
            &[Provider::None],
            &["--constraint=ib&nvme|bigmem"],
            "#!/bin/bash\n./io-heavy\n",
        ),
        c(
            "nodelist_exclude",
            &[Provider::Kueue],
            &["-N2", "--nodelist=gpu[01-02]", "--exclude=gpu[07,09]"],
            "#!/bin/bash\nsrun hostname\n",
        ),
        c(
            "pyxis",
            &[Provider::Volcano],
            // Unquoted `#` starts a comment in an #SBATCH line (as in Slurm): the image goes on the command line.
            &["--container-image=nvcr.io#nvidia/pytorch:24.01-py3"],
            "#!/bin/bash\n#SBATCH --container-mounts=/data:/data:ro,/scratch\n#SBATCH --container-workdir=/workspace\n#SBATCH --container-env=WANDB_API_KEY,PATH\n#SBATCH --gpus-per-node=1\npython train.py\n",
        ),
        c(
            "time_limit",
            &[Provider::Coscheduling],
            &["--time=1-00:00:00"],
            "#!/bin/bash\nsleep 100\n",
        ),
        Case {
            partitioned: true,
            ..c(
                "partition_gpu",
                &[Provider::Kueue, Provider::Volcano],
                &["-p", "gpu", "--gres=gpu:l4:1"],
                "#!/bin/bash\npython infer.py\n",
            )
        },
        Case {
            partitioned: true,
            ..c(
                "partition_default_time",
                &[Provider::None],
                &[],
                "#!/bin/bash\nmake -j\n",
            )
        },
        Case {
            array: Some((100, 2)),
            ..c(
                "array_task",
                &[Provider::None],
                &["--array=0-3"],
                "#!/bin/bash\necho task $SLURM_ARRAY_TASK_ID\n",
            )
        },
        c(
            "hold",
            &[Provider::Volcano],
            &["--hold"],
            "#!/bin/bash\necho held\n",
        ),
        c(
            "odd_job_name",
            &[Provider::None, Provider::Kueue],
            &[
                "-J",
                "Ünïcode: my VERY long job name with spaces & symbols (v2) / that goes on and on past sixty-three chars",
            ],
            "#!/bin/bash\ntrue\n",
        ),
        c(
            "export_none",
            &[Provider::Kueue],
            &["--export=NONE"],
            "#!/bin/bash\nenv\n",
        ),
        c(
            "chdir",
            &[Provider::None],
            &["--chdir=/tmp/work", "--export=ALL,EXTRA=1"],
            "#!/bin/bash\npwd\n",
        ),
        c(
            "wrap",
            &[Provider::Coscheduling],
            &["--wrap=hostname", "-N3"],
            "",
        ),
    ]
}

fn config(partitioned: bool) -> KubeConfig {
    if partitioned {
        partitioned_config()
    } else {
        KubeConfig::default()
    }
}

#[test]
fn golden_manifests() {
    let mut rendered = 0;
    for case in cases() {
        let (spec, script) = sbatch(case.cli, case.script);
        for &provider in case.providers {
            let snap = format!("{}__{provider}", case.name);
            let out = match render_with(
                &spec,
                &script,
                provider,
                &config(case.partitioned),
                case.array,
            ) {
                Ok(objs) => {
                    assert_valid_names(&objs);
                    let yaml = objs.to_yaml();
                    assert!(!yaml.contains(TOKEN), "{snap}: token printed");
                    assert_eq!(objs.pods.len() as u32, spec.min_nodes(), "{snap}");
                    yaml
                }
                Err(e) => format!("error: {e}\n"),
            };
            insta::assert_snapshot!(snap, out);
            rendered += 1;
        }
    }
    assert!(rendered >= 20, "{rendered} renders");
}

#[test]
fn render_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--gres=gpu:b200:8"], "unknown GPU type `b200`"),
        (&["--constraint=[rack1|rack2]"], "is not supported"),
        (&["--constraint=ib*2"], "is not supported"),
        (&["--dependency=afterok:1"], "--dependency is not supported"),
        (&["--begin=now+1hour"], "--begin is not supported"),
        (&["--array=0-9%2"], "throttle `%2`"),
        (&["--signal=B:USR1@60"], "--signal is not supported"),
        (&["-p", "nope"], "invalid partition specified: nope"),
        (
            &["--gpus-per-socket=1", "--sockets-per-node=1"],
            "--gpus-per-socket",
        ),
        (&["--gres=shard:2"], "--gres=shard:2"),
        (
            &["--gpus=a100:1", "--gres=gpu:h100:1"],
            "more than one GPU type",
        ),
        (&["--container-image=/images/pytorch.sqsh"], "squashfs"),
        (&["--container-mounts=data:/data"], "absolute paths"),
        (&["--mem-per-gpu=1G"], "--mem-per-gpu without GPUs"),
    ];
    for (cli, want) in cases {
        let (spec, script) = sbatch(cli, "#!/bin/sh\ntrue\n");
        let err = render_with(&spec, &script, Provider::None, &KubeConfig::default(), None)
            .expect_err(&format!("{cli:?} renders"));
        assert!(err.to_string().contains(want), "{cli:?}: {err}");
    }
    // Over the partition's maximum, as slurmctld refuses it.
    let (spec, script) = sbatch(&["-p", "cpu", "-t", "2-00:00:00"], "#!/bin/sh\ntrue\n");
    let err = render_with(&spec, &script, Provider::None, &partitioned_config(), None).unwrap_err();
    assert!(
        matches!(err, RenderError::Invalid(ref m) if m.contains("time limit")),
        "{err}"
    );
    // The unknown-type message names the config key to add.
    let (spec, script) = sbatch(&["--gres=gpu:b200:8"], "#!/bin/sh\n");
    let err = render_with(
        &spec,
        &script,
        Provider::Kueue,
        &KubeConfig::default(),
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("[kubernetes.gpu_types]"), "{err}");
}

#[test]
fn owner_and_round_trip() {
    let (spec, script) = sbatch(&["-N2"], TORCHRUN);
    let mut objs = render_with(
        &spec,
        &script,
        Provider::Volcano,
        &KubeConfig::default(),
        None,
    )
    .unwrap();
    objs.set_owner("uid-1");
    let owners = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        m.owner_references.clone().unwrap_or_default()
    };
    assert!(owners(&objs.record.metadata).is_empty());
    for o in [
        owners(&objs.secret.metadata),
        owners(&objs.service.metadata),
    ]
    .into_iter()
    .chain(objs.pods.iter().map(|p| owners(&p.metadata)))
    {
        assert_eq!(o.len(), 1);
        assert_eq!(
            (o[0].uid.as_str(), o[0].name.as_str()),
            ("uid-1", "sk8-job-4242")
        );
        assert_eq!(
            (o[0].controller, o[0].block_owner_deletion),
            (Some(false), Some(true))
        );
    }
    let g = objs.pod_group.as_ref().unwrap();
    assert_eq!(g["metadata"]["ownerReferences"][0]["uid"], "uid-1");
    // The record and the Secret give back what was rendered: the spec
    // without its environment in the record, the environment in the Secret.
    let (mut back, back_script) = sk8_manifest::spec_of(&objs.record).unwrap();
    assert!(back.environment.is_empty(), "no environment in the record");
    assert!(!spec.environment.is_empty(), "the case has an environment");
    back.environment = sk8_manifest::environment_of(&objs.secret).unwrap();
    assert_eq!(back, spec);
    assert_eq!(back_script, script);
    // The secret holds the token; YAML and Debug do not show it.
    let data = objs.secret.data.as_ref().unwrap();
    assert_eq!(data["token"].0, TOKEN.as_bytes());
    assert!(!format!("{objs:?}").contains(TOKEN));
}

#[test]
fn container_images() {
    let cases = [
        (
            "nvcr.io#nvidia/pytorch:24.01",
            "nvcr.io/nvidia/pytorch:24.01",
        ),
        (
            "docker://nvcr.io#nvidia/pytorch:24.01",
            "nvcr.io/nvidia/pytorch:24.01",
        ),
        (
            "user@registry.example.com#team/img",
            "registry.example.com/team/img",
        ),
        ("ubuntu:22.04", "ubuntu:22.04"),
        ("docker://ubuntu", "ubuntu"),
    ];
    for (given, want) in cases {
        assert_eq!(
            sk8_manifest::container_image(given).unwrap(),
            want,
            "{given}"
        );
    }
    let mounts = [
        ("/data:/data:ro", ("/data", "/data", true)),
        ("/scratch", ("/scratch", "/scratch", false)),
        ("/a:/b:rw", ("/a", "/b", false)),
    ];
    for (given, (s, d, ro)) in mounts {
        assert_eq!(
            sk8_manifest::container_mount(given).unwrap(),
            (s.to_string(), d.to_string(), ro),
            "{given}"
        );
    }
}

#[test]
fn pod_env_filters_the_submit_environment() {
    let (spec, script) = sbatch(&["-N2", "--container-env=PATH"], "#!/bin/sh\n");
    let objs = render_with(&spec, &script, Provider::None, &KubeConfig::default(), None).unwrap();
    for (rank, pod) in objs.pods.iter().enumerate() {
        let vars = pod.spec.as_ref().unwrap().containers[0].env.clone();
        let vars = vars.unwrap_or_default();
        // What the pod receives: literal values, and the Secret's keys it names.
        let secret = objs.secret.data.as_ref().unwrap();
        let env: std::collections::BTreeMap<String, String> = vars
            .iter()
            .map(|e| {
                let value = match (&e.value, &e.value_from) {
                    (Some(v), _) => v.clone(),
                    (None, Some(from)) => {
                        let r = from.secret_key_ref.as_ref().expect("a secretKeyRef");
                        assert_eq!(r.name, "sk8-job-4242-token");
                        String::from_utf8(secret[&r.key].0.clone()).unwrap()
                    }
                    (None, None) => String::new(),
                };
                (e.name.clone(), value)
            })
            .collect();
        // The submitter's values are not in the pod spec itself.
        let literal = serde_json::to_string(&pod).unwrap();
        assert!(
            !literal.contains("wandb-secret"),
            "a secret in the pod spec"
        );
        assert_eq!(env["SLURM_JOB_NODELIST"], "sk8-job-4242-[0-1]");
        assert_eq!(env["SLURM_NODEID"], rank.to_string());
        assert_eq!(env["SLURMD_NODENAME"], format!("sk8-job-4242-{rank}"));
        assert_eq!(
            env["PATH"], "/usr/local/bin:/usr/bin:/bin",
            "--container-env keeps PATH"
        );
        for gone in [
            "HOME",
            "PWD",
            "SHLVL",
            "_",
            "KUBERNETES_SERVICE_HOST",
            "BASH_FUNC_module%%",
        ] {
            assert!(!env.contains_key(gone), "{gone} copied");
        }
        assert_eq!(env["WANDB_API_KEY"], "wandb-secret");
        assert_eq!(env["HOSTNAME"], format!("sk8-job-4242-{rank}"));
    }
}

#[test]
fn allocations_run_no_script() {
    let (mut spec, _) = sbatch(&["-N2"], "#!/bin/sh\n");
    spec.command = sk8_spec::job::Command::Exec(vec!["bash".into()]);
    let objs = render_with(&spec, "", Provider::None, &KubeConfig::default(), None).unwrap();
    for pod in &objs.pods {
        let c = &pod.spec.as_ref().unwrap().containers[0];
        let want: Vec<String> = sk8_manifest::WAIT_COMMAND
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(c.command.as_ref(), Some(&want));
        assert!(c.volume_mounts.iter().flatten().all(|m| m.name != "script"));
    }
}
