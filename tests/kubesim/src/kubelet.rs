//! The fake kubelet: runs bound pods' containers as local processes.
//!
//! How a process on the host sees "the pod's files": every volume is
//! materialised in a per-pod temp directory (`configMap`, `secret` and
//! `projected` files with their `items` and modes, `emptyDir` as an empty
//! directory, `hostPath` as the host path itself), and every occurrence of a
//! container's `volumeMounts[].mountPath` (followed by `/` or the end of a
//! word) in its command, args, env values and workingDir is rewritten to that
//! local directory. A workingDir that does not exist locally becomes the pod's
//! temp directory. The image is ignored; `$(VAR)` references are expanded as
//! the real kubelet does. Init containers run one after another first (a
//! failing one fails the pod), then the containers together, each in its own
//! process group; stdout and stderr go to one log file per container
//! (`pods/log`). Containers are never restarted (every restartPolicy acts as
//! `Never`), and an exit by SIGKILL is reported as `Error`, not `OOMKilled`
//! (tests set OOM kills and evictions with `Sim::set_pod_status`).

use crate::quantity::parse_milli;
use crate::store::{State, name_of, ns_of};
use crate::util::{b64_decode, now_rfc3339};
use rustix::process::{Pid, Signal, kill_process_group};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a container ended.
#[derive(Debug, Clone)]
pub struct CtrExit {
    /// Exit code (128 + signal when killed).
    pub code: i32,
    /// The signal that killed it.
    pub signal: Option<i32>,
    /// `Completed`, `Error`, `StartError`.
    pub reason: &'static str,
    /// A message (start errors).
    pub message: Option<String>,
    /// When it ended.
    pub finished_at: String,
}

/// One container's process.
#[derive(Debug)]
pub struct CtrRuntime {
    /// Container name.
    pub name: String,
    /// The process, while it runs.
    pub child: Option<Child>,
    /// Its process group.
    pub pgid: Option<i32>,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
    /// When it started.
    pub started_at: String,
    /// How it ended.
    pub exit: Option<CtrExit>,
}

/// A pod the kubelet has started.
#[derive(Debug)]
pub struct PodRuntime {
    /// Namespace.
    pub ns: String,
    /// Name.
    pub name: String,
    /// The pod's temp directory.
    pub dir: PathBuf,
    /// Local directory of each volume.
    pub vols: BTreeMap<String, PathBuf>,
    /// The pod's IP.
    pub ip: String,
    /// Init containers started so far, in order.
    pub init: Vec<CtrRuntime>,
    /// How many init containers the spec has.
    pub n_init: usize,
    /// The main containers (empty until every init container succeeded).
    pub containers: Vec<CtrRuntime>,
    /// When the pod started.
    pub started: Instant,
    /// When to send SIGKILL to what is left, once stopping.
    pub kill_at: Option<Instant>,
    /// SIGTERM has been sent (deletion).
    pub stopping: bool,
    /// activeDeadlineSeconds passed.
    pub deadline: bool,
    /// Final status written.
    pub done: bool,
}

impl PodRuntime {
    fn all(&self) -> impl Iterator<Item = &CtrRuntime> {
        self.init.iter().chain(&self.containers)
    }

    fn signal_all(&self, sig: Signal) {
        for c in self.all() {
            if c.exit.is_none()
                && let Some(pid) = c.pgid.and_then(Pid::from_raw)
            {
                let _ = kill_process_group(pid, sig);
            }
        }
    }

    fn init_failed(&self) -> bool {
        self.init
            .iter()
            .any(|c| c.exit.as_ref().is_some_and(|e| e.code != 0))
    }

    /// Nothing runs and nothing more will start.
    fn finished(&self) -> bool {
        let quiet = self.all().all(|c| c.exit.is_some());
        if self.containers.is_empty() {
            quiet && (self.init_failed() || self.stopping || self.deadline)
        } else {
            quiet
        }
    }

    fn poll(&mut self) {
        for c in self.init.iter_mut().chain(self.containers.iter_mut()) {
            let Some(child) = c.child.as_mut() else {
                continue;
            };
            if let Ok(Some(status)) = child.try_wait() {
                let signal = status.signal();
                let code = status.code().unwrap_or_else(|| 128 + signal.unwrap_or(0));
                c.exit = Some(CtrExit {
                    code,
                    signal,
                    reason: if code == 0 { "Completed" } else { "Error" },
                    message: None,
                    finished_at: now_rfc3339(),
                });
                c.child = None;
                // The container's other processes end with its main process.
                if let Some(pid) = c.pgid.and_then(Pid::from_raw) {
                    let _ = kill_process_group(pid, Signal::KILL);
                }
            }
        }
    }

    /// Kills every process group at once (the simulator is going away).
    pub fn kill(&mut self) {
        self.signal_all(Signal::KILL);
        for c in self.init.iter_mut().chain(self.containers.iter_mut()) {
            if let Some(mut child) = c.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// One kubelet pass: start bound pods, watch running ones, finish deletions.
pub fn tick(st: &mut State) {
    let bound: Vec<(String, String, String)> = st
        .list("pods", None)
        .into_iter()
        .filter(|p| {
            p.pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty())
        })
        .map(|p| {
            (
                ns_of(p).to_owned(),
                name_of(p).to_owned(),
                uid_of(p).to_owned(),
            )
        })
        .collect();
    for (ns, name, uid) in &bound {
        let Some(pod) = st.get("pods", ns, name).cloned() else {
            continue;
        };
        let deleting = pod.pointer("/metadata/deletionTimestamp").is_some();
        if st.pods.contains_key(uid) {
            continue;
        }
        if deleting {
            // Never started: nothing to stop.
            st.remove("pods", ns, name);
            continue;
        }
        let phase = pod
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("Pending");
        if st.cfg.run_pods && phase == "Pending" {
            start(st, &pod);
        }
    }
    let uids: Vec<String> = st.pods.keys().cloned().collect();
    for uid in uids {
        supervise(st, &uid);
    }
}

fn uid_of(v: &Value) -> &str {
    v.pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn supervise(st: &mut State, uid: &str) {
    let Some(mut rt) = st.pods.remove(uid) else {
        return;
    };
    rt.poll();
    let pod = st
        .get("pods", &rt.ns, &rt.name)
        .filter(|p| uid_of(p) == uid)
        .cloned();
    let Some(pod) = pod else {
        rt.signal_all(Signal::KILL);
        rt.poll();
        if rt.all().all(|c| c.child.is_none()) {
            let _ = fs::remove_dir_all(&rt.dir);
        } else {
            st.pods.insert(uid.to_owned(), rt);
        }
        return;
    };
    let grace = |p: &Value, ptr: &str| p.pointer(ptr).and_then(Value::as_i64).unwrap_or(30).max(0);
    if pod.pointer("/metadata/deletionTimestamp").is_some() && !rt.stopping {
        rt.stopping = true;
        rt.signal_all(Signal::TERM);
        let g = grace(&pod, "/metadata/deletionGracePeriodSeconds");
        rt.kill_at = Some(Instant::now() + Duration::from_secs(g.unsigned_abs()));
    }
    if let Some(ads) = pod
        .pointer("/spec/activeDeadlineSeconds")
        .and_then(Value::as_i64)
        && !rt.deadline
        && !rt.done
        && rt.started.elapsed() >= Duration::from_secs(ads.unsigned_abs())
    {
        rt.deadline = true;
        rt.signal_all(Signal::TERM);
        let g = grace(&pod, "/spec/terminationGracePeriodSeconds");
        let at = Instant::now() + Duration::from_secs(g.unsigned_abs());
        rt.kill_at = Some(rt.kill_at.map_or(at, |k| k.min(at)));
    }
    if rt.kill_at.is_some_and(|k| Instant::now() >= k) {
        rt.signal_all(Signal::KILL);
    }
    if !rt.stopping && !rt.deadline && !rt.init_failed() && rt.containers.is_empty() {
        advance(st, &pod, &mut rt);
    }
    if rt.finished() && !rt.done {
        rt.done = true;
        let status = final_status(&pod, &rt);
        let (ns, name) = (rt.ns.clone(), rt.name.clone());
        st.modify("pods", &ns, &name, |p| p["status"] = status);
        if rt.stopping {
            st.remove("pods", &ns, &name);
            let _ = fs::remove_dir_all(&rt.dir);
            return;
        }
    }
    st.pods.insert(uid.to_owned(), rt);
}

fn ctr_status(spec: &Value, c: &CtrRuntime, pid: Option<u32>) -> Value {
    let image = ["containers", "initContainers"]
        .iter()
        .filter_map(|l| spec.get(*l).and_then(Value::as_array))
        .flatten()
        .find(|x| x.get("name").and_then(Value::as_str) == Some(&c.name))
        .and_then(|x| x.get("image"))
        .cloned()
        .unwrap_or(Value::Null);
    let id = format!(
        "sk8sim://{}",
        pid.or(c.pgid.and_then(|p| u32::try_from(p).ok()))
            .unwrap_or(0)
    );
    let state = match &c.exit {
        None => json!({"running": {"startedAt": c.started_at}}),
        Some(e) => {
            let mut t = json!({"exitCode": e.code, "reason": e.reason, "startedAt": c.started_at,
                "finishedAt": e.finished_at, "containerID": id});
            if let Some(s) = e.signal {
                t["signal"] = json!(s);
            }
            if let Some(m) = &e.message {
                t["message"] = json!(m);
            }
            json!({"terminated": t})
        }
    };
    let running = c.exit.is_none();
    json!({"name": c.name, "ready": running, "started": running, "restartCount": 0, "image": image,
        "imageID": "", "containerID": id, "state": state})
}

fn conditions(scheduled_at: &str, ready: bool, reason: Option<&str>) -> Value {
    let now = now_rfc3339();
    let ready_cond = |t: &str| {
        let mut c = json!({"type": t, "status": if ready { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": now});
        if let Some(r) = reason {
            c["reason"] = json!(r);
        }
        c
    };
    json!([
        {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": scheduled_at},
        ready_cond("Ready"),
        ready_cond("ContainersReady"),
        {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": scheduled_at},
    ])
}

fn waiting(spec: &Value, list: &str, skip: usize, reason: &str) -> Vec<Value> {
    spec.get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .skip(skip)
        .map(|c| {
            json!({"name": c.get("name").cloned().unwrap_or(Value::Null), "ready": false, "started": false,
                "restartCount": 0, "image": c.get("image").cloned().unwrap_or(Value::Null), "imageID": "",
                "state": {"waiting": {"reason": reason}}})
        })
        .collect()
}

/// The pod's status while it runs (or initialises).
fn live_status(pod: &Value, rt: &PodRuntime) -> Value {
    let now = now_rfc3339();
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    let mut s = pod.get("status").cloned().unwrap_or_else(|| json!({}));
    let scheduled_at = s
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("PodScheduled"))
        })
        .and_then(|c| c.get("lastTransitionTime").and_then(Value::as_str))
        .unwrap_or(&now)
        .to_owned();
    s["hostIP"] = json!("127.0.0.1");
    s["hostIPs"] = json!([{"ip": "127.0.0.1"}]);
    s["podIP"] = json!(rt.ip);
    s["podIPs"] = json!([{"ip": rt.ip}]);
    if s.get("startTime").is_none() {
        s["startTime"] = json!(now);
    }
    if rt.n_init > 0 {
        let mut init: Vec<Value> = rt.init.iter().map(|c| ctr_status(&spec, c, None)).collect();
        init.extend(waiting(
            &spec,
            "initContainers",
            rt.init.len(),
            "PodInitializing",
        ));
        s["initContainerStatuses"] = json!(init);
    }
    if rt.containers.is_empty() {
        s["phase"] = json!("Pending");
        let mut conds = conditions(&scheduled_at, false, Some("ContainersNotReady"));
        conds[0] = json!({"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
            "lastProbeTime": null, "lastTransitionTime": now});
        s["conditions"] = conds;
        s["containerStatuses"] = json!(waiting(&spec, "containers", 0, "PodInitializing"));
    } else {
        s["phase"] = json!("Running");
        s["conditions"] = conditions(&scheduled_at, true, None);
        s["containerStatuses"] = json!(
            rt.containers
                .iter()
                .map(|c| ctr_status(&spec, c, None))
                .collect::<Vec<_>>()
        );
    }
    s
}

fn final_status(pod: &Value, rt: &PodRuntime) -> Value {
    let mut status = live_status(pod, rt);
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    let failed = rt
        .all()
        .any(|c| c.exit.as_ref().is_some_and(|e| e.code != 0));
    status["phase"] = json!(if failed || rt.deadline || rt.containers.is_empty() {
        "Failed"
    } else {
        "Succeeded"
    });
    if rt.deadline {
        status["reason"] = json!("DeadlineExceeded");
        status["message"] = json!("Pod was active on the node longer than the specified deadline");
    }
    let started = status
        .get("startTime")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    status["conditions"] = conditions(&started, false, Some("PodCompleted"));
    if rt.containers.is_empty() {
        status["containerStatuses"] = json!(waiting(&spec, "containers", 0, "PodInitializing"));
    }
    status
}

fn pod_ip(n: u32) -> String {
    // 127.0.0.2, 127.0.0.3, ... 127.0.0.254, 127.0.1.1, ...
    let n = n + 1;
    format!(
        "127.{}.{}.{}",
        (n / 254 / 255) % 255,
        (n / 254) % 255,
        n % 254 + 1
    )
}

fn field_value(pod: &Value, path: &str, ip: &str) -> Option<String> {
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).map(str::to_owned);
    match path {
        "metadata.name" => s("/metadata/name"),
        "metadata.namespace" => s("/metadata/namespace"),
        "metadata.uid" => s("/metadata/uid"),
        "spec.nodeName" => s("/spec/nodeName"),
        "spec.serviceAccountName" => s("/spec/serviceAccountName"),
        "status.podIP" | "status.podIPs" => Some(ip.to_owned()),
        "status.hostIP" | "status.hostIPs" => Some("127.0.0.1".to_owned()),
        p => {
            let (map, rest) = p.split_once("['")?;
            let key = rest.strip_suffix("']")?;
            pod.pointer(&format!("/{}", map.replace('.', "/")))?
                .get(key)?
                .as_str()
                .map(str::to_owned)
        }
    }
}

fn resource_value(ctr: &Value, r: &Value) -> Option<String> {
    let res = r.get("resource")?.as_str()?;
    let (part, name) = res.split_once('.')?;
    let q = ctr.pointer(&format!("/resources/{part}/{}", name.replace('/', "~1")))?;
    let text = q.as_str().map_or_else(|| q.to_string(), str::to_owned);
    let v = parse_milli(&text)?;
    let div = r
        .get("divisor")
        .and_then(Value::as_str)
        .and_then(parse_milli)
        .unwrap_or(1000)
        .max(1);
    Some(((v + div - 1) / div).to_string())
}

/// Expands `$(NAME)` from `env` (unknown names stay as written; `$$` is `$`).
pub fn expand(s: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$$") {
            out.push('$');
            rest = t;
        } else if let Some(inner) = tail.strip_prefix("$(")
            && let Some(end) = inner.find(')')
        {
            match env.get(&inner[..end]) {
                Some(v) => out.push_str(v),
                None => out.push_str(&tail[..end + 3]),
            }
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Rewrites every mount path in `s` (followed by `/` or a non-name character)
/// to its local directory; longest mount paths first.
pub fn rewrite(s: &str, mounts: &[(String, PathBuf)]) -> String {
    let mut out = s.to_owned();
    for (mp, local) in mounts {
        let mp = mp.trim_end_matches('/');
        if mp.is_empty() {
            continue;
        }
        let local = local.to_string_lossy();
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(mp) {
            let after = rest[i + mp.len()..].chars().next();
            let boundary =
                after.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')));
            result.push_str(&rest[..i]);
            result.push_str(if boundary { &local } else { mp });
            rest = &rest[i + mp.len()..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

fn write_file(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, data)?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

fn mode_of(v: &Value, key: &str, default: u32) -> u32 {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(default)
}

/// Writes a configMap's or secret's keys (or its `items`) into `dir`; false
/// when the source is missing and not optional.
fn project(
    st: &State,
    ns: &str,
    src: &Value,
    secret: bool,
    dir: &Path,
    default_mode: u32,
) -> Option<()> {
    let (plural, name_key) = if secret {
        ("secrets", "secretName")
    } else {
        ("configmaps", "name")
    };
    let name = src.get(name_key).and_then(Value::as_str).unwrap_or("");
    let optional = src
        .get("optional")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(obj) = st.get(plural, ns, name) else {
        return optional.then_some(());
    };
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (k, v) in obj
        .get("data")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let text = v.as_str().unwrap_or("");
        files.insert(
            k.clone(),
            if secret {
                b64_decode(text).unwrap_or_default()
            } else {
                text.as_bytes().to_vec()
            },
        );
    }
    for (k, v) in obj
        .get("binaryData")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        files.insert(
            k.clone(),
            b64_decode(v.as_str().unwrap_or("")).unwrap_or_default(),
        );
    }
    let mode = mode_of(src, "defaultMode", default_mode);
    match src.get("items").and_then(Value::as_array) {
        Some(items) => {
            for it in items {
                let key = it.get("key").and_then(Value::as_str).unwrap_or("");
                let path = it.get("path").and_then(Value::as_str).unwrap_or(key);
                let data = files.get(key)?;
                write_file(&dir.join(path), data, mode_of(it, "mode", mode)).ok()?;
            }
        }
        None => {
            for (k, data) in &files {
                write_file(&dir.join(k), data, mode).ok()?;
            }
        }
    }
    Some(())
}

/// Materialises the volumes; `None` while a needed source is missing.
fn volumes(st: &State, pod: &Value, dir: &Path) -> Option<BTreeMap<String, PathBuf>> {
    let ns = ns_of(pod);
    let mut out = BTreeMap::new();
    for v in pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("");
        let local = dir.join("volumes").join(name);
        fs::create_dir_all(&local).ok()?;
        if let Some(src) = v.get("configMap") {
            project(st, ns, src, false, &local, 0o644)?;
        } else if let Some(src) = v.get("secret") {
            project(st, ns, src, true, &local, 0o644)?;
        } else if let Some(p) = v.get("projected") {
            let mode = mode_of(p, "defaultMode", 0o644);
            for s in p
                .get("sources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(src) = s.get("configMap") {
                    project(st, ns, src, false, &local, mode)?;
                } else if let Some(src) = s.get("secret") {
                    project(st, ns, src, true, &local, mode)?;
                }
            }
        } else if let Some(h) = v.pointer("/hostPath/path").and_then(Value::as_str) {
            out.insert(name.to_owned(), PathBuf::from(h));
            continue;
        }
        out.insert(name.to_owned(), local);
    }
    Some(out)
}

fn key_ref(st: &State, ns: &str, r: &Value, secret: bool) -> Result<Option<String>, ()> {
    let plural = if secret { "secrets" } else { "configmaps" };
    let name = r.get("name").and_then(Value::as_str).unwrap_or("");
    let key = r.get("key").and_then(Value::as_str).unwrap_or("");
    let optional = r.get("optional").and_then(Value::as_bool).unwrap_or(false);
    let val = st
        .get(plural, ns, name)
        .and_then(|o| o.pointer(&format!("/data/{}", key.replace('/', "~1"))))
        .and_then(Value::as_str);
    match val {
        Some(v) if secret => Ok(b64_decode(v).map(|b| String::from_utf8_lossy(&b).into_owned())),
        Some(v) => Ok(Some(v.to_owned())),
        None if optional => Ok(None),
        None => Err(()),
    }
}

/// The container's environment; `Err` while a referenced key is missing.
fn container_env(
    st: &State,
    pod: &Value,
    ctr: &Value,
    ip: &str,
) -> Result<BTreeMap<String, String>, ()> {
    let ns = ns_of(pod);
    let mut env = BTreeMap::new();
    for from in ctr
        .get("envFrom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let prefix = from.get("prefix").and_then(Value::as_str).unwrap_or("");
        for (field, plural, secret) in [
            ("configMapRef", "configmaps", false),
            ("secretRef", "secrets", true),
        ] {
            let Some(r) = from.get(field) else { continue };
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            match st.get(plural, ns, name) {
                Some(o) => {
                    for (k, v) in o
                        .get("data")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        let text = v.as_str().unwrap_or("");
                        let val = if secret {
                            String::from_utf8_lossy(&b64_decode(text).unwrap_or_default())
                                .into_owned()
                        } else {
                            text.to_owned()
                        };
                        env.insert(format!("{prefix}{k}"), val);
                    }
                }
                None if r.get("optional").and_then(Value::as_bool) == Some(true) => {}
                None => return Err(()),
            }
        }
    }
    for e in ctr
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = e
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let value = if let Some(v) = e.get("value").and_then(Value::as_str) {
            Some(expand(v, &env))
        } else if let Some(vf) = e.get("valueFrom") {
            if let Some(f) = vf.pointer("/fieldRef/fieldPath").and_then(Value::as_str) {
                field_value(pod, f, ip)
            } else if let Some(r) = vf.get("secretKeyRef") {
                key_ref(st, ns, r, true)?
            } else if let Some(r) = vf.get("configMapKeyRef") {
                key_ref(st, ns, r, false)?
            } else if let Some(r) = vf.get("resourceFieldRef") {
                resource_value(ctr, r)
            } else {
                None
            }
        } else {
            Some(String::new())
        };
        if let Some(v) = value {
            env.insert(name, v);
        }
    }
    Ok(env)
}

/// Starts one container of the pod (a start failure is an exited container).
fn spawn(st: &State, pod: &Value, ctr: &Value, rt: &PodRuntime) -> CtrRuntime {
    let cname = ctr
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let log = rt.dir.join("logs").join(format!("{cname}.log"));
    let mut c = CtrRuntime {
        name: cname,
        child: None,
        pgid: None,
        log: log.clone(),
        started_at: now_rfc3339(),
        exit: None,
    };
    let fail = |c: &mut CtrRuntime, code: i32, reason: &'static str, message: String| {
        let _ = fs::File::create(&log);
        c.exit = Some(CtrExit {
            code,
            signal: None,
            reason,
            message: Some(message),
            finished_at: now_rfc3339(),
        });
    };
    let Ok(env) = container_env(st, pod, ctr, &rt.ip) else {
        fail(
            &mut c,
            128,
            "CreateContainerConfigError",
            "a referenced ConfigMap or Secret key is missing".to_owned(),
        );
        return c;
    };
    let mut mounts: Vec<(String, PathBuf)> = ctr
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let local = rt.vols.get(m.get("name")?.as_str()?)?;
            let local = match m.get("subPath").and_then(Value::as_str) {
                Some(sp) if !sp.is_empty() => local.join(sp),
                _ => local.clone(),
            };
            Some((m.get("mountPath")?.as_str()?.to_owned(), local))
        })
        .collect();
    mounts.sort_by_key(|(mp, _)| std::cmp::Reverse(mp.len()));
    let words = |key: &str| -> Vec<String> {
        ctr.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|w| rewrite(&expand(w.as_str().unwrap_or(""), &env), &mounts))
            .collect()
    };
    let argv: Vec<String> = words("command").into_iter().chain(words("args")).collect();
    let wd = ctr
        .get("workingDir")
        .and_then(Value::as_str)
        .map(|w| PathBuf::from(rewrite(w, &mounts)))
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| rt.dir.clone());
    let hostname = pod
        .pointer("/spec/hostname")
        .and_then(Value::as_str)
        .unwrap_or(&rt.name);
    let spawned = match argv.split_first() {
        None => Err(std::io::Error::other(
            "no command: the simulator does not run images",
        )),
        Some((prog, args)) => fs::File::create(&log).and_then(|out| {
            let err = out.try_clone()?;
            let mut cmd = Command::new(prog);
            cmd.args(args)
                .env_clear()
                .env(
                    "PATH",
                    std::env::var("PATH")
                        .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned()),
                )
                .env("HOSTNAME", hostname)
                .current_dir(&wd)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .process_group(0);
            if let Ok(home) = std::env::var("HOME") {
                cmd.env("HOME", home);
            }
            cmd.envs(env.iter().map(|(k, v)| (k, rewrite(v, &mounts))));
            cmd.spawn()
        }),
    };
    match spawned {
        Ok(child) => {
            c.pgid = i32::try_from(child.id()).ok();
            c.child = Some(child);
        }
        Err(e) => {
            let prog = argv.first().cloned().unwrap_or_default();
            let not_found = e.kind() == std::io::ErrorKind::NotFound;
            let message = if not_found {
                format!("exec: {prog:?}: executable file not found in $PATH")
            } else {
                format!("exec: {prog:?}: {e}")
            };
            fail(
                &mut c,
                if not_found { 127 } else { 128 },
                "StartError",
                message,
            );
        }
    }
    c
}

fn specs(pod: &Value, list: &str) -> Vec<Value> {
    pod.pointer(&format!("/spec/{list}"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Starts the next init container, or the main containers once every init
/// container succeeded; writes the status when it changes.
fn advance(st: &mut State, pod: &Value, rt: &mut PodRuntime) {
    let last_ok = rt
        .init
        .last()
        .is_none_or(|c| c.exit.as_ref().is_some_and(|e| e.code == 0));
    if !last_ok {
        return;
    }
    if rt.init.len() < rt.n_init {
        let spec = specs(pod, "initContainers")[rt.init.len()].clone();
        let c = spawn(st, pod, &spec, rt);
        rt.init.push(c);
    } else {
        for spec in specs(pod, "containers") {
            let c = spawn(st, pod, &spec, rt);
            rt.containers.push(c);
        }
    }
    let status = live_status(pod, rt);
    st.modify("pods", &rt.ns, &rt.name, |p| p["status"] = status);
}

fn start(st: &mut State, pod: &Value) {
    let (ns, name, uid) = (
        ns_of(pod).to_owned(),
        name_of(pod).to_owned(),
        uid_of(pod).to_owned(),
    );
    let dir = st
        .root
        .join(format!("{ns}_{name}_{}", &uid[..uid.len().min(8)]));
    if fs::create_dir_all(dir.join("logs")).is_err() {
        return;
    }
    // Like the real kubelet, wait (Pending) until every volume source and
    // every referenced key exists.
    let Some(vols) = volumes(st, pod, &dir) else {
        return;
    };
    let ip = pod_ip(st.next_ip);
    let all = specs(pod, "initContainers")
        .into_iter()
        .chain(specs(pod, "containers"));
    if all
        .into_iter()
        .any(|c| container_env(st, pod, &c, &ip).is_err())
    {
        return;
    }
    st.next_ip += 1;
    let mut rt = PodRuntime {
        ns,
        name,
        dir,
        vols,
        ip,
        init: Vec::new(),
        n_init: specs(pod, "initContainers").len(),
        containers: Vec::new(),
        started: Instant::now(),
        kill_at: None,
        stopping: false,
        deadline: false,
        done: false,
    };
    advance(st, pod, &mut rt);
    st.pods.insert(uid, rt);
}

/// The log file of a pod's container, and whether it is still running:
/// `Err(message)` when the container has not started.
pub fn log_of(st: &State, uid: &str, container: &str) -> Result<(PathBuf, bool), String> {
    let rt = st
        .pods
        .get(uid)
        .ok_or_else(|| "ContainerCreating".to_owned())?;
    let c = rt.all().find(|c| c.name == container).ok_or_else(|| {
        if rt.containers.is_empty() && rt.n_init > 0 {
            "PodInitializing"
        } else {
            "ContainerCreating"
        }
        .to_owned()
    })?;
    Ok((c.log.clone(), c.exit.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_rewrites() {
        let env: BTreeMap<String, String> = [("A".to_owned(), "x".to_owned())].into();
        assert_eq!(expand("$(A)-$(B)-$$(A)-$", &env), "x-$(B)-$(A)-$");
        let mounts = vec![
            ("/var/run/sk8/job".to_owned(), PathBuf::from("/tmp/p/job")),
            ("/var/run/sk8".to_owned(), PathBuf::from("/tmp/p/sk8")),
        ];
        assert_eq!(
            rewrite("/var/run/sk8/job/script", &mounts),
            "/tmp/p/job/script"
        );
        assert_eq!(
            rewrite("/var/run/sk8/token x", &mounts),
            "/tmp/p/sk8/token x"
        );
        assert_eq!(rewrite("/var/run/sk8x", &mounts), "/var/run/sk8x");
    }

    #[test]
    fn pod_ips_are_distinct_loopback_addresses() {
        let ips: std::collections::BTreeSet<String> = (0..1000).map(pod_ip).collect();
        assert_eq!(ips.len(), 1000);
        assert_eq!(pod_ip(0), "127.0.0.2");
        assert!(
            ips.iter()
                .all(|ip| ip.starts_with("127.") && !ip.ends_with(".0") && !ip.ends_with(".255"))
        );
    }
}
