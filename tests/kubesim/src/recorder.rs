//! A recording proxy in front of a real API server: what [`crate::Sim::served`]
//! tells of the simulator, told of a real server with its real authorizer.
//!
//! [`Recorder::start`] listens on 127.0.0.1 over plain HTTP and forwards
//! every request, unchanged but for the credentials, to the server of a
//! kubeconfig, as the user of that kubeconfig; the server's answer goes
//! back as it came. Each request is noted as (verb, resource[/subresource],
//! group), named as the server's RBAC authorizer names it. The commands
//! under test use [`Recorder::write_kubeconfig`]'s kubeconfig and never
//! hold the user's credentials themselves.
//!
//! Limits: answers are read whole before they are passed on, so a watch or
//! a followed log would not stream (the commands' flows under test use
//! neither).

use crate::util::parse_query;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// What [`Recorder::served`] lists: (verb, resource[/subresource], group).
pub type Served = (String, String, String);

/// A running proxy; dropping it stops it.
pub struct Recorder {
    addr: SocketAddr,
    served: Arc<Mutex<Vec<Served>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts forwarding to the server of `kubeconfig`, as its user.
    ///
    /// # Errors
    ///
    /// When the kubeconfig cannot be read or no port can be bound.
    pub fn start(kubeconfig: &Path) -> std::io::Result<Recorder> {
        let (rt, client) = crate::client_for(kubeconfig)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let served = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&served);
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sk8-kubesim-recorder".to_owned())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            acc = listener.accept() => {
                                let Ok((tcp, _)) = acc else { continue };
                                let (client, log) = (client.clone(), Arc::clone(&log));
                                tokio::spawn(async move {
                                    let svc = hyper::service::service_fn(move |req| {
                                        forward(client.clone(), Arc::clone(&log), req)
                                    });
                                    let _ = hyper::server::conn::http1::Builder::new()
                                        .keep_alive(true)
                                        .serve_connection(TokioIo::new(tcp), svc)
                                        .await;
                                });
                            }
                        }
                    }
                });
            })?;
        Ok(Recorder {
            addr,
            served,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Writes a kubeconfig that reaches the server through this proxy,
    /// with `namespace` as its context's namespace.
    pub fn write_kubeconfig(&self, path: &Path, namespace: &str) -> std::io::Result<()> {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: recorded\n  cluster:\n    server: http://{}\nusers:\n- name: recorded\n  user: {{}}\ncontexts:\n- name: recorded\n  context:\n    cluster: recorded\n    user: recorded\n    namespace: {namespace}\ncurrent-context: recorded\npreferences: {{}}\n",
            self.addr
        );
        std::fs::write(path, text)
    }

    /// Every request so far; non-resource requests (discovery) are
    /// (`get`, the path, ``), as the simulator lists them.
    pub fn served(&self) -> Vec<Served> {
        self.served
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// (verb, resource[/subresource], group) of a request, as RBAC names it.
pub fn attributes(method: &str, path: &str, query: &str) -> Served {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, rest) = match segs.as_slice() {
        ["api", _, rest @ ..] if !rest.is_empty() => ("", rest),
        ["apis", g, _, rest @ ..] if !rest.is_empty() => (*g, rest),
        _ => return ("get".to_owned(), path.to_owned(), String::new()),
    };
    let (plural, name, sub) = match rest {
        ["namespaces", _, plural, tail @ ..] => (*plural, tail.first(), tail.get(1)),
        [plural, tail @ ..] => (*plural, tail.first(), tail.get(1)),
        [] => return ("get".to_owned(), path.to_owned(), String::new()),
    };
    let watch = parse_query(query)
        .iter()
        .any(|(k, v)| k == "watch" && matches!(v.as_str(), "true" | "1"));
    let verb = match (method, name.is_some()) {
        ("GET", false) if watch => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        (other, _) => other,
    };
    let resource = sub.map_or_else(|| plural.to_owned(), |s| format!("{plural}/{s}"));
    (verb.to_owned(), resource, group.to_owned())
}

async fn forward(
    client: kube::Client,
    log: Arc<Mutex<Vec<Served>>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let path_q = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(attributes(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query().unwrap_or(""),
        ));
    let mut out = http::Request::builder()
        .method(parts.method.clone())
        .uri(path_q);
    for h in [
        hyper::header::CONTENT_TYPE,
        hyper::header::ACCEPT,
        hyper::header::USER_AGENT,
    ] {
        if let Some(v) = parts.headers.get(&h) {
            out = out.header(h, v.clone());
        }
    }
    let Ok(out) = out.body(kube::client::Body::from(body)) else {
        return Ok(text(400, "bad request"));
    };
    match client.send(out).await {
        Ok(resp) => {
            let (rparts, rbody) = resp.into_parts();
            let bytes = rbody
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes)
                .unwrap_or_default();
            let mut r = Response::builder().status(rparts.status);
            if let Some(v) = rparts.headers.get(hyper::header::CONTENT_TYPE) {
                r = r.header(hyper::header::CONTENT_TYPE, v.clone());
            }
            Ok(r.body(Full::new(bytes))
                .unwrap_or_else(|_| text(502, "bad answer")))
        }
        Err(e) => Ok(text(502, &e.to_string())),
    }
}

fn text(code: u16, msg: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(msg.to_owned())));
    *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_named_as_rbac_names_them() {
        let a = |m: &str, p: &str, q: &str| {
            let (v, r, g) = attributes(m, p, q);
            format!("{v} {r} {g}")
        };
        assert_eq!(a("GET", "/api/v1/namespaces/n/pods", ""), "list pods ");
        assert_eq!(
            a("GET", "/api/v1/namespaces/n/pods", "watch=true"),
            "watch pods "
        );
        assert_eq!(
            a("GET", "/api/v1/namespaces/n/configmaps/c", ""),
            "get configmaps "
        );
        assert_eq!(
            a("POST", "/api/v1/namespaces/n/pods/p/binding", ""),
            "create pods/binding "
        );
        assert_eq!(
            a(
                "DELETE",
                "/apis/scheduling.volcano.sh/v1beta1/namespaces/n/podgroups/g",
                ""
            ),
            "delete podgroups scheduling.volcano.sh"
        );
        assert_eq!(
            a("DELETE", "/api/v1/namespaces/n/pods", ""),
            "deletecollection pods "
        );
        assert_eq!(a("GET", "/api/v1/nodes", ""), "list nodes ");
        assert_eq!(a("GET", "/api/v1/namespaces/n", ""), "get namespaces ");
        assert_eq!(
            a("PATCH", "/api/v1/namespaces/n/configmaps/c", ""),
            "patch configmaps "
        );
        assert_eq!(
            a("GET", "/apis/kueue.x-k8s.io/v1beta1", ""),
            "get /apis/kueue.x-k8s.io/v1beta1 "
        );
        assert_eq!(a("GET", "/version", ""), "get /version ");
    }
}
