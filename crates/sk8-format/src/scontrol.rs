//! `scontrol show job|node|partition`, multi-line and `-o` one-line forms,
//! with the key order and value renderings of Slurm 22.05's
//! `slurm_sprint_job_info`, `slurm_sprint_node_table` and
//! `slurm_sprint_partition_info`.
//!
//! Some keys hold controller bookkeeping the records do not carry
//! (`LastSchedEval`, `Scheduler`, the session id in `AllocNode:Sid`, a
//! node's `Arch`, `OS`, `BootTime`, ...): they are printed with the nearest
//! value the record has, and listed in [`JOB_KEYS_APPROXIMATED`] and
//! [`NODE_KEYS_APPROXIMATED`].

use std::fmt::Write as _;

use sk8_backend::{JobInfo, JobState, NodeInfo, PartitionInfo};
use sk8_spec::TimeLimit;
use sk8_spec::pattern::PatternContext;

use crate::job::{self, Context, or_null};
use crate::time::{fixed_limit, fixed_secs, stamp_or};

/// Job keys whose value the records cannot give exactly.
pub const JOB_KEYS_APPROXIMATED: &[&str] = &["LastSchedEval", "Scheduler", "AllocNode:Sid"];
/// Node keys whose value the records cannot give exactly.
pub const NODE_KEYS_APPROXIMATED: &[&str] = &[
    "Arch",
    "CoresPerSocket",
    "CPULoad",
    "NodeHostName",
    "Version",
    "OS",
    "FreeMem",
    "Sockets",
    "Boards",
    "ThreadsPerCore",
    "TmpDisk",
    "Weight",
    "BootTime",
    "SlurmdStartTime",
    "LastBusyTime",
];

/// A job's standard stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// `StdIn=`.
    In,
    /// `StdOut=`.
    Out,
    /// `StdErr=`.
    Err,
}

/// The path of a batch job's stream, as `scontrol` shows it: the pattern with
/// `%A %a %j %u %x` expanded, relative to the working directory.
pub fn std_path(job: &JobInfo, stream: Stream) -> String {
    let spec = &job.spec;
    let pattern = match stream {
        Stream::In => match &spec.stdin {
            Some(p) => p.clone(),
            None => return "/dev/null".to_owned(),
        },
        Stream::Out => spec.stdout.clone(),
        Stream::Err => spec.stderr.clone().unwrap_or_else(|| spec.stdout.clone()),
    };
    let ctx = PatternContext {
        job_id: job.id,
        array_job_id: job.array.as_ref().map(|a| a.job_id),
        array_task_id: job.array.as_ref().and_then(|a| a.task_id),
        job_name: spec.name.clone(),
        user: spec.user.clone(),
        node_name: job.batch_host.clone().unwrap_or_default(),
        ..PatternContext::default()
    };
    let path = pattern.expand_batch(&ctx);
    if path.starts_with('/') {
        path
    } else {
        format!("{}/{path}", spec.work_dir)
    }
}

/// `TRES=`: `cpu=1,mem=100M,node=1,billing=1` (plus `gres/gpu=N`).
pub fn tres(job: &JobInfo) -> String {
    use sk8_spec::MemSize;
    use sk8_spec::job::Memory;
    let nodes = job::num_nodes(job);
    let mem = match &job.spec.memory {
        Some(Memory::PerNode(m)) => Some(m.megabytes() * u64::from(nodes)),
        Some(Memory::PerCpu(m)) => Some(m.megabytes() * u64::from(job.cpus)),
        Some(Memory::PerGpu(m)) => Some(m.megabytes() * gpus(job).max(1)),
        None => None,
    };
    let mut s = format!("cpu={}", job.cpus);
    if let Some(mb) = mem.filter(|&m| m > 0) {
        let _ = write!(s, ",mem={}", MemSize::from_megabytes(mb).to_scontrol());
    }
    let _ = write!(s, ",node={nodes},billing={}", job.cpus);
    let g = gpus(job);
    if g > 0 {
        let _ = write!(s, ",gres/gpu={g}");
    }
    s
}

fn gpus(job: &JobInfo) -> u64 {
    let spec = &job.spec;
    let nodes = u64::from(job::num_nodes(job));
    let per_node: u64 = spec
        .gres
        .as_ref()
        .map_or(0, |g| g.gpus().map(sk8_spec::Gres::count).sum());
    let per_node = per_node + spec.gpus_per_node.as_ref().map_or(0, |g| g.total());
    per_node * nodes + spec.gpus.as_ref().map_or(0, |g| g.total())
}

/// `scontrol show job` for one job: the multi-line form (ending in a blank
/// line) or, with `one_liner`, one line ending in a space and newline.
pub fn show_job(job: &JobInfo, ctx: &Context, one_liner: bool) -> String {
    let spec = &job.spec;
    let end = if one_liner { " " } else { "\n   " };
    let stamp = |t: Option<i64>, none: &str| stamp_or(t, &ctx.zone, none);
    let mut o = String::with_capacity(1024);
    let _ = write!(o, "JobId={} ", job.id);
    if let Some(a) = &job.array {
        match (&a.pending, a.task_id) {
            (Some(p), _) => {
                let _ = write!(o, "ArrayJobId={} ArrayTaskId={p} ", a.job_id);
            }
            (None, t) => {
                let _ = write!(o, "ArrayJobId={} ArrayTaskId={} ", a.job_id, t.unwrap_or(0));
            }
        }
        if let Some(t) = spec.array.as_ref().and_then(sk8_spec::ArraySpec::throttle) {
            let _ = write!(o, "ArrayTaskThrottle={t} ");
        }
    } else if let Some((leader, off)) = job.het {
        let _ = write!(o, "HetJobId={leader} HetJobOffset={off} ");
    }
    let _ = write!(o, "JobName={}{end}", spec.name);
    let group = ctx.group_name(spec.gid);
    let _ = write!(
        o,
        "UserId={}({}) GroupId={group}({}) MCS_label=N/A{end}",
        spec.user, spec.uid, spec.gid
    );
    let _ = write!(
        o,
        "Priority={} Nice={} Account={} QOS={}{end}",
        job.priority,
        spec.nice.unwrap_or(0),
        or_null(spec.account.as_deref()),
        or_null(spec.qos.as_deref())
    );
    let _ = write!(
        o,
        "JobState={} Reason={} Dependency={}{end}",
        job.state.name(),
        job.reason.replace(char::is_whitespace, "_"),
        job::dependency(job)
    );
    let _ = write!(
        o,
        "Requeue={} Restarts={} BatchFlag={} Reboot=0 ExitCode={}:{}{end}",
        u8::from(spec.requeue.unwrap_or(true)),
        job.restarts,
        u8::from(job::is_batch(job)),
        job.exit.code,
        job.exit.signal
    );
    let limit = match job::limit(job) {
        None => "Partition_Limit".to_owned(),
        Some(l) => fixed_limit(l),
    };
    let time_min = spec
        .time_min
        .and_then(|t| t.minutes())
        .map_or_else(|| "N/A".to_owned(), |m| fixed_secs(i64::from(m) * 60));
    let _ = write!(
        o,
        "RunTime={} TimeLimit={limit} TimeMin={time_min}{end}",
        fixed_secs(job::time_used(job, ctx.now))
    );
    let _ = write!(
        o,
        "SubmitTime={} EligibleTime={}{end}",
        stamp(Some(job.submit_time), "Unknown"),
        stamp(job.eligible_time, "Unknown")
    );
    let _ = write!(o, "AccrueTime={}{end}", stamp(job.eligible_time, "Unknown"));
    let end_time =
        if job::limit(job) == Some(TimeLimit::Unlimited) && job.end_time.unwrap_or(0) > ctx.now {
            "Unknown".to_owned()
        } else {
            stamp(job.end_time, "Unknown")
        };
    let _ = write!(
        o,
        "StartTime={} EndTime={end_time} Deadline=N/A{end}",
        stamp(job.start_time, "Unknown")
    );
    let sched_eval = job
        .start_time
        .filter(|&s| s != 0)
        .unwrap_or(job.submit_time);
    let _ = write!(
        o,
        "SuspendTime=None SecsPreSuspend=0 LastSchedEval={} Scheduler=Main{end}",
        stamp(Some(sched_eval), "Unknown")
    );
    let _ = write!(
        o,
        "Partition={} AllocNode:Sid={}:0{end}",
        or_null(spec.partition.as_deref()),
        spec.submit_host
    );
    let _ = write!(
        o,
        "ReqNodeList={} ExcNodeList={}{end}",
        or_null(spec.nodelist.as_deref()),
        or_null(spec.exclude.as_deref())
    );
    let _ = write!(o, "NodeList={}{end}", job::node_list(job));
    if let Some(h) = &job.batch_host {
        let _ = write!(o, "BatchHost={h}{end}");
    }
    let num_nodes = if job.state == JobState::Pending {
        spec.nodes
            .map_or_else(|| job::num_nodes(job).to_string(), |n| n.to_scontrol())
    } else {
        job::num_nodes(job).to_string()
    };
    let tasks = if job.state == JobState::Cancelled && job.nodes.is_empty() {
        "N/A".to_owned()
    } else {
        spec.tasks().to_string()
    };
    let t = &spec.topology;
    let _ = write!(
        o,
        "NumNodes={num_nodes} NumCPUs={} NumTasks={tasks} CPUs/Task={} ReqB:S:C:T=0:0:{}:{}{end}",
        job.cpus,
        spec.cpus_per_task(),
        job::star(t.cores_per_socket),
        job::star(t.threads_per_core)
    );
    let _ = write!(o, "TRES={}{end}", tres(job));
    let _ = write!(
        o,
        "Socks/Node={} NtasksPerN:B:S:C={}:0:{}:{} CoreSpec={}{end}",
        job::star(t.sockets_per_node),
        spec.ntasks_per_node.unwrap_or(0),
        job::star(spec.ntasks_per_socket),
        job::star(spec.ntasks_per_core),
        job::star(spec.core_spec)
    );
    let mem_kind = match spec.memory {
        Some(sk8_spec::job::Memory::PerCpu(_)) => "CPU",
        _ => "Node",
    };
    let _ = write!(
        o,
        "MinCPUsNode={} MinMemory{mem_kind}={} MinTmpDiskNode={}{end}",
        job::min_cpus_node(job),
        job::min_memory(job),
        spec.tmp.map_or_else(|| "0".to_owned(), |t| t.to_scontrol())
    );
    let features = spec
        .constraint
        .as_ref()
        .map_or_else(|| "(null)".to_owned(), ToString::to_string);
    let _ = write!(o, "Features={features} DelayBoot=00:00:00{end}");
    if let Some(r) = &spec.reservation {
        let _ = write!(o, "Reservation={r}{end}");
    }
    let _ = write!(
        o,
        "OverSubscribe={} Contiguous={} Licenses={} Network=(null){end}",
        job::over_subscribe(job),
        u8::from(spec.contiguous),
        or_null(spec.licenses.as_deref())
    );
    let _ = write!(o, "Command={}{end}", job::command(job));
    let _ = write!(o, "WorkDir={}", spec.work_dir);
    if let Some(c) = &spec.comment {
        let _ = write!(o, "{end}Comment={c} ");
    }
    if job::is_batch(job) {
        let _ = write!(o, "{end}StdErr={}", std_path(job, Stream::Err));
        let _ = write!(o, "{end}StdIn={}", std_path(job, Stream::In));
        let _ = write!(o, "{end}StdOut={}", std_path(job, Stream::Out));
    }
    let _ = write!(o, "{end}Power=");
    if let Some(tpn) = job::tres_per_node(job) {
        let _ = write!(o, "{end}TresPerNode={tpn}");
    }
    if let (Some(t), Some(u)) = (&spec.mail_type, &spec.mail_user) {
        let _ = write!(o, "{end}MailUser={u} MailType={t}");
    }
    if let Some(img) = &spec.container.image {
        let _ = write!(o, "{end}Container={img}");
    }
    o.push_str(end);
    o.push('\n');
    if !one_liner {
        o.push('\n');
    }
    o
}

/// `scontrol show node` for one node.
pub fn show_node(node: &NodeInfo, ctx: &Context, one_liner: bool) -> String {
    let end = if one_liner { " " } else { "\n   " };
    let mut o = String::with_capacity(768);
    let feats = if node.features.is_empty() {
        "(null)".to_owned()
    } else {
        node.features.join(",")
    };
    let gres = crate::sinfo::node_gres(node);
    let _ = write!(
        o,
        "NodeName={} Arch=(null) CoresPerSocket=1 {end}",
        node.name
    );
    let _ = write!(
        o,
        "CPUAlloc={} CPUEfctv={} CPUTot={} CPULoad=0.00{end}",
        node.cpus_alloc, node.cpus, node.cpus
    );
    let _ = write!(
        o,
        "AvailableFeatures={feats}{end}ActiveFeatures={feats}{end}"
    );
    let _ = write!(o, "Gres={gres}{end}");
    let _ = write!(
        o,
        "NodeAddr={} NodeHostName={} Version=(null){end}",
        node.addr, node.name
    );
    let _ = write!(o, "OS=(null) {end}");
    let _ = write!(
        o,
        "RealMemory={} AllocMem={} FreeMem=N/A Sockets=1 Boards=1{end}",
        node.memory_mb, node.memory_alloc_mb
    );
    let _ = write!(
        o,
        "State={} ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A{end}",
        node_state_long(node)
    );
    if !node.partitions.is_empty() {
        let _ = write!(o, "Partitions={} {end}", node.partitions.join(","));
    }
    let boot = stamp_or(None, &ctx.zone, "None");
    let _ = write!(o, "BootTime={boot} SlurmdStartTime={boot}{end}");
    let _ = write!(o, "LastBusyTime={boot}{end}");
    let _ = write!(
        o,
        "CfgTRES=cpu={},mem={}M,billing={}{end}",
        node.cpus, node.memory_mb, node.cpus
    );
    let mut alloc = Vec::new();
    if node.cpus_alloc > 0 {
        alloc.push(format!("cpu={}", node.cpus_alloc));
    }
    if node.memory_alloc_mb > 0 {
        alloc.push(format!(
            "mem={}",
            sk8_spec::MemSize::from_megabytes(node.memory_alloc_mb).to_scontrol()
        ));
    }
    if node.gpus_alloc > 0 {
        alloc.push(format!("gres/gpu={}", node.gpus_alloc));
    }
    let _ = write!(o, "AllocTRES={}{end}", alloc.join(","));
    let _ = write!(o, "CapWatts=n/a{end}");
    let _ = write!(o, "CurrentWatts=0 AveWatts=0{end}");
    let _ = write!(
        o,
        "ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s{end}"
    );
    if let Some(r) = &node.reason {
        let _ = write!(o, "Reason={r}{end}");
    }
    // The last separator becomes the record's end.
    o.truncate(o.len() - end.len());
    o.push('\n');
    if !one_liner {
        o.push('\n');
    }
    o
}

/// The node state as `scontrol` prints `State=` (`IDLE`, `ALLOCATED`,
/// `IDLE+DRAIN`, `MIXED+DRAIN`).
pub fn node_state_long(node: &NodeInfo) -> String {
    use sk8_backend::NodeState as N;
    match node.state {
        N::Drained => "IDLE+DRAIN".to_owned(),
        N::Draining => {
            if node.cpus_alloc >= node.cpus {
                "ALLOCATED+DRAIN".to_owned()
            } else {
                "MIXED+DRAIN".to_owned()
            }
        }
        s => s.long().to_owned(),
    }
}

/// `scontrol show partition` for one partition; `nodes` gives the CPU and
/// memory totals.
pub fn show_partition(part: &PartitionInfo, nodes: &[NodeInfo], one_liner: bool) -> String {
    let end = if one_liner { " " } else { "\n   " };
    let members: Vec<&NodeInfo> = nodes
        .iter()
        .filter(|n| part.nodes.contains(&n.name))
        .collect();
    let cpus: u32 = members.iter().map(|n| n.cpus).sum();
    let mem: u64 = members.iter().map(|n| n.memory_mb).sum();
    let mut o = String::with_capacity(768);
    let _ = write!(o, "PartitionName={}{end}", part.name);
    let _ = write!(o, "AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL{end}");
    let _ = write!(
        o,
        "AllocNodes=ALL Default={} QoS=N/A{end}",
        if part.default { "YES" } else { "NO" }
    );
    let def_time = part
        .default_time
        .map_or_else(|| "NONE".to_owned(), fixed_limit);
    let _ = write!(
        o,
        "DefaultTime={def_time} DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO{end}"
    );
    let _ = write!(
        o,
        "MaxNodes=UNLIMITED MaxTime={} MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED{end}",
        fixed_limit(part.max_time)
    );
    let _ = write!(
        o,
        "Nodes={}{end}",
        if part.nodes.is_empty() {
            "(null)".to_owned()
        } else {
            sk8_hostlist::compress(&part.nodes)
        }
    );
    let _ = write!(
        o,
        "PriorityJobFactor=1 PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO{end}"
    );
    let _ = write!(o, "OverTimeLimit=NONE PreemptMode=OFF{end}");
    let _ = write!(
        o,
        "State={} TotalCPUs={cpus} TotalNodes={} SelectTypeParameters=NONE{end}",
        if part.up { "UP" } else { "DOWN" },
        part.nodes.len()
    );
    let _ = write!(o, "JobDefaults=(null){end}");
    let _ = write!(o, "DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED{end}");
    let _ = write!(
        o,
        "TRES=cpu={cpus},mem={mem}M,node={},billing={cpus}",
        part.nodes.len()
    );
    o.push('\n');
    if !one_liner {
        o.push('\n');
    }
    o
}
