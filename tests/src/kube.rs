//! What the Kubernetes end-to-end tests (against sk8-kubesim and against a
//! real kube-apiserver) share: running one of our commands on a cluster,
//! and the real server of this run (`SK8_KUBE_KUBECONFIG`), its CRDs and
//! a namespace per test.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::TempDir;
use crate::refslurm::{ours, shared_dir, workspace_root};

/// Why the tests against the real server are ignored in a plain `cargo test`.
pub const IGNORED: &str = "needs a real kube-apiserver";

/// Our command `bin` in `dir`, talking to the cluster of `kubeconfig`
/// through the sk8 home `home` (whose config selects the Kubernetes
/// backend), with none of the caller's query-format variables.
pub fn command(bin: &str, dir: &Path, kubeconfig: &Path, home: &Path) -> Command {
    let mut c = Command::new(ours(bin));
    c.current_dir(dir)
        .env("KUBECONFIG", kubeconfig)
        .env("SK8_HOME", home)
        .env("HOME", dir)
        .env_remove("SK8_BACKEND")
        .env_remove("XDG_CONFIG_HOME");
    for (k, _) in std::env::vars() {
        if k.starts_with("SQUEUE_") || k.starts_with("SINFO_") || k.starts_with("SACCT_") {
            c.env_remove(k);
        }
    }
    c
}

/// What a command printed and how it exited.
pub struct Printed {
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
    /// Exit code (-1: killed by a signal).
    pub code: i32,
}

impl Printed {
    /// The output, after asserting the command succeeded.
    pub fn ok(&self, what: &str) -> &str {
        assert_eq!(
            self.code, 0,
            "{what} exited {}:\n{}{}",
            self.code, self.out, self.err
        );
        &self.out
    }
}

/// Runs `c`, feeding it `stdin`.
pub fn run(mut c: Command, stdin: Option<&str>) -> Printed {
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().expect("the command starts");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes())
            .expect("stdin is written");
    }
    let out = child.wait_with_output().expect("the command ends");
    Printed {
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The admin kubeconfig `start.sh` printed, and the non-admin `sk8-alice`'s.
pub struct Server {
    /// The admin (`system:masters`).
    pub admin: PathBuf,
    /// `sk8-alice`, group `sk8-users`.
    pub alice: PathBuf,
}

/// The real server of this run.
///
/// # Panics
///
/// When `SK8_KUBE_KUBECONFIG` is unset or the server does not answer: a
/// test that runs must talk to the real server, never skip.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let admin = std::env::var_os("SK8_KUBE_KUBECONFIG").map(PathBuf::from);
        let Some(admin) = admin.filter(|p| p.is_file()) else {
            panic!(
                "this test {IGNORED}: set SK8_KUBE_KUBECONFIG to the kubeconfig \
                 `bash ../shared/kube/start.sh` prints"
            );
        };
        let alice = std::env::var_os("SK8_KUBE_ALICE_KUBECONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| admin.with_file_name("kubeconfig-alice"));
        let s = Server { admin, alice };
        let v = kubectl(&s.admin, &["version", "-o", "json"], None);
        v.ok("kubectl version (is the server up?)");
        install_crds(&s.admin);
        s
    })
}

/// `kubectl --kubeconfig KUBECONFIG ARGS`.
pub fn kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Printed {
    let mut c = Command::new("kubectl");
    c.arg("--kubeconfig").arg(kubeconfig).args(args);
    run(c, stdin)
}

/// The gang schedulers' CRDs from `../shared/crds`, made acceptable to the
/// server: current Kueue's Workload uses `selectableFields` (servers before
/// 1.30 refuse it) and Kueue's CRDs carry CEL rules,
/// `x-kubernetes-validations` (before 1.25, an unknown field), so both
/// blocks are taken out: nothing sk8 does selects by those fields, and
/// the rules check Kueue's own objects, which sk8 does not write. Its
/// Workload also defaults 67 string fields to `""`, which 1.20's CRD
/// validation reads as a null default and refuses; those defaults go too,
/// and with them the list-map declarations whose keys they defaulted.
fn install_crds(admin: &Path) {
    let dir = shared_dir().join("crds");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("the CRD is read");
        let text = without_block(&text, "selectableFields:");
        let text = without_block(&text, "x-kubernetes-validations:");
        let text = without_block(&text, "default: \"\"");
        let text = without_block(&text, "x-kubernetes-list-map-keys:");
        let text = without_block(&text, "x-kubernetes-list-type: map");
        // Server-side apply: a client-side one keeps the whole object in an
        // annotation, and the Workload CRD is over the 256 KiB it may hold.
        let args = ["apply", "--server-side", "--force-conflicts", "-f", "-"];
        kubectl(admin, &args, Some(&text)).ok(&format!("applying {}", f.display()));
    }
    kubectl(
        admin,
        &[
            "wait",
            "--for=condition=established",
            "crd",
            "--all",
            "--timeout=60s",
        ],
        None,
    )
    .ok("waiting for the CRDs");
}

/// `text` without each YAML block whose first line starts with `key`.
pub fn without_block(text: &str, key: &str) -> String {
    let mut out = String::new();
    let mut skip_deeper_than: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(depth) = skip_deeper_than {
            // Deeper lines, and a list's items, which YAML may put at the
            // key's own indentation (`key:\n- item`).
            if line.trim().is_empty()
                || indent > depth
                || (indent == depth && line.trim_start().starts_with("- "))
            {
                continue;
            }
            skip_deeper_than = None;
        }
        if line.trim_start().starts_with(key) {
            skip_deeper_than = Some(indent);
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A namespace of one test, with an sk8 home whose config puts jobs there;
/// deleted (with everything in it) when dropped.
pub struct Ns {
    /// The namespace.
    pub name: String,
    dir: TempDir,
}

impl Ns {
    /// A new namespace `sk8-TAG-PID-N` and a home whose config adds `kube_toml`.
    pub fn new(tag: &str, kube_toml: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let s = server();
        let name = format!(
            "sk8-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        kubectl(&s.admin, &["create", "namespace", &name], None).ok("creating the namespace");
        // Pods need the namespace's `default` ServiceAccount, which the
        // controller-manager creates a moment after the namespace.
        let deadline = Instant::now() + Duration::from_secs(60);
        while kubectl(
            &s.admin,
            &["-n", &name, "get", "serviceaccount", "default"],
            None,
        )
        .code
            != 0
        {
            assert!(
                Instant::now() < deadline,
                "no default ServiceAccount in {name}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let dir = TempDir::new("kube-real").expect("a scratch dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("the sk8 home is made");
        std::fs::write(
            home.join("config.toml"),
            format!(
                "backend = \"kubernetes\"\n\n[kubernetes]\nnamespace = \"{name}\"\n{kube_toml}"
            ),
        )
        .expect("the config is written");
        Self { name, dir }
    }

    /// A file in the scratch dir (the commands' working directory).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the scratch dir and returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).expect("the script is written");
        p.to_string_lossy().into_owned()
    }

    /// One of our commands as the admin.
    pub fn sk8(&self, bin: &str, args: &[&str]) -> Printed {
        self.sk8_as(&server().admin, bin, args, &[])
    }

    /// One of our commands as the user of `kubeconfig`, with `env` added.
    pub fn sk8_as(
        &self,
        kubeconfig: &Path,
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Printed {
        let mut c = command(bin, self.dir.path(), kubeconfig, &self.path("home"));
        c.args(args);
        c.envs(env.iter().copied());
        run(c, None)
    }

    /// kubectl as the admin, in this namespace.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Printed {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        kubectl(&server().admin, &all, stdin)
    }

    /// Applies deploy/rbac.yaml, binding its Role here. Its ClusterRole
    /// and ClusterRoleBinding are cluster-wide: two tests applying them at
    /// once race on them (the loser's apply is refused with a conflict), so
    /// one test applies at a time.
    pub fn apply_deploy_rbac(&self) {
        static ONE: Mutex<()> = Mutex::new(());
        let _one = ONE.lock().unwrap_or_else(PoisonError::into_inner);
        let rbac = std::fs::read_to_string(workspace_root().join("deploy/rbac.yaml"))
            .expect("deploy/rbac.yaml");
        self.kubectl(&["apply", "-f", "-"], Some(&rbac))
            .ok("applying deploy/rbac.yaml");
        // The authorizer reads bindings from its informers' cache: a new
        // binding counts a moment after it is stored. Wait until it does
        // for sk8-alice (a SelfSubjectAccessReview asks that same cache).
        let alice = &server().alice;
        let deadline = Instant::now() + Duration::from_secs(30);
        for (verb, resource) in [("create", "configmaps"), ("list", "nodes")] {
            let args = ["-n", self.name.as_str(), "auth", "can-i", verb, resource];
            while kubectl(alice, &args, None).out.trim() != "yes" {
                assert!(
                    Instant::now() < deadline,
                    "sk8-alice still may not {verb} {resource} in {}",
                    self.name
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// `kubectl get KIND -o json`'s items in this namespace.
    pub fn items(&self, kind: &str, selector: Option<&str>) -> Vec<Value> {
        let mut args = vec!["get", kind, "-o", "json"];
        if let Some(sel) = selector {
            args.extend(["-l", sel]);
        }
        let p = self.kubectl(&args, None);
        let v: Value = serde_json::from_str(p.ok(&format!("kubectl get {kind}")))
            .expect("kubectl prints JSON");
        v["items"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until `kind` has no object labelled as job `id`'s.
    pub fn wait_gone(&self, kind: &str, id: u32) {
        let sel = format!("sk8.dev/job-id={id}");
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let left = self.items(kind, Some(&sel));
            if left.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} {kind} of job {id} still there",
                left.len()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = kubectl(
            &server().admin,
            &["delete", "namespace", &self.name, "--wait=false"],
            None,
        );
    }
}

/// (group, resource, verb) of every rule of the Role and ClusterRole.
pub fn granted_by_deploy() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(workspace_root().join("deploy/rbac.yaml"))
        .expect("deploy/rbac.yaml exists");
    let mut out = BTreeSet::new();
    for doc in text.split("\n---\n") {
        let v: Value = serde_saphyr::from_str(doc).expect("each document is YAML");
        if !matches!(v["kind"].as_str(), Some("Role" | "ClusterRole")) {
            continue;
        }
        for rule in v["rules"].as_array().into_iter().flatten() {
            let list = |k: &str| -> Vec<String> {
                rule[k]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            };
            for g in list("apiGroups") {
                for r in list("resources") {
                    for verb in list("verbs") {
                        out.insert((g.clone(), r.clone(), verb));
                    }
                }
            }
        }
    }
    out
}

/// The (group, resource, verb) of each request RBAC decides on, from
/// (verb, resource, group) as the simulator and the recorder list them:
/// all but discovery and the reviews every user may make.
pub fn rules_used(
    served: impl IntoIterator<Item = (String, String, String)>,
) -> BTreeSet<(String, String, String)> {
    served
        .into_iter()
        .filter(|(_, resource, _)| {
            !(resource.starts_with('/')
                || resource.starts_with("selfsubject")
                || resource.ends_with("reviews"))
        })
        .map(|(verb, resource, group)| (group, resource, verb))
        .collect()
}

/// Asserts that deploy/rbac.yaml grants exactly the rules `used`: none
/// unused, none missing.
///
/// # Panics
///
/// When the two differ, naming the differences.
pub fn assert_deploy_grants_exactly(used: &BTreeSet<(String, String, String)>) {
    let granted = granted_by_deploy();
    let over: Vec<_> = granted.difference(used).collect();
    let under: Vec<_> = used.difference(&granted).collect();
    assert!(
        over.is_empty() && under.is_empty(),
        "deploy/rbac.yaml grants unused {over:?}; misses used {under:?}"
    );
}
