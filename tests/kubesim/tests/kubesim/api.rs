//! The REST API over plain HTTP: discovery, CRUD, selectors, conflicts,
//! patches, deletion and garbage collection, watch, validation, faults, reviews.

use crate::common::{NS, WatchStream, configmap, create, node, req, req_as, start, wait_for};
use serde_json::{Value, json};
use sk8_kubesim::{Fault, Sim, SimConfig, SimProvider};

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn discovery_serves_the_providers_groups() {
    let cases = [
        (SimProvider::Kueue, "kueue.x-k8s.io/v1beta1", "workloads"),
        (
            SimProvider::Volcano,
            "scheduling.volcano.sh/v1beta1",
            "podgroups",
        ),
        (
            SimProvider::Coscheduling,
            "scheduling.x-k8s.io/v1alpha1",
            "podgroups",
        ),
    ];
    for (provider, gv, res) in cases {
        let sim = start(provider, false, vec![node("n0", 4, 0)]);
        let groups = req(&sim, "GET", "/apis", None).json();
        let listed: Vec<&str> = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["preferredVersion"]["groupVersion"].as_str().unwrap())
            .collect();
        assert!(listed.contains(&gv), "{provider}: {listed:?}");
        assert!(listed.contains(&"authorization.k8s.io/v1"));
        let rl = req(&sim, "GET", &format!("/apis/{gv}"), None).json();
        let r = rl["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == res)
            .expect("resource listed");
        assert_eq!(r["namespaced"], true);
        assert!(r["verbs"].as_array().unwrap().contains(&json!("watch")));
        for other in [
            "kueue.x-k8s.io/v1beta1",
            "scheduling.volcano.sh/v1beta1",
            "scheduling.x-k8s.io/v1alpha1",
        ] {
            if other != gv {
                assert!(!listed.contains(&other), "{provider} serves {other}");
                assert_eq!(
                    req(&sim, "GET", &format!("/apis/{other}"), None).status,
                    404
                );
            }
        }
    }
    let sim = start(SimProvider::None, false, vec![]);
    let core = req(&sim, "GET", "/api/v1", None).json();
    let pods = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods/log");
    assert!(pods.is_some());
    assert_eq!(req(&sim, "GET", "/version", None).json()["major"], "1");
    assert_eq!(
        req(&sim, "GET", "/api", None).json()["versions"],
        json!(["v1"])
    );
}

#[test]
fn aggregated_discovery_lists_every_resource_in_one_answer() {
    const ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
        application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    for ssr in [true, false] {
        let sim = Sim::start(SimConfig {
            provider: SimProvider::Kueue,
            serve_self_subject_review: ssr,
            ..SimConfig::default()
        })
        .unwrap();
        let (status, ctype, doc) = crate::common::get_accept(&sim, "/apis", ACCEPT);
        assert_eq!(status, 200);
        assert_eq!(
            ctype,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        );
        assert_eq!(doc["kind"], "APIGroupDiscoveryList");
        let mut served = Vec::new();
        for g in doc["items"].as_array().unwrap() {
            for v in g["versions"].as_array().unwrap() {
                for r in v["resources"].as_array().unwrap() {
                    served.push(format!(
                        "{}/{}/{}",
                        g["metadata"]["name"].as_str().unwrap(),
                        v["version"].as_str().unwrap(),
                        r["resource"].as_str().unwrap()
                    ));
                }
            }
        }
        assert!(
            served.contains(&"kueue.x-k8s.io/v1beta1/workloads".to_owned()),
            "{served:?}"
        );
        assert!(served.contains(&"authorization.k8s.io/v1/selfsubjectaccessreviews".to_owned()));
        assert_eq!(
            served.contains(&"authentication.k8s.io/v1/selfsubjectreviews".to_owned()),
            ssr
        );
        let (_, _, core) = crate::common::get_accept(&sim, "/api", ACCEPT);
        let pods = &core["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "pods")
            .unwrap()
            .clone();
        assert_eq!(pods["scope"], "Namespaced");
        // A plain client gets the plain list.
        let (_, ctype, plain) = crate::common::get_accept(&sim, "/apis", "application/json");
        assert_eq!(
            (ctype.as_str(), plain["kind"].as_str()),
            ("application/json", Some("APIGroupList"))
        );
    }
}

#[test]
fn self_subject_reviews_follow_the_config() {
    let cfg = SimConfig {
        user: "alice".to_owned(),
        denied: vec![("delete".to_owned(), "pods".to_owned())],
        ..SimConfig::default()
    };
    let sim = Sim::start(cfg).unwrap();
    let ssr = req(
        &sim,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some(&json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
    );
    assert_eq!(ssr.status, 201);
    assert_eq!(ssr.json()["status"]["userInfo"]["username"], "alice");
    for (verb, resource, allowed) in [
        ("delete", "pods", false),
        ("create", "pods", true),
        ("delete", "configmaps", true),
    ] {
        let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": verb, "resource": resource, "namespace": "default"}}});
        let r = req(
            &sim,
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            Some(&body),
        );
        assert_eq!(r.json()["status"]["allowed"], allowed, "{verb} {resource}");
    }
    let no_ssr = Sim::start(SimConfig {
        serve_self_subject_review: false,
        ..SimConfig::default()
    })
    .unwrap();
    let r = req(
        &no_ssr,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some(&json!({})),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn requests_need_a_bearer_token() {
    let sim = start(SimProvider::None, false, vec![]);
    let r = req_as(
        &sim,
        "GET",
        &format!("{NS}/configmaps"),
        "application/json",
        None,
        false,
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["reason"], "Unauthorized");
    assert_eq!(
        req(&sim, "GET", &format!("{NS}/configmaps"), None).status,
        200
    );
}

#[test]
fn create_get_list_with_selectors() {
    let sim = start(SimProvider::None, false, vec![]);
    let path = format!("{NS}/configmaps");
    let a = create(
        &sim,
        &path,
        &configmap("a", json!({"app": "web", "tier": "front"})),
    );
    create(&sim, &path, &configmap("b", json!({"app": "db"})));
    create(
        &sim,
        &path,
        &configmap("c", json!({"app": "web", "tier": "back"})),
    );
    assert!(a["metadata"]["uid"].as_str().is_some_and(|u| u.len() == 36));
    assert!(
        a["metadata"]["resourceVersion"]
            .as_str()
            .is_some_and(|r| r.parse::<u64>().is_ok())
    );
    assert!(
        a["metadata"]["creationTimestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(a["metadata"]["namespace"], "default");
    let got = req(&sim, "GET", &format!("{path}/a"), None).json();
    assert_eq!(got, a);
    let cases: &[(&str, &[&str])] = &[
        ("", &["a", "b", "c"]),
        ("labelSelector=app%3Dweb", &["a", "c"]),
        ("labelSelector=app%3D%3Dweb,tier!%3Dback", &["a"]),
        ("labelSelector=app+in+(db,web),!tier", &["b"]),
        ("labelSelector=app+notin+(web)", &["b"]),
        ("labelSelector=tier", &["a", "c"]),
        ("fieldSelector=metadata.name%3Db", &["b"]),
        ("fieldSelector=metadata.name!%3Db", &["a", "c"]),
        ("fieldSelector=metadata.namespace%3Dother", &[]),
    ];
    for (query, want) in cases {
        let list = req(&sim, "GET", &format!("{path}?{query}"), None);
        assert_eq!(list.status, 200, "{query}: {}", list.text());
        assert_eq!(names(&list.json()), *want, "{query}");
    }
    // Pages.
    let page = req(&sim, "GET", &format!("{path}?limit=2"), None).json();
    assert_eq!(names(&page), ["a", "b"]);
    let token = page["metadata"]["continue"].as_str().unwrap();
    let rest = req(
        &sim,
        "GET",
        &format!(
            "{path}?limit=2&continue={}",
            token
                .replace('=', "%3D")
                .replace('+', "%2B")
                .replace('/', "%2F")
        ),
        None,
    )
    .json();
    assert_eq!(names(&rest), ["c"]);
    // Across namespaces, with generateName.
    create(
        &sim,
        "/api/v1/namespaces",
        &json!({"metadata": {"name": "other"}}),
    );
    let gen_cm = create(
        &sim,
        "/api/v1/namespaces/other/configmaps",
        &json!({"metadata": {"generateName": "gen-"}}),
    );
    assert!(
        gen_cm["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("gen-")
    );
    assert_eq!(
        names(&req(&sim, "GET", "/api/v1/configmaps", None).json()).len(),
        4
    );
    // Errors.
    let dup = req(&sim, "POST", &path, Some(&configmap("a", json!({}))));
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json()["reason"], "AlreadyExists");
    assert_eq!(dup.json()["message"], "configmaps \"a\" already exists");
    let missing = req(&sim, "GET", &format!("{path}/zzz"), None);
    assert_eq!(
        (missing.status, missing.json()["reason"].clone()),
        (404, json!("NotFound"))
    );
    assert_eq!(missing.json()["kind"], "Status");
    let no_ns = req(
        &sim,
        "POST",
        "/api/v1/namespaces/nope/configmaps",
        Some(&configmap("x", json!({}))),
    );
    assert_eq!(
        (no_ns.status, no_ns.json()["message"].clone()),
        (404, json!("namespaces \"nope\" not found"))
    );
}

#[test]
fn update_needs_the_current_resource_version() {
    let sim = start(SimProvider::None, false, vec![]);
    let path = format!("{NS}/configmaps");
    let cm = create(&sim, &path, &configmap("counter", json!({})));
    let mut next = cm.clone();
    next["data"] = json!({"next": "2"});
    let ok = req(&sim, "PUT", &format!("{path}/counter"), Some(&next));
    assert_eq!(ok.status, 200, "{}", ok.text());
    let updated = ok.json();
    assert_ne!(
        updated["metadata"]["resourceVersion"],
        cm["metadata"]["resourceVersion"]
    );
    assert_eq!(updated["metadata"]["uid"], cm["metadata"]["uid"]);
    // The same stale body again: conflict.
    let stale = req(&sim, "PUT", &format!("{path}/counter"), Some(&next));
    assert_eq!(stale.status, 409);
    let st = stale.json();
    assert_eq!(st["reason"], "Conflict");
    assert!(
        st["message"]
            .as_str()
            .unwrap()
            .starts_with("Operation cannot be fulfilled on configmaps \"counter\"")
    );
    // No resourceVersion at all: built-in kinds update unconditionally.
    let mut bare = next.clone();
    bare["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    bare["data"] = json!({"next": "3"});
    assert_eq!(
        req(&sim, "PUT", &format!("{path}/counter"), Some(&bare)).status,
        200
    );
    // dryRun=All validates and answers but stores nothing.
    let mut dry = bare.clone();
    dry["data"] = json!({"next": "dry"});
    assert_eq!(
        req(
            &sim,
            "PUT",
            &format!("{path}/counter?dryRun=All"),
            Some(&dry)
        )
        .status,
        200
    );
    assert_eq!(
        req(
            &sim,
            "POST",
            &format!("{path}?dryRun=All"),
            Some(&configmap("dry", json!({})))
        )
        .status,
        201
    );
    assert_eq!(req(&sim, "GET", &format!("{path}/dry"), None).status, 404);
    assert_eq!(
        req(&sim, "GET", &format!("{path}/counter"), None).json()["data"]["next"],
        "3"
    );
    // The name in the body must be the URL's.
    let mut renamed = updated.clone();
    renamed["metadata"]["name"] = json!("other");
    assert_eq!(
        req(&sim, "PUT", &format!("{path}/counter"), Some(&renamed)).status,
        400
    );
}

#[test]
fn custom_resources_need_a_resource_version_on_update() {
    let sim = start(SimProvider::Volcano, false, vec![]);
    let path = "/apis/scheduling.volcano.sh/v1beta1/namespaces/default/podgroups";
    let pg = create(
        &sim,
        path,
        &json!({"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "PodGroup",
        "metadata": {"name": "g"}, "spec": {"minMember": 2}}),
    );
    assert_eq!(pg["metadata"]["generation"], 1);
    let mut bare = pg.clone();
    bare["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    bare["spec"]["minMember"] = json!(3);
    let r = req(&sim, "PUT", &format!("{path}/g"), Some(&bare));
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(
        r.json()["details"]["causes"][0]["field"],
        "metadata.resourceVersion"
    );
    // Once the gang controller has written its status it leaves the group be.
    let mut ok = wait_for("podgroup status", || {
        let g = req(&sim, "GET", &format!("{path}/g"), None).json();
        g["status"]["phase"].is_string().then_some(g)
    });
    ok["spec"]["minMember"] = json!(3);
    let r = req(&sim, "PUT", &format!("{path}/g"), Some(&ok));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["metadata"]["generation"], 2);
    // The status subresource changes only the status.
    let mut st = r.json();
    st["status"] = json!({"phase": "Running"});
    st["spec"]["minMember"] = json!(9);
    let r = req(&sim, "PUT", &format!("{path}/g/status"), Some(&st)).json();
    assert_eq!(
        (
            r["status"]["phase"].as_str(),
            r["spec"]["minMember"].as_i64()
        ),
        (Some("Running"), Some(3))
    );
}

#[test]
fn patches_merge_and_json_patch() {
    let sim = start(SimProvider::None, false, vec![]);
    let path = format!("{NS}/configmaps");
    create(&sim, &path, &configmap("p", json!({"a": "1", "b": "2"})));
    let cases = [
        (
            "application/merge-patch+json",
            json!({"metadata": {"labels": {"a": null, "c": "3"}}}),
            json!({"b": "2", "c": "3"}),
        ),
        (
            "application/strategic-merge-patch+json",
            json!({"metadata": {"labels": {"d": "4"}}}),
            json!({"b": "2", "c": "3", "d": "4"}),
        ),
        (
            "application/json-patch+json",
            json!([{"op": "remove", "path": "/metadata/labels/b"}]),
            json!({"c": "3", "d": "4"}),
        ),
    ];
    for (ctype, patch, want) in cases {
        let r = req_as(
            &sim,
            "PATCH",
            &format!("{path}/p"),
            ctype,
            Some(&patch),
            true,
        );
        assert_eq!(r.status, 200, "{ctype}: {}", r.text());
        assert_eq!(r.json()["metadata"]["labels"], want, "{ctype}");
    }
    let stale = json!({"metadata": {"resourceVersion": "1", "annotations": {"x": "y"}}});
    let r = req_as(
        &sim,
        "PATCH",
        &format!("{path}/p"),
        "application/merge-patch+json",
        Some(&stale),
        true,
    );
    assert_eq!(r.status, 409);
    let bad = json!({"metadata": {"labels": {"bad key!": "x"}}});
    let r = req_as(
        &sim,
        "PATCH",
        &format!("{path}/p"),
        "application/merge-patch+json",
        Some(&bad),
        true,
    );
    assert_eq!(r.status, 422);
}

#[test]
fn deleting_an_owner_collects_its_dependents() {
    let sim = start(SimProvider::None, false, vec![node("n0", 4, 0)]);
    let path = format!("{NS}/configmaps");
    for (policy, orphaned) in [
        ("Background", false),
        ("Foreground", false),
        ("Orphan", true),
    ] {
        let owner = create(&sim, &path, &configmap("owner", json!({})));
        let oref = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"], "blockOwnerDeletion": true}]);
        let mut dep = configmap("dep", json!({}));
        dep["metadata"]["ownerReferences"] = oref.clone();
        create(&sim, &path, &dep);
        let mut pod = crate::common::sized_pod("dep-pod", "100m", 0);
        pod["metadata"]["ownerReferences"] = oref;
        create(&sim, &format!("{NS}/pods"), &pod);
        let del = req(
            &sim,
            "DELETE",
            &format!("{path}/owner"),
            Some(&json!({"propagationPolicy": policy})),
        );
        assert!(
            del.status == 200 || del.status == 202,
            "{policy}: {}",
            del.text()
        );
        wait_for(&format!("{policy}: owner gone"), || {
            (req(&sim, "GET", &format!("{path}/owner"), None).status == 404).then_some(())
        });
        if orphaned {
            let dep = req(&sim, "GET", &format!("{path}/dep"), None).json();
            assert_eq!(
                dep["metadata"]
                    .get("ownerReferences")
                    .map_or(0, |r| r.as_array().unwrap().len()),
                0
            );
            req(&sim, "DELETE", &format!("{path}/dep"), None);
            req(
                &sim,
                "DELETE",
                &format!("{NS}/pods/dep-pod"),
                Some(&json!({"gracePeriodSeconds": 0})),
            );
        }
        wait_for(&format!("{policy}: dependents gone"), || {
            let cm = req(&sim, "GET", &format!("{path}/dep"), None).status;
            let pod = req(&sim, "GET", &format!("{NS}/pods/dep-pod"), None).status;
            (cm == 404 && pod == 404).then_some(())
        });
    }
    // Preconditions.
    let cm = create(&sim, &path, &configmap("pre", json!({})));
    let r = req(
        &sim,
        "DELETE",
        &format!("{path}/pre"),
        Some(&json!({"preconditions": {"resourceVersion": "1"}})),
    );
    assert_eq!(r.status, 409);
    let r = req(
        &sim,
        "DELETE",
        &format!("{path}/pre"),
        Some(&json!({"preconditions": {"resourceVersion": cm["metadata"]["resourceVersion"]}})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "Success");
    // deletecollection by label.
    for (n, app) in [("x1", "x"), ("x2", "x"), ("y1", "y")] {
        create(&sim, &path, &configmap(n, json!({"app": app})));
    }
    let r = req(
        &sim,
        "DELETE",
        &format!("{path}?labelSelector=app%3Dx"),
        None,
    );
    assert_eq!(names(&r.json()), ["x1", "x2"]);
    assert_eq!(
        names(&req(&sim, "GET", &format!("{path}?labelSelector=app"), None).json()),
        ["y1"]
    );
}

#[test]
fn watch_streams_changes_from_a_resource_version() {
    let sim = start(SimProvider::None, false, vec![]);
    let path = format!("{NS}/configmaps");
    create(&sim, &path, &configmap("before", json!({"w": "1"})));
    let list = req(&sim, "GET", &format!("{path}?labelSelector=w"), None).json();
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut w = WatchStream::open(
        &sim,
        &format!("{path}?watch=true&labelSelector=w&resourceVersion={rv}&timeoutSeconds=60"),
    );
    create(&sim, &path, &configmap("unwatched", json!({})));
    let c = create(&sim, &path, &configmap("w1", json!({"w": "1"})));
    let mut upd = c.clone();
    upd["data"] = json!({"k": "changed"});
    assert_eq!(
        req(&sim, "PUT", &format!("{path}/w1"), Some(&upd)).status,
        200
    );
    assert_eq!(req(&sim, "DELETE", &format!("{path}/w1"), None).status, 200);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let ev = w.next().expect("event");
        seen.push((
            ev["type"].as_str().unwrap().to_owned(),
            ev["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_owned(),
        ));
    }
    let want: Vec<(String, String)> = [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(seen, want);
    // Without a resourceVersion the current objects come first as ADDED.
    let mut w0 = WatchStream::open(
        &sim,
        &format!("{path}?watch=1&labelSelector=w&timeoutSeconds=60"),
    );
    let ev = w0.next().unwrap();
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("before"))
    );
    // A watch that times out ends its stream.
    let mut short = WatchStream::open(
        &sim,
        &format!("{path}?watch=1&resourceVersion={rv}&labelSelector=none&timeoutSeconds=1"),
    );
    assert!(short.next().is_none());
}

#[test]
fn validation_rejects_as_the_real_server() {
    let sim = start(SimProvider::None, false, vec![]);
    let pod = |spec: Value| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec});
    let ctr = |extra: Value| {
        let mut c = json!({"name": "job", "image": "busybox", "command": ["true"]});
        crate::common::merge(&mut c, &extra);
        json!({"restartPolicy": "Never", "containers": [c]})
    };
    let cm_path = format!("{NS}/configmaps");
    let pod_path = format!("{NS}/pods");
    let cases: Vec<(&str, String, Value, u16, &str)> = vec![
        (
            "bad name",
            cm_path.clone(),
            configmap("Bad_Name", json!({})),
            422,
            "metadata.name",
        ),
        (
            "long name",
            cm_path.clone(),
            configmap(&"a".repeat(254), json!({})),
            422,
            "metadata.name",
        ),
        (
            "bad label key",
            cm_path.clone(),
            configmap("x", json!({"a/b/c": "v"})),
            422,
            "metadata.labels",
        ),
        (
            "bad label value",
            cm_path.clone(),
            configmap("x", json!({"k": "-v"})),
            422,
            "metadata.labels",
        ),
        (
            "long label value",
            cm_path.clone(),
            configmap("x", json!({"k": "v".repeat(64)})),
            422,
            "metadata.labels",
        ),
        (
            "bad data key",
            cm_path.clone(),
            json!({"metadata": {"name": "x"}, "data": {"a b": "1"}}),
            422,
            "data[a b]",
        ),
        (
            "too big",
            cm_path.clone(),
            json!({"metadata": {"name": "x"}, "data": {"a": "x".repeat(1024 * 1024 + 1)}}),
            422,
            "[]",
        ),
        (
            "owner without uid",
            cm_path.clone(),
            json!({"metadata": {"name": "x", "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o"}]}}),
            422,
            "metadata.ownerReferences.uid",
        ),
        (
            "big annotations",
            cm_path.clone(),
            json!({"metadata": {"name": "x", "annotations": {"a": "x".repeat(256 * 1024 + 1)}}}),
            422,
            "metadata.annotations",
        ),
        (
            "service name",
            format!("{NS}/services"),
            json!({"metadata": {"name": "1svc"}, "spec": {"clusterIP": "None"}}),
            422,
            "metadata.name",
        ),
        (
            "service without ports",
            format!("{NS}/services"),
            json!({"metadata": {"name": "svc"}, "spec": {}}),
            422,
            "spec.ports",
        ),
        (
            "no containers",
            pod_path.clone(),
            pod(json!({"containers": []})),
            422,
            "spec.containers",
        ),
        (
            "container name",
            pod_path.clone(),
            pod(ctr(json!({"name": "Job"}))),
            422,
            "spec.containers[0].name",
        ),
        (
            "restart policy",
            pod_path.clone(),
            pod(json!({"restartPolicy": "Sometimes", "containers": [{"name": "a", "image": "i"}]})),
            422,
            "spec.restartPolicy",
        ),
        (
            "env name",
            pod_path.clone(),
            pod(ctr(json!({"env": [{"name": "1BAD", "value": "x"}]}))),
            422,
            "spec.containers[0].env[0].name",
        ),
        (
            "gpu request != limit",
            pod_path.clone(),
            pod(ctr(
                json!({"resources": {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "2"}}}),
            )),
            422,
            "spec.containers[0].resources.requests[nvidia.com/gpu]",
        ),
        (
            "cpu request > limit",
            pod_path.clone(),
            pod(ctr(
                json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}),
            )),
            422,
            "spec.containers[0].resources.requests[cpu]",
        ),
        (
            "hostname",
            pod_path.clone(),
            pod(json!({"hostname": "Host_1", "containers": [{"name": "a", "image": "i"}]})),
            422,
            "spec.hostname",
        ),
        (
            "unknown mount",
            pod_path.clone(),
            pod(ctr(
                json!({"volumeMounts": [{"name": "nope", "mountPath": "/x"}]}),
            )),
            422,
            "spec.containers[0].volumeMounts[0].name",
        ),
        (
            "bad quantity",
            pod_path.clone(),
            pod(ctr(json!({"resources": {"requests": {"cpu": "two"}}}))),
            400,
            "",
        ),
    ];
    for (what, path, body, code, field) in cases {
        let r = req(&sim, "POST", &path, Some(&body));
        assert_eq!(r.status, code, "{what}: {}", r.text());
        let st = r.json();
        assert_eq!(st["kind"], "Status", "{what}");
        assert_eq!(st["status"], "Failure", "{what}");
        if code == 422 {
            assert_eq!(st["reason"], "Invalid", "{what}");
            let fields: Vec<&str> = st["details"]["causes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["field"].as_str().unwrap())
                .collect();
            assert!(fields.contains(&field), "{what}: {fields:?}");
            assert!(
                st["message"].as_str().unwrap().contains(" is invalid: "),
                "{what}"
            );
        } else {
            assert!(
                st["message"]
                    .as_str()
                    .unwrap()
                    .contains("quantities must match the regular expression"),
                "{what}"
            );
        }
    }
    assert!(
        sim.objects("configmaps")
            .iter()
            .all(|c| c["metadata"]["name"] != "x")
    );
    // Exact wording of the most common one.
    let r = req(
        &sim,
        "POST",
        &cm_path,
        Some(&configmap("Bad_Name", json!({}))),
    )
    .json();
    assert_eq!(
        r["details"]["causes"][0]["message"],
        "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    );
    // A valid pod with quantities in every form passes and gets the defaults.
    let ok = req(
        &sim,
        "POST",
        &pod_path,
        Some(&pod(ctr(
            json!({"resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "8", "nvidia.com/gpu": "1"}}}),
        ))),
    );
    assert_eq!(ok.status, 201, "{}", ok.text());
    let p = ok.json();
    assert_eq!(
        p["spec"]["containers"][0]["resources"]["requests"]["nvidia.com/gpu"],
        "1"
    );
    assert_eq!(p["spec"]["schedulerName"], "default-scheduler");
    assert_eq!(p["status"]["phase"], "Pending");
    // Pod spec is immutable but for a few fields. (Unconditional updates: the
    // scheduler writes the pod's status meanwhile.)
    let mut p = p;
    p["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let mut changed = p.clone();
    changed["spec"]["restartPolicy"] = json!("Always");
    let r = req(&sim, "PUT", &format!("{pod_path}/p"), Some(&changed));
    assert_eq!(r.status, 422, "{}", r.text());
    let mut deadline = p;
    deadline["spec"]["activeDeadlineSeconds"] = json!(60);
    assert_eq!(
        req(&sim, "PUT", &format!("{pod_path}/p"), Some(&deadline)).status,
        200
    );
}

#[test]
fn faults_fail_the_matching_requests_and_everything_is_recorded() {
    let sim = start(SimProvider::None, false, vec![]);
    let path = format!("{NS}/configmaps");
    sim.inject(Fault {
        verb: "create".to_owned(),
        resource: "configmaps".to_owned(),
        status: 500,
        times: 2,
        after: 1,
    });
    let codes: Vec<u16> = (0..4)
        .map(|i| {
            req(
                &sim,
                "POST",
                &path,
                Some(&configmap(&format!("f{i}"), json!({}))),
            )
            .status
        })
        .collect();
    assert_eq!(codes, [201, 500, 500, 201]);
    sim.inject(Fault {
        verb: "*".to_owned(),
        resource: "pods".to_owned(),
        status: 503,
        times: 1,
        after: 0,
    });
    let r = req(&sim, "GET", &format!("{NS}/pods"), None);
    assert_eq!(
        (r.status, r.json()["reason"].clone()),
        (503, json!("ServiceUnavailable"))
    );
    assert_eq!(req(&sim, "GET", &format!("{NS}/pods"), None).status, 200);
    let served = sim.served();
    let has = |v: &str, r: &str, g: &str| served.iter().any(|(a, b, c)| a == v && b == r && c == g);
    assert!(has("create", "configmaps", ""));
    assert!(has("list", "pods", ""));
    assert_eq!(
        served
            .iter()
            .filter(|(v, r, _)| v == "create" && r == "configmaps")
            .count(),
        4
    );
}
