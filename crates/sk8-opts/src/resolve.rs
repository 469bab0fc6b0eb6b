//! From the options as set to a [`JobSpec`]: Slurm's cross-option checks
//! (`validate_options_salloc_sbatch_srun`, sbatch's `_opt_verify`) and the
//! defaults it applies at submission (job name, output files, input).

use std::collections::BTreeMap;
use std::str::FromStr;

use sk8_spec::job::{Command, Container, Memory, Sharing, Topology};
use sk8_spec::{
    ArraySpec, BeginSpec, Constraint, Dependency, Distribution, ExportSpec, FilePattern, GpuSpec,
    GresList, JobSpec, MailType, MemSize, NodeRange, OpenMode, SignalSpec, TimeLimit,
};

use crate::error::{EXIT_ERROR, EXIT_OPTION, Line, ParseError};
use crate::sbatch::Context;
use crate::state::Opts;
use crate::table::OptId as O;

/// What the submission adds to the options.
pub(crate) struct Defaults<'a> {
    pub ctx: &'a Context,
    /// The script path (absolute when found), `None` for standard input.
    pub script_path: Option<&'a str>,
    /// Arguments after the script path.
    pub script_args: &'a [String],
    /// `--wrap`'s command.
    pub wrap: Option<&'a str>,
    /// Where `--nodefile` is read from.
    pub host: &'a dyn crate::sbatch::Host,
}

/// Resolves `o` into a job spec, returning it with the notes Slurm prints
/// while doing so.
///
/// The checks and parses run in Slurm's order, so that of several problems
/// the one Slurm reports first is the one reported.
pub(crate) fn to_spec(o: &Opts, d: &Defaults<'_>) -> Result<(JobSpec, Vec<Line>), ParseError> {
    let mut notes = Vec::new();
    let memory = memory(o)?;
    ntasks_per_gpu(o)?;
    notes.extend(core_spec_note(o)?);
    let work_dir = o.value(O::Chdir).unwrap_or(&d.ctx.cwd).to_string();
    let topology = topology(o);
    let counts = counts(o, d, &work_dir, &topology, &mut notes)?;
    ntasks_per_gpu_has_gpus(o, counts.ntasks)?;
    let array = opt_parse::<ArraySpec>(o, O::Array, "job array specification")?;
    let export = export(o)?;
    let resources = Resources::parse(o)?;
    let schedule = Schedule::parse(o)?;
    let streams = Streams::parse(o, &work_dir, array.is_some())?;
    let parts = Parts {
        work_dir,
        memory,
        topology,
        counts,
        array,
        export,
        resources,
        schedule,
        streams,
    };
    Ok((assemble(o, d, parts), notes))
}

/// What [`to_spec`] derived and parsed, for [`assemble`].
struct Parts {
    work_dir: String,
    memory: Option<Memory>,
    topology: Topology,
    counts: Counts,
    array: Option<ArraySpec>,
    export: ExportSpec,
    resources: Resources,
    schedule: Schedule,
    streams: Streams,
}

/// The spec from the options and what [`to_spec`] derived; what is left to
/// do here cannot fail.
fn assemble(o: &Opts, d: &Defaults<'_>, p: Parts) -> JobSpec {
    let Parts {
        work_dir,
        memory,
        topology,
        counts,
        array,
        export,
        resources: r,
        schedule: sched,
        streams,
    } = p;
    JobSpec {
        name: job_name(o, d),
        partition: string(o, O::Partition).or_else(|| d.ctx.default_partition.clone()),
        account: string(o, O::Account),
        qos: string(o, O::Qos),
        comment: string(o, O::Comment),
        reservation: string(o, O::Reservation),
        licenses: string(o, O::Licenses),
        wckey: string(o, O::Wckey),
        user: d.ctx.user.clone(),
        uid: d.ctx.uid,
        gid: d.ctx.gid,
        submit_dir: d.ctx.cwd.clone(),
        submit_host: d.ctx.host.clone(),
        work_dir,
        command: command(d),
        nodes: counts.node_range(),
        ntasks: counts.ntasks,
        cpus_per_task: num(o, O::CpusPerTask),
        ntasks_per_node: counts.ntasks_per_node,
        ntasks_per_socket: num(o, O::NtasksPerSocket),
        ntasks_per_core: num(o, O::NtasksPerCore),
        ntasks_per_gpu: num(o, O::NtasksPerGpu).or_else(|| num(o, O::NtasksPerTres)),
        mincpus: num(o, O::Mincpus),
        topology,
        core_spec: num(o, O::CoreSpec),
        thread_spec: num(o, O::ThreadSpec),
        memory,
        tmp: r.tmp,
        gres: r.gres,
        gpus: r.gpus,
        gpus_per_node: r.gpus_per_node,
        gpus_per_task: r.gpus_per_task,
        gpus_per_socket: r.gpus_per_socket,
        cpus_per_gpu: num(o, O::CpusPerGpu),
        constraint: r.constraint,
        cluster_constraint: string(o, O::CConstraint),
        nodelist: counts.nodelist,
        exclude: string(o, O::Exclude),
        sharing: sharing(o),
        contiguous: o.is_set(O::Contiguous),
        distribution: r.distribution,
        overcommit: o.is_set(O::Overcommit),
        spread_job: o.is_set(O::SpreadJob),
        use_min_nodes: o.is_set(O::UseMinNodes),
        time_limit: sched.time_limit,
        time_min: sched.time_min,
        begin: sched.begin,
        deadline: sched.deadline,
        priority: priority(o),
        nice: o.value(O::Nice).and_then(|v| v.parse().ok()),
        hold: o.is_set(O::Hold),
        dependency: sched.dependency,
        array,
        requeue: o.value(O::Requeue).map(|v| v == "1"),
        no_kill: o.is_set(O::NoKill),
        signal: sched.signal,
        mail_type: sched.mail_type,
        mail_user: string(o, O::MailUser),
        stdout: streams.stdout,
        stderr: streams.stderr,
        stdin: streams.stdin,
        open_mode: streams.open_mode,
        environment: export.apply(&d.ctx.env),
        export,
        export_file: string(o, O::ExportFile),
        get_user_env: o
            .get(O::GetUserEnv)
            .map(|s| s.value.clone().unwrap_or_default()),
        container: container(o),
        recorded: recorded(o),
    }
}

/// `-S` and `--thread-spec` exclude one another; either one is then refused
/// by the reference configuration (like Slurm's default,
/// AllowSpecResourcesUsage=No), which Slurm says and goes on.
fn core_spec_note(o: &Opts) -> Result<Option<Line>, ParseError> {
    if !o.is_set(O::CoreSpec) && !o.is_set(O::ThreadSpec) {
        return Ok(None);
    }
    if o.set_by_cli(O::CoreSpec) && o.set_by_cli(O::ThreadSpec) {
        return Err(ParseError::fatal(
            "-S/--core-spec and --thred-spec options are mutually exclusive",
        ));
    }
    let which = if o.is_set(O::ThreadSpec) {
        "--thread-spec"
    } else {
        "-S"
    };
    Ok(Some(Line::error(format!(
        "Ignoring {which} since it's not allowed by configuration (AllowSpecResourcesUsage = No)"
    ))))
}

/// `p` relative to the working directory, as Slurm makes the file names it
/// sends to the controller.
fn absolute(work_dir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{}", work_dir.trim_end_matches('/'), p)
    }
}

/// `--sockets-per-node`, `--cores-per-socket` and `--threads-per-core`.
fn topology(o: &Opts) -> Topology {
    Topology {
        sockets_per_node: num(o, O::SocketsPerNode),
        cores_per_socket: num(o, O::CoresPerSocket),
        threads_per_core: num(o, O::ThreadsPerCore),
    }
}

/// (min, max) nodes, max 0 when open.
type NodeBounds = (u32, u32);

/// Node and task counts once each has been derived from the other.
struct Counts {
    nodes: Option<NodeBounds>,
    nodelist: Option<String>,
    ntasks: Option<u32>,
    ntasks_per_node: Option<u32>,
}

impl Counts {
    /// The node range as the spec holds it (no maximum when open).
    fn node_range(&self) -> Option<NodeRange> {
        match self.nodes {
            Some((min, 0)) => NodeRange::new(min, None),
            Some((min, max)) => NodeRange::new(min, Some(max)),
            None => None,
        }
    }
}

/// Node counts and the tasks Slurm derives from them (and, with fewer tasks
/// than nodes, the nodes it derives from the tasks).
fn counts(
    o: &Opts,
    d: &Defaults<'_>,
    work_dir: &str,
    topology: &Topology,
    notes: &mut Vec<Line>,
) -> Result<Counts, ParseError> {
    let (mut nodes, mut nodelist) = node_request(o, d, work_dir)?;
    let ntasks_per_node = num(o, O::NtasksPerNode);
    let mut ntasks = requested_tasks(o, nodes, ntasks_per_node);
    match (nodes, ntasks) {
        (Some((min, max)), None) if (max == 0 || min == max) || o.is_set(O::ExtraNodeInfo) => {
            ntasks = tasks_from_topology(min, topology);
        }
        (Some(range), Some(n)) => {
            nodes = Some(fit_nodes_to_tasks(range, n, &mut nodelist, notes));
        }
        _ => {}
    }
    Ok(Counts {
        nodes,
        nodelist,
        ntasks,
        ntasks_per_node,
    })
}

/// `--nodes` and the node list (`--nodefile` or `--nodelist`): a list asks
/// for at least as many nodes as it names.
fn node_request(
    o: &Opts,
    d: &Defaults<'_>,
    work_dir: &str,
) -> Result<(Option<NodeBounds>, Option<String>), ParseError> {
    let mut nodes: Option<NodeBounds> = match o.value(O::Nodes) {
        Some(v) => {
            let r = parse::<NodeRange>(v, "--nodes")?;
            Some((r.min(), r.max().unwrap_or(0)))
        }
        None => None,
    };
    let nodelist = match o.value(O::Nodefile) {
        Some(file) => Some(read_nodefile(d.host, &absolute(work_dir, file))?),
        None => o.value(O::Nodelist).map(str::to_string),
    };
    if let Some(list) = &nodelist {
        let hosts = sk8_hostlist::expand(list).map_err(|_| {
            ParseError::error(format!("Invalid node name specified: {list}"), EXIT_ERROR)
        })?;
        let mut uniq = hosts.clone();
        uniq.sort();
        uniq.dedup();
        let count = uniq.len() as u32;
        nodes = Some(match nodes {
            Some((min, max)) => (min.max(count), max),
            None => (count, 0),
        });
    }
    Ok((nodes, nodelist))
}

/// `--ntasks`, else `--ntasks-per-node` times a fixed node count.
fn requested_tasks(
    o: &Opts,
    nodes: Option<NodeBounds>,
    ntasks_per_node: Option<u32>,
) -> Option<u32> {
    let ntasks = o.value(O::Ntasks).map(|v| v.parse::<u32>().unwrap_or(1));
    if let (Some(per), None) = (ntasks_per_node, ntasks) {
        let (min, max) = nodes.unwrap_or((1, 0));
        if max == 0 || min == max {
            return Some(min.max(1) * per);
        }
    }
    ntasks
}

/// Without `--ntasks`, one task per thread of the nodes' given topology;
/// `None` when no topology option is given.
fn tasks_from_topology(min_nodes: u32, topology: &Topology) -> Option<u32> {
    let factors = [
        topology.sockets_per_node,
        topology.cores_per_socket,
        topology.threads_per_core,
    ];
    let mut n = min_nodes.max(1);
    let mut set = false;
    for f in factors.into_iter().flatten() {
        n *= f;
        set = true;
    }
    set.then_some(n)
}

/// No more nodes than tasks: fewer tasks than the minimum of nodes lower
/// both bounds (and cut the node list), as Slurm warns.
fn fit_nodes_to_tasks(
    (min, max): NodeBounds,
    n: u32,
    nodelist: &mut Option<String>,
    notes: &mut Vec<Line>,
) -> NodeBounds {
    let mut max = max;
    if n < max {
        max = n;
    }
    let mut min = min;
    if n < min {
        notes.push(Line::info(format!(
            "Warning: can't run {n} processes on {min} nodes, setting nnodes to {n}"
        )));
        min = n;
        max = n;
        if let Some(list) = nodelist {
            let mut hosts = sk8_hostlist::expand(list).unwrap_or_default();
            hosts.truncate(n as usize);
            *nodelist = Some(sk8_hostlist::compress(&hosts));
        }
    }
    (min, max)
}

/// gres_job_state_validate: --ntasks-per-gpu needs GPUs to divide or
/// tasks to derive them from.
fn ntasks_per_gpu_has_gpus(o: &Opts, ntasks: Option<u32>) -> Result<(), ParseError> {
    let gpu_request = [O::Gpus, O::GpusPerNode, O::GpusPerTask, O::GpusPerSocket]
        .iter()
        .any(|id| o.value(*id).is_some_and(|v| !v.is_empty()))
        || o.value(O::Gres).is_some_and(|v| {
            v.split(',').any(|g| {
                let g = g.strip_prefix("gres:").unwrap_or(g);
                g == "gpu" || g.starts_with("gpu:")
            })
        });
    if (o.is_set(O::NtasksPerGpu) || o.is_set(O::NtasksPerTres)) && !gpu_request && ntasks.is_none()
    {
        return Err(ParseError {
            lines: vec![
                Line::error(
                    "gres_job_state_validate: --ntasks-per-tres needs either a GRES GPU specification or a node/ntask specification",
                ),
                Line::error("Invalid generic resource (gres) specification"),
            ],
            code: EXIT_ERROR,
        });
    }
    Ok(())
}

/// `--job-name`, else `wrap` for `--wrap`, else the script's file name
/// (`sbatch` for standard input).
fn job_name(o: &Opts, d: &Defaults<'_>) -> String {
    match o.value(O::JobName) {
        Some(n) => n.to_string(),
        None if d.wrap.is_some() => "wrap".to_string(),
        None => match d.script_path {
            Some(p) => p.rsplit('/').next().unwrap_or(p).to_string(),
            None => "sbatch".to_string(),
        },
    }
}

/// `--export`, `ALL` when not given.
fn export(o: &Opts) -> Result<ExportSpec, ParseError> {
    match o.value(O::Export) {
        Some(v) => parse::<ExportSpec>(v, "--export"),
        None => Ok(ExportSpec::from_str("ALL").expect("ALL is a valid export")),
    }
}

/// The values the spec holds typed that are parsed late, grouped by
/// concept in the order Slurm checks them.
struct Resources {
    tmp: Option<MemSize>,
    gres: Option<GresList>,
    gpus: Option<GpuSpec>,
    gpus_per_node: Option<GpuSpec>,
    gpus_per_task: Option<GpuSpec>,
    gpus_per_socket: Option<GpuSpec>,
    constraint: Option<Constraint>,
    distribution: Option<Distribution>,
}

impl Resources {
    /// `--tmp`, the GRES and GPU requests, `--constraint` and
    /// `--distribution`.
    fn parse(o: &Opts) -> Result<Self, ParseError> {
        const GRES: &str = "generic resource (gres) specification";
        Ok(Self {
            tmp: opt_parse::<MemSize>(o, O::Tmp, "--tmp specification")?,
            gres: match o.value(O::Gres) {
                Some(v) if !v.eq_ignore_ascii_case("none") => {
                    Some(parse_local::<GresList>(v, GRES)?)
                }
                _ => None,
            },
            gpus: opt_parse_local::<GpuSpec>(o, O::Gpus, GRES)?,
            gpus_per_node: opt_parse_local::<GpuSpec>(o, O::GpusPerNode, GRES)?,
            gpus_per_task: opt_parse_local::<GpuSpec>(o, O::GpusPerTask, GRES)?,
            gpus_per_socket: opt_parse_local::<GpuSpec>(o, O::GpusPerSocket, GRES)?,
            constraint: opt_parse::<Constraint>(o, O::Constraint, "feature specification")?,
            distribution: opt_parse::<Distribution>(o, O::Distribution, "--distribution")?,
        })
    }
}

/// When the job may run and what it is told: times, dependency, signal, mail.
struct Schedule {
    time_limit: Option<TimeLimit>,
    time_min: Option<TimeLimit>,
    begin: Option<BeginSpec>,
    deadline: Option<BeginSpec>,
    dependency: Option<Dependency>,
    signal: Option<SignalSpec>,
    mail_type: Option<MailType>,
}

impl Schedule {
    /// `--time`, `--time-min`, `--begin`, `--deadline`, `--dependency`,
    /// `--signal` and `--mail-type`, in that order.
    fn parse(o: &Opts) -> Result<Self, ParseError> {
        Ok(Self {
            time_limit: opt_parse::<TimeLimit>(o, O::TimeLimit, "--time specification")?,
            time_min: opt_parse::<TimeLimit>(o, O::TimeMin, "--time-min specification")?,
            begin: opt_parse::<BeginSpec>(o, O::Begin, "--begin specification")?,
            deadline: opt_parse::<BeginSpec>(o, O::Deadline, "--deadline specification")?,
            dependency: match o.value(O::Dependency) {
                Some(v) if !v.is_empty() => Some(parse::<Dependency>(v, "dependency")?),
                _ => None,
            },
            signal: opt_parse::<SignalSpec>(o, O::Signal, "--signal specification")?,
            mail_type: opt_parse::<MailType>(o, O::MailType, "--mail-type specification")?,
        })
    }
}

/// The job's standard streams and how its output files are opened.
struct Streams {
    stdout: FilePattern,
    stderr: Option<FilePattern>,
    stdin: Option<FilePattern>,
    open_mode: Option<OpenMode>,
}

impl Streams {
    /// Slurm's defaults: output to `slurm-%j.out` (`slurm-%A_%a.out` for an
    /// array), errors with the output, input from `/dev/null`; relative
    /// names are in the working directory.
    fn parse(o: &Opts, work_dir: &str, array: bool) -> Result<Self, ParseError> {
        let default_out = if array {
            "slurm-%A_%a.out"
        } else {
            "slurm-%j.out"
        };
        let stdout = absolute(work_dir, o.value(O::Output).unwrap_or(default_out));
        let stderr = o.value(O::Error).map(|e| absolute(work_dir, e));
        let stdin = absolute(work_dir, o.value(O::Input).unwrap_or("/dev/null"));
        Ok(Self {
            stdout: parse::<FilePattern>(&stdout, "--output")?,
            stderr: stderr
                .map(|e| parse::<FilePattern>(&e, "--error"))
                .transpose()?,
            stdin: Some(parse::<FilePattern>(&stdin, "--input")?),
            open_mode: opt_parse::<OpenMode>(o, O::OpenMode, "--open-mode specification")?,
        })
    }
}

/// `--exclusive` and `--oversubscribe` set one field: the last given wins
/// (the setters forget the other).
fn sharing(o: &Opts) -> Sharing {
    match (o.value(O::Exclusive), o.is_set(O::Oversubscribe)) {
        (_, true) | (Some("oversubscribe"), _) => Sharing::OverSubscribe,
        (Some("user"), _) => Sharing::User,
        (Some("mcs"), _) => Sharing::Mcs,
        (Some(_), _) => Sharing::Exclusive,
        (None, false) => Sharing::Default,
    }
}

/// What the job runs: `--wrap`'s command or the script with its arguments.
fn command(d: &Defaults<'_>) -> Command {
    match d.wrap {
        Some(w) => Command::Wrap(w.to_string()),
        None => Command::Script {
            path: d.script_path.map(str::to_string),
            args: d.script_args.to_vec(),
        },
    }
}

/// `--priority`: a number, or `TOP` (Slurm's highest settable priority).
fn priority(o: &Opts) -> Option<u32> {
    o.value(O::Priority).and_then(|v| {
        v.parse::<u32>()
            .ok()
            .or((v.eq_ignore_ascii_case("TOP")).then_some(u32::MAX - 2))
    })
}

/// The pyxis options; the home directory is mounted unless
/// `--no-container-mount-home` is given alone.
fn container(o: &Opts) -> Container {
    Container {
        image: string(o, O::ContainerImage),
        mounts: list(o, O::ContainerMounts),
        workdir: string(o, O::ContainerWorkdir),
        name: string(o, O::ContainerName),
        env: list(o, O::ContainerEnv),
        mount_home: !o.is_set(O::NoContainerMountHome) || o.is_set(O::ContainerMountHome),
    }
}

/// Options sk8 accepts and keeps, by long name, without acting on them
/// (`scontrol show job` and the controller's checks still see them).
fn recorded(o: &Opts) -> BTreeMap<String, String> {
    let mut recorded = BTreeMap::new();
    for id in [
        O::AcctgFreq,
        O::Bb,
        O::Bbf,
        O::Batch,
        O::Clusters,
        O::Container,
        O::Context,
        O::CpuFreq,
        O::DelayBoot,
        O::GpuBind,
        O::GpuFreq,
        O::GresFlags,
        O::Hint,
        O::KillOnInvalidDep,
        O::McsLabel,
        O::MemBind,
        O::Network,
        O::Power,
        O::Prefer,
        O::Profile,
        O::Propagate,
        O::Reboot,
        O::Switches,
        O::WaitAllNodes,
        O::IgnorePbs,
    ] {
        if let Some(s) = o.get(id) {
            let long = crate::table::OPTIONS
                .iter()
                .find(|r| r.id == id)
                .map_or("", |r| r.long);
            recorded.insert(long.to_string(), s.value.clone().unwrap_or_default());
        }
    }
    recorded
}

/// Slurm's `slurm_read_hostfile`: node names one or more per line, `#`
/// starting a comment (`\#` is a literal `#`), as a hostlist expression.
fn read_nodefile(host: &dyn crate::sbatch::Host, path: &str) -> Result<String, ParseError> {
    let bad = || ParseError::error("Invalid --nodefile node file", EXIT_OPTION);
    let bytes = host.read_file(path).map_err(|_| {
        bad().after(Line::error(format!(
            "slurm_allocate_resources error opening file {path}, No such file or directory"
        )))
    })?;
    if bytes.len() > crate::sbatch::MAX_SCRIPT_SIZE {
        return Err(bad());
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut hosts = Vec::new();
    for line in text.lines() {
        let mut kept = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'#') => {
                    kept.push('#');
                    chars.next();
                }
                '#' => break,
                _ => kept.push(c),
            }
        }
        let kept = kept.trim();
        if kept.is_empty() {
            continue;
        }
        if !kept.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        for expr in kept.split([',', ' ', '\t']).filter(|e| !e.is_empty()) {
            hosts.extend(sk8_hostlist::expand(expr).map_err(|_| bad())?);
        }
    }
    if hosts.is_empty() {
        return Err(bad());
    }
    Ok(sk8_hostlist::compress(&hosts))
}

/// `--mem`, `--mem-per-cpu` and `--mem-per-gpu` exclude one another; one
/// given on the command line (or in a directive) silences the others' input
/// variables.
fn memory(o: &Opts) -> Result<Option<Memory>, ParseError> {
    let ids = [O::Mem, O::MemPerCpu, O::MemPerGpu];
    let cli: Vec<_> = ids.iter().filter(|id| o.set_by_cli(**id)).collect();
    let env: Vec<_> = ids.iter().filter(|id| o.set_by_env(**id)).collect();
    let chosen = match (cli.len(), env.len()) {
        (n, _) if n > 1 => {
            return Err(ParseError::fatal(
                "--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive.",
            ));
        }
        (1, _) => *cli[0],
        (0, n) if n > 1 => {
            return Err(ParseError::fatal(
                "SLURM_MEM_PER_CPU, SLURM_MEM_PER_GPU, and SLURM_MEM_PER_NODE are mutually exclusive.",
            ));
        }
        (0, 1) => *env[0],
        _ => return Ok(None),
    };
    let v = o.value(chosen).unwrap_or_default();
    let size = MemSize::from_str(v)
        .map_err(|_| ParseError::error("Invalid --mem specification", EXIT_OPTION))?;
    Ok(Some(match chosen {
        O::Mem => Memory::PerNode(size),
        O::MemPerCpu => Memory::PerCpu(size),
        _ => Memory::PerGpu(size),
    }))
}

fn ntasks_per_gpu(o: &Opts) -> Result<(), ParseError> {
    let any = o.is_set(O::NtasksPerGpu) || o.is_set(O::NtasksPerTres);
    if !any {
        return Ok(());
    }
    if o.set_by_cli(O::NtasksPerGpu)
        && o.set_by_cli(O::NtasksPerTres)
        && o.value(O::NtasksPerGpu) != o.value(O::NtasksPerTres)
    {
        return Err(ParseError::fatal(format!(
            "Inconsistent values set to --ntasks-per-gpu={} and --ntasks-per-tres={} ",
            o.value(O::NtasksPerGpu).unwrap_or_default(),
            o.value(O::NtasksPerTres).unwrap_or_default()
        )));
    }
    for (id, cli, env) in [
        (
            O::GpusPerTask,
            "--gpus-per-task is mutually exclusive with --ntasks-per-gpu and SLURM_NTASKS_PER_GPU",
            "SLURM_GPUS_PER_TASK is mutually exclusive with --ntasks-per-gpu and SLURM_NTASKS_PER_GPU",
        ),
        (
            O::GpusPerSocket,
            "--gpus-per-socket is mutually exclusive with --ntasks-per-gpu and SLURM_NTASKS_PER_GPU",
            "SLURM_GPUS_PER_SOCKET is mutually exclusive with --ntasks-per-gpu and SLURM_NTASKS_PER_GPU",
        ),
        (
            O::NtasksPerNode,
            "--ntasks-per-node is mutually exclusive with --ntasks-per-gpu and SLURM_NTASKS_PER_GPU",
            "SLURM_NTASKS_PER_NODE is mutually exclusive with --ntasks-per-gpu and SLURM_NTASKS_PER_GPU",
        ),
    ] {
        if o.set_by_cli(id) {
            return Err(ParseError::fatal(cli));
        }
        if o.set_by_env(id) {
            return Err(ParseError::fatal(env));
        }
    }
    Ok(())
}

fn string(o: &Opts, id: O) -> Option<String> {
    o.value(id).map(str::to_string)
}

fn list(o: &Opts, id: O) -> Vec<String> {
    o.value(id)
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn num(o: &Opts, id: O) -> Option<u32> {
    o.value(id).and_then(|v| v.parse().ok())
}

/// Parses a stored value; a failure here is the controller's rejection in
/// Slurm (the option layer already checked what sbatch itself checks).
fn parse<T: FromStr>(v: &str, what: &str) -> Result<T, ParseError> {
    T::from_str(v)
        .map_err(|_| ParseError::error(format!("{SUBMISSION_FAILED}Invalid {what}"), EXIT_ERROR))
}

/// Like [`parse`] for checks `sbatch` makes itself (GRES syntax): no
/// "submission failed" prefix.
fn parse_local<T: FromStr>(v: &str, what: &str) -> Result<T, ParseError> {
    T::from_str(v).map_err(|_| ParseError::error(format!("Invalid {what}"), EXIT_ERROR))
}

fn opt_parse_local<T: FromStr>(o: &Opts, id: O, what: &str) -> Result<Option<T>, ParseError> {
    o.value(id)
        .filter(|v| !v.is_empty())
        .map(|v| parse_local::<T>(v, what))
        .transpose()
}

/// How Slurm words a rejection by the controller (`sbatch --test-only` says
/// `allocation failure: ` instead; see [`ParseError::is_rejection`]).
pub const SUBMISSION_FAILED: &str = "Batch job submission failed: ";

/// A stored value parsed late; an empty value means "not set", as the
/// controller reads an empty string.
fn opt_parse<T: FromStr>(o: &Opts, id: O, what: &str) -> Result<Option<T>, ParseError> {
    o.value(id)
        .filter(|v| !v.is_empty())
        .map(|v| parse::<T>(v, what))
        .transpose()
}
