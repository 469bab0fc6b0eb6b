//! The resources the simulator serves, per API group, and the discovery documents.

use crate::SimProvider;
use serde_json::{Value, json};

/// One served resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResDef {
    /// API group (`""` for core).
    pub group: &'static str,
    /// Version (`v1`, `v1beta1`).
    pub version: &'static str,
    /// Plural name in URLs (`pods`).
    pub plural: &'static str,
    /// Kind (`Pod`).
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Subresources served (`status`, `log`, `binding`).
    pub subresources: &'static [&'static str],
    /// Short names for kubectl.
    pub short: &'static [&'static str],
    /// Objects are accepted and dropped (events).
    pub drop: bool,
    /// Only `create` is served (reviews).
    pub create_only: bool,
}

const fn def(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    subresources: &'static [&'static str],
    short: &'static [&'static str],
) -> ResDef {
    ResDef {
        group,
        version,
        plural,
        kind,
        namespaced,
        subresources,
        short,
        drop: false,
        create_only: false,
    }
}

const CORE: &[ResDef] = &[
    def(
        "",
        "v1",
        "namespaces",
        "Namespace",
        false,
        &["status"],
        &["ns"],
    ),
    def("", "v1", "nodes", "Node", false, &["status"], &["no"]),
    def("", "v1", "configmaps", "ConfigMap", true, &[], &["cm"]),
    def("", "v1", "secrets", "Secret", true, &[], &[]),
    def("", "v1", "services", "Service", true, &["status"], &["svc"]),
    def(
        "",
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        true,
        &[],
        &["sa"],
    ),
    def(
        "",
        "v1",
        "pods",
        "Pod",
        true,
        &["status", "log", "binding"],
        &["po"],
    ),
    ResDef {
        drop: true,
        ..def("", "v1", "events", "Event", true, &[], &["ev"])
    },
];

const EVENTS_K8S: &[ResDef] = &[ResDef {
    drop: true,
    ..def("events.k8s.io", "v1", "events", "Event", true, &[], &["ev"])
}];

const SSR: ResDef = ResDef {
    create_only: true,
    ..def(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
        false,
        &[],
        &[],
    )
};

const AUTHZ: &[ResDef] = &[ResDef {
    create_only: true,
    ..def(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        false,
        &[],
        &[],
    )
}];

const KUEUE: &[ResDef] = &[
    def(
        "kueue.x-k8s.io",
        "v1beta1",
        "workloads",
        "Workload",
        true,
        &["status"],
        &["wl"],
    ),
    def(
        "kueue.x-k8s.io",
        "v1beta1",
        "localqueues",
        "LocalQueue",
        true,
        &["status"],
        &["lq"],
    ),
    def(
        "kueue.x-k8s.io",
        "v1beta1",
        "clusterqueues",
        "ClusterQueue",
        false,
        &["status"],
        &["cq"],
    ),
];

const VOLCANO: &[ResDef] = &[
    def(
        "scheduling.volcano.sh",
        "v1beta1",
        "podgroups",
        "PodGroup",
        true,
        &["status"],
        &["pg"],
    ),
    def(
        "scheduling.volcano.sh",
        "v1beta1",
        "queues",
        "Queue",
        false,
        &["status"],
        &["q"],
    ),
];

const COSCHED: &[ResDef] = &[def(
    "scheduling.x-k8s.io",
    "v1alpha1",
    "podgroups",
    "PodGroup",
    true,
    &["status"],
    &["pg"],
)];

/// Every resource served under this configuration.
pub fn served(provider: SimProvider, ssr: bool) -> Vec<ResDef> {
    let mut out: Vec<ResDef> = CORE
        .iter()
        .chain(EVENTS_K8S)
        .chain(AUTHZ)
        .copied()
        .collect();
    if ssr {
        out.push(SSR);
    }
    out.extend_from_slice(match provider {
        SimProvider::Kueue => KUEUE,
        SimProvider::Volcano => VOLCANO,
        SimProvider::Coscheduling => COSCHED,
        SimProvider::None => &[],
    });
    out
}

/// The groups (name, version) in the order `/apis` lists them (core excluded).
pub fn groups(defs: &[ResDef]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for d in defs {
        if !d.group.is_empty() && !out.contains(&(d.group, d.version)) {
            out.push((d.group, d.version));
        }
    }
    out
}

fn verbs(d: &ResDef) -> Vec<&'static str> {
    if d.create_only {
        return vec!["create"];
    }
    vec![
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ]
}

/// The `APIResourceList` for one group version.
pub fn resource_list(defs: &[ResDef], group: &str, version: &str) -> Option<Value> {
    let mine: Vec<&ResDef> = defs
        .iter()
        .filter(|d| d.group == group && d.version == version)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for d in &mine {
        resources.push(json!({
            "name": d.plural, "singularName": d.kind.to_lowercase(), "namespaced": d.namespaced,
            "kind": d.kind, "verbs": verbs(d), "shortNames": d.short,
        }));
        for sub in d.subresources {
            let (kind, verbs): (&str, Vec<&str>) = match *sub {
                "log" => ("Pod", vec!["get"]),
                "binding" => ("Binding", vec!["create"]),
                _ => (d.kind, vec!["get", "patch", "update"]),
            };
            resources.push(json!({
                "name": format!("{}/{sub}", d.plural), "singularName": "", "namespaced": d.namespaced,
                "kind": kind, "verbs": verbs,
            }));
        }
    }
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

/// The `APIGroupList` served at `/apis`.
pub fn group_list(defs: &[ResDef]) -> Value {
    let groups: Vec<Value> = groups(defs)
        .into_iter()
        .map(|(g, v)| {
            let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// The `apiVersion` string objects of this resource carry.
pub fn api_version(d: &ResDef) -> String {
    if d.group.is_empty() {
        d.version.to_owned()
    } else {
        format!("{}/{}", d.group, d.version)
    }
}

/// The `/openapi/v3` index: one document per group version.
pub fn openapi_index(defs: &[ResDef]) -> Value {
    let mut paths = serde_json::Map::new();
    paths.insert(
        "api/v1".to_owned(),
        json!({"serverRelativeURL": "/openapi/v3/api/v1?hash=sk8"}),
    );
    for (g, v) in groups(defs) {
        paths.insert(
            format!("apis/{g}/{v}"),
            json!({"serverRelativeURL": format!("/openapi/v3/apis/{g}/{v}?hash=sk8")}),
        );
    }
    json!({"paths": paths})
}

/// A group version's OpenAPI v3 document, reduced to what kubectl reads
/// before it sends `fieldValidation`: each kind's PATCH operation, its
/// group-version-kind and the `fieldValidation` query parameter (so kubectl
/// leaves validation to this server rather than validate against schemas).
pub fn openapi_doc(defs: &[ResDef], group: &str, version: &str) -> Option<Value> {
    let mine: Vec<&ResDef> = defs
        .iter()
        .filter(|d| d.group == group && d.version == version && !d.create_only)
        .collect();
    if mine.is_empty() {
        return None;
    }
    let mut paths = serde_json::Map::new();
    for d in mine {
        let base = if group.is_empty() {
            "/api/v1".to_owned()
        } else {
            format!("/apis/{group}/{version}")
        };
        let path = if d.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", d.plural)
        } else {
            format!("{base}/{}/{{name}}", d.plural)
        };
        let op = |verb: &str| {
            json!({"operationId": format!("{verb}{}", d.kind),
                "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": d.kind},
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}}],
                "responses": {"200": {"description": "OK"}}})
        };
        paths.insert(path, json!({"patch": op("patch"), "put": op("replace")}));
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0-sk8-kubesim"},
        "paths": paths, "components": {"schemas": {}}}),
    )
}

/// Aggregated discovery (`APIGroupDiscoveryList`, apidiscovery.k8s.io
/// `version`): the core group for `/api`, the named groups for `/apis`.
pub fn aggregated(defs: &[ResDef], core: bool, version: &str) -> Value {
    let mut items = Vec::new();
    let gvs: Vec<(&str, &str)> = if core { vec![("", "v1")] } else { groups(defs) };
    for (g, v) in gvs {
        let resources: Vec<Value> = defs
            .iter()
            .filter(|d| d.group == g && d.version == v)
            .map(|d| {
                let subs: Vec<Value> = d
                    .subresources
                    .iter()
                    .map(|sub| {
                        let (kind, verbs): (&str, Vec<&str>) = match *sub {
                            "log" => ("Pod", vec!["get"]),
                            "binding" => ("Binding", vec!["create"]),
                            _ => (d.kind, vec!["get", "patch", "update"]),
                        };
                        json!({"subresource": sub, "responseKind": {"group": g, "version": v, "kind": kind}, "verbs": verbs})
                    })
                    .collect();
                json!({"resource": d.plural, "responseKind": {"group": g, "version": v, "kind": d.kind},
                    "scope": if d.namespaced { "Namespaced" } else { "Cluster" },
                    "singularResource": d.kind.to_lowercase(), "verbs": verbs(d), "shortNames": d.short,
                    "subresources": subs})
            })
            .collect();
        items.push(json!({"metadata": {"name": g, "creationTimestamp": null},
            "versions": [{"version": v, "resources": resources, "freshness": "Current"}]}));
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {}, "items": items})
}
