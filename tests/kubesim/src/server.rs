//! The HTTP side: routing, the verbs, watches and log streams, and the 50 ms
//! loop that runs the garbage collector, the scheduler and the kubelet.

use crate::patch::{json_patch, merge};
use crate::resources::{
    ResDef, aggregated, api_version, group_list, openapi_doc, openapi_index, resource_list,
};
use crate::select::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::{DeleteOpts, Deleted, Event, State, finalizers_empty, name_of, ns_of};
use crate::util::{b64_decode, b64_encode, now_rfc3339, parse_query};
use crate::validate::{default, validate};
use crate::{Shared, SimProvider, kubelet, lock, sched};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Bytes, Frame, Incoming};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};

type Body = BoxBody<Bytes, Infallible>;

/// How often the scheduler, kubelet and garbage collector run.
const TICK: Duration = Duration::from_millis(50);

/// Serves until `stop` fires.
pub async fn run(listener: std::net::TcpListener, state: Shared, mut stop: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let bg = Arc::clone(&state);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK);
        loop {
            every.tick().await;
            let mut st = lock(&bg);
            // Garbage collection and scheduling depend only on the stored
            // objects: when none changed since they last ran (their own
            // writes included), they would find nothing new to do.
            if st.rv != st.settled_rv {
                let before = st.rv;
                st.collect_garbage();
                sched::tick(&mut st);
                if st.rv == before {
                    st.settled_rv = before;
                }
            }
            kubelet::tick(&mut st);
        }
    });
    loop {
        tokio::select! {
            _ = &mut stop => break,
            acc = listener.accept() => {
                let Ok((tcp, _)) = acc else { continue };
                let st = Arc::clone(&state);
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| handle(Arc::clone(&st), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        }
    }
}

/// A response body fed from a channel (watches, followed logs).
struct ChanBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChanBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

struct Watch {
    initial: Vec<Bytes>,
    done: bool,
    rx: broadcast::Receiver<Arc<Event>>,
    plural: &'static str,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    timeout: Duration,
}

impl Watch {
    fn matches(&self, ev: &Event) -> bool {
        ev.plural == self.plural
            && self.ns.as_deref().is_none_or(|n| n == ns_of(&ev.object))
            && self.labels.matches(&ev.object)
            && self.fields.matches(&ev.object)
    }
}

enum Reply {
    Json(u16, Value),
    /// JSON with its own content type (aggregated discovery).
    JsonAs(String, Value),
    Text(u16, String),
    Watch(Box<Watch>),
    Follow {
        path: PathBuf,
        uid: String,
        container: String,
    },
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Self {
        Reply::Json(e.code, e.to_json())
    }
}

fn event_line(kind: &str, obj: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": obj})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

fn full(code: u16, ctype: &str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(http_body_util::Full::new(Bytes::from(body)).boxed());
    *r.status_mut() =
        hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = ctype.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn streaming(ctype: &str, rx: mpsc::Receiver<Bytes>) -> Response<Body> {
    let mut r = Response::new(BodyExt::boxed(ChanBody(rx)));
    if let Ok(v) = ctype.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

async fn handle(state: Shared, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let bytes = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let reply = {
        let mut st = lock(&state);
        dispatch(&mut st, &parts, &bytes)
    };
    Ok(match reply {
        Reply::Json(code, v) => full(
            code,
            "application/json",
            serde_json::to_vec(&v).unwrap_or_default(),
        ),
        Reply::JsonAs(ctype, v) => full(200, &ctype, serde_json::to_vec(&v).unwrap_or_default()),
        Reply::Text(code, s) => full(code, "text/plain", s.into_bytes()),
        Reply::Watch(w) => {
            let (tx, rx) = mpsc::channel(256);
            tokio::spawn(forward_watch(*w, tx));
            streaming("application/json", rx)
        }
        Reply::Follow {
            path,
            uid,
            container,
        } => {
            let (tx, rx) = mpsc::channel(64);
            tokio::spawn(follow_log(state, path, uid, container, tx));
            streaming("text/plain", rx)
        }
    })
}

async fn forward_watch(mut w: Watch, tx: mpsc::Sender<Bytes>) {
    for line in std::mem::take(&mut w.initial) {
        if tx.send(line).await.is_err() {
            return;
        }
    }
    if w.done {
        return;
    }
    let deadline = tokio::time::sleep(w.timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return,
            () = tx.closed() => return,
            ev = w.rx.recv() => match ev {
                Ok(ev) => {
                    if w.matches(&ev) && tx.send(event_line(ev.kind, &ev.object)).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let gone = ApiError::new(410, "Expired", "too old resource version: the watch fell behind");
                    let _ = tx.send(event_line("ERROR", &gone.to_json())).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

fn read_from(path: &PathBuf, off: &mut u64) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path)
        && f.seek(SeekFrom::Start(*off)).is_ok()
    {
        let _ = f.read_to_end(&mut buf);
    }
    *off += buf.len() as u64;
    buf
}

async fn follow_log(
    state: Shared,
    path: PathBuf,
    uid: String,
    container: String,
    tx: mpsc::Sender<Bytes>,
) {
    let mut off = 0;
    loop {
        let running = {
            let st = lock(&state);
            kubelet::log_of(&st, &uid, &container).is_ok_and(|(_, r)| r)
        };
        let data = read_from(&path, &mut off);
        if !data.is_empty() && tx.send(Bytes::from(data)).await.is_err() {
            return;
        }
        if !running {
            let rest = read_from(&path, &mut off);
            if !rest.is_empty() {
                let _ = tx.send(Bytes::from(rest)).await;
            }
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(TICK) => {}
            () = tx.closed() => return,
        }
    }
}

fn version() -> Value {
    json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0-sk8-kubesim", "gitCommit": "sk8-kubesim",
        "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
        "platform": "linux/amd64"})
}

fn q<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn dispatch(st: &mut State, parts: &Parts, body: &[u8]) -> Reply {
    let path = parts.uri.path();
    let query = parse_query(parts.uri.query().unwrap_or(""));
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let public = matches!(
        segs.as_slice(),
        ["version"] | ["healthz"] | ["readyz"] | ["livez"]
    );
    // A bearer token is required; client-go (kubectl) never sends one over
    // plain HTTP, so kubectl without any Authorization header is let in.
    let token_ok = parts
        .headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty())
        || (parts.headers.get(hyper::header::AUTHORIZATION).is_none()
            && parts
                .headers
                .get(hyper::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ua| ua.starts_with("kubectl/")));
    // Aggregated discovery when the client asks for it (v2, else v2beta1).
    let accept = parts
        .headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let agg = ["v2", "v2beta1"].into_iter().find(|v| {
        accept.split(',').any(|a| {
            let a = a.replace(' ', "");
            a.contains("g=apidiscovery.k8s.io")
                && a.contains(&format!("v={v};"))
                && a.contains("as=APIGroupDiscoveryList")
        })
    });
    let discovery = |core: bool| match agg {
        Some(v) => Reply::JsonAs(
            format!("application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"),
            aggregated(&st.defs, core, v),
        ),
        None if core => Reply::Json(
            200,
            json!({"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
        ),
        None => Reply::Json(200, group_list(&st.defs)),
    };
    // Non-resource paths.
    let nonres = match segs.as_slice() {
        [] => Some(Reply::Json(
            200,
            json!({"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]}),
        )),
        ["version"] => Some(Reply::Json(200, version())),
        ["healthz" | "readyz" | "livez"] => Some(Reply::Text(200, "ok".to_owned())),
        ["openapi", "v3"] => Some(Reply::Json(200, openapi_index(&st.defs))),
        ["openapi", "v3", "api", "v1"] => Some(
            openapi_doc(&st.defs, "", "v1").map_or_else(not_found_path, |v| Reply::Json(200, v)),
        ),
        ["openapi", "v3", "apis", g, v] => {
            Some(openapi_doc(&st.defs, g, v).map_or_else(not_found_path, |v| Reply::Json(200, v)))
        }
        ["api"] => Some(discovery(true)),
        ["api", "v1"] => Some(
            resource_list(&st.defs, "", "v1").map_or_else(not_found_path, |v| Reply::Json(200, v)),
        ),
        ["apis"] => Some(discovery(false)),
        ["apis", g, v] => {
            Some(resource_list(&st.defs, g, v).map_or_else(not_found_path, |v| Reply::Json(200, v)))
        }
        ["api", "v1", ..] | ["apis", _, _, ..] => None,
        _ => Some(not_found_path()),
    };
    if let Some(reply) = nonres {
        st.served
            .push(("get".to_owned(), path.to_owned(), String::new()));
        if !public && !token_ok {
            return unauthorized();
        }
        return reply;
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return not_found_path(),
    };
    let find = |plural: &str| {
        st.defs
            .iter()
            .find(|d| d.group == group && d.version == version && d.plural == plural)
            .copied()
    };
    let (def, ns, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] if find(plural).is_some_and(|d| d.namespaced) => (
            find(plural),
            Some((*ns).to_owned()),
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [plural, tail @ ..] => (
            find(plural),
            None,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [] => (None, None, None, None),
    };
    let Some(def) = def else {
        st.served
            .push(("get".to_owned(), path.to_owned(), group.to_owned()));
        return not_found_path();
    };
    if rest.len() > 5
        || (!def.namespaced && rest.first() == Some(&"namespaces") && def.plural != "namespaces")
    {
        return not_found_path();
    }
    let is_watch = matches!(q(&query, "watch"), Some("true" | "1"));
    let verb = match (&parts.method, name.is_some()) {
        (&Method::GET, false) if is_watch => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, false) => "create",
        (&Method::POST, true) if sub.is_some() => "create",
        (&Method::PUT, true) => "update",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => {
            return ApiError::new(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
            .into();
        }
    };
    let resource = sub.map_or_else(|| def.plural.to_owned(), |s| format!("{}/{s}", def.plural));
    st.served
        .push((verb.to_owned(), resource.clone(), group.to_owned()));
    if !token_ok {
        return unauthorized();
    }
    if let Some(code) = fault(st, verb, &resource) {
        let e = ApiError::new(
            code,
            ApiError::reason_for(code),
            format!("injected fault: {verb} {resource} answers {code}"),
        );
        return e.into();
    }
    if let Some(s) = sub
        && !def.subresources.contains(&s)
    {
        return not_found_path();
    }
    if def.create_only && verb != "create" {
        return ApiError::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({verb})"),
        )
        .into();
    }
    let ns_req = if def.namespaced { ns.clone() } else { None };
    if def.namespaced && ns_req.is_none() && !matches!(verb, "list" | "watch") {
        return not_found_path();
    }
    let nsr = ns_req.clone().unwrap_or_default();
    let name = name.unwrap_or("");
    let ctype = parts
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    if matches!(verb, "create" | "update")
        && !body.is_empty()
        && !ctype.contains("json")
        && !ctype.contains("yaml")
    {
        return ApiError::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {ctype})"),
        )
        .into();
    }
    st.dry_run = q(&query, "dryRun") == Some("All");
    let result = match verb {
        "get" if sub == Some("log") => return pod_log(st, &nsr, name, &query),
        "get" => st
            .get(def.plural, &nsr, name)
            .cloned()
            .map(|v| Reply::Json(200, v))
            .ok_or_else(|| ApiError::not_found(def.group, def.plural, name)),
        "list" => list(st, &def, ns_req.as_deref(), &query),
        "watch" => watch(st, &def, ns_req, &query),
        "create" if sub == Some("binding") => binding(st, &nsr, name, body),
        "create" => create(st, &def, &nsr, body),
        "update" => parse(body).and_then(|new| {
            if name_of(&new) != name {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    name_of(&new)
                )));
            }
            let old = st
                .get(def.plural, &nsr, name)
                .cloned()
                .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
            commit(st, &def, old, new, sub, true)
        }),
        "patch" => patch(st, &def, &nsr, name, sub, &ctype, body),
        "delete" => delete(st, &def, &nsr, name, &query, body),
        _ => delete_collection(st, &def, ns_req.as_deref(), &query, body),
    };
    result.unwrap_or_else(Reply::from)
}

fn not_found_path() -> Reply {
    ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
    .into()
}

fn unauthorized() -> Reply {
    ApiError::new(401, "Unauthorized", "Unauthorized").into()
}

fn fault(st: &mut State, verb: &str, resource: &str) -> Option<u16> {
    for f in &mut st.faults {
        let verb_ok = f.fault.verb == "*" || f.fault.verb == verb;
        let res_ok = f.fault.resource == "*" || f.fault.resource == resource;
        if !(verb_ok && res_ok) {
            continue;
        }
        f.seen += 1;
        if f.seen > f.fault.after && f.fired < f.fault.times {
            f.fired += 1;
            return Some(f.fault.status);
        }
    }
    None
}

fn parse(body: &[u8]) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml: {e}")))?;
    if v.is_object() {
        Ok(v)
    } else {
        Err(ApiError::bad_request(
            "the body of the request must be an object",
        ))
    }
}

fn selectors(
    def: &ResDef,
    query: &[(String, String)],
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q(query, "labelSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(q(query, "fieldSelector").unwrap_or(""), def.kind)
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn list(
    st: &State,
    def: &ResDef,
    ns: Option<&str>,
    query: &[(String, String)],
) -> Result<Reply, ApiError> {
    let (labels, fields) = selectors(def, query)?;
    let after = q(query, "continue")
        .filter(|c| !c.is_empty())
        .map(|c| {
            b64_decode(c)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .ok_or_else(|| ApiError::bad_request("continue key is not valid"))
        })
        .transpose()?;
    let limit = q(query, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut items: Vec<&Value> = if def.drop {
        Vec::new()
    } else {
        st.list(def.plural, ns)
    };
    items.retain(|o| labels.matches(o) && fields.matches(o));
    let key = |o: &Value| format!("{}/{}", ns_of(o), name_of(o));
    if let Some(after) = &after {
        items.retain(|o| key(o) > *after);
    }
    let mut meta = json!({"resourceVersion": st.rv.to_string()});
    if let Some(limit) = limit
        && items.len() > limit
    {
        meta["remainingItemCount"] = json!(items.len() - limit);
        items.truncate(limit);
        meta["continue"] = json!(b64_encode(key(items[limit - 1]).as_bytes()));
    }
    Ok(Reply::Json(
        200,
        json!({"kind": format!("{}List", def.kind), "apiVersion": api_version(def), "metadata": meta, "items": items}),
    ))
}

fn watch(
    st: &State,
    def: &ResDef,
    ns: Option<String>,
    query: &[(String, String)],
) -> Result<Reply, ApiError> {
    let (labels, fields) = selectors(def, query)?;
    let rx = st.tx.subscribe();
    // Unset or 0: the server's own limit (30 minutes).
    let timeout = q(query, "timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .unwrap_or(1800);
    let mut w = Watch {
        initial: Vec::new(),
        done: false,
        rx,
        plural: def.plural,
        ns,
        labels,
        fields,
        timeout: Duration::from_secs(timeout),
    };
    let rv = q(query, "resourceVersion").unwrap_or("");
    let initial_events = q(query, "sendInitialEvents") == Some("true");
    if rv.is_empty() || rv == "0" || initial_events {
        for o in st.list(def.plural, w.ns.as_deref()) {
            if w.labels.matches(o) && w.fields.matches(o) {
                w.initial.push(event_line("ADDED", o));
            }
        }
        if initial_events {
            let mark = json!({"kind": def.kind, "apiVersion": api_version(def), "metadata": {
                "resourceVersion": st.rv.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
            w.initial.push(event_line("BOOKMARK", &mark));
        }
    } else {
        let from: u64 = rv
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))?;
        let oldest = st.log.front().map_or(st.rv, |e| e.rv);
        if from + 1 < oldest && st.log.len() >= crate::store::EVENT_LOG {
            let gone = ApiError::new(
                410,
                "Expired",
                format!("too old resource version: {from} ({})", oldest - 1),
            );
            w.initial.push(event_line("ERROR", &gone.to_json()));
            w.done = true;
            return Ok(Reply::Watch(Box::new(w)));
        }
        for ev in st.log.iter().filter(|e| e.rv > from) {
            if w.matches(ev) {
                w.initial.push(event_line(ev.kind, &ev.object));
            }
        }
    }
    Ok(Reply::Watch(Box::new(w)))
}

fn create(st: &mut State, def: &ResDef, ns: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let mut obj = parse(body)?;
    if let Some(k) = obj.get("kind").and_then(Value::as_str)
        && k != def.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the body ({k}) does not match the resource ({})",
            def.kind
        )));
    }
    obj["apiVersion"] = json!(api_version(def));
    obj["kind"] = json!(def.kind);
    match def.plural {
        "selfsubjectreviews" => {
            let user = st.cfg.user.clone();
            return Ok(Reply::Json(
                201,
                json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
                    "metadata": {"creationTimestamp": now_rfc3339()},
                    "status": {"userInfo": {"username": user, "groups": ["system:authenticated"]}}}),
            ));
        }
        "selfsubjectaccessreviews" => {
            let attrs = obj
                .pointer("/spec/resourceAttributes")
                .cloned()
                .unwrap_or(Value::Null);
            let get = |k: &str| {
                attrs
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let (verb, res, sub) = (get("verb"), get("resource"), get("subresource"));
            let full = if sub.is_empty() {
                res.clone()
            } else {
                format!("{res}/{sub}")
            };
            let denied = !attrs.is_null()
                && st.cfg.denied.iter().any(|(v, r)| {
                    (v == "*" || *v == verb) && (r == "*" || *r == res || *r == full)
                });
            obj["status"] = if denied {
                json!({"allowed": false, "denied": true, "reason": format!("sk8-kubesim denies {verb} {full}")})
            } else {
                json!({"allowed": true, "reason": "sk8-kubesim allows it"})
            };
            obj["metadata"] = json!({"creationTimestamp": now_rfc3339()});
            return Ok(Reply::Json(201, obj));
        }
        _ => {}
    }
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    if def.namespaced {
        if let Some(bns) = obj.pointer("/metadata/namespace").and_then(Value::as_str)
            && !bns.is_empty()
            && bns != ns
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        obj["metadata"]["namespace"] = json!(ns);
    } else if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("namespace");
    }
    if let Some(m) = obj["metadata"].as_object_mut() {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
            "managedFields",
        ] {
            m.remove(k);
        }
    }
    if name_of(&obj).is_empty()
        && let Some(gen_name) = obj
            .pointer("/metadata/generateName")
            .and_then(Value::as_str)
            .map(str::to_owned)
    {
        let mut name = format!("{gen_name}{}", st.name_suffix());
        while st.get(def.plural, ns, &name).is_some() {
            name = format!("{gen_name}{}", st.name_suffix());
        }
        obj["metadata"]["name"] = json!(name);
    }
    if def.subresources.contains(&"status")
        && !matches!(def.kind, "Node" | "Namespace")
        && let Some(m) = obj.as_object_mut()
    {
        m.remove("status");
    }
    if def.kind == "Pod"
        && st.cfg.provider == SimProvider::Kueue
        && crate::select::labels_of(&obj).contains_key("kueue.x-k8s.io/queue-name")
    {
        // Kueue's pod webhook: gate the pod until its Workload is admitted.
        let spec = &mut obj["spec"];
        if spec.is_object() {
            let mut gates = spec
                .get("schedulingGates")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if !gates
                .iter()
                .any(|g| g.get("name").and_then(Value::as_str) == Some(sched::KUEUE_GATE))
            {
                gates.push(json!({"name": sched::KUEUE_GATE}));
            }
            spec["schedulingGates"] = json!(gates);
        }
    }
    default(def, &mut obj)?;
    validate(def, &obj, None)?;
    let name = name_of(&obj).to_owned();
    if def.namespaced && st.get("namespaces", "", ns).is_none() {
        return Err(ApiError::not_found("", "namespaces", ns));
    }
    if def.drop {
        obj["metadata"]["uid"] = json!(st.uid());
        obj["metadata"]["creationTimestamp"] = json!(now_rfc3339());
        obj["metadata"]["resourceVersion"] = json!(st.rv.to_string());
        return Ok(Reply::Json(201, obj));
    }
    if st.get(def.plural, ns, &name).is_some() {
        return Err(ApiError::already_exists(def.group, def.plural, &name));
    }
    obj["metadata"]["uid"] = json!(st.uid());
    obj["metadata"]["creationTimestamp"] = json!(now_rfc3339());
    obj["metadata"]["generation"] = json!(1);
    if def.kind == "Service"
        && obj.pointer("/spec/clusterIP").and_then(Value::as_str) != Some("None")
    {
        st.next_cluster_ip += 1;
        let n = st.next_cluster_ip;
        let ip = format!("10.96.{}.{}", n / 254 % 256, n % 254 + 1);
        obj["spec"]["clusterIP"] = json!(ip);
        obj["spec"]["clusterIPs"] = json!([ip]);
    } else if def.kind == "Service" {
        obj["spec"]["clusterIPs"] = json!(["None"]);
    }
    if st.dry_run {
        obj["metadata"]["resourceVersion"] = json!(st.rv.to_string());
        return Ok(Reply::Json(201, obj));
    }
    Ok(Reply::Json(201, st.insert(def.plural, obj)))
}

fn strip_meta_status(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

/// The shared tail of update and patch: optimistic concurrency, immutable
/// metadata, status kept apart from the main resource, validation.
fn commit(
    st: &mut State,
    def: &ResDef,
    old: Value,
    new: Value,
    sub: Option<&str>,
    require_rv: bool,
) -> Result<Reply, ApiError> {
    let name = name_of(&old).to_owned();
    let old_rv = old
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let body_rv = new
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    // Custom resources need a resourceVersion on update; built-in kinds allow
    // unconditional updates, as on the real server.
    let custom = def.group.ends_with(".x-k8s.io") || def.group.ends_with(".volcano.sh");
    if require_rv && body_rv.is_empty() && custom {
        let cause = crate::status::Cause {
            reason: "FieldValueInvalid",
            message: "Invalid value: 0x0: must be specified for an update".to_owned(),
            field: "metadata.resourceVersion".to_owned(),
        };
        return Err(ApiError::invalid(def.group, def.kind, &name, &[cause]));
    }
    if !body_rv.is_empty() && body_rv != old_rv {
        return Err(ApiError::conflict(
            def.group,
            def.plural,
            &name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    let mut obj = if sub == Some("status") {
        let mut o = old.clone();
        o["status"] = new.get("status").cloned().unwrap_or(Value::Null);
        o
    } else {
        let mut o = new;
        if !o.get("metadata").is_some_and(Value::is_object) {
            o["metadata"] = json!({});
        }
        for k in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
            "name",
            "resourceVersion",
        ] {
            match old.pointer(&format!("/metadata/{k}")) {
                Some(v) => o["metadata"][k] = v.clone(),
                None => {
                    if let Some(m) = o["metadata"].as_object_mut() {
                        m.remove(k);
                    }
                }
            }
        }
        if def.subresources.contains(&"status") {
            match old.get("status") {
                Some(s) => o["status"] = s.clone(),
                None => {
                    if let Some(m) = o.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        o["apiVersion"] = json!(api_version(def));
        o["kind"] = json!(def.kind);
        if strip_meta_status(&o) != strip_meta_status(&old) {
            let g = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            o["metadata"]["generation"] = json!(g + 1);
        }
        o
    };
    if def.kind != "Namespace" {
        default(def, &mut obj)?;
    }
    validate(def, &obj, Some(&old))?;
    if st.dry_run {
        return Ok(Reply::Json(200, obj));
    }
    if obj.pointer("/metadata/deletionTimestamp").is_some()
        && finalizers_empty(&obj)
        && def.kind != "Pod"
    {
        let ns = ns_of(&obj).to_owned();
        let gone = st.remove(def.plural, &ns, &name).unwrap_or(obj);
        return Ok(Reply::Json(200, gone));
    }
    Ok(Reply::Json(200, st.replace(def.plural, obj)))
}

fn patch(
    st: &mut State,
    def: &ResDef,
    ns: &str,
    name: &str,
    sub: Option<&str>,
    ctype: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let p: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid patch: {e}")))?;
    let apply = ctype == "application/apply-patch+yaml";
    let Some(old) = st.get(def.plural, ns, name).cloned() else {
        if apply && sub.is_none() {
            let mut obj = p;
            obj["metadata"]["name"] = json!(name);
            return create(st, def, ns, &serde_json::to_vec(&obj).unwrap_or_default());
        }
        return Err(ApiError::not_found(def.group, def.plural, name));
    };
    let mut target = old.clone();
    match ctype {
        "application/json-patch+json" => {
            json_patch(&mut target, &p).map_err(|e| ApiError::new(422, "Invalid", e))?
        }
        "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/apply-patch+yaml" => {
            merge(&mut target, &p);
        }
        other => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {other})"
                ),
            ));
        }
    }
    commit(st, def, old, target, sub, false)
}

fn delete_opts(query: &[(String, String)], body: &[u8]) -> DeleteOpts {
    let b: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    DeleteOpts {
        grace: b
            .get("gracePeriodSeconds")
            .and_then(Value::as_i64)
            .or_else(|| q(query, "gracePeriodSeconds").and_then(|g| g.parse().ok())),
        propagation: b
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .or_else(|| q(query, "propagationPolicy"))
            .map(str::to_owned)
            .or_else(
                || match b.get("orphanDependents").and_then(Value::as_bool) {
                    Some(true) => Some("Orphan".to_owned()),
                    _ => None,
                },
            ),
        precond_rv: b
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_owned),
        precond_uid: b
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn delete(
    st: &mut State,
    def: &ResDef,
    ns: &str,
    name: &str,
    query: &[(String, String)],
    body: &[u8],
) -> Result<Reply, ApiError> {
    let opts = delete_opts(query, body);
    if st.dry_run {
        let obj = st
            .get(def.plural, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
        return Ok(Reply::Json(200, obj));
    }
    Ok(match st.delete(def, ns, name, &opts)? {
        Deleted::Now(obj) if def.kind == "Pod" => Reply::Json(200, obj),
        Deleted::Now(obj) => Reply::Json(
            200,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": def.group, "kind": def.plural,
                    "uid": obj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null)}}),
        ),
        Deleted::Pending(obj) => Reply::Json(202, obj),
    })
}

fn delete_collection(
    st: &mut State,
    def: &ResDef,
    ns: Option<&str>,
    query: &[(String, String)],
    body: &[u8],
) -> Result<Reply, ApiError> {
    let (labels, fields) = selectors(def, query)?;
    let opts = delete_opts(query, body);
    let targets: Vec<(String, String)> = st
        .list(def.plural, ns)
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
        .map(|o| (ns_of(o).to_owned(), name_of(o).to_owned()))
        .collect();
    let mut items = Vec::new();
    for (n, name) in targets {
        match st.delete(def, &n, &name, &opts) {
            Ok(Deleted::Now(o) | Deleted::Pending(o)) => items.push(o),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Reply::Json(
        200,
        json!({"kind": format!("{}List", def.kind), "apiVersion": api_version(def),
            "metadata": {"resourceVersion": st.rv.to_string()}, "items": items}),
    ))
}

fn binding(st: &mut State, ns: &str, name: &str, body: &[u8]) -> Result<Reply, ApiError> {
    let b = parse(body)?;
    let node = b
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let pod = st
        .get("pods", ns, name)
        .cloned()
        .ok_or_else(|| ApiError::not_found("", "pods", name))?;
    if let Some(n) = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        return Err(ApiError::conflict(
            "",
            "pods/binding",
            name,
            &format!("pod {name} is already assigned to node {n:?}"),
        ));
    }
    let now = now_rfc3339();
    st.modify("pods", ns, name, |p| {
        p["spec"]["nodeName"] = json!(node);
        let conds = p["status"]["conditions"].as_array().cloned().unwrap_or_default();
        let mut conds: Vec<Value> = conds.into_iter().filter(|c| c.get("type").and_then(Value::as_str) != Some("PodScheduled")).collect();
        conds.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}));
        p["status"]["conditions"] = json!(conds);
    });
    Ok(Reply::Json(
        201,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

fn pod_log(st: &State, ns: &str, name: &str, query: &[(String, String)]) -> Reply {
    let Some(pod) = st.get("pods", ns, name) else {
        return ApiError::not_found("", "pods", name).into();
    };
    let names: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let container = match (q(query, "container"), names.as_slice()) {
        (Some(c), _) if !c.is_empty() => c.to_owned(),
        (_, [only]) => (*only).to_owned(),
        _ => {
            return ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            ))
            .into();
        }
    };
    let inits: Vec<&str> = pod
        .pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    if !names.contains(&container.as_str()) && !inits.contains(&container.as_str()) {
        return ApiError::bad_request(format!("container {container} is not valid for pod {name}"))
            .into();
    }
    let uid = pod
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let (path, _) = match kubelet::log_of(st, &uid, &container) {
        Ok(x) => x,
        Err(why) => {
            return ApiError::bad_request(format!(
                "container {container:?} in pod {name:?} is waiting to start: {why}"
            ))
            .into();
        }
    };
    if matches!(q(query, "follow"), Some("true" | "1")) {
        return Reply::Follow {
            path,
            uid,
            container,
        };
    }
    let mut text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
    if let Some(n) = q(query, "tailLines").and_then(|t| t.parse::<usize>().ok()) {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        text = lines[lines.len().saturating_sub(n)..].concat();
    }
    if let Some(n) = q(query, "limitBytes").and_then(|t| t.parse::<usize>().ok()) {
        let mut end = n.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    Reply::Text(200, text)
}
