//! API discovery in one request (`/apis`): which groups, versions and resources the server serves.

use serde_json::Value;

/// Aggregated discovery first (1.26+: every resource in one answer), the
/// plain group list for older servers.
const ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// The plural sk8 looks for in each gang group, for servers that answer
/// with the plain group list (no resources): a group served means its
/// resource is.
const GROUP_RESOURCES: &[(&str, &str)] = &[
    ("kueue.x-k8s.io", "workloads"),
    ("scheduling.volcano.sh", "podgroups"),
    ("scheduling.x-k8s.io", "podgroups"),
];

/// `(group, version, plural)` of every resource a `/apis` answer names.
pub(crate) fn served(doc: &Value) -> Vec<(String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut out = Vec::new();
    if doc.get("kind").and_then(Value::as_str) == Some("APIGroupDiscoveryList") {
        for g in doc["items"].as_array().into_iter().flatten() {
            let group = s(&g["metadata"]["name"]);
            for v in g["versions"].as_array().into_iter().flatten() {
                for r in v["resources"].as_array().into_iter().flatten() {
                    out.push((group.clone(), s(&v["version"]), s(&r["resource"])));
                }
            }
        }
    } else {
        for g in doc["groups"].as_array().into_iter().flatten() {
            let group = s(&g["name"]);
            let Some((_, plural)) = GROUP_RESOURCES.iter().find(|(n, _)| *n == group) else {
                continue;
            };
            for v in g["versions"].as_array().into_iter().flatten() {
                out.push((group.clone(), s(&v["version"]), (*plural).to_string()));
            }
        }
    }
    out
}

/// The `Accept` header of the discovery request.
pub(crate) fn accept() -> &'static str {
    ACCEPT
}

/// The kubeconfig's current context, if any.
fn current_context() -> Option<kube::config::Context> {
    let kc = kube::config::Kubeconfig::read().ok()?;
    let current = kc.current_context.as_deref()?;
    kc.contexts
        .into_iter()
        .find(|c| c.name == current)
        .and_then(|c| c.context)
}

/// The kubeconfig's current context's user name, if any.
pub(crate) fn kubeconfig_user() -> Option<String> {
    current_context()
        .and_then(|c| c.user)
        .filter(|u| !u.is_empty())
}

/// The kubeconfig's current context's namespace, if any: read from the
/// file alone, without reaching the cluster (`sk8 render --provider`).
pub fn kubeconfig_namespace() -> Option<String> {
    current_context()
        .and_then(|c| c.namespace)
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aggregated_and_plain() {
        let aggregated = json!({
            "kind": "APIGroupDiscoveryList",
            "items": [
                {"metadata": {"name": "scheduling.volcano.sh"},
                 "versions": [{"version": "v1beta1", "resources": [
                     {"resource": "podgroups"}, {"resource": "queues"}]}]},
                {"metadata": {"name": "apps"},
                 "versions": [{"version": "v1", "resources": [{"resource": "deployments"}]}]}
            ]
        });
        let plain = json!({
            "kind": "APIGroupList",
            "groups": [
                {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}]},
                {"name": "kueue.x-k8s.io", "versions": [
                    {"version": "v1beta1"}, {"version": "v1alpha1"}]}
            ]
        });
        let t = |g: &str, v: &str, r: &str| (g.to_string(), v.to_string(), r.to_string());
        let cases = [
            (
                aggregated,
                vec![
                    t("scheduling.volcano.sh", "v1beta1", "podgroups"),
                    t("scheduling.volcano.sh", "v1beta1", "queues"),
                    t("apps", "v1", "deployments"),
                ],
            ),
            (
                plain,
                vec![
                    t("kueue.x-k8s.io", "v1beta1", "workloads"),
                    t("kueue.x-k8s.io", "v1alpha1", "workloads"),
                ],
            ),
            (json!({}), vec![]),
        ];
        for (doc, want) in cases {
            assert_eq!(served(&doc), want);
        }
    }
}
