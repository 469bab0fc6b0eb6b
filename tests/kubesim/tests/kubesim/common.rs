//! Shared helpers: a minimal HTTP/1.1 client over `TcpStream`, a watch
//! reader, simulators with small configurations, and polling for states.

use serde_json::{Value, json};
use sk8_kubesim::{Sim, SimConfig, SimNode, SimProvider};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One HTTP answer.
pub struct Resp {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn addr(sim: &Sim) -> String {
    sim.url().trim_start_matches("http://").to_owned()
}

fn read_head(r: &mut impl BufRead) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).expect("header");
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    (status, headers)
}

fn read_chunk(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let size = usize::from_str_radix(line.trim(), 16).ok()?;
    let mut buf = vec![0; size + 2];
    r.read_exact(&mut buf).ok()?;
    buf.truncate(size);
    (size > 0).then_some(buf)
}

fn send(
    stream: &mut TcpStream,
    host: &str,
    method: &str,
    path: &str,
    ctype: &str,
    body: &[u8],
    token: bool,
) {
    let auth = if token {
        "Authorization: Bearer test-token\r\n"
    } else {
        ""
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
}

/// A request with a bearer token; `body` as JSON.
pub fn req(sim: &Sim, method: &str, path: &str, body: Option<&Value>) -> Resp {
    req_as(sim, method, path, "application/json", body, true)
}

/// A request with a content type, with or without a token.
pub fn req_as(
    sim: &Sim,
    method: &str,
    path: &str,
    ctype: &str,
    body: Option<&Value>,
    token: bool,
) -> Resp {
    let host = addr(sim);
    let mut stream = TcpStream::connect(&host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let body = body
        .map(|b| serde_json::to_vec(b).expect("json"))
        .unwrap_or_default();
    send(&mut stream, &host, method, path, ctype, &body, token);
    let mut r = BufReader::new(stream);
    let (status, headers) = read_head(&mut r);
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        while let Some(c) = read_chunk(&mut r) {
            body.extend(c);
        }
    } else {
        r.read_to_end(&mut body).expect("body");
    }
    Resp { status, body }
}

/// A streaming watch: events one by one.
pub struct WatchStream {
    reader: BufReader<TcpStream>,
    pending: Vec<u8>,
}

impl WatchStream {
    pub fn open(sim: &Sim, path: &str) -> Self {
        let host = addr(sim);
        let mut stream = TcpStream::connect(&host).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        send(
            &mut stream,
            &host,
            "GET",
            path,
            "application/json",
            b"",
            true,
        );
        let mut reader = BufReader::new(stream);
        let (status, _) = read_head(&mut reader);
        assert_eq!(status, 200, "watch {path}");
        Self {
            reader,
            pending: Vec::new(),
        }
    }

    /// The next event, or `None` when the server ends the stream.
    pub fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                return Some(serde_json::from_slice(&line).expect("event JSON"));
            }
            let chunk = read_chunk(&mut self.reader)?;
            self.pending.extend(chunk);
        }
    }
}

/// Polls `f` until it gives a value (panics after a minute: the state never came).
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn node(name: &str, cpus: u32, gpus: u32) -> SimNode {
    SimNode {
        gpus,
        gpu_product: (gpus > 0).then(|| "NVIDIA-H100-80GB-HBM3".to_owned()),
        ..SimNode::new(name, cpus, 8192)
    }
}

pub fn start(provider: SimProvider, run_pods: bool, nodes: Vec<SimNode>) -> Sim {
    Sim::start(SimConfig {
        provider,
        run_pods,
        nodes,
        ..SimConfig::default()
    })
    .expect("start simulator")
}

pub fn configmap(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

/// A pod running `script` under `/bin/sh -c`.
pub fn sh_pod(name: &str, script: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox",
            "command": ["/bin/sh", "-c", script]}]}})
}

/// A pod that asks for `cpu` and `gpus`, runs nothing long.
pub fn sized_pod(name: &str, cpu: &str, gpus: u32) -> Value {
    let mut res = json!({"requests": {"cpu": cpu}, "limits": {}});
    if gpus > 0 {
        res["limits"]["nvidia.com/gpu"] = json!(gpus.to_string());
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {}, "annotations": {}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "job", "image": "busybox",
            "command": ["/bin/sh", "-c", "sleep 600"], "resources": res}]}})
}

pub const NS: &str = "/api/v1/namespaces/default";

pub fn get_pod(sim: &Sim, name: &str) -> Option<Value> {
    let r = req(sim, "GET", &format!("{NS}/pods/{name}"), None);
    (r.status == 200).then(|| r.json())
}

pub fn phase(pod: &Value) -> String {
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

pub fn node_of(pod: &Value) -> String {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// Waits until the pod reaches a terminal phase.
pub fn wait_done(sim: &Sim, name: &str) -> Value {
    wait_for(&format!("pod {name} to finish"), || {
        get_pod(sim, name).filter(|p| matches!(phase(p).as_str(), "Succeeded" | "Failed"))
    })
}

pub fn create(sim: &Sim, path: &str, obj: &Value) -> Value {
    let r = req(sim, "POST", path, Some(obj));
    assert_eq!(r.status, 201, "create at {path}: {}", r.text());
    r.json()
}

/// Merges `patch` into `target` (objects key by key).
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// A GET with an `Accept` header; answers (status, content type, body).
pub fn get_accept(sim: &Sim, path: &str, accept: &str) -> (u16, String, Value) {
    let host = addr(sim);
    let mut stream = TcpStream::connect(&host).expect("connect");
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer t\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("write");
    let mut r = BufReader::new(stream);
    let (status, headers) = read_head(&mut r);
    let mut body = Vec::new();
    r.read_to_end(&mut body).expect("body");
    let ctype = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (status, ctype, serde_json::from_slice(&body).expect("json"))
}
