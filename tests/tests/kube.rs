//! The Kubernetes backend through the real binaries (`sbatch`, `squeue`,
//! `scancel`, `sinfo`, `scontrol`, `sacct`, `sk8 render/doctor/init`),
//! each test on two servers where it can run on both:
//!
//! - `sim::*`: sk8-kubesim, an API server on 127.0.0.1 that validates like
//!   the real one, plays the gang scheduler and runs bound pods as local
//!   processes;
//! - `real::*`: a real kube-apiserver 1.20.2 with etcd and its
//!   controller-manager (`../shared/kube/start.sh`, started by `.ci/run`),
//!   with sk8-kubesim's node side (`NodeSide`) as the cluster's nodes,
//!   scheduler and kubelet, through the server's own API. Ignored in a plain
//!   `cargo test` (`needs a real kube-apiserver`); CI runs them with
//!   `--include-ignored` and `SK8_KUBE_KUBECONFIG` set, and without it they
//!   fail, never skip. They take the cluster's Nodes one test at a time.
//!
//! The tests that run on the simulator only say why beside them: they
//! inject faults or read the simulator's request log, or they need a
//! cluster without the gang CRDs the real one has installed. What neither
//! can show (real kubelets, images, DNS) is named in the note.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use sk8_kubesim::{Fault, NodeSide, Sim, SimConfig, SimNode, SimProvider};
use sk8_tests::TempDir;
use sk8_tests::kube::{Ns, Printed, assert_deploy_grants_exactly, granted_by_deploy, rules_used};

/// Which server a test runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum On {
    Sim,
    Real,
}

/// The tests that run on both servers: `sim::NAME` and `real::NAME`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sim {
            $(#[test]
            fn $name() {
                super::$name(super::On::Sim);
            })*
        }
        mod real {
            $(#[test]
            #[ignore = "needs a real kube-apiserver"]
            fn $name() {
                super::$name(super::On::Real);
            })*
        }
    };
}

on_both!(
    single_node_script_runs_to_completion_with_its_slurm_environment,
    failing_script_ends_failed_with_its_exit_code,
    array_tasks_each_run_to_completion,
    two_node_gpu_job_is_placed_as_one_group_listed_and_cancelled,
    doctor_passes_when_nothing_is_missing,
    init_writes_a_config_from_the_cluster,
    sinfo_reads_nodes_states_and_gpus,
    held_jobs_have_no_pods_until_released_and_users_come_from_the_cluster,
    a_job_waits_for_its_node_to_become_ready,
);

/// What backs a test's cluster.
enum Server {
    Sim {
        sim: Sim,
        dir: TempDir,
    },
    Real {
        // Declared first, dropped first: the pods stop and the Nodes go
        // before the namespace does.
        side: NodeSide,
        ns: Ns,
        _nodes: MutexGuard<'static, ()>,
    },
}

/// One cluster, its kubeconfig and an sk8 home whose config selects the
/// Kubernetes backend.
struct Cluster {
    server: Server,
}

/// On the real server, every write of the node side (bindings, pod,
/// PodGroup, Workload and Node statuses, deletions) was accepted: what the
/// server refused would be a difference the simulator hides.
impl Drop for Cluster {
    fn drop(&mut self) {
        if let Server::Real { side, .. } = &self.server
            && !std::thread::panicking()
        {
            let refused = side.errors();
            assert!(refused.is_empty(), "the real server refused: {refused:#?}");
        }
    }
}

/// The real cluster's Nodes are cluster-wide: one test holds them at a time.
static REAL_NODES: Mutex<()> = Mutex::new(());

const H100: &str = "NVIDIA-H100-80GB-HBM3";

fn gpu_node(name: &str) -> SimNode {
    SimNode {
        gpus: 8,
        gpu_product: Some(H100.to_string()),
        ..SimNode::new(name, 32, 256 * 1024)
    }
}

impl Cluster {
    fn start(on: On, provider: SimProvider, nodes: Vec<SimNode>, kube_toml: &str) -> Self {
        Self::with(
            on,
            SimConfig {
                provider,
                nodes,
                ..SimConfig::default()
            },
            kube_toml,
        )
    }

    /// One 4-CPU node, the provider named in the config as well.
    fn one_node(on: On, provider: SimProvider) -> Self {
        Self::start(
            on,
            provider,
            vec![SimNode::new("node-0", 4, 8192)],
            &format!("gang = \"{provider}\"\n"),
        )
    }

    fn with(on: On, mut cfg: SimConfig, kube_toml: &str) -> Self {
        let server = match on {
            On::Sim => {
                let sim = Sim::start(cfg).expect("the simulator starts");
                let dir = TempDir::new("kube").expect("a scratch dir");
                sim.write_kubeconfig(&dir.path().join("kubeconfig"))
                    .expect("the kubeconfig is written");
                let home = dir.path().join("home");
                std::fs::create_dir_all(&home).expect("the sk8 home is made");
                std::fs::write(
                    home.join("config.toml"),
                    format!("backend = \"kubernetes\"\n\n[kubernetes]\n{kube_toml}"),
                )
                .expect("the config is written");
                Server::Sim { sim, dir }
            }
            On::Real => {
                let nodes = REAL_NODES.lock().unwrap_or_else(PoisonError::into_inner);
                let ns = Ns::new("e2e", kube_toml);
                cfg.namespace = ns.name.clone();
                let side = NodeSide::start(cfg, &sk8_tests::kube::server().admin)
                    .expect("the node side attaches to the real server");
                // As on a real cluster, a test starts once its Nodes are
                // Ready and untainted, not in the moment after they joined.
                assert!(
                    side.wait_settled(Duration::from_secs(30)),
                    "the Nodes never settled: {:#?}",
                    side.errors()
                );
                Server::Real {
                    side,
                    ns,
                    _nodes: nodes,
                }
            }
        };
        Self { server }
    }

    fn on(&self) -> On {
        match self.server {
            Server::Sim { .. } => On::Sim,
            Server::Real { .. } => On::Real,
        }
    }

    /// The simulator, for what only it can do (faults, its request log).
    fn sim(&self) -> &Sim {
        match &self.server {
            Server::Sim { sim, .. } => sim,
            Server::Real { .. } => panic!("a simulator-only step ran on the real server"),
        }
    }

    /// The namespace jobs go to.
    fn namespace(&self) -> &str {
        match &self.server {
            Server::Sim { .. } => "default",
            Server::Real { ns, .. } => &ns.name,
        }
    }

    /// Who the commands run as, as the API server names them.
    fn user(&self) -> &'static str {
        match self.on() {
            On::Sim => "sk8-user",
            On::Real => "sk8-admin",
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        match &self.server {
            Server::Sim { dir, .. } => dir.path().join(name),
            Server::Real { ns, .. } => ns.path(name),
        }
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).expect("the script is written");
        p.to_string_lossy().into_owned()
    }

    fn run(&self, bin: &str, args: &[&str]) -> Printed {
        match &self.server {
            Server::Sim { dir, .. } => {
                let mut c = sk8_tests::kube::command(
                    bin,
                    dir.path(),
                    &dir.path().join("kubeconfig"),
                    &dir.path().join("home"),
                );
                c.args(args);
                sk8_tests::kube::run(c, None)
            }
            Server::Real { ns, .. } => ns.sk8(bin, args),
        }
    }

    /// Submits and returns the job id (`sbatch --parsable`).
    fn submit(&self, args: &[&str]) -> u32 {
        let mut all = vec!["--parsable"];
        all.extend_from_slice(args);
        let p = self.run("sbatch", &all);
        assert_eq!(p.code, 0, "sbatch {args:?}: {}", p.err);
        p.out
            .trim()
            .parse()
            .expect("sbatch --parsable prints the id")
    }

    /// A field of `scontrol show job -o ID`.
    fn field(&self, id: u32, key: &str) -> String {
        let p = self.run("scontrol", &["show", "job", "-o", &id.to_string()]);
        assert_eq!(p.code, 0, "scontrol show job {id}: {}", p.err);
        let prefix = format!("{key}=");
        p.out
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {key} in {}", p.out))
            .to_string()
    }

    /// Waits (polling scontrol) until the job's state is `state`.
    fn wait_state(&self, id: u32, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let now = self.field(id, "JobState");
            if now == state {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} still {now}, not {state}{}",
                self.refusals()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Changes a node as its kubelet and the lifecycle controller would.
    fn set_node(&self, node: SimNode) {
        match &self.server {
            Server::Sim { sim, .. } => sim.set_node(node),
            Server::Real { side, .. } => {
                assert!(side.set_node(node), "the node side has that Node");
                assert!(
                    side.wait_settled(Duration::from_secs(30)),
                    "{}",
                    self.refusals()
                );
            }
        }
    }

    /// What the real server refused the node side, for a failure message.
    fn refusals(&self) -> String {
        match &self.server {
            Server::Sim { .. } => String::new(),
            Server::Real { side, .. } => {
                format!("\nthe node side was refused: {:#?}", side.errors())
            }
        }
    }

    /// Every object of a resource in the job namespace, as the server stores it.
    fn objects(&self, resource: &str) -> Vec<Value> {
        match &self.server {
            Server::Sim { sim, .. } => sim.objects(resource),
            Server::Real { ns, .. } => ns.items(resource, None),
        }
    }

    /// The pods of a job, as the server stores them.
    fn pods_of(&self, id: u32) -> Vec<Value> {
        self.objects("pods")
            .into_iter()
            .filter(|p| {
                p["metadata"]["labels"]["sk8.dev/job-id"]
                    .as_str()
                    .and_then(|s| s.parse::<u32>().ok())
                    == Some(id)
            })
            .collect()
    }

    /// Creates an object as an admin would (`kubectl create`, or a POST to
    /// the simulator, which takes no protobuf).
    fn create(&self, path: &str, obj: &Value) {
        match &self.server {
            Server::Sim { .. } => {
                let (code, body) = self.http("POST", path, Some(obj));
                assert_eq!(code, 201, "{body}");
            }
            Server::Real { .. } => {
                let admin = &sk8_tests::kube::server().admin;
                let p =
                    sk8_tests::kube::kubectl(admin, &["create", "-f", "-"], Some(&obj.to_string()));
                // Cluster-wide objects (kueue-system) may be left from an earlier test.
                if !p.err.contains("AlreadyExists") {
                    p.ok(&format!("kubectl create {path}"));
                }
            }
        }
    }

    /// A request to the simulator with the kubeconfig's token.
    fn http(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        use std::io::{Read, Write};
        let url = self.sim().url();
        let host = url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).expect("the simulator answers");
        let body = body.map(Value::to_string).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk8-kubesim-token\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("the request is sent");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("the answer is read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let code = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(rest)
        } else {
            rest.to_string()
        };
        (code, body)
    }

    /// Creates a Kueue LocalQueue in the job namespace, as an admin would.
    fn local_queue(&self, name: &str) {
        let queue = serde_json::json!({
            "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
            "metadata": {"name": name, "namespace": self.namespace()}, "spec": {"clusterQueue": "sk8"},
        });
        let path = format!(
            "/apis/kueue.x-k8s.io/v1beta1/namespaces/{}/localqueues",
            self.namespace()
        );
        self.create(&path, &queue);
    }

    /// The container log of a pod: through the API server on the
    /// simulator; on the real server, which would ask a kubelet this
    /// cluster does not have, from the node side that ran it.
    fn log(&self, pod: &str) -> String {
        match &self.server {
            Server::Sim { .. } => {
                let path = format!("/api/v1/namespaces/default/pods/{pod}/log");
                let (code, body) = self.http("GET", &path, None);
                assert_eq!(code, 200, "log of {pod}: {body}");
                body
            }
            Server::Real { side, ns, .. } => side
                .log(&ns.name, pod)
                .unwrap_or_else(|| panic!("{pod} never started{}", self.refusals())),
        }
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn single_node_script_runs_to_completion_with_its_slurm_environment(on: On) {
    let c = Cluster::one_node(on, SimProvider::Kueue);
    let script = c.write(
        "hello.sh",
        "#!/bin/sh\n#SBATCH -J hello -t 5\n\
         echo \"job=$SLURM_JOB_ID nodes=$SLURM_JOB_NODELIST n=$SLURM_NNODES name=$SLURM_JOB_NAME rank=$SKYPILOT_NODE_RANK\"\n",
    );
    let p = c.run("sbatch", &["--wait", &script]);
    assert_eq!(p.code, 0, "{}", p.err);
    assert_eq!(p.out, "Submitted batch job 1\n");
    assert_eq!(c.field(1, "JobState"), "COMPLETED");
    assert_eq!(c.field(1, "ExitCode"), "0:0");
    assert_eq!(c.field(1, "JobName"), "hello");
    assert_eq!(c.field(1, "TimeLimit"), "00:05:00");
    assert_eq!(
        c.log("sk8-job-1-0"),
        "job=1 nodes=sk8-job-1-0 n=1 name=hello rank=0\n"
    );
    let acct = c.run(
        "sacct",
        &[
            "-j",
            "1",
            "-X",
            "-P",
            "-n",
            "-o",
            "JobID,JobName,State,ExitCode",
        ],
    );
    assert_eq!(acct.code, 0, "{}", acct.err);
    assert_eq!(acct.out, "1|hello|COMPLETED|0:0\n");
    // Kueue's pod integration: the pods carried the queue and group labels.
    let pod = &c.pods_of(1)[0];
    assert_eq!(
        pod["metadata"]["labels"]["kueue.x-k8s.io/pod-group-name"],
        "sk8-job-1"
    );
}

fn failing_script_ends_failed_with_its_exit_code(on: On) {
    let c = Cluster::one_node(on, SimProvider::None);
    let script = c.write("fail.sh", "#!/bin/sh\necho oops >&2\nexit 3\n");
    let p = c.run("sbatch", &["--wait", &script]);
    assert_eq!(
        p.code, 3,
        "sbatch --wait exits with the job's code: {}",
        p.err
    );
    assert_eq!(c.field(1, "JobState"), "FAILED");
    assert_eq!(c.field(1, "ExitCode"), "3:0");
    assert_eq!(c.log("sk8-job-1-0"), "oops\n");
    let q = c.run("squeue", &["-h", "-t", "all", "-o", "%i %t"]);
    assert_eq!(q.out, "1 F\n", "{}", q.err);
}

fn array_tasks_each_run_to_completion(on: On) {
    let c = Cluster::start(
        on,
        SimProvider::Volcano,
        vec![SimNode::new("node-0", 8, 8192)],
        "gang = \"volcano\"\n",
    );
    let script = c.write(
        "array.sh",
        "#!/bin/sh\n#SBATCH --array=1-3\necho \"task=$SLURM_ARRAY_TASK_ID of=$SLURM_ARRAY_JOB_ID\"\n",
    );
    let p = c.run("sbatch", &["--wait", &script]);
    assert_eq!(p.code, 0, "{}", p.err);
    let acct = c.run("sacct", &["-X", "-P", "-n", "-o", "JobID,State,ExitCode"]);
    assert_eq!(
        acct.out, "1_1|COMPLETED|0:0\n1_2|COMPLETED|0:0\n1_3|COMPLETED|0:0\n",
        "{}",
        acct.err
    );
    let logs: BTreeSet<String> = (1..=3)
        .map(|id| c.log(&format!("sk8-job-{id}-0")))
        .collect();
    let want: BTreeSet<String> = (1..=3).map(|t| format!("task={t} of=1\n")).collect();
    assert_eq!(logs, want);
}

/// The acceptance scenario: two-node GPU jobs are placed whole or not at
/// all, listed, and cancelled, under every gang provider.
fn two_node_gpu_job_is_placed_as_one_group_listed_and_cancelled(on: On) {
    for (provider, name) in [
        (SimProvider::Kueue, "kueue"),
        (SimProvider::Volcano, "volcano"),
        (SimProvider::Coscheduling, "coscheduling"),
    ] {
        let c = Cluster::start(
            on,
            provider,
            vec![gpu_node("gpu-0"), gpu_node("gpu-1"), gpu_node("gpu-2")],
            &format!("gang = \"{name}\"\n"),
        );
        let script = c.write(
            "train.sh",
            "#!/bin/sh\n#SBATCH -J train --nodes=2 --gres=gpu:H100:8 -t 1:00:00\nsleep 300\n",
        );
        let a = c.submit(&[&script]);
        c.wait_state(a, "RUNNING");
        let b = c.submit(&[&script]);
        // b cannot have two nodes while a holds two of three: none of its
        // pods may be bound (a half-placed job would hold 8 GPUs for nothing).
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            c.pods_of(b).iter().all(|p| p["spec"]["nodeName"].is_null()),
            "{name}: a pod of the second job was bound alone"
        );
        let q = c.run("squeue", &["-h", "-o", "%i|%j|%t|%D|%R"]);
        assert_eq!(q.code, 0, "{}", q.err);
        let lines: Vec<&str> = q.out.lines().collect();
        assert_eq!(lines.len(), 2, "{name}: {}", q.out);
        // Slurm's default order: pending jobs first.
        assert_eq!(lines[0], format!("{b}|train|PD|2|(Resources)"), "{name}");
        assert!(
            lines[1].starts_with(&format!("{a}|train|R|2|gpu-")),
            "{name}: {}",
            q.out
        );
        assert_eq!(c.field(a, "NumNodes"), "2");
        let s = c.run("sinfo", &["-h", "-N", "-o", "%N %t %G"]);
        let states: Vec<&str> = s
            .out
            .lines()
            .map(|l| l.split(' ').nth(1).unwrap_or(""))
            .collect();
        // Slurm says `mix` for a node whose GPUs are all taken but not all
        // its CPUs (the job asked 8 GPUs and 1 CPU per node).
        assert_eq!(
            states.iter().filter(|s| **s == "mix").count(),
            2,
            "{name}: {}",
            s.out
        );
        assert_eq!(
            states.iter().filter(|s| **s == "idle").count(),
            1,
            "{name}: {}",
            s.out
        );
        assert!(s.out.contains("gpu:h100:8"), "{name}: {}", s.out);

        let cancel = c.run("scancel", &[&a.to_string()]);
        assert_eq!(cancel.code, 0, "{}", cancel.err);
        c.wait_state(a, "CANCELLED");
        c.wait_state(b, "RUNNING");
        assert!(
            c.pods_of(b)
                .iter()
                .all(|p| !p["spec"]["nodeName"].is_null()),
            "{name}: the second job's pods are placed together"
        );
        let again = c.run("scancel", &[&b.to_string()]);
        assert_eq!(again.code, 0, "{}", again.err);
        c.wait_state(b, "CANCELLED");
    }
}

/// Simulator only: the real cluster has every gang CRD installed.
#[test]
fn without_a_gang_scheduler_sbatch_warns_about_multi_node_jobs() {
    let c = Cluster::start(
        On::Sim,
        SimProvider::None,
        vec![gpu_node("gpu-0"), gpu_node("gpu-1")],
        "",
    );
    let script = c.write("two.sh", "#!/bin/sh\n#SBATCH -N2\nsleep 300\n");
    let p = c.run("sbatch", &[&script]);
    assert_eq!(p.code, 0, "{}", p.err);
    assert!(
        p.err
            .starts_with("sbatch: warning: no gang scheduler on this cluster"),
        "{}",
        p.err
    );
    let one = c.write("one.sh", "#!/bin/sh\nsleep 300\n");
    let p = c.run("sbatch", &[&one]);
    assert_eq!(p.err, "", "a one-node job needs no warning");
}

/// Simulator only: it reads the request log (the real server's render
/// tests are in `kube_real.rs`).
#[test]
fn render_prints_the_manifests_and_creates_nothing() {
    let c = Cluster::start(On::Sim, SimProvider::Volcano, vec![gpu_node("gpu-0")], "");
    let script = c.write(
        "train.sh",
        "#!/bin/sh\n#SBATCH --nodes=2 --gres=gpu:H100:8\nsrun torchrun train.py\n",
    );
    let p = c.run("sk8", &["render", &script, "-J", "rendered"]);
    assert_eq!(p.code, 0, "{}", p.err);
    for want in [
        "kind: PodGroup",
        "minMember: 2",
        "schedulerName: volcano",
        "name: sk8-job-1-1",
        "nvidia.com/gpu: \"8\"",
        "sk8.dev/job-name: rendered",
        "gang provider `volcano` (found on the cluster)",
    ] {
        assert!(p.out.contains(want), "no `{want}` in\n{}", p.out);
    }
    let writes: Vec<_> = c
        .sim()
        .served()
        .into_iter()
        .filter(|(verb, _, _)| verb != "get" && verb != "list")
        .collect();
    assert_eq!(writes, vec![], "render only reads");
}

/// Simulator only: it denies a permission through the simulator's
/// SelfSubjectAccessReview (on the real server, `kube_real.rs` runs the
/// commands as a user without the Role).
#[test]
fn doctor_names_what_is_missing() {
    let denied = Cluster::with(
        On::Sim,
        SimConfig {
            provider: SimProvider::None,
            denied: vec![("create".to_string(), "pods".to_string())],
            ..SimConfig::default()
        },
        "",
    );
    let p = denied.run("sk8", &["doctor"]);
    assert_eq!(p.code, 1, "{}{}", p.out, p.err);
    assert!(
        p.out.contains("[FAIL] permissions: denied: create pods"),
        "{}",
        p.out
    );
    assert!(p.out.contains("deploy/rbac.yaml"), "{}", p.out);
}

fn doctor_passes_when_nothing_is_missing(on: On) {
    let ok = Cluster::start(
        on,
        SimProvider::Kueue,
        vec![gpu_node("gpu-0")],
        "agent_image = \"sk8/agent:1\"\n",
    );
    ok.local_queue("default");
    let kueue_config = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kueue-manager-config", "namespace": "kueue-system"},
        "data": {"controller_manager_config.yaml":
            "waitForPodsReady:\n  enable: true\nintegrations:\n  frameworks:\n  - pod\n"},
    });
    let ns = serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kueue-system"},
    });
    ok.create("/api/v1/namespaces", &ns);
    ok.create("/api/v1/namespaces/kueue-system/configmaps", &kueue_config);
    let p = ok.run("sk8", &["doctor"]);
    assert_eq!(p.code, 0, "{}{}", p.out, p.err);
    assert!(
        !p.out.contains("[warn]") && !p.out.contains("[FAIL]"),
        "{}",
        p.out
    );
    let identity = format!("[ok]   identity: `{}`", ok.user());
    for want in [
        "[ok]   API server: reachable",
        identity.as_str(),
        "[ok]   permissions",
        "[ok]   gang scheduler: kueue (detected)",
        "[ok]   queues: LocalQueues: default",
        "[ok]   GPU nodes: 1 x h100",
        "[ok]   Kueue all-or-nothing: waitForPodsReady enabled",
        "[ok]   Kueue pod integration: enabled",
        "sk8 is ready to submit jobs here.",
    ] {
        assert!(p.out.contains(want), "no `{want}` in\n{}", p.out);
    }
}

fn init_writes_a_config_from_the_cluster(on: On) {
    let mut a10 = gpu_node("gpu-0");
    a10.gpu_product = Some("NVIDIA-A10G".to_string());
    let c = Cluster::start(on, SimProvider::Kueue, vec![a10], "");
    c.local_queue("gpu");
    let out = c.path("written.toml");
    let arg = format!("--output={}", out.display());
    let p = c.run("sk8", &["init", &arg]);
    assert_eq!(p.code, 0, "{}", p.err);
    let text = std::fs::read_to_string(&out).expect("init wrote the file");
    for want in [
        "backend = \"kubernetes\"",
        format!("namespace = \"{}\"", c.namespace()).as_str(),
        "gang = \"kueue\"",
        "\"a10g\" = \"NVIDIA-A10G\"",
        "[kubernetes.partitions.\"gpu\"]\nqueue = \"gpu\"\ndefault = true",
    ] {
        assert!(text.contains(want), "no `{want}` in\n{text}");
    }
    let again = c.run("sk8", &["init", &arg]);
    assert_eq!(again.code, 1, "init never overwrites without --force");
    assert!(again.err.contains("give --force"), "{}", again.err);
}

/// Simulator only: it injects API failures.
#[test]
fn refusals_and_api_failures_leave_nothing_behind() {
    let c = Cluster::one_node(On::Sim, SimProvider::None);
    let script = c.write("job.sh", "#!/bin/sh\ntrue\n");
    let p = c.run("sbatch", &["--dependency=afterok:1", &script]);
    assert_eq!(p.code, 1);
    assert_eq!(
        p.err,
        "sbatch: error: Batch job submission failed: --dependency is not supported by the kubernetes backend\n"
    );
    assert!(
        c.sim().objects("configmaps").is_empty(),
        "a refusal creates nothing"
    );

    // The second pod's creation fails for good: everything goes again.
    c.sim().inject(Fault {
        verb: "create".to_string(),
        resource: "pods".to_string(),
        status: 500,
        times: 100,
        after: 1,
    });
    let multi = c.write("multi.sh", "#!/bin/sh\n#SBATCH -N2\ntrue\n");
    let p = c.run("sbatch", &[&multi]);
    assert_eq!(p.code, 1, "{}", p.err);
    assert!(
        p.err
            .contains("sbatch: error: Batch job submission failed: Kubernetes API: "),
        "{}",
        p.err
    );
    let names = |r: &str| -> Vec<String> {
        c.sim()
            .objects(r)
            .iter()
            .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
            .filter(|n| !n.ends_with("counter"))
            .collect()
    };
    // Garbage collection runs in the background on a real server too; give it a moment.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(names("configmaps").is_empty() && names("pods").is_empty()) && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    for r in ["configmaps", "secrets", "services", "pods"] {
        assert_eq!(names(r), Vec::<String>::new(), "{r} left behind");
    }

    let unreachable = c.run("squeue", &[]);
    assert_eq!(unreachable.code, 0, "{}", unreachable.err);
    std::fs::write(
        c.path("kubeconfig"),
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: http://127.0.0.1:1\nusers:\n- name: x\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: x\ncurrent-context: x\n",
    )
    .expect("the kubeconfig is replaced");
    let p = c.run("squeue", &[]);
    assert_eq!(p.code, 1);
    // squeue's own words for a controller it cannot reach, then ours.
    assert!(
        p.err.starts_with("slurm_load_jobs error: Kubernetes API: "),
        "{}",
        p.err
    );
}

/// Simulator only: it injects conflicts (the real server's own conflicts
/// are in `kube_real.rs`).
#[test]
fn concurrent_sbatch_under_injected_conflicts_get_distinct_dense_ids() {
    let c = Cluster::one_node(On::Sim, SimProvider::None);
    // Some writes of the counter lose as if another writer had won, on
    // top of the real conflicts between the processes.
    c.sim().inject(Fault {
        verb: "update".to_string(),
        resource: "configmaps".to_string(),
        status: 409,
        times: 3,
        after: 1,
    });
    let script = c.write("job.sh", "#!/bin/sh\ntrue\n");
    const N: u32 = 6;
    let ids: BTreeSet<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|_| s.spawn(|| c.submit(&["--hold", &script])))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a submitter"))
            .collect()
    });
    assert_eq!(ids, (1..=N).collect::<BTreeSet<u32>>());
    let records = c
        .sim()
        .objects("configmaps")
        .iter()
        .filter(|o| o["metadata"]["labels"]["sk8.dev/job-id"].is_string())
        .count();
    assert_eq!(records, N as usize);
}

fn sinfo_reads_nodes_states_and_gpus(on: On) {
    let mut cordoned = SimNode::new("n-cordoned", 4, 8192);
    cordoned.unschedulable = true;
    let mut down = SimNode::new("n-down", 4, 8192);
    down.ready = false;
    let c = Cluster::start(
        on,
        SimProvider::None,
        vec![
            gpu_node("n-gpu"),
            SimNode::new("n-idle", 4, 8192),
            cordoned,
            down,
        ],
        "",
    );
    let p = c.run("sinfo", &["-h", "-N", "-o", "%N|%t|%c|%G"]);
    assert_eq!(p.code, 0, "{}", p.err);
    let mut lines: Vec<&str> = p.out.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "n-cordoned|drain|4|(null)",
            "n-down|down|4|(null)",
            "n-gpu|idle|32|gpu:h100:8",
            "n-idle|idle|4|(null)",
        ]
    );
    let part = c.run("scontrol", &["show", "partition", "-o"]);
    assert!(part.out.starts_with("PartitionName=k8s "), "{}", part.out);
}

/// deploy/rbac.yaml grants exactly the (verb, resource) pairs sk8's
/// commands used over every provider's flows, and `sk8 doctor` asks about
/// the same ones. Simulator only, as it injects the failure of a
/// submission half-way; `kube_real.rs` makes the same check on the real
/// server, as the non-admin user bound by exactly that Role, through the
/// real authorizer.
#[test]
fn rbac_grants_exactly_what_the_commands_use() {
    let mut used: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (provider, name) in [
        (SimProvider::Kueue, "kueue"),
        (SimProvider::Volcano, "volcano"),
        (SimProvider::Coscheduling, "coscheduling"),
        (SimProvider::None, "none"),
    ] {
        let c = Cluster::start(
            On::Sim,
            provider,
            vec![gpu_node("gpu-0"), gpu_node("gpu-1")],
            "",
        );
        let run = |bin: &str, args: &[&str]| {
            let p = c.run(bin, args);
            assert_eq!(p.code, 0, "{name}: {bin} {args:?}: {}{}", p.out, p.err);
        };
        let quick = c.write(
            "quick.sh",
            "#!/bin/sh\n#SBATCH -N2 --gres=gpu:H100:1\ntrue\n",
        );
        let long = c.write("long.sh", "#!/bin/sh\nsleep 300\n");
        run("sbatch", &["--wait", &quick]);
        run("sbatch", &["--hold", &long]);
        run("scontrol", &["update", "JobId=2", "TimeLimit=10"]);
        run("scontrol", &["release", "2"]);
        run("squeue", &[]);
        run("squeue", &["--me", "-u", "sk8-user", "-p", "k8s"]);
        run("sinfo", &[]);
        run("scontrol", &["show", "job", "2"]);
        run("scontrol", &["show", "node"]);
        run("scontrol", &["show", "partition"]);
        run("sacct", &[]);
        run("scancel", &["2"]);
        let _ = c.run("sk8", &["doctor"]);
        let out = format!("--output={}", c.path("init.toml").display());
        run("sk8", &["init", &out]);
        run("sk8", &["render", &quick]);
        // A submission that fails half-way: its objects are deleted again.
        c.sim().inject(Fault {
            verb: "create".to_string(),
            resource: "pods".to_string(),
            status: 500,
            times: 100,
            after: 1,
        });
        let failed = c.run("sbatch", &[&quick]);
        assert_eq!(failed.code, 1, "{name}: {}", failed.err);
        used.extend(rules_used(c.sim().served()));
    }
    assert_deploy_grants_exactly(&used);
    let doctor: BTreeSet<(String, String, String)> = sk8_kube::NAMESPACED_RULES
        .iter()
        .chain(sk8_kube::CLUSTER_RULES)
        .flat_map(|(g, r, verbs)| {
            verbs
                .iter()
                .map(|v| (g.to_string(), r.to_string(), v.to_string()))
        })
        .collect();
    assert_eq!(
        doctor,
        granted_by_deploy(),
        "sk8 doctor checks what deploy/ grants"
    );
}

fn held_jobs_have_no_pods_until_released_and_users_come_from_the_cluster(on: On) {
    let c = Cluster::one_node(on, SimProvider::Kueue);
    let script = c.write("held.sh", "#!/bin/sh\n#SBATCH -J held -t 3\nsleep 300\n");
    let id = c.submit(&["--hold", &script]);
    let q = c.run("squeue", &["-h", "-o", "%i %j %u %t %r %l"]);
    assert_eq!(
        q.out,
        format!("{id} held {} PD JobHeldUser 3:00\n", c.user()),
        "{}",
        q.err
    );
    assert!(c.pods_of(id).is_empty(), "a held job has no pods");

    let up = c.run(
        "scontrol",
        &["update", &format!("JobId={id}"), "TimeLimit=7"],
    );
    assert_eq!(up.code, 0, "{}", up.err);
    assert_eq!(c.field(id, "TimeLimit"), "00:07:00");

    // The user is who the API server says (SelfSubjectReview), not $USER.
    let mine = c.run("squeue", &["-h", "--me", "-o", "%i"]);
    assert_eq!(mine.out, format!("{id}\n"), "{}", mine.err);
    let theirs = c.run("squeue", &["-h", "-u", "someone-else", "-o", "%i"]);
    assert_eq!(theirs.out, "", "{}", theirs.err);

    let rel = c.run("scontrol", &["release", &id.to_string()]);
    assert_eq!(rel.code, 0, "{}", rel.err);
    c.wait_state(id, "RUNNING");
    let pod = &c.pods_of(id)[0];
    assert_eq!(
        pod["spec"]["activeDeadlineSeconds"],
        7 * 60 + 60,
        "the updated limit reaches the pod, plus the slack"
    );
    let hold_running = c.run("scontrol", &["hold", &id.to_string()]);
    assert_ne!(hold_running.code, 0, "a running job cannot be held");
    let cancel = c.run("scancel", &[&id.to_string()]);
    assert_eq!(cancel.code, 0, "{}", cancel.err);
    c.wait_state(id, "CANCELLED");
    // As Slurm's scancel: quiet about a finished job, unless asked.
    let twice = c.run("scancel", &[&id.to_string()]);
    assert_eq!((twice.code, twice.err.as_str()), (0, ""));
    let verbose = c.run("scancel", &["-v", &id.to_string()]);
    assert!(
        verbose.err.contains(&format!(
            "scancel: error: Kill job error on job id {id}: Job/step already completing or completed\n"
        )),
        "{}",
        verbose.err
    );
}

/// A node that is not Ready carries the `not-ready` taint, as on a real
/// cluster: the job waits, unbound, and runs once the node is Ready.
fn a_job_waits_for_its_node_to_become_ready(on: On) {
    let mut node = SimNode::new("node-0", 4, 8192);
    node.ready = false;
    let c = Cluster::start(
        on,
        SimProvider::None,
        vec![node.clone()],
        "gang = \"none\"\n",
    );
    let s = c.run("sinfo", &["-h", "-N", "-o", "%N %t"]);
    assert_eq!(s.out, "node-0 down\n", "{}", s.err);
    let script = c.write("wait.sh", "#!/bin/sh\necho ran\n");
    let id = c.submit(&[&script]);
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(c.field(id, "JobState"), "PENDING");
    assert!(
        c.pods_of(id)
            .iter()
            .all(|p| p["spec"]["nodeName"].is_null()),
        "nothing is bound to a node that is not Ready"
    );
    node.ready = true;
    c.set_node(node);
    c.wait_state(id, "COMPLETED");
    assert_eq!(c.log(&format!("sk8-job-{id}-0")), "ran\n");
}

/// `sk8 render --provider` reaches no cluster, but puts the objects in the
/// namespace `sbatch` would: the kubeconfig's, when the config names none.
#[test]
fn render_with_a_provider_uses_the_kubeconfigs_namespace() {
    let dir = TempDir::new("render-ns").expect("a scratch dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: http://127.0.0.1:1\nusers:\n- name: x\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: x\n    namespace: team-a\ncurrent-context: x\n",
    )
    .expect("the kubeconfig is written");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("the sk8 home is made");
    std::fs::write(home.join("config.toml"), "backend = \"kubernetes\"\n")
        .expect("the config is written");
    let script = dir.path().join("hello.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").expect("the script is written");
    let mut c = sk8_tests::kube::command("sk8", dir.path(), &kubeconfig, &home);
    c.args(["render", "--provider=none", &script.to_string_lossy()]);
    let p = sk8_tests::kube::run(c, None);
    assert_eq!(p.code, 0, "{}", p.err);
    assert!(p.out.contains("namespace `team-a`"), "{}", p.out);
    assert!(p.out.contains("namespace: team-a"), "{}", p.out);
    assert!(!p.out.contains("namespace: default"), "{}", p.out);
}
