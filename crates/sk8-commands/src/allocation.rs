//! What an interactive allocation (salloc's command, standalone srun's
//! step) runs with: the allocation's `SLURM_*` variables, how to reach its
//! agents, and the job's token in a private file.

use std::collections::BTreeMap;
use std::io::Write;

use sk8_opts::sbatch::Context;

/// The environment a command run in an interactive allocation gets (salloc's
/// command, standalone srun's step): this process's environment, salloc's
/// `SLURM_*` variables for the allocation, and how to reach its agents. The
/// job's token is written to a private file (mode 0600) whose path is given,
/// never the token itself; the returned guard removes the file.
pub fn allocation_env(
    ctx: &Context,
    spec: &sk8_spec::JobSpec,
    granted: &sk8_backend::Granted,
    cluster: &str,
) -> std::io::Result<(BTreeMap<String, String>, TokenFile)> {
    let job = &granted.job;
    let nodes = job
        .nodes
        .iter()
        .enumerate()
        .map(|(i, name)| sk8_env::Node {
            name: name.clone(),
            addr: granted
                .access
                .agents
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| {
                    a.rsplit_once(':')
                        .map_or(a.as_str(), |(h, _)| h)
                        .to_string()
                })
                .unwrap_or_default(),
            cpus: job.node_cpus.get(i).copied().unwrap_or(1),
            gpus: job.node_gpus.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let memory = spec.memory.as_ref().map(|m| match m {
        sk8_spec::job::Memory::PerNode(s) => sk8_env::MemoryGrant::PerNode(s.megabytes()),
        sk8_spec::job::Memory::PerCpu(s) => sk8_env::MemoryGrant::PerCpu(s.megabytes()),
        sk8_spec::job::Memory::PerGpu(s) => sk8_env::MemoryGrant::PerGpu(s.megabytes()),
    });
    let alloc = sk8_env::Allocation {
        job_id: job.id,
        cluster: cluster.to_string(),
        partition: job.spec.partition.clone().unwrap_or_default(),
        account: job.spec.account.clone(),
        qos: job.spec.qos.clone(),
        nodes,
        memory,
        ..sk8_env::Allocation::default()
    };
    let mut req = sk8_env::JobRequest::from_spec(spec);
    req.environment = ctx.env.clone();
    let host = sk8_env::HostFacts::default();
    let token = TokenFile::create(job.id, &granted.access.token)?;
    let mut env = ctx.env.clone();
    env.extend(sk8_env::salloc_env(&req, &alloc, &host));
    let agents: Vec<String> = granted
        .access
        .agents
        .iter()
        .map(|(n, a)| format!("{n}={a}"))
        .collect();
    env.insert("SK8_AGENTS".into(), agents.join(","));
    env.insert("SK8_TOKEN_FILE".into(), token.path.display().to_string());
    Ok((env, token))
}

/// A job token written to a private file for the processes of an
/// allocation; removed when dropped.
#[derive(Debug)]
pub struct TokenFile {
    path: std::path::PathBuf,
}

impl TokenFile {
    fn create(job: u32, token: &str) -> std::io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::env::var_os("XDG_RUNTIME_DIR")
            .map(std::path::PathBuf::from)
            .filter(|d| d.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let path = dir.join(format!(
            "sk8-token-{}-{job}-{}",
            sk8_host::current_uid(),
            std::process::id()
        ));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(token.as_bytes())?;
        Ok(Self { path })
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
