//! Defaulting and validation of objects, worded as the real API server words them.

use crate::quantity::{QUANTITY_ERROR, parse_milli};
use crate::resources::ResDef;
use crate::status::{ApiError, Cause};
use serde_json::{Value, json};

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const ENV_MSG: &str = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// DNS-1123 subdomain problems of `s` (empty when valid).
pub fn subdomain_errors(s: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if s.len() > 253 {
        out.push("must be no more than 253 characters");
    }
    if !s.split('.').all(is_label) {
        out.push(SUBDOMAIN_MSG);
    }
    out
}

/// DNS-1123 label problems of `s`.
pub fn label_errors(s: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters");
    }
    if !is_label(s) {
        out.push(LABEL_MSG);
    }
    out
}

fn dns1035_errors(s: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if s.len() > 63 {
        out.push("must be no more than 63 characters");
    }
    if !is_label(s) || !s.as_bytes()[0].is_ascii_lowercase() {
        out.push(DNS1035_MSG);
    }
    out
}

fn is_qname_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Problems of a label or annotation key (optional DNS prefix, `/`, name).
pub fn qualified_name_errors(key: &str) -> Vec<String> {
    let parts: Vec<&str> = key.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => {
            return vec!["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".to_owned()];
        }
    };
    let mut out = Vec::new();
    if let Some(p) = prefix {
        if p.is_empty() {
            out.push("prefix part must be non-empty".to_owned());
        } else {
            out.extend(
                subdomain_errors(p)
                    .into_iter()
                    .map(|m| format!("prefix part {m}")),
            );
        }
    }
    if name.is_empty() {
        out.push("name part must be non-empty".to_owned());
    } else {
        if name.len() > 63 {
            out.push("name part must be no more than 63 characters".to_owned());
        }
        if !is_qname_part(name) {
            out.push(QNAME_MSG.to_owned());
        }
    }
    out
}

/// Problems of a label value.
pub fn label_value_errors(v: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    if v.len() > 63 {
        out.push("must be no more than 63 characters");
    }
    if !v.is_empty() && !is_qname_part(v) {
        out.push(LABEL_VALUE_MSG);
    }
    out
}

fn is_config_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && k != "."
        && k != ".."
}

fn is_env_name(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Fills in the defaults the real server's defaulting sets (the ones clients read back).
pub fn default(def: &ResDef, obj: &mut Value) -> Result<(), ApiError> {
    match def.kind {
        "Pod" => default_pod(obj),
        "Secret" => {
            if obj.get("type").is_none() {
                obj["type"] = json!("Opaque");
            }
            if let Some(Value::Object(sd)) =
                obj.as_object_mut().and_then(|o| o.remove("stringData"))
            {
                for (k, v) in sd {
                    obj["data"][k] =
                        json!(crate::util::b64_encode(v.as_str().unwrap_or("").as_bytes()));
                }
            }
            for (k, v) in obj
                .get("data")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if v.as_str().and_then(crate::util::b64_decode).is_none() {
                    return Err(ApiError::bad_request(format!(
                        "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at key {k:?}"
                    )));
                }
            }
            Ok(())
        }
        "Service" => {
            let spec = &mut obj["spec"];
            if spec.get("type").is_none() {
                spec["type"] = json!("ClusterIP");
            }
            if spec.get("sessionAffinity").is_none() {
                spec["sessionAffinity"] = json!("None");
            }
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports {
                    if p.get("protocol").is_none() {
                        p["protocol"] = json!("TCP");
                    }
                    if p.get("targetPort").is_none() {
                        p["targetPort"] = p.get("port").cloned().unwrap_or(Value::Null);
                    }
                }
            }
            Ok(())
        }
        "Namespace" => {
            obj["status"] = json!({"phase": "Active"});
            Ok(())
        }
        _ => Ok(()),
    }
}

fn default_pod(obj: &mut Value) -> Result<(), ApiError> {
    let spec = &mut obj["spec"];
    if !spec.is_object() {
        return Ok(());
    }
    for (k, v) in [
        ("restartPolicy", json!("Always")),
        ("schedulerName", json!("default-scheduler")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("serviceAccountName", json!("default")),
        ("priority", json!(0)),
        ("enableServiceLinks", json!(true)),
        ("securityContext", json!({})),
    ] {
        if spec.get(k).is_none() {
            spec[k] = v;
        }
    }
    for list in ["containers", "initContainers"] {
        let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in cs {
            if c.get("terminationMessagePath").is_none() {
                c["terminationMessagePath"] = json!("/dev/termination-log");
            }
            if c.get("terminationMessagePolicy").is_none() {
                c["terminationMessagePolicy"] = json!("File");
            }
            if c.get("imagePullPolicy").is_none() {
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                let tag = image
                    .rsplit_once(':')
                    .map(|(_, t)| t)
                    .filter(|t| !t.contains('/'));
                let latest = tag.is_none_or(|t| t == "latest") && !image.contains('@');
                c["imagePullPolicy"] = json!(if latest { "Always" } else { "IfNotPresent" });
            }
            // Every quantity must parse (a decode error, 400, on the real server).
            for part in ["requests", "limits"] {
                for (_, q) in c
                    .pointer(&format!("/resources/{part}"))
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let text = match q {
                        Value::String(t) => t.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => String::new(),
                    };
                    if parse_milli(&text).is_none() {
                        return Err(ApiError::bad_request(format!(
                            "Pod in version \"v1\" cannot be handled as a Pod: {QUANTITY_ERROR}"
                        )));
                    }
                }
            }
            // Requests default to limits.
            let limits = c
                .pointer("/resources/limits")
                .and_then(Value::as_object)
                .cloned();
            for (k, v) in limits.into_iter().flatten() {
                if c.pointer(&format!("/resources/requests/{}", k.replace('/', "~1")))
                    .is_none()
                {
                    c["resources"]["requests"][k] = v;
                }
            }
        }
    }
    if obj.get("status").is_none_or(|s| s.get("phase").is_none()) {
        let qos = qos_class(obj);
        obj["status"] = json!({"phase": "Pending", "qosClass": qos});
    }
    Ok(())
}

/// Guaranteed when every container's cpu and memory limits equal its
/// requests, BestEffort when nothing is asked, Burstable otherwise.
fn qos_class(pod: &Value) -> &'static str {
    let containers = arr(pod, "/spec/containers");
    let any = containers.iter().any(|c| {
        ["requests", "limits"].iter().any(|p| {
            c.pointer(&format!("/resources/{p}"))
                .and_then(Value::as_object)
                .is_some_and(|m| m.contains_key("cpu") || m.contains_key("memory"))
        })
    });
    let guaranteed = !containers.is_empty()
        && containers.iter().all(|c| {
            ["cpu", "memory"].iter().all(|r| {
                let lim = c.pointer(&format!("/resources/limits/{r}"));
                lim.is_some() && c.pointer(&format!("/resources/requests/{r}")) == lim
            })
        });
    if guaranteed {
        "Guaranteed"
    } else if any {
        "Burstable"
    } else {
        "BestEffort"
    }
}

/// Validates a new or updated object; `old` is the stored object on update.
pub fn validate(def: &ResDef, obj: &Value, old: Option<&Value>) -> Result<(), ApiError> {
    let name = s(obj, "/metadata/name").unwrap_or("");
    let mut c: Vec<Cause> = Vec::new();
    validate_meta(def, obj, &mut c);
    match def.kind {
        "Pod" => {
            validate_pod_spec(obj.get("spec").unwrap_or(&Value::Null), "spec", &mut c);
            if let Some(old) = old {
                validate_pod_update(obj, old, &mut c);
            }
        }
        "ConfigMap" | "Secret" => validate_data(def.kind, obj, &mut c),
        "Service" => validate_service(obj, &mut c),
        _ => {}
    }
    if c.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(def.group, def.kind, name, &c))
    }
}

fn validate_meta(def: &ResDef, obj: &Value, c: &mut Vec<Cause>) {
    let name = s(obj, "/metadata/name").unwrap_or("");
    if name.is_empty() {
        c.push(Cause::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        let errs = match def.kind {
            "Namespace" => label_errors(name),
            "Service" => dns1035_errors(name),
            _ => subdomain_errors(name),
        };
        for e in errs {
            c.push(Cause::invalid("metadata.name", name, e));
        }
    }
    for (k, v) in obj
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for e in qualified_name_errors(k) {
            c.push(Cause::invalid("metadata.labels", k, &e));
        }
        let v = v.as_str().unwrap_or("");
        for e in label_value_errors(v) {
            c.push(Cause::invalid("metadata.labels", v, e));
        }
    }
    let mut total = 0;
    for (k, v) in obj
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for e in qualified_name_errors(&k.to_lowercase()) {
            c.push(Cause::invalid("metadata.annotations", k, &e));
        }
        total += k.len() + v.as_str().map_or(0, str::len);
    }
    if total > 256 * 1024 {
        c.push(Cause::too_long("metadata.annotations", 256 * 1024));
    }
    let refs = arr(obj, "/metadata/ownerReferences");
    let mut controllers = 0;
    for r in refs {
        for (field, what) in [
            ("apiVersion", "version"),
            ("kind", "kind"),
            ("name", "name"),
            ("uid", "uid"),
        ] {
            let v = r.get(field).and_then(Value::as_str).unwrap_or("");
            let v = if field == "apiVersion" {
                v.rsplit('/').next().unwrap_or("")
            } else {
                v
            };
            if v.is_empty() {
                c.push(Cause::invalid(
                    format!("metadata.ownerReferences.{field}"),
                    "",
                    &format!("{what} must not be empty"),
                ));
            }
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            controllers += 1;
        }
    }
    if controllers > 1 {
        c.push(Cause::invalid(
            "metadata.ownerReferences",
            "",
            "Only one reference can have Controller set to true",
        ));
    }
}

fn validate_data(kind: &str, obj: &Value, c: &mut Vec<Cause>) {
    let mut total = 0usize;
    for part in ["data", "binaryData"] {
        for (k, v) in obj
            .get(part)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if !is_config_key(k) {
                c.push(Cause::invalid(format!("{part}[{k}]"), k, CONFIG_KEY_MSG));
            } else if k.len() > 253 {
                c.push(Cause::invalid(
                    format!("{part}[{k}]"),
                    k,
                    "must be no more than 253 characters",
                ));
            }
            let len = v.as_str().map_or(0, str::len);
            total += if kind == "Secret" || part == "binaryData" {
                len / 4 * 3
            } else {
                len
            };
        }
    }
    if total > 1024 * 1024 {
        c.push(Cause::too_long(
            if kind == "Secret" { "data" } else { "[]" },
            1024 * 1024,
        ));
    }
}

fn validate_service(obj: &Value, c: &mut Vec<Cause>) {
    let headless = s(obj, "/spec/clusterIP") == Some("None");
    let ports = arr(obj, "/spec/ports");
    if ports.is_empty() && !headless && s(obj, "/spec/type") != Some("ExternalName") {
        c.push(Cause::required("spec.ports", ""));
    }
    let mut names = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let f = format!("spec.ports[{i}]");
        let name = p.get("name").and_then(Value::as_str).unwrap_or("");
        if ports.len() > 1 && name.is_empty() {
            c.push(Cause::required(format!("{f}.name"), ""));
        } else if !name.is_empty() {
            for e in label_errors(name) {
                c.push(Cause::invalid(format!("{f}.name"), name, e));
            }
            if names.contains(&name) {
                c.push(Cause::duplicate(format!("{f}.name"), name));
            }
            names.push(name);
        }
        let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
        if !(1..=65535).contains(&port) {
            c.push(Cause::invalid_num(
                format!("{f}.port"),
                port,
                "must be between 1 and 65535, inclusive",
            ));
        }
        let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
        if !matches!(proto, "TCP" | "UDP" | "SCTP") {
            c.push(Cause::not_supported(
                format!("{f}.protocol"),
                proto,
                &["SCTP", "TCP", "UDP"],
            ));
        }
    }
    for (k, v) in obj
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for e in qualified_name_errors(k) {
            c.push(Cause::invalid("spec.selector", k, &e));
        }
        let v = v.as_str().unwrap_or("");
        for e in label_value_errors(v) {
            c.push(Cause::invalid("spec.selector", v, e));
        }
    }
}

fn is_extended(res: &str) -> bool {
    res.contains('/') && !res.starts_with("kubernetes.io/") && !res.starts_with("requests.")
}

fn validate_pod_spec(spec: &Value, f: &str, c: &mut Vec<Cause>) {
    let containers = arr(spec, "/containers");
    if containers.is_empty() {
        c.push(Cause::required(format!("{f}.containers"), ""));
    }
    let volumes = arr(spec, "/volumes");
    let mut vol_names = Vec::new();
    for (i, v) in volumes.iter().enumerate() {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("");
        let vf = format!("{f}.volumes[{i}].name");
        if name.is_empty() {
            c.push(Cause::required(vf, ""));
        } else {
            for e in label_errors(name) {
                c.push(Cause::invalid(vf.clone(), name, e));
            }
            if vol_names.contains(&name) {
                c.push(Cause::duplicate(vf, name));
            }
            vol_names.push(name);
        }
    }
    let mut names = Vec::new();
    for (list, field) in [
        ("/containers", "containers"),
        ("/initContainers", "initContainers"),
    ] {
        for (i, ctr) in arr(spec, list).iter().enumerate() {
            let cf = format!("{f}.{field}[{i}]");
            validate_container(ctr, &cf, &vol_names, &mut names, c);
        }
    }
    let rp = s(spec, "/restartPolicy").unwrap_or("Always");
    if !matches!(rp, "Always" | "OnFailure" | "Never") {
        c.push(Cause::not_supported(
            format!("{f}.restartPolicy"),
            rp,
            &["Always", "OnFailure", "Never"],
        ));
    }
    for field in ["hostname", "subdomain"] {
        if let Some(h) = s(spec, &format!("/{field}")) {
            for e in label_errors(h) {
                c.push(Cause::invalid(format!("{f}.{field}"), h, e));
            }
        }
    }
    if let Some(d) = spec.get("activeDeadlineSeconds") {
        let n = d.as_i64().unwrap_or(0);
        if !(1..=i64::from(i32::MAX)).contains(&n) {
            c.push(Cause::invalid_num(
                format!("{f}.activeDeadlineSeconds"),
                n,
                "must be between 1 and 2147483647, inclusive",
            ));
        }
    }
    for (k, v) in spec
        .get("nodeSelector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for e in qualified_name_errors(k) {
            c.push(Cause::invalid(format!("{f}.nodeSelector"), k, &e));
        }
        let v = v.as_str().unwrap_or("");
        for e in label_value_errors(v) {
            c.push(Cause::invalid(format!("{f}.nodeSelector"), v, e));
        }
    }
    for (i, t) in arr(spec, "/tolerations").iter().enumerate() {
        let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
        if !matches!(op, "Equal" | "Exists") {
            c.push(Cause::not_supported(
                format!("{f}.tolerations[{i}].operator"),
                op,
                &["Equal", "Exists"],
            ));
        }
        let eff = t.get("effect").and_then(Value::as_str).unwrap_or("");
        if !matches!(eff, "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            c.push(Cause::not_supported(
                format!("{f}.tolerations[{i}].effect"),
                eff,
                &["NoExecute", "NoSchedule", "PreferNoSchedule"],
            ));
        }
    }
}

fn validate_container<'a>(
    ctr: &'a Value,
    cf: &str,
    vols: &[&str],
    names: &mut Vec<&'a str>,
    c: &mut Vec<Cause>,
) {
    let name = ctr.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        c.push(Cause::required(format!("{cf}.name"), ""));
    } else {
        for e in label_errors(name) {
            c.push(Cause::invalid(format!("{cf}.name"), name, e));
        }
        if names.contains(&name) {
            c.push(Cause::duplicate(format!("{cf}.name"), name));
        }
        names.push(name);
    }
    if ctr
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .is_empty()
    {
        c.push(Cause::required(format!("{cf}.image"), ""));
    }
    for (j, e) in arr(ctr, "/env").iter().enumerate() {
        let n = e.get("name").and_then(Value::as_str).unwrap_or("");
        if n.is_empty() {
            c.push(Cause::required(format!("{cf}.env[{j}].name"), ""));
        } else if !is_env_name(n) {
            c.push(Cause::invalid(format!("{cf}.env[{j}].name"), n, ENV_MSG));
        }
    }
    for (j, m) in arr(ctr, "/volumeMounts").iter().enumerate() {
        let n = m.get("name").and_then(Value::as_str).unwrap_or("");
        if !vols.contains(&n) {
            c.push(Cause::not_found(format!("{cf}.volumeMounts[{j}].name"), n));
        }
        if m.get("mountPath")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            c.push(Cause::required(
                format!("{cf}.volumeMounts[{j}].mountPath"),
                "",
            ));
        }
    }
    let requests = ctr
        .pointer("/resources/requests")
        .and_then(Value::as_object);
    let limits = ctr.pointer("/resources/limits").and_then(Value::as_object);
    let q = |v: &Value| match v {
        Value::String(t) => (t.clone(), parse_milli(t)),
        other => (other.to_string(), parse_milli(&other.to_string())),
    };
    for (part, map) in [("requests", requests), ("limits", limits)] {
        for (k, v) in map.into_iter().flatten() {
            let (text, val) = q(v);
            if val.is_some_and(|x| x < 0) {
                c.push(Cause::invalid(
                    format!("{cf}.resources.{part}[{k}]"),
                    &text,
                    "must be greater than or equal to 0",
                ));
            }
            if is_extended(k) && val.is_some_and(|x| x % 1000 != 0) {
                c.push(Cause::invalid(
                    format!("{cf}.resources.{part}[{k}]"),
                    &text,
                    "must be an integer",
                ));
            }
        }
    }
    for (k, v) in requests.into_iter().flatten() {
        let (text, req) = q(v);
        let lim = limits.and_then(|l| l.get(k)).map(q);
        if is_extended(k) {
            match lim {
                None => c.push(Cause::required(
                    format!("{cf}.resources.limits"),
                    "Limit must be set for non overcommitable resources",
                )),
                Some((lt, l)) if l != req => c.push(Cause::invalid(
                    format!("{cf}.resources.requests[{k}]"),
                    &text,
                    &format!("must be equal to {k} limit of {lt}"),
                )),
                Some(_) => {}
            }
        } else if let Some((lt, l)) = lim
            && req > l
        {
            c.push(Cause::invalid(
                format!("{cf}.resources.requests[{k}]"),
                &text,
                &format!("must be less than or equal to {k} limit of {lt}"),
            ));
        }
    }
}

/// Only these pod spec fields may change on update (schedulingGates may only shrink).
fn validate_pod_update(new: &Value, old: &Value, c: &mut Vec<Cause>) {
    let strip = |v: &Value| {
        let mut spec = v.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(o) = spec.as_object_mut() {
            o.remove("activeDeadlineSeconds");
            o.remove("tolerations");
            o.remove("schedulingGates");
            o.remove("terminationGracePeriodSeconds");
            if let Some(n) = o.get("nodeName").and_then(Value::as_str)
                && n.is_empty()
            {
                o.remove("nodeName");
            }
        }
        for list in ["containers", "initContainers"] {
            if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
                for ctr in cs {
                    if let Some(o) = ctr.as_object_mut() {
                        o.remove("image");
                    }
                }
            }
        }
        spec
    };
    if strip(new) != strip(old) {
        c.push(Cause::forbidden(
            "spec",
            "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        ));
    }
    let gates = |v: &Value| -> Vec<Value> { arr(v, "/spec/schedulingGates").to_vec() };
    let (ng, og) = (gates(new), gates(old));
    if ng.iter().any(|g| !og.contains(g)) {
        c.push(Cause::forbidden(
            "spec.schedulingGates",
            "only deletion is allowed, but found new scheduling gate",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        let cases = [
            ("ok", true, true),
            ("a.b-c", true, false),
            ("Bad_Name", false, false),
            ("-x", false, false),
            ("x-", false, false),
            ("", false, false),
        ];
        for (n, sub, label) in cases {
            assert_eq!(subdomain_errors(n).is_empty(), sub, "{n}");
            assert_eq!(label_errors(n).is_empty(), label, "{n}");
        }
        assert!(!label_errors(&"a".repeat(64)).is_empty());
        assert!(subdomain_errors(&"a".repeat(253)).is_empty());
        assert!(!subdomain_errors(&"a".repeat(254)).is_empty());
    }

    #[test]
    fn label_keys_and_values() {
        let keys = [
            ("app", true),
            ("sk8.dev/job-id", true),
            ("a/b/c", false),
            ("/x", false),
            ("Example.com/x", false),
            ("x_y.Z", true),
            ("_x", false),
        ];
        for (k, ok) in keys {
            assert_eq!(qualified_name_errors(k).is_empty(), ok, "{k}");
        }
        for (v, ok) in [("", true), ("a-b_c.D", true), ("-a", false), ("a b", false)] {
            assert_eq!(label_value_errors(v).is_empty(), ok, "{v}");
        }
        assert!(!label_value_errors(&"v".repeat(64)).is_empty());
    }
}
