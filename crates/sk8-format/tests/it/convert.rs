//! Test-side converters from real Slurm's own text (`scontrol show job -o`,
//! `scontrol show node -o`, `scontrol show partition -o`, `sacct -P`) into
//! the backend's records, so that the reference's situation can be rendered
//! by our engines.

use std::collections::BTreeMap;
use std::str::FromStr;

use sk8_backend::{
    ArrayInfo, ExitStatus, JobInfo, JobState, NodeInfo, NodeState, PartitionInfo, StepInfo,
};
use sk8_format::time::parse_timestamp;
use sk8_spec::job::{Command, Container, Memory, Sharing, Topology};
use sk8_spec::{
    ArraySpec, Dependency, ExportSpec, FilePattern, Gres, GresList, JobSpec, MemSize, NodeRange,
    TimeLimit,
};

/// The four sections of a capture's `snapshot.txt`.
pub struct Snapshot {
    pub jobs: Vec<JobInfo>,
    pub nodes: Vec<NodeInfo>,
    pub parts: Vec<PartitionInfo>,
    pub history: Vec<JobInfo>,
    /// Whether the backfill scheduler had planned nodes for a pending job
    /// (`SchedNodeList=`), which `JobInfo` cannot carry.
    pub sched_nodes: bool,
}

pub fn snapshot(text: &str) -> Snapshot {
    let mut sections: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut current = "";
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            current = name;
            sections.entry(current).or_default();
        } else if !line.trim().is_empty() {
            sections.entry(current).or_default().push(line);
        }
    }
    let get = |k: &str| sections.get(k).cloned().unwrap_or_default();
    Snapshot {
        jobs: get("jobs").iter().map(|l| job(&kv(l))).collect(),
        nodes: get("nodes").iter().map(|l| node(&kv(l))).collect(),
        parts: get("partitions")
            .iter()
            .map(|l| partition(&kv(l)))
            .collect(),
        history: sacct(&get("sacct")),
        sched_nodes: get("jobs").iter().any(|l| l.contains(" SchedNodeList=")),
    }
}

/// `Key=value` pairs of a one-line record; a word without `=` continues
/// the previous value (`OS=Linux 6.1 #1 SMP`).
pub fn kv(line: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut last: Option<String> = None;
    for word in line.split(' ') {
        match word.split_once('=') {
            Some((k, v))
                if !k.is_empty() && !k.contains('/') || k == "CPUs/Task" || k == "Socks/Node" =>
            {
                m.insert(k.to_owned(), v.to_owned());
                last = Some(k.to_owned());
            }
            _ if word.is_empty() => {}
            _ => {
                if let Some(k) = &last {
                    let v: &mut String = m.get_mut(k).unwrap();
                    v.push(' ');
                    v.push_str(word);
                }
            }
        }
    }
    m
}

fn time(v: Option<&String>) -> Option<i64> {
    v.and_then(|s| parse_timestamp(s, &sk8_format::Zone::utc()))
}

fn name_id(v: &str) -> (String, u32) {
    let (name, rest) = v.split_once('(').unwrap();
    (name.to_owned(), rest.trim_end_matches(')').parse().unwrap())
}

pub fn blank_spec() -> JobSpec {
    JobSpec {
        name: String::new(),
        partition: None,
        account: None,
        qos: None,
        comment: None,
        reservation: None,
        licenses: None,
        wckey: None,
        user: String::new(),
        uid: 0,
        gid: 0,
        submit_dir: String::new(),
        submit_host: String::new(),
        work_dir: String::new(),
        command: Command::Wrap(String::new()),
        nodes: None,
        ntasks: None,
        cpus_per_task: None,
        ntasks_per_node: None,
        ntasks_per_socket: None,
        ntasks_per_core: None,
        ntasks_per_gpu: None,
        mincpus: None,
        topology: Topology::default(),
        core_spec: None,
        thread_spec: None,
        memory: None,
        tmp: None,
        gres: None,
        gpus: None,
        gpus_per_node: None,
        gpus_per_task: None,
        gpus_per_socket: None,
        cpus_per_gpu: None,
        constraint: None,
        cluster_constraint: None,
        nodelist: None,
        exclude: None,
        sharing: Sharing::Default,
        contiguous: false,
        distribution: None,
        overcommit: false,
        spread_job: false,
        use_min_nodes: false,
        time_limit: None,
        time_min: None,
        begin: None,
        deadline: None,
        priority: None,
        nice: None,
        hold: false,
        dependency: None,
        array: None,
        requeue: None,
        no_kill: false,
        signal: None,
        mail_type: None,
        mail_user: None,
        stdout: FilePattern::from_str("slurm-%j.out").unwrap(),
        stderr: None,
        stdin: None,
        open_mode: None,
        export: ExportSpec::default(),
        export_file: None,
        get_user_env: None,
        environment: BTreeMap::new(),
        container: Container::default(),
        recorded: BTreeMap::new(),
    }
}

pub fn blank_job(id: u32) -> JobInfo {
    JobInfo {
        id,
        array: None,
        het: None,
        spec: blank_spec(),
        state: JobState::Pending,
        reason: "None".to_owned(),
        priority: 0,
        time_limit: None,
        submit_time: 0,
        eligible_time: None,
        start_time: None,
        end_time: None,
        nodes: Vec::new(),
        node_cpus: Vec::new(),
        node_gpus: Vec::new(),
        cpus: 1,
        exit: ExitStatus::default(),
        restarts: 0,
        batch_host: None,
        steps: Vec::new(),
    }
}

fn null(v: Option<&String>) -> Option<String> {
    v.filter(|s| s.as_str() != "(null)" && !s.is_empty())
        .cloned()
}

fn exit(v: &str) -> ExitStatus {
    let (c, s) = v.split_once(':').unwrap();
    ExitStatus {
        code: c.parse().unwrap(),
        signal: s.parse().unwrap(),
    }
}

/// A job from `scontrol show job -o`.
pub fn job(m: &BTreeMap<String, String>) -> JobInfo {
    let g = |k: &str| m.get(k);
    let mut j = blank_job(g("JobId").unwrap().parse().unwrap());
    if let Some(aid) = g("ArrayJobId") {
        let task = g("ArrayTaskId").unwrap();
        let (task_id, pending) = match task.parse::<u32>() {
            Ok(t) => (Some(t), None),
            Err(_) => (None, Some(task.clone())),
        };
        j.array = Some(ArrayInfo {
            job_id: aid.parse().unwrap(),
            task_id,
            pending,
        });
    }
    let s = &mut j.spec;
    s.name = g("JobName").unwrap().clone();
    (s.user, s.uid) = name_id(g("UserId").unwrap());
    s.gid = name_id(g("GroupId").unwrap()).1;
    s.account = null(g("Account"));
    s.qos = null(g("QOS"));
    s.partition = null(g("Partition"));
    s.work_dir = g("WorkDir").unwrap().clone();
    s.submit_host = g("AllocNode:Sid")
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    s.command = match null(g("Command")) {
        Some(p) => Command::Script {
            path: Some(p),
            args: Vec::new(),
        },
        None => Command::Wrap(String::new()),
    };
    if let Some(out) = g("StdOut") {
        let default = format!("{}/slurm-{}.out", s.work_dir, j.id);
        s.stdout = if *out == default {
            FilePattern::default_batch(false)
        } else {
            FilePattern::from_str(out).unwrap()
        };
        let err = g("StdErr").unwrap();
        if err != out && *err != default {
            s.stderr = Some(FilePattern::from_str(err).unwrap());
        }
        let inp = g("StdIn").unwrap();
        if inp != "/dev/null" {
            s.stdin = Some(FilePattern::from_str(inp).unwrap());
        }
    } else {
        s.command = Command::Exec(vec![]);
    }
    s.nice = g("Nice")
        .and_then(|n| n.parse().ok())
        .filter(|&n: &i32| n != 0);
    s.requeue = Some(g("Requeue").unwrap() == "1");
    if let Some(mem) = g("MinMemoryNode") {
        s.memory = Some(Memory::PerNode(scontrol_mem(mem)));
    }
    if let Some(mem) = g("MinMemoryCPU") {
        s.memory = Some(Memory::PerCpu(scontrol_mem(mem)));
    }
    let cpt: u32 = g("CPUs/Task").unwrap().parse().unwrap();
    s.cpus_per_task = (cpt != 1).then_some(cpt);
    s.ntasks = g("NumTasks").and_then(|n| n.parse().ok());
    if let Some((a, b)) = g("NumNodes").unwrap().split_once('-') {
        s.nodes = NodeRange::new(a.parse().unwrap(), Some(b.parse().unwrap()));
    }
    if let Some(t) = g("ArrayTaskThrottle") {
        s.array = Some(ArraySpec::from_str(&format!("0%{t}")).unwrap());
    }
    if let Some(dep) = null(g("Dependency")) {
        let plain: String = dep
            .split(['(', ')'])
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, p)| p)
            .collect();
        s.dependency = Some(Dependency::from_str(&plain).unwrap());
    }
    if let Some(tpn) = g("TresPerNode") {
        // sk8-spec reads `gpu:0` as a GPU of type `0`; Slurm keeps a zero count.
        let items = tpn
            .split(',')
            .map(|g| g.trim_start_matches("gres:"))
            .map(|g| match g.strip_suffix(":0") {
                Some(name) if !name.contains(':') => Gres::new(name, None, 0),
                _ => Gres::from_str(g).unwrap(),
            })
            .collect();
        s.gres = Some(GresList::new(items));
    }
    s.constraint = null(g("Features")).and_then(|f| f.parse().ok());
    s.time_limit = TimeLimit::from_str(g("TimeLimit").unwrap()).ok();
    j.time_limit = s.time_limit;
    j.state = JobState::from_str(g("JobState").unwrap()).unwrap();
    j.reason = g("Reason").unwrap().clone();
    j.priority = g("Priority").unwrap().parse().unwrap();
    j.submit_time = time(g("SubmitTime")).unwrap();
    j.eligible_time = time(g("EligibleTime"));
    j.start_time = time(g("StartTime"));
    j.end_time = time(g("EndTime"));
    j.nodes = match g("NodeList").map(String::as_str) {
        Some("") | None => Vec::new(),
        Some(list) => sk8_hostlist::expand(list).unwrap(),
    };
    j.batch_host = g("BatchHost").cloned();
    j.cpus = g("NumCPUs")
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    j.exit = exit(g("ExitCode").unwrap());
    j.restarts = g("Restarts").unwrap().parse().unwrap();
    j
}

/// A node from `scontrol show node -o`.
pub fn node(m: &BTreeMap<String, String>) -> NodeInfo {
    let g = |k: &str| m.get(k).cloned().unwrap_or_default();
    let state = g("State");
    let state = match state.split('+').next().unwrap().trim_end_matches('*') {
        _ if state.contains("DRAIN")
            && (state.starts_with("IDLE") || state.starts_with("DOWN")) =>
        {
            NodeState::Drained
        }
        _ if state.contains("DRAIN") => NodeState::Draining,
        "IDLE" => NodeState::Idle,
        "MIXED" => NodeState::Mixed,
        "ALLOCATED" => NodeState::Allocated,
        "DOWN" => NodeState::Down,
        _ => NodeState::Unknown,
    };
    let feats = g("AvailableFeatures");
    NodeInfo {
        name: g("NodeName"),
        addr: g("NodeAddr"),
        state,
        reason: m.get("Reason").cloned(),
        cpus: g("CPUTot").parse().unwrap(),
        cpus_alloc: g("CPUAlloc").parse().unwrap(),
        memory_mb: g("RealMemory").parse().unwrap(),
        memory_alloc_mb: g("AllocMem").parse().unwrap(),
        gpus: Vec::new(),
        gpus_alloc: 0,
        features: if feats == "(null)" {
            Vec::new()
        } else {
            feats.split(',').map(str::to_owned).collect()
        },
        partitions: g("Partitions")
            .trim()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// A partition from `scontrol show partition -o`.
pub fn partition(m: &BTreeMap<String, String>) -> PartitionInfo {
    let g = |k: &str| m.get(k).cloned().unwrap_or_default();
    PartitionInfo {
        name: g("PartitionName"),
        default: g("Default") == "YES",
        up: g("State") == "UP",
        max_time: TimeLimit::from_str(&g("MaxTime")).unwrap(),
        default_time: TimeLimit::from_str(&g("DefaultTime")).ok(),
        nodes: sk8_hostlist::expand(&g("Nodes")).unwrap(),
    }
}

/// Jobs with their steps from `sacct -P -o JobIDRaw,JobID,JobName,Partition,
/// Account,AllocCPUS,State,ExitCode,Submit,Start,End,Elapsed,NodeList,
/// Timelimit,User,NNodes,NTasks`.
pub fn sacct(lines: &[&str]) -> Vec<JobInfo> {
    let mut jobs: Vec<JobInfo> = Vec::new();
    for line in lines.iter().skip(1) {
        let f: Vec<&str> = line.split('|').collect();
        let stamp = |s: &str| parse_timestamp(s, &sk8_format::Zone::utc());
        let state = JobState::from_str(f[6].split(' ').next().unwrap()).unwrap();
        let nodes = if f[12] == "None assigned" {
            Vec::new()
        } else {
            sk8_hostlist::expand(f[12]).unwrap()
        };
        if let Some((raw, step)) = f[0].split_once('.') {
            let j = jobs
                .iter_mut()
                .rev()
                .find(|j| j.id.to_string() == raw)
                .unwrap();
            j.steps.push(StepInfo {
                id: step.to_owned(),
                name: f[2].to_owned(),
                state,
                nodes,
                tasks: f[16].parse().unwrap_or(0),
                start_time: stamp(f[9]),
                end_time: stamp(f[10]),
                exit: exit(f[7]),
            });
            continue;
        }
        let mut j = blank_job(f[0].parse().unwrap());
        if let Some((aid, task)) = f[1].split_once('_') {
            let task = task.trim_start_matches('[').trim_end_matches(']');
            let (task_id, pending) = match task.parse::<u32>() {
                Ok(t) => (Some(t), None),
                Err(_) => (None, Some(task.to_owned())),
            };
            j.array = Some(ArrayInfo {
                job_id: aid.parse().unwrap(),
                task_id,
                pending,
            });
        }
        j.spec.name = f[2].to_owned();
        j.spec.partition = Some(f[3].to_owned()).filter(|s| !s.is_empty());
        j.spec.account = Some(f[4].to_owned()).filter(|s| !s.is_empty());
        j.cpus = f[5].parse().unwrap();
        j.state = state;
        j.exit = exit(f[7]);
        j.submit_time = stamp(f[8]).unwrap();
        j.start_time = stamp(f[9]);
        j.end_time = stamp(f[10]);
        j.nodes = nodes;
        j.spec.time_limit = TimeLimit::from_str(f[13]).ok();
        j.time_limit = j.spec.time_limit;
        j.spec.user = f[14].to_owned();
        jobs.push(j);
    }
    jobs
}

/// A size as `scontrol show job` prints it (`MinMemoryNode=`): sbatch's
/// syntax, or a two-decimal figure (`1.50G` for `--mem=1536M`), which
/// sbatch itself would refuse.
fn scontrol_mem(text: &str) -> MemSize {
    if let Ok(size) = MemSize::from_str(text) {
        return size;
    }
    let (num, unit) = text.split_at(text.len() - 1);
    let scale = match unit {
        "K" => 1.0 / 1024.0,
        "M" => 1.0,
        "G" => 1024.0,
        "T" => 1024.0 * 1024.0,
        _ => panic!("memory size `{text}` from scontrol"),
    };
    let mb: f64 = num
        .parse()
        .unwrap_or_else(|_| panic!("memory size `{text}` from scontrol"));
    MemSize::from_megabytes((mb * scale).round() as u64)
}
