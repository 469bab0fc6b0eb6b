//! The options as set so far (Slurm's `slurm_opt_t`), and the setters that
//! validate each value as Slurm's `arg_set_*` functions do.
//!
//! Setters validate and store; nothing here reads files or the clock. A value
//! is stored as written (after validation) and turned into the typed
//! [`sk8_spec::JobSpec`] once every source has been applied, so that "last one
//! wins" holds across directives, input variables and the command line.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::{EXIT_ERROR, EXIT_OPTION, Line, ParseError};
use crate::table::{Cmd, HasArg, OPTIONS, OptDef, OptId};

/// Where a value came from; Slurm's `set_by_env` versus command line (which
/// includes `#SBATCH` directives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An `#SBATCH` directive.
    Directive,
    /// An input variable (`SBATCH_*`, `SLURM_*`, `SALLOC_*`).
    Env,
    /// The command line.
    Cli,
}

/// One stored option value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value as validated (`None` for switches and absent optional values).
    pub value: Option<String>,
    /// Where it came from.
    pub source: Source,
}

/// Every option set so far, for one job component.
#[derive(Debug, Clone)]
pub struct Opts {
    /// The command whose rules apply.
    pub cmd: Cmd,
    /// The submitting directory (for `--chdir` and relative paths).
    pub cwd: String,
    values: BTreeMap<OptId, Setting>,
    /// `-v` count.
    pub verbose: u32,
    /// `-Q` count.
    pub quiet: u32,
    /// Lines to print as `info`/warnings once parsing is done.
    pub notes: Vec<Line>,
}

impl Opts {
    /// No options set.
    pub fn new(cmd: Cmd, cwd: &str) -> Self {
        Self {
            cmd,
            cwd: cwd.to_string(),
            values: BTreeMap::new(),
            verbose: 0,
            quiet: 0,
            notes: Vec::new(),
        }
    }

    /// The stored setting of `id`.
    pub fn get(&self, id: OptId) -> Option<&Setting> {
        self.values.get(&id)
    }

    /// The stored value of `id`, if it has one.
    pub fn value(&self, id: OptId) -> Option<&str> {
        self.values.get(&id).and_then(|s| s.value.as_deref())
    }

    /// True when `id` was set (switch or value).
    pub fn is_set(&self, id: OptId) -> bool {
        self.values.contains_key(&id)
    }

    /// True when `id` was set by a directive or the command line.
    pub fn set_by_cli(&self, id: OptId) -> bool {
        self.values
            .get(&id)
            .is_some_and(|s| s.source != Source::Env)
    }

    /// True when `id` was set by an input variable.
    pub fn set_by_env(&self, id: OptId) -> bool {
        self.values
            .get(&id)
            .is_some_and(|s| s.source == Source::Env)
    }

    /// Forgets `id` (Slurm's `reset_func`).
    pub fn reset(&mut self, id: OptId) {
        self.values.remove(&id);
    }

    /// Forgets the options Slurm resets before each heterogeneous job
    /// component; the others carry over.
    pub fn reset_for_next_component(&mut self) {
        for def in OPTIONS.iter().filter(|d| d.reset_each_pass) {
            self.values.remove(&def.id);
        }
    }

    fn store(&mut self, id: OptId, value: Option<String>, source: Source) {
        self.values.insert(id, Setting { value, source });
    }

    /// Applies an input variable's value: switches take `""`, `yes` or a
    /// non-zero number to set and anything else to reset; an empty value of an
    /// optional-value option means "no value".
    pub fn set_from_env(&mut self, def: &'static OptDef, raw: &str) -> Result<(), ParseError> {
        match def.has_arg {
            HasArg::No => {
                let on = raw.is_empty()
                    || raw.eq_ignore_ascii_case("yes")
                    || strtol_full(raw).is_some_and(|n| n != 0);
                if on {
                    // Switches that count (-v) take their number from the variable.
                    self.set(def, (def.id == OptId::Verbose).then_some(raw), Source::Env)
                } else {
                    self.reset(def.id);
                    Ok(())
                }
            }
            HasArg::Optional if raw.is_empty() => self.set(def, None, Source::Env),
            _ => self.set(def, Some(raw), Source::Env),
        }
    }

    /// Applies one option (Slurm's `arg_set_*`), validating its value.
    ///
    /// Dispatches to one setter per concept; options with nothing to check
    /// are stored as given.
    pub fn set(
        &mut self,
        def: &'static OptDef,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        match def.id {
            O::Verbose | O::Quiet => self.count(def.id, arg),
            O::MailType => self.add_mail_type(arg.unwrap_or_default(), source),
            O::CpusPerTask
            | O::Ntasks
            | O::NtasksPerNode
            | O::NtasksPerCore
            | O::NtasksPerSocket
            | O::NtasksPerGpu
            | O::NtasksPerTres
            | O::SocketsPerNode
            | O::CoresPerSocket
            | O::ThreadsPerCore
            | O::Mincpus
            | O::CpusPerGpu
            | O::ThreadSpec
            | O::Jobid
            | O::MsgTimeout
            | O::MaxThreads
            | O::CoreSpec
            | O::Relative
            | O::WaitSrun
            | O::WaitAllNodes
            | O::Switches
            | O::Immediate
            | O::ResvPorts
            | O::KillOnBadExit => self.set_number(def, arg, source),
            O::TimeLimit | O::TimeMin | O::Begin | O::Deadline | O::DelayBoot => {
                self.set_time(def, arg, source)
            }
            O::Mem
            | O::MemPerCpu
            | O::MemPerGpu
            | O::Tmp
            | O::Nodes
            | O::Distribution
            | O::Nodelist
            | O::Nodefile
            | O::Gres
            | O::ExtraNodeInfo
            | O::Hint => self.set_resource(def, arg, source),
            O::Exclusive | O::Oversubscribe => self.set_sharing(def.id, arg, source),
            O::Nice | O::Priority => self.set_priority(def.id, arg, source),
            O::NoKill | O::Requeue | O::NoRequeue | O::KillOnInvalidDep | O::Signal => {
                self.set_job_control(def.id, arg, source)
            }
            O::Chdir | O::Output | O::Error | O::Input | O::OpenMode => {
                self.set_io_path(def.id, arg.unwrap_or_default(), source)
            }
            O::GetUserEnv | O::Propagate | O::Uid | O::Gid => {
                self.set_environment(def, arg, source)
            }
            O::GresFlags | O::Profile | O::CpuFreq => self.set_tuning(def.id, arg, source),
            _ => self.keep(def.id, arg, source),
        }
    }

    /// Stores a value as given (after whatever check the caller made).
    fn keep(&mut self, id: OptId, arg: Option<&str>, source: Source) -> Result<(), ParseError> {
        self.store(id, arg.map(str::to_string), source);
        Ok(())
    }

    /// `-v` and `-Q` count; `-v` from an input variable takes its number.
    fn count(&mut self, id: OptId, arg: Option<&str>) -> Result<(), ParseError> {
        match (id, arg) {
            (OptId::Verbose, Some(v)) => self.verbose = parse_int("--verbose", v, false)? as u32,
            (OptId::Verbose, None) => self.verbose += 1,
            _ => self.quiet += 1,
        }
        Ok(())
    }

    /// `--mail-type` accumulates over its uses, until a `NONE`.
    fn add_mail_type(&mut self, v: &str, source: Source) -> Result<(), ParseError> {
        sk8_spec::MailType::from_str(v).map_err(|_| invalid("--mail-type specification"))?;
        let joined = match self.value(OptId::MailType) {
            Some(prev) if !v.eq_ignore_ascii_case("NONE") => format!("{prev},{v}"),
            _ => v.to_string(),
        };
        self.store(OptId::MailType, Some(joined), source);
        Ok(())
    }

    /// Counts, ids and timeouts, as Slurm's `parse_int` reads them (exit 1 on
    /// a bad number); most are stored as the number read.
    fn set_number(
        &mut self,
        def: &'static OptDef,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        let id = def.id;
        let req = arg.unwrap_or_default();
        let n = match id {
            O::Switches => {
                let count = req.split_once('@').map_or(req, |(c, _)| c);
                parse_int("--switches", count, true)?;
                return self.keep(id, arg, source);
            }
            O::Immediate | O::ResvPorts | O::KillOnBadExit => {
                if let Some(v) = arg {
                    let name = match id {
                        O::Immediate => "immediate",
                        O::ResvPorts => "--resv-port",
                        _ => "--kill-on-bad-exit",
                    };
                    parse_int(name, v, false)?;
                }
                return self.keep(id, arg, source);
            }
            O::WaitAllNodes => {
                let n = parse_int("--wait-all-nodes", req, false)?;
                if n > 1 {
                    return Err(invalid("--wait-all-nodes specification"));
                }
                n
            }
            O::CoreSpec | O::Relative | O::WaitSrun => {
                let name = if id == O::WaitSrun {
                    "--wait".to_string()
                } else {
                    format!("--{}", def.long)
                };
                parse_int(&name, req, false)?
            }
            _ => {
                let name = match id {
                    O::Mincpus => "--mincpus".to_string(),
                    O::MaxThreads => "--threads".to_string(),
                    O::NtasksPerNode => "--ntasks-per-node".to_string(),
                    _ => format!("--{}", def.long),
                };
                parse_int(&name, req, true)?
            }
        };
        self.store(id, Some(n.to_string()), source);
        Ok(())
    }

    /// Time limits and points in time; stored as given once they parse.
    fn set_time(
        &mut self,
        def: &'static OptDef,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        let id = def.id;
        let req = arg.unwrap_or_default();
        match id {
            O::TimeLimit | O::TimeMin => {
                sk8_spec::TimeLimit::from_str(req).map_err(|_| {
                    invalid(if id == O::TimeLimit {
                        "--time specification"
                    } else {
                        "--time-min specification"
                    })
                })?;
            }
            O::Begin | O::Deadline => {
                let what = if id == O::Begin {
                    "--begin"
                } else {
                    "--deadline"
                };
                sk8_spec::BeginSpec::from_str(req).map_err(|_| {
                    invalid(&format!("{what} specification")).after(Line::bare(format!(
                        "Invalid time specification (pos=0): {req}"
                    )))
                })?;
            }
            O::DelayBoot => {
                sk8_spec::TimeLimit::from_str(req)
                    .map_err(|_| invalid("--delay-boot specification"))?;
            }
            _ => {}
        }
        self.keep(id, arg, source)
    }

    /// Memory, nodes, their layout and generic resources; stored as given
    /// once they parse. The two ways of naming nodes exclude one another,
    /// as does srun's `--mem` an earlier `--mem-per-cpu`.
    fn set_resource(
        &mut self,
        def: &'static OptDef,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        let id = def.id;
        let req = arg.unwrap_or_default();
        match id {
            O::Mem | O::MemPerCpu | O::MemPerGpu | O::Tmp => {
                sk8_spec::MemSize::from_str(req)
                    .map_err(|_| invalid(&format!("--{} specification", def.long)))?;
                if self.cmd == Cmd::Srun && id == O::Mem {
                    self.reset(O::MemPerCpu);
                }
            }
            O::Nodes => {
                sk8_spec::NodeRange::from_str(req).map_err(|e| node_count_error(req, &e))?;
            }
            O::Distribution => {
                sk8_spec::Distribution::from_str(req)
                    .map_err(|_| invalid("--distribution specification"))?;
            }
            O::Nodelist => self.reset(O::Nodefile),
            O::Nodefile => self.reset(O::Nodelist),
            O::Gres if req.eq_ignore_ascii_case("help") || req.eq_ignore_ascii_case("list") => {
                return Err(ParseError {
                    lines: vec![
                        Line::bare("Valid gres options are:"),
                        Line::bare("gpu[[:type]:count]"),
                    ],
                    code: 0,
                });
            }
            O::ExtraNodeInfo => check_extra_node_info(req)?,
            O::Hint => check_hint(req)?,
            _ => {}
        }
        self.keep(id, arg, source)
    }

    /// `--exclusive` and `--oversubscribe` set one field: the last wins.
    fn set_sharing(
        &mut self,
        id: OptId,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        if id == OptId::Oversubscribe {
            self.reset(OptId::Exclusive);
            return self.keep(id, arg, source);
        }
        let v = match arg {
            None => "exclusive",
            Some(v) if v.eq_ignore_ascii_case("exclusive") => "exclusive",
            Some(v) if v.eq_ignore_ascii_case("oversubscribe") => "oversubscribe",
            Some(v) if v.eq_ignore_ascii_case("user") => "user",
            Some(v) if v.eq_ignore_ascii_case("mcs") => "mcs",
            Some(_) => return Err(invalid("--exclusive specification")),
        };
        self.reset(OptId::Oversubscribe);
        self.store(id, Some(v.to_string()), source);
        Ok(())
    }

    /// `--nice` (100 without a value) and `--priority` (a number or `TOP`),
    /// stored as the number read, within Slurm's bounds.
    fn set_priority(
        &mut self,
        id: OptId,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        let n = if id == OptId::Nice {
            let n = arg.map_or(100, strtoll_prefix);
            if n.unsigned_abs() > NICE_LIMIT {
                return Err(ParseError::error(
                    format!("Invalid --nice value, out of range (+/- {NICE_LIMIT})"),
                    EXIT_OPTION,
                ));
            }
            n
        } else {
            let v = arg.unwrap_or_default();
            if v.eq_ignore_ascii_case("TOP") {
                return self.keep(id, arg, source);
            }
            let n = strtoll_prefix(v);
            if n < 0 {
                return Err(ParseError::error("Priority must be >= 0", EXIT_OPTION));
            }
            if n >= i64::from(NO_VAL) {
                return Err(ParseError::error(
                    format!("Priority must be < {NO_VAL}"),
                    EXIT_OPTION,
                ));
            }
            n
        };
        self.store(id, Some(n.to_string()), source);
        Ok(())
    }

    /// What happens to the job on node failure, bad dependencies and
    /// signals: `--no-kill`, `--requeue`/`--no-requeue` (one field),
    /// `--kill-on-invalid-dep`, `--signal`.
    fn set_job_control(
        &mut self,
        id: OptId,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        let req = arg.unwrap_or_default();
        match id {
            O::NoKill => match arg {
                None => {}
                Some(v) if v.eq_ignore_ascii_case("set") => {}
                Some(v) if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("no") => {
                    self.reset(id);
                    return Ok(());
                }
                Some(_) => return Err(invalid("--no-kill specification")),
            },
            O::Requeue | O::NoRequeue => {
                let on = id == O::Requeue;
                self.store(O::Requeue, Some(if on { "1" } else { "0" }.into()), source);
                return Ok(());
            }
            O::KillOnInvalidDep
                if !req.eq_ignore_ascii_case("yes") && !req.eq_ignore_ascii_case("no") =>
            {
                return Err(invalid("--kill-on-invalid-dep specification"));
            }
            O::Signal => {
                sk8_spec::SignalSpec::from_str(req)
                    .map_err(|_| invalid("--signal specification"))?;
            }
            _ => {}
        }
        self.keep(id, arg, source)
    }

    /// The working directory (made absolute) and the standard streams'
    /// files (`none` is `/dev/null`) and open mode (its first letter).
    fn set_io_path(&mut self, id: OptId, v: &str, source: Source) -> Result<(), ParseError> {
        use OptId as O;
        let stored = match id {
            O::Chdir if v.starts_with('/') => v.to_string(),
            O::Chdir => format!("{}/{}", self.cwd.trim_end_matches('/'), v),
            O::OpenMode => match v.chars().next() {
                Some('a' | 'A') => "append".to_string(),
                Some('t' | 'T') => "truncate".to_string(),
                _ => return Err(invalid("--open-mode specification")),
            },
            _ if v.eq_ignore_ascii_case("none") => "/dev/null".to_string(),
            _ => v.to_string(),
        };
        self.store(id, Some(stored), source);
        Ok(())
    }

    /// The environment the job gets (`--get-user-env`, `--propagate`'s
    /// limits, `ALL` without a value) and the user and group it runs as.
    fn set_environment(
        &mut self,
        def: &'static OptDef,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        let id = def.id;
        match id {
            O::GetUserEnv => {
                if let Some(v) = arg {
                    check_get_user_env(v)?;
                }
            }
            O::Propagate => {
                let v = arg.unwrap_or("ALL");
                check_propagate(v)?;
                return self.keep(id, Some(v), source);
            }
            O::Uid | O::Gid => {
                let v = arg.unwrap_or_default();
                let numeric = !v.is_empty() && v.chars().all(|c| c.is_ascii_digit());
                if !numeric
                    && !v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                {
                    return Err(invalid(&format!("--{} specification", def.long)));
                }
            }
            _ => {}
        }
        self.keep(id, arg, source)
    }

    /// Binding, profiling and CPU frequency words; stored as given once
    /// they are known.
    fn set_tuning(
        &mut self,
        id: OptId,
        arg: Option<&str>,
        source: Source,
    ) -> Result<(), ParseError> {
        use OptId as O;
        let req = arg.unwrap_or_default();
        match id {
            O::GresFlags
                if !req.eq_ignore_ascii_case("disable-binding")
                    && !req.eq_ignore_ascii_case("enforce-binding") =>
            {
                return Err(invalid("--gres-flags specification"));
            }
            O::Profile if !valid_profile(req) => {
                return Err(ParseError::error(
                    format!("invalid --profile={req} option"),
                    EXIT_OPTION,
                ));
            }
            O::CpuFreq => {
                if let Err(word) = check_cpu_freq(req) {
                    return Err(
                        invalid_arg("--cpu-freq argument").after(Line::error(format!(
                            "unrecognized --cpu-freq argument \"{word}\""
                        ))),
                    );
                }
            }
            _ => {}
        }
        self.keep(id, arg, source)
    }
}

/// `--get-user-env`'s value: a timeout, optionally followed by `S` or `L`
/// (what follows that letter is not looked at).
fn check_get_user_env(v: &str) -> Result<(), ParseError> {
    let digits = v
        .trim_start()
        .trim_start_matches(['+', '-'])
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    let lead = v.len() - v.trim_start().len() + usize::from(v.trim_start().starts_with(['+', '-']));
    let rest = &v[(lead + digits).min(v.len())..];
    if !rest.is_empty() && !rest.starts_with(['s', 'S', 'l', 'L']) {
        return Err(invalid("--get-user-env specification"));
    }
    Ok(())
}

/// Slurm's `NO_VAL`.
const NO_VAL: u32 = 0xffff_fffe;
/// Slurm's `NICE_OFFSET - 3`.
const NICE_LIMIT: u64 = 0x7fff_fffd;

fn invalid(what: &str) -> ParseError {
    ParseError::error(format!("Invalid {what}"), EXIT_OPTION)
}

fn invalid_arg(what: &str) -> ParseError {
    ParseError::error(format!("Invalid {what}"), EXIT_OPTION)
}

/// `strtol(s, &end, 10)` with `*end == '\0'`: the whole string is a number
/// (leading blanks and a sign allowed).
pub(crate) fn strtol_full(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(t.parse::<i64>().unwrap_or(if t.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    }))
}

/// `strtoll(s, NULL, 10)`: the leading number, 0 when there is none.
pub(crate) fn strtoll_prefix(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (sign, body) = match t.as_bytes().first() {
        Some(b'-') => (-1i64, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let end = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    body[..end]
        .parse::<i64>()
        .map(|n| sign * n)
        .unwrap_or(if end == 0 {
            0
        } else if sign < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// Slurm's `parse_int`: the whole value must be a (positive) number.
pub(crate) fn parse_int(name: &str, val: &str, positive: bool) -> Result<i64, ParseError> {
    let bad = || {
        ParseError::error(
            format!("Invalid numeric value \"{val}\" for {name}."),
            EXIT_ERROR,
        )
    };
    let n = if val.trim_start().is_empty() {
        0
    } else {
        strtol_full(val).ok_or_else(bad)?
    };
    if n < 0 || (positive && n <= 0) {
        return Err(bad());
    }
    if n == i64::MAX {
        return Err(ParseError::error(
            format!("Numeric argument ({n}) to big for {name}."),
            EXIT_ERROR,
        ));
    }
    // Slurm stores the long in an int.
    Ok(i64::from(n as i32))
}

fn node_count_error(val: &str, _e: &dyn std::fmt::Display) -> ParseError {
    // verify_node_count's messages: a range with min > max names both.
    if let Some((a, b)) = val.split_once('-') {
        if let (Ok(min), Ok(max)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
            if max < min {
                return ParseError::error(
                    format!("Maximum node count {max} is less than minimum node count {min}"),
                    EXIT_OPTION,
                );
            }
        }
    }
    ParseError::error(format!("\"{val}\" is not a valid node count"), EXIT_OPTION)
}

fn valid_profile(v: &str) -> bool {
    v.split(',').all(|p| {
        ["all", "none", "energy", "lustre", "network", "task"]
            .iter()
            .any(|k| p.eq_ignore_ascii_case(k))
    })
}

/// `cpu_freq_verify_cmdline`: `p1[-p2][:gov]` where each is a frequency in
/// kHz or one of Slurm's names. Returns the first word it does not know.
fn check_cpu_freq(v: &str) -> Result<(), String> {
    const NAMES: [&str; 4] = ["low", "medium", "high", "highm1"];
    const GOVS: [&str; 6] = [
        "conservative",
        "ondemand",
        "performance",
        "powersave",
        "userspace",
        "schedutil",
    ];
    let is_freq = |p: &str| {
        !p.is_empty()
            && (p.chars().all(|c| c.is_ascii_digit())
                || NAMES.iter().any(|n| p.eq_ignore_ascii_case(n)))
    };
    let is_gov = |p: &str| GOVS.iter().any(|g| p.eq_ignore_ascii_case(g));
    let (freqs, gov) = match v.split_once(':') {
        Some((f, g)) => (f, Some(g)),
        None => (v, None),
    };
    if gov.is_none() && is_gov(freqs) {
        return Ok(());
    }
    if let Some(g) = gov {
        if !is_gov(g) {
            return Err(g.to_string());
        }
    }
    for p in freqs.splitn(2, '-') {
        if !is_freq(p) {
            return Err(v.to_string());
        }
    }
    Ok(())
}

/// `verify_socket_core_thread_count` for `-B S[:C[:T]]`.
fn check_extra_node_info(v: &str) -> Result<(), ParseError> {
    const ORD: [&str; 3] = ["first", "second", "third"];
    let parts: Vec<&str> = v.split(':').collect();
    if parts.len() > 3 || v.is_empty() {
        return Err(invalid("--extra-node-info specification"));
    }
    for (i, p) in parts.iter().enumerate() {
        if *p == "*" || p.is_empty() {
            continue;
        }
        for n in p.splitn(2, '-') {
            if n == "*" {
                continue;
            }
            if strtol_full(n).is_none_or(|x| x < 0) {
                return Err(ParseError::error(
                    format!("Invalid numeric value \"{n}\" for {} arg of -B.", ORD[i]),
                    EXIT_ERROR,
                ));
            }
        }
    }
    Ok(())
}

fn check_hint(v: &str) -> Result<(), ParseError> {
    const KNOWN: [&str; 6] = [
        "compute_bound",
        "memory_bound",
        "multithread",
        "nomultithread",
        "verbose",
        "help",
    ];
    for word in v.split(',') {
        if !KNOWN.iter().any(|k| word.eq_ignore_ascii_case(k)) {
            return Err(ParseError::error(
                format!("unrecognized --hint argument \"{word}\", see --hint=help"),
                EXIT_ERROR,
            ));
        }
    }
    Ok(())
}

fn check_propagate(v: &str) -> Result<(), ParseError> {
    const RLIMITS: [&str; 11] = [
        "ALL", "NONE", "AS", "CORE", "CPU", "DATA", "FSIZE", "MEMLOCK", "NOFILE", "NPROC", "RSS",
    ];
    for word in v.split(',') {
        let w = word.trim();
        if !RLIMITS.iter().any(|k| w.eq_ignore_ascii_case(k)) && !w.eq_ignore_ascii_case("STACK") {
            return Err(ParseError {
                lines: vec![
                    Line::error(format!("Bad rlimit name: {w}")),
                    Line::error(format!("--propagate={v} is not valid.")),
                ],
                code: EXIT_ERROR,
            });
        }
    }
    Ok(())
}
