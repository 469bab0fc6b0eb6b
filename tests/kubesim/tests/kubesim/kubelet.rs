//! Pods as local processes: exit codes and logs, volumes and env, graceful
//! deletion, deadlines, start failures, followed logs.

use crate::common::{NS, create, get_pod, phase, req, sh_pod, start, wait_done, wait_for};
use serde_json::{Value, json};
use sk8_kubesim::SimProvider;

fn sim() -> sk8_kubesim::Sim {
    start(
        SimProvider::None,
        true,
        vec![crate::common::node("n0", 8, 0)],
    )
}

fn terminated(pod: &Value) -> Value {
    pod["status"]["containerStatuses"][0]["state"]["terminated"].clone()
}

fn log(sim: &sk8_kubesim::Sim, name: &str) -> String {
    let r = req(sim, "GET", &format!("{NS}/pods/{name}/log"), None);
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[test]
fn exit_codes_and_logs() {
    let sim = sim();
    let cases = [
        ("fails", "echo hi; exit 3", "Failed", 3, "Error", "hi\n"),
        (
            "succeeds",
            "echo out; echo err >&2",
            "Succeeded",
            0,
            "Completed",
            "out\nerr\n",
        ),
        // `$$` is the kubelet's escape for `$`, so the shell sees `$$`.
        ("killed", "kill -9 $$$$", "Failed", 137, "Error", ""),
    ];
    for (name, script, want_phase, code, reason, out) in cases {
        create(&sim, &format!("{NS}/pods"), &sh_pod(name, script));
        let pod = wait_done(&sim, name);
        assert_eq!(phase(&pod), want_phase, "{name}");
        let t = terminated(&pod);
        assert_eq!(t["exitCode"], code, "{name}: {t}");
        assert_eq!(t["reason"], reason, "{name}");
        assert!(t["startedAt"].is_string() && t["finishedAt"].is_string());
        assert_eq!(log(&sim, name), out, "{name}");
        assert!(pod["status"]["podIP"].as_str().unwrap().starts_with("127."));
    }
    let ips: std::collections::BTreeSet<String> = sim
        .objects("pods")
        .iter()
        .map(|p| p["status"]["podIP"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ips.len(), 3);
    let tail = req(
        &sim,
        "GET",
        &format!("{NS}/pods/succeeds/log?tailLines=1"),
        None,
    )
    .text();
    assert_eq!(tail, "err\n");
}

#[test]
fn volumes_env_and_paths_are_materialised() {
    let sim = sim();
    create(
        &sim,
        &format!("{NS}/configmaps"),
        &json!({"metadata": {"name": "rec"},
        "data": {"script": "#!/bin/sh\necho script ran in $(basename $PWD) as $HOSTNAME\ncat $TOKEN_FILE\necho\necho $POD $NSP $IP $NODE $TOKEN $FROMCM $EXPANDED\n"}}),
    );
    create(
        &sim,
        &format!("{NS}/secrets"),
        &json!({"metadata": {"name": "tok"}, "stringData": {"token": "s3cret"}}),
    );
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vol"},
        "spec": {"restartPolicy": "Never", "hostname": "rank-0",
            "volumes": [
                {"name": "job", "configMap": {"name": "rec", "defaultMode": 0o755, "items": [{"key": "script", "path": "script"}]}},
                {"name": "token", "secret": {"secretName": "tok"}},
                {"name": "scratch", "emptyDir": {}}],
            "containers": [{"name": "job", "image": "busybox", "workingDir": "/scratch",
                "command": ["/var/run/sk8/job/script"],
                "volumeMounts": [{"name": "job", "mountPath": "/var/run/sk8/job"},
                    {"name": "token", "mountPath": "/var/run/sk8/token"},
                    {"name": "scratch", "mountPath": "/scratch"}],
                "env": [
                    {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "NSP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                    {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                    {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "token"}}},
                    {"name": "FROMCM", "valueFrom": {"configMapKeyRef": {"name": "rec", "key": "missing", "optional": true}}},
                    {"name": "EXPANDED", "value": "$(POD)-x"},
                    {"name": "TOKEN_FILE", "value": "/var/run/sk8/token/token"}]}]}});
    create(&sim, &format!("{NS}/pods"), &pod);
    let done = wait_done(&sim, "vol");
    let out = log(&sim, "vol");
    assert_eq!(phase(&done), "Succeeded", "{out}");
    let ip = done["status"]["podIP"].as_str().unwrap();
    assert_eq!(
        out,
        format!("script ran in scratch as rank-0\ns3cret\nvol default {ip} n0 s3cret -x\n")
            .replace("-x", "vol-x")
    );
}

#[test]
fn a_missing_command_fails_the_pod() {
    let sim = sim();
    let mut pod = sh_pod("nocmd", "");
    pod["spec"]["containers"][0]["command"] = json!(["/nonexistent/binary"]);
    create(&sim, &format!("{NS}/pods"), &pod);
    let done = wait_done(&sim, "nocmd");
    assert_eq!(phase(&done), "Failed");
    let t = terminated(&done);
    assert_eq!(t["exitCode"], 127);
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/binary")
    );
}

#[test]
fn graceful_deletion_terms_then_kills() {
    let sim = sim();
    // One pod that exits on TERM, one that ignores it (killed after 1 s of grace).
    let cases = [
        (
            "polite",
            "trap 'exit 0' TERM; echo up; while :; do sleep 0.05; done",
            30,
        ),
        (
            "stubborn",
            "trap '' TERM; echo up; while :; do sleep 0.05; done",
            1,
        ),
    ];
    for (name, script, grace) in cases {
        create(&sim, &format!("{NS}/pods"), &sh_pod(name, script));
        wait_for("running", || {
            get_pod(&sim, name).filter(|p| phase(p) == "Running" && log(&sim, name) == "up\n")
        });
        let r = req(
            &sim,
            "DELETE",
            &format!("{NS}/pods/{name}"),
            Some(&json!({"gracePeriodSeconds": grace})),
        );
        assert_eq!(r.status, 202, "{}", r.text());
        let obj = r.json();
        assert!(obj["metadata"]["deletionTimestamp"].is_string());
        assert_eq!(obj["metadata"]["deletionGracePeriodSeconds"], grace);
        wait_for("gone", || get_pod(&sim, name).is_none().then_some(()));
    }
    // Grace 0: removed at once.
    create(&sim, &format!("{NS}/pods"), &sh_pod("now", "sleep 600"));
    wait_for("running", || {
        get_pod(&sim, "now").filter(|p| phase(p) == "Running")
    });
    let r = req(
        &sim,
        "DELETE",
        &format!("{NS}/pods/now"),
        Some(&json!({"gracePeriodSeconds": 0})),
    );
    assert_eq!(r.status, 200);
    assert!(get_pod(&sim, "now").is_none());
}

#[test]
fn active_deadline_fails_the_pod() {
    let sim = sim();
    let mut pod = sh_pod("late", "sleep 600");
    pod["spec"]["activeDeadlineSeconds"] = json!(1);
    create(&sim, &format!("{NS}/pods"), &pod);
    let done = wait_done(&sim, "late");
    assert_eq!(phase(&done), "Failed");
    assert_eq!(done["status"]["reason"], "DeadlineExceeded");
    assert_eq!(terminated(&done)["exitCode"], 143);
}

#[test]
fn followed_logs_stream_until_exit() {
    let sim = sim();
    create(
        &sim,
        &format!("{NS}/pods"),
        &sh_pod("chatty", "for i in 1 2 3; do echo line $i; sleep 0.1; done"),
    );
    wait_for("started", || {
        get_pod(&sim, "chatty").filter(|p| phase(p) != "Pending")
    });
    let r = req(
        &sim,
        "GET",
        &format!("{NS}/pods/chatty/log?follow=true"),
        None,
    );
    assert_eq!(r.text(), "line 1\nline 2\nline 3\n");
    assert_eq!(phase(&get_pod(&sim, "chatty").unwrap()), "Succeeded");
}

#[test]
fn logs_of_an_unstarted_pod_are_refused() {
    let sim = start(
        SimProvider::None,
        false,
        vec![crate::common::node("n0", 8, 0)],
    );
    create(&sim, &format!("{NS}/pods"), &sh_pod("idle", "true"));
    let r = req(&sim, "GET", &format!("{NS}/pods/idle/log"), None);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("is waiting to start")
    );
}

#[test]
fn an_sk8_shaped_job_runs_and_is_collected_with_its_record() {
    let sim = start(
        SimProvider::Kueue,
        true,
        vec![
            crate::common::node("n0", 4, 0),
            crate::common::node("n1", 4, 0),
        ],
    );
    let labels = json!({"sk8.dev/job-id": "7", "sk8.dev/user": "alice", "app.kubernetes.io/managed-by": "sk8"});
    let record = create(
        &sim,
        &format!("{NS}/configmaps"),
        &json!({"metadata": {"name": "sk8-job-7", "labels": labels},
        "data": {"script": "#!/bin/sh\necho batch on $HOSTNAME with $SLURM_JOB_NODELIST\n"}}),
    );
    let owner = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "sk8-job-7", "uid": record["metadata"]["uid"],
        "controller": false, "blockOwnerDeletion": true}]);
    create(
        &sim,
        &format!("{NS}/secrets"),
        &json!({"metadata": {"name": "sk8-job-7-token", "ownerReferences": owner},
        "data": {"token": "YWJj"}}),
    );
    create(
        &sim,
        &format!("{NS}/services"),
        &json!({"metadata": {"name": "sk8-job-7", "ownerReferences": owner},
        "spec": {"clusterIP": "None", "selector": {"sk8.dev/job-id": "7"}, "ports": [{"name": "agent", "port": 7000}]}}),
    );
    for rank in 0..2 {
        let command = if rank == 0 {
            json!(["/var/run/sk8/job/script"])
        } else {
            json!([
                "/bin/sh",
                "-c",
                "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"
            ])
        };
        let mut pod_labels = labels.clone();
        pod_labels["sk8.dev/rank"] = json!(rank.to_string());
        pod_labels["kueue.x-k8s.io/queue-name"] = json!("default");
        pod_labels["kueue.x-k8s.io/pod-group-name"] = json!("sk8-job-7");
        create(
            &sim,
            &format!("{NS}/pods"),
            &json!({"metadata": {"name": format!("sk8-job-7-{rank}"), "labels": pod_labels,
                "annotations": {"kueue.x-k8s.io/pod-group-total-count": "2"}, "ownerReferences": owner},
            "spec": {"hostname": format!("sk8-job-7-{rank}"), "subdomain": "sk8-job-7", "restartPolicy": "Never",
                "activeDeadlineSeconds": 3600,
                "volumes": [{"name": "job", "configMap": {"name": "sk8-job-7", "defaultMode": 0o755, "items": [{"key": "script", "path": "script"}]}},
                    {"name": "token", "secret": {"secretName": "sk8-job-7-token"}}],
                "containers": [{"name": "job", "image": "ubuntu:24.04", "command": command,
                    "env": [{"name": "SLURM_JOB_NODELIST", "value": "sk8-job-7-[0-1]"}],
                    "resources": {"requests": {"cpu": "3"}, "limits": {"cpu": "3"}},
                    "volumeMounts": [{"name": "job", "mountPath": "/var/run/sk8/job"}, {"name": "token", "mountPath": "/var/run/sk8/token"}]}]}}),
        );
    }
    let rank0 = wait_done(&sim, "sk8-job-7-0");
    assert_eq!(phase(&rank0), "Succeeded");
    assert_eq!(
        log(&sim, "sk8-job-7-0"),
        "batch on sk8-job-7-0 with sk8-job-7-[0-1]\n"
    );
    // 3 of 4 CPUs each: the ranks were spread over both nodes.
    let rank1 = wait_for("rank 1 running", || {
        get_pod(&sim, "sk8-job-7-1").filter(|p| phase(p) == "Running")
    });
    assert_ne!(rank0["spec"]["nodeName"], rank1["spec"]["nodeName"]);
    let wl = sim.objects("workloads");
    assert_eq!(wl.len(), 1);
    // Deleting the record takes everything with it.
    let r = req(
        &sim,
        "DELETE",
        &format!("{NS}/configmaps/sk8-job-7"),
        Some(&json!({"propagationPolicy": "Background"})),
    );
    assert_eq!(r.status, 200);
    wait_for("everything collected", || {
        let left: usize = ["pods", "secrets", "services", "workloads"]
            .iter()
            .map(|r| sim.objects(r).len())
            .sum();
        (left == 0).then_some(())
    });
}

#[test]
fn init_containers_run_first_and_in_order() {
    let sim = sim();
    let bin = json!([{"name": "bin", "mountPath": "/sk8/bin"}]);
    let pod = |name: &str, init_exit: i32| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "volumes": [{"name": "bin", "emptyDir": {}}],
                "initContainers": [
                    {"name": "copy", "image": "agent", "volumeMounts": bin, "command": ["/bin/sh", "-c",
                        "printf '#!/bin/sh\\necho agent ran\\n' > /sk8/bin/agent && chmod +x /sk8/bin/agent"]},
                    {"name": "check", "image": "agent", "volumeMounts": bin,
                        "command": ["/bin/sh", "-c", format!("test -x /sk8/bin/agent && echo checked; exit {init_exit}")]}],
                "containers": [{"name": "job", "image": "user", "volumeMounts": bin, "command": ["/sk8/bin/agent"]}]}})
    };
    create(&sim, &format!("{NS}/pods"), &pod("injected", 0));
    let done = wait_done(&sim, "injected");
    assert_eq!(phase(&done), "Succeeded", "{done}");
    assert_eq!(log(&sim, "injected"), "agent ran\n");
    let init = done["status"]["initContainerStatuses"].as_array().unwrap();
    assert_eq!(init.len(), 2);
    assert!(
        init.iter()
            .all(|c| c["state"]["terminated"]["exitCode"] == 0)
    );
    let r = req(
        &sim,
        "GET",
        &format!("{NS}/pods/injected/log?container=check"),
        None,
    );
    assert_eq!(r.text(), "checked\n");
    // A failing init container fails the pod; the main container never starts.
    create(&sim, &format!("{NS}/pods"), &pod("broken", 4));
    let done = wait_done(&sim, "broken");
    assert_eq!(phase(&done), "Failed");
    assert_eq!(
        done["status"]["initContainerStatuses"][1]["state"]["terminated"]["exitCode"],
        4
    );
    assert_eq!(
        done["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "PodInitializing"
    );
}
