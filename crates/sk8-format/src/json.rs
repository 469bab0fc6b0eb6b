//! `squeue --json` (and `scontrol show job --json`, which Slurm 22.05 lacks
//! but later versions print in the same schema): the `v0.0.38` OpenAPI job
//! records, with every key Slurm 22.05 writes and its conventions (`null`
//! for unset counts, raw `wait(2)` exit codes, minutes for time limits,
//! Unix seconds for times, `0` for no time).

use serde_json::{Value, json};
use sk8_backend::JobInfo;
use sk8_spec::TimeLimit;
use sk8_spec::job::Memory;

use crate::job::{self, Context};

fn text(s: Option<&String>) -> Value {
    Value::String(s.cloned().unwrap_or_default())
}

fn opt_u32(v: Option<u32>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// One job record.
pub fn job(j: &JobInfo, ctx: &Context) -> Value {
    let spec = &j.spec;
    let (array_job_id, array_task_id, array_task_string) = match &j.array {
        Some(a) => (
            a.job_id,
            a.task_id
                .filter(|_| a.pending.is_none())
                .map_or(Value::Null, Value::from),
            a.pending.clone().unwrap_or_default(),
        ),
        None => (0, Value::Null, String::new()),
    };
    let time_limit = match job::limit(j) {
        Some(TimeLimit::Minutes(m)) => Value::from(m),
        Some(TimeLimit::Unlimited) => Value::Null,
        None => Value::Null,
    };
    let (mem_node, mem_cpu) = match &spec.memory {
        Some(Memory::PerNode(m)) if m.megabytes() > 0 => (Value::from(m.megabytes()), Value::Null),
        Some(Memory::PerCpu(m)) => (Value::Null, Value::from(m.megabytes())),
        _ => (Value::Null, Value::Null),
    };
    let dependency = match job::dependency(j).as_str() {
        "(null)" => String::new(),
        d => d.to_owned(),
    };
    let started = j.start_time.unwrap_or(0);
    let mut flags = Vec::new();
    if j.state.is_active() {
        flags.push("JOB_WAS_RUNNING");
    }
    if spec.memory.is_some() {
        flags.push("JOB_MEM_SET");
    }
    // A job cancelled before it started has no CPU or task count left.
    let never_ran = j.state == sk8_backend::JobState::Cancelled && j.nodes.is_empty();
    let std = |s: crate::scontrol::Stream| {
        if job::is_batch(j) {
            crate::scontrol::std_path(j, s)
        } else {
            String::new()
        }
    };
    let mut v = json!({
        "account": text(spec.account.as_ref()),
        "accrue_time": j.eligible_time.unwrap_or(0),
        "admin_comment": "",
        "array_job_id": array_job_id,
        "array_task_id": array_task_id,
        "array_max_tasks": spec.array.as_ref().and_then(sk8_spec::ArraySpec::throttle).unwrap_or(0),
        "array_task_string": array_task_string,
        "association_id": 0,
        "batch_features": "",
        "batch_flag": job::is_batch(j),
        "batch_host": j.batch_host.clone().unwrap_or_default(),
        "flags": flags,
        "burst_buffer": "",
        "burst_buffer_state": "",
        "cluster": ctx.cluster,
        "cluster_features": "",
        "command": match job::command(j).as_str() { "(null)" => String::new(), c => c.to_owned() },
        "comment": text(spec.comment.as_ref()),
        "container": text(spec.container.image.as_ref()),
        "contiguous": spec.contiguous,
        "core_spec": opt_u32(spec.core_spec),
        "thread_spec": opt_u32(spec.thread_spec),
        "cores_per_socket": opt_u32(spec.topology.cores_per_socket),
        "billable_tres": if j.nodes.is_empty() { Value::Null } else { Value::from(j.cpus) },
        "cpus_per_task": opt_u32(spec.cpus_per_task),
        "cpu_frequency_minimum": Value::Null,
        "cpu_frequency_maximum": Value::Null,
        "cpu_frequency_governor": Value::Null,
        "cpus_per_tres": "",
        "deadline": 0,
        "delay_boot": 0,
        "dependency": dependency,
        "derived_exit_code": 0,
        "eligible_time": j.eligible_time.unwrap_or(0),
        "end_time": j.end_time.unwrap_or(0),
        "excluded_nodes": spec.exclude.clone().unwrap_or_default(),
        "exit_code": job::raw_exit(j),
        "features": spec.constraint.as_ref().map(ToString::to_string).unwrap_or_default(),
        "federation_origin": "",
        "federation_siblings_active": "",
        "federation_siblings_viable": "",
        "gres_detail": [],
        "group_id": spec.gid,
        "group_name": ctx.group_name(spec.gid),
        "job_id": j.id,
        "job_state": j.state.name(),
        "last_sched_evaluation": if started != 0 { started } else { j.submit_time },
        "licenses": text(spec.licenses.as_ref()),
        "max_cpus": 0,
        "max_nodes": spec.nodes.and_then(|n| n.max()).unwrap_or(0),
        "mcs_label": "",
        "memory_per_tres": "",
        "name": spec.name,
        "nodes": job::node_list(j),
        "nice": spec.nice.filter(|&n| n != 0).map_or(Value::Null, Value::from),
        "tasks_per_core": opt_u32(spec.ntasks_per_core),
        "tasks_per_node": spec.ntasks_per_node.unwrap_or(0),
        "tasks_per_socket": opt_u32(spec.ntasks_per_socket),
        "tasks_per_board": 0,
        "cpus": if never_ran { Value::Null } else { Value::from(j.cpus) },
        "node_count": job::num_nodes(j),
        "tasks": if never_ran { Value::Null } else { Value::from(spec.tasks()) },
        "het_job_id": j.het.map_or(0, |(l, _)| l),
        "het_job_id_set": "",
        "het_job_offset": j.het.map_or(0, |(_, o)| o),
        "partition": text(spec.partition.as_ref()),
        "prefer": "",
        "memory_per_node": mem_node,
        "memory_per_cpu": mem_cpu,
        "minimum_cpus_per_node": job::min_cpus_node(j),
        "minimum_tmp_disk_per_node": spec.tmp.map_or(0, |t| t.megabytes()),
        "preempt_time": 0,
        "pre_sus_time": 0,
        "priority": j.priority,
        "profile": Value::Null,
        "qos": text(spec.qos.as_ref()),
        "reboot": false,
        "required_nodes": spec.nodelist.clone().unwrap_or_default(),
        "requeue": spec.requeue.unwrap_or(true),
        "resize_time": 0,
        "restart_cnt": j.restarts,
        "resv_name": text(spec.reservation.as_ref()),
        "shared": Value::Null,
        "show_flags": ["SHOW_ALL", "SHOW_DETAIL", "SHOW_LOCAL"],
        "sockets_per_board": 0,
        "sockets_per_node": opt_u32(spec.topology.sockets_per_node),
        "start_time": started,
        "state_description": "",
        "state_reason": j.reason,
        "standard_error": if spec.stderr.is_some() { std(crate::scontrol::Stream::Err) } else { String::new() },
        "standard_input": std(crate::scontrol::Stream::In),
        "standard_output": if spec.stdout == sk8_spec::FilePattern::default_batch(spec.is_array()) {
            String::new()
        } else {
            std(crate::scontrol::Stream::Out)
        },
        "submit_time": j.submit_time,
        "suspend_time": 0,
        "system_comment": "",
        "time_limit": time_limit,
        "time_minimum": spec.time_min.and_then(|t| t.minutes()).unwrap_or(0),
        "threads_per_core": opt_u32(spec.topology.threads_per_core),
        "tres_bind": "",
        "tres_freq": "",
        "tres_per_job": "",
        "tres_per_node": job::tres_per_node(j).unwrap_or_default(),
        "tres_per_socket": "",
        "tres_per_task": "",
        "tres_req_str": crate::scontrol::tres(j),
        "tres_alloc_str": if j.nodes.is_empty() { String::new() } else { crate::scontrol::tres(j) },
        "user_id": spec.uid,
        "user_name": spec.user,
        "wckey": text(spec.wckey.as_ref()),
        "current_working_directory": spec.work_dir,
    });
    if !j.nodes.is_empty() {
        v["job_resources"] = json!({
            "nodes": job::node_list(j),
            "allocated_cores": j.cpus,
            "allocated_hosts": j.nodes.len(),
        });
    }
    v
}

/// The whole document `squeue --json` prints for `jobs`.
pub fn jobs(jobs: &[JobInfo], ctx: &Context) -> Value {
    json!({
        "meta": {
            "plugin": { "type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38" },
            "Slurm": {
                "version": { "major": 22, "micro": 8, "minor": 5 },
                "release": "22.05.8"
            }
        },
        "errors": [],
        "jobs": jobs.iter().map(|j| job(j, ctx)).collect::<Vec<_>>(),
    })
}

/// [`jobs`] as text, pretty-printed with a final newline.
pub fn jobs_text(list: &[JobInfo], ctx: &Context) -> String {
    let mut s = serde_json::to_string_pretty(&jobs(list, ctx)).unwrap_or_default();
    s.push('\n');
    s
}

/// One node record of `sinfo --json` (`v0.0.38`).
pub fn node(n: &sk8_backend::NodeInfo) -> Value {
    let gres = crate::sinfo::node_gres(n);
    let gres = if gres == "(null)" {
        String::new()
    } else {
        gres
    };
    let state = n.state.long().to_ascii_lowercase();
    json!({
        "architecture": "x86_64",
        "burstbuffer_network_address": "",
        "boards": 1,
        "boot_time": 0,
        "comment": "",
        "cores": n.cpus,
        "cpu_binding": 0,
        "cpu_load": 0,
        "extra": "",
        "free_memory": n.memory_mb.saturating_sub(n.memory_alloc_mb),
        "cpus": n.cpus,
        "last_busy": 0,
        "features": n.features.join(","),
        "active_features": n.features.join(","),
        "gres": gres,
        "gres_drained": "N/A",
        "gres_used": "",
        "mcs_label": "",
        "name": n.name,
        "next_state_after_reboot": "invalid",
        "address": n.addr,
        "hostname": n.name,
        "state": state,
        "state_flags": [],
        "next_state_after_reboot_flags": [],
        "operating_system": "",
        "owner": null,
        "partitions": n.partitions,
        "port": 0,
        "real_memory": n.memory_mb,
        "reason": n.reason.clone().unwrap_or_default(),
        "reason_changed_at": 0,
        "reason_set_by_user": null,
        "slurmd_start_time": 0,
        "sockets": 1,
        "threads": 1,
        "temporary_disk": 0,
        "weight": 1,
        "tres": format!("cpu={},mem={}M,billing={}", n.cpus, n.memory_mb, n.cpus),
        "slurmd_version": "22.05.8",
        "alloc_memory": n.memory_alloc_mb,
        "alloc_cpus": n.cpus_alloc,
        "idle_cpus": n.cpus.saturating_sub(n.cpus_alloc),
        "tres_used": null,
        "tres_weighted": 0.0,
    })
}

/// The whole document `sinfo --json` prints (nodes only, as in 22.05),
/// pretty-printed with a final newline.
pub fn nodes_text(nodes: &[sk8_backend::NodeInfo]) -> String {
    let doc = json!({
        "meta": {
            "plugin": { "type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38" },
            "Slurm": {
                "version": { "major": 22, "micro": 8, "minor": 5 },
                "release": "22.05.8"
            }
        },
        "errors": [],
        "nodes": nodes.iter().map(node).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
