//! The same flows through kube's client, from the kubeconfig the simulator writes.

use crate::common::{node, start};
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use serde_json::json;
use sk8_kubesim::{Fault, Sim, SimProvider};
use std::time::Duration;

async fn client(sim: &Sim) -> kube::Client {
    let dir = std::env::temp_dir().join(format!(
        "sk8-kubesim-test-{}",
        sim.url().rsplit(':').next().unwrap()
    ));
    let path = dir.join("config");
    sim.write_kubeconfig(&path).unwrap();
    let kc = kube::config::Kubeconfig::read_from(&path).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .unwrap();
    assert_eq!(cfg.default_namespace, "default");
    let _ = std::fs::remove_dir_all(dir);
    // When a build compiles two rustls crypto providers (as the workspace's
    // test builds do), rustls needs to be told which one to use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    kube::Client::try_from(cfg).unwrap()
}

fn api_error(e: kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason),
        other => panic!("not an API error: {other}"),
    }
}

#[tokio::test]
async fn crud_conflicts_and_validation_through_kube() {
    let sim = start(SimProvider::None, false, vec![node("n0", 4, 0)]);
    let c = client(&sim).await;
    let cms: Api<ConfigMap> = Api::default_namespaced(c.clone());
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "sk8-job-counter", "labels": {"app.kubernetes.io/managed-by": "sk8"}}, "data": {"next": "1"}})).unwrap();
    let created = cms.create(&PostParams::default(), &cm).await.unwrap();
    assert!(created.metadata.uid.is_some());
    let err = cms.create(&PostParams::default(), &cm).await.unwrap_err();
    assert_eq!(api_error(err), (409, "AlreadyExists".to_owned()));
    // Optimistic concurrency: the first replace wins, the second (stale) conflicts.
    let mut a = created.clone();
    a.data = Some([("next".to_owned(), "2".to_owned())].into());
    let mut b = created.clone();
    b.data = Some([("next".to_owned(), "3".to_owned())].into());
    cms.replace("sk8-job-counter", &PostParams::default(), &a)
        .await
        .unwrap();
    let err = cms
        .replace("sk8-job-counter", &PostParams::default(), &b)
        .await
        .unwrap_err();
    assert_eq!(api_error(err), (409, "Conflict".to_owned()));
    let got = cms.get("sk8-job-counter").await.unwrap();
    assert_eq!(got.data.unwrap()["next"], "2");
    // Patch and list by label.
    let pp = PatchParams::default();
    cms.patch(
        "sk8-job-counter",
        &pp,
        &Patch::Merge(json!({"metadata": {"annotations": {"sk8.dev/state": "x"}}})),
    )
    .await
    .unwrap();
    let listed = cms
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=sk8"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        listed.items[0].metadata.annotations.as_ref().unwrap()["sk8.dev/state"],
        "x"
    );
    // Validation.
    let bad: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "sk8-job-1", "labels": {"sk8.dev/job-name": "has space"}}}),
    )
    .unwrap();
    let err = cms.create(&PostParams::default(), &bad).await.unwrap_err();
    assert_eq!(api_error(err), (422, "Invalid".to_owned()));
    // Faults reach the client as API errors.
    sim.inject(Fault {
        verb: "get".to_owned(),
        resource: "configmaps".to_owned(),
        status: 500,
        times: 1,
        after: 0,
    });
    assert_eq!(
        api_error(cms.get("sk8-job-counter").await.unwrap_err()).0,
        500
    );
    // Delete.
    let deleted = cms
        .delete("sk8-job-counter", &DeleteParams::default())
        .await
        .unwrap();
    assert!(deleted.is_right());
    assert_eq!(
        api_error(cms.get("sk8-job-counter").await.unwrap_err()).0,
        404
    );
    // Nodes come from the config.
    let nodes: Api<Node> = Api::all(c);
    let n = nodes.get("n0").await.unwrap();
    assert_eq!(n.status.unwrap().allocatable.unwrap()["cpu"].0, "4");
    let served = sim.served();
    assert!(
        served
            .iter()
            .any(|(v, r, _)| v == "update" && r == "configmaps")
    );
    assert!(
        served
            .iter()
            .any(|(v, r, _)| v == "patch" && r == "configmaps")
    );
}

#[tokio::test]
async fn a_pod_runs_and_its_log_is_read_through_kube() {
    let sim = start(SimProvider::None, true, vec![node("n0", 4, 0)]);
    let pods: Api<Pod> = Api::default_namespaced(client(&sim).await);
    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "hello"}, "spec": {"restartPolicy": "Never",
        "containers": [{"name": "job", "image": "busybox", "command": ["/bin/sh", "-c", "echo hi; exit 3"]}]}})).unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let done = loop {
        let p = pods.get_status("hello").await.unwrap();
        let phase = p
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        if phase == "Failed" || phase == "Succeeded" {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let status = done.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    let term = status.container_statuses.unwrap()[0]
        .state
        .clone()
        .unwrap()
        .terminated
        .unwrap();
    assert_eq!(term.exit_code, 3);
    assert_eq!(
        pods.logs("hello", &LogParams::default()).await.unwrap(),
        "hi\n"
    );
    let deleted = pods
        .delete("hello", &DeleteParams::default())
        .await
        .unwrap();
    assert!(deleted.is_left());
    assert!(pods.get_opt("hello").await.unwrap().is_none());
}
