//! Issue 13: nothing a user types can crash sk8 or exhaust its memory.
//!
//! Two halves, both under a cap on address space (`ulimit -v`), so that an
//! unbounded allocation aborts the process instead of passing slowly:
//!
//! - the issue's reproducers, on our real binaries (a fresh local
//!   `SK8_HOME`): each ends with Slurm's kind of message and exit code, no
//!   panic, no abort, no hang, and bounded output;
//! - a property test that drives every parser and formatter that takes a
//!   size from the user (hostlists, format widths, task sets, array specs,
//!   step protocol frames) with adversarial sizes, in a child copy of this
//!   test binary.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use sk8_tests::TempDir;
use sk8_tests::refslurm::ours;

/// The cap for the binaries: 1 GiB of address space, a quarter of what the
/// issue ran them under, so that the old multi-GB allocations surely fail.
const BIN_CAP_KB: u64 = 1 << 20;

/// No reproducer may take longer than this (`scancel 1_[0-4000000]` took
/// minutes); a guard against hangs, not a speed test.
const HANG: Duration = Duration::from_secs(120);

/// Runs `bin ARGS` with `env` under [`BIN_CAP_KB`], stdin closed.
fn capped(bin: &str, args: &[&str], env: &[(&str, &str)], home: &Path) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {BIN_CAP_KB} && exec \"$0\" \"$@\""))
        .arg(ours(bin))
        .args(args)
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("SLURM_")
            || k.starts_with("SQUEUE_")
            || k.starts_with("SINFO_")
            || k.starts_with("SACCT_")
            || k.starts_with("SK8_")
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("SK8_HOME", home.join("sk8"))
        .envs(env.iter().copied());
    wait_guarded(cmd, &format!("{bin} {args:?}"))
}

/// Runs `cmd`, reading at most 1 MiB of each stream (more is a failure the
/// caller sees as a long output), and fails after [`HANG`].
fn wait_guarded(mut cmd: Command, what: &str) -> Output {
    let mut child = cmd.spawn().expect("the command starts");
    let take = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(r) = r {
                let _ = r.take(1 << 20).read_to_end(&mut v);
            }
            v
        })
    };
    let out = take(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = take(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let begun = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if begun.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
    }
}

/// Asserts an ordinary exit with `code` (no signal, no panic), output under
/// 64 KiB, and `stderr` containing `message`.
fn assert_ended(out: &Output, code: i32, message: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: {:?}\n{stderr}",
        out.status
    );
    assert!(
        out.stdout.len() <= 128 << 10,
        "{what}: {} bytes of output",
        out.stdout.len()
    );
    assert!(
        stderr.contains(message),
        "{what}: stderr lacks {message:?}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

fn home(label: &str) -> TempDir {
    let dir = TempDir::new(label).expect("temporary directory");
    std::fs::write(dir.path().join("job.sh"), "#!/bin/sh\ntrue\n").unwrap();
    dir
}

#[test]
fn issue_13_reproducers_end_cleanly_under_a_memory_cap() {
    let dir = home("limits");
    let h = dir.path();
    let width = "(field widths add up to at most 65535)";
    let cases: &[(&str, &[&str], i32, &str)] = &[
        (
            "sacct",
            &["-o", "jobid%65536"],
            1,
            "sacct: error: Invalid field width requested: \"jobid%65536\"",
        ),
        (
            "squeue",
            &["-O", "jobid:999999999"],
            0,
            "squeue: error: Invalid job format specification: jobid:999999999",
        ),
        (
            "squeue",
            &["-o", "%.999999999i"],
            0,
            "squeue: error: Invalid job format specification: %.999999999i",
        ),
        (
            "sinfo",
            &["-o", "%999999999N"],
            0,
            "sinfo: error: Invalid node format specification: %999999999N",
        ),
        (
            "scancel",
            &["1_[0-4000000]"],
            1,
            "scancel: error: Invalid job id 1_[0-4000000]",
        ),
        (
            "sbatch",
            &["--hold", "-w", "n[1-65536]x[1-65536]", "job.sh"],
            1,
            "sbatch: error:",
        ),
        // An endless script is read only as far as the 4 MiB limit (then
        // refused: it is all NULs).
        ("sbatch", &["--hold", "/dev/zero"], 1, "sbatch: error:"),
    ];
    for &(bin, args, code, message) in cases {
        let out = capped(bin, args, &[], h);
        assert_ended(&out, code, message, &format!("{bin} {args:?}"));
        if bin != "scancel" && bin != "sbatch" {
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(width),
                "{bin} {args:?}"
            );
        }
    }
    // Nothing was submitted by the refused sbatch.
    let out = capped("squeue", &["-h", "-t", "all"], &[], h);
    assert_ended(&out, 0, "", "squeue -h -t all");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

/// Slurm's `max_script_size` (4 MiB): a script of exactly that size is
/// accepted, one byte more is refused with slurmctld's message, from a file
/// and from standard input alike, as the reference answers.
#[test]
fn a_script_over_4_mib_is_refused_as_slurm_refuses_it() {
    use sk8_tests::refslurm::{Submission, available, require};
    // Ours are checked always; the reference's answers when it runs (and
    // CI, which sets SK8_REFSLURM=required, insists that it does).
    let reference = available();
    if !reference && std::env::var("SK8_REFSLURM").as_deref() == Ok("required") {
        require("a_script_over_4_mib_is_refused_as_slurm_refuses_it");
    }
    let dir = home("script-size");
    let limit = 4 << 20;
    let sk8_home = dir.path().join("sk8").display().to_string();
    let env = [("SK8_HOME", sk8_home.as_str())];
    for size in [limit, limit + 1] {
        let header = "#!/bin/sh\n#SBATCH -t 5\ntrue\n";
        let script = format!("{header}{}\n", "#".repeat(size - header.len() - 1));
        assert_eq!(script.len(), size);
        for stdin in [false, true] {
            let mut sub = Submission::new(&script, &[]).env(&env);
            sub.stdin = stdin;
            let ours = sub.run(&ours("sbatch"), &["--test-only"], dir.path());
            let what = format!("{size} bytes, stdin {stdin}");
            if size > limit {
                assert_eq!(ours.exit_code, 1, "{what}: {}", ours.stderr);
                assert_eq!(
                    ours.stderr,
                    "allocation failure: Pathname of a file, directory or other parameter too long\n",
                    "{what}"
                );
            } else {
                assert_eq!(ours.exit_code, 0, "{what}: {}", ours.stderr);
            }
            if reference {
                let theirs = sub.test_only();
                assert_eq!(
                    ours.exit_code, theirs.exit_code,
                    "{what}: {}",
                    theirs.stderr
                );
                if size > limit {
                    assert_eq!(ours.stderr, theirs.stderr, "{what}");
                }
            }
        }
    }
    // Submitted for real, the refused script leaves no job behind.
    let mut sub =
        Submission::new(&format!("#!/bin/sh\n{}", "#".repeat(limit)), &["--hold"]).env(&env);
    sub.stdin = true;
    let out = sub.run(&ours("sbatch"), &[], dir.path());
    assert_eq!(
        (out.exit_code, out.stderr.as_str()),
        (
            1,
            "sbatch: error: Batch job submission failed: Pathname of a file, directory or other parameter too long\n"
        )
    );
    let out = capped("squeue", &["-h", "-t", "all"], &[], dir.path());
    assert_ended(&out, 0, "", "squeue -h -t all");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

/// `SK8_TOKEN_FILE=/dev/zero` made srun and the agent read gigabytes.
#[test]
fn issue_13_an_endless_token_file_is_refused_by_srun_and_the_agent() {
    let dir = home("token");
    let h = dir.path();
    let env = [
        ("SLURM_JOB_ID", "1"),
        ("SK8_AGENTS", "n1=127.0.0.1:9"),
        ("SK8_TOKEN_FILE", "/dev/zero"),
    ];
    let out = capped("srun", &["true"], &env, h);
    assert_ended(
        &out,
        1,
        "the file is larger than 4096 bytes",
        "srun with /dev/zero",
    );
    let args = [
        "serve",
        "--node",
        "n1",
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        "/dev/zero",
        "--job",
        "1",
        "--no-lifeline",
    ];
    let out = capped("sk8-agent", &args, &[], h);
    assert!(
        out.status.code().is_some_and(|c| c != 0 && c != 101),
        "{:?}",
        out.status
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the file is larger than 4096 bytes"),
        "{stderr}"
    );
}

/// The address-space cap of the property test's child (512 MiB): far above
/// what any bounded input needs, far below what any unbounded one asks for.
const PROP_CAP_KB: u64 = 512 << 10;

/// Runs [`adversarial_sizes_inner`] in a child copy of this binary under
/// [`PROP_CAP_KB`]: an unbounded allocation there aborts the child.
#[test]
fn every_parser_and_formatter_stays_bounded_under_a_memory_cap() {
    let exe = std::env::current_exe().expect("the test knows its path");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {PROP_CAP_KB} && exec \"$0\" \"$@\""))
        .arg(&exe)
        .args([
            "adversarial_sizes_inner",
            "--exact",
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env("SK8_LIMITS_INNER", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = wait_guarded(cmd, "the capped property test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{:?}\n{text}", out.status);
    assert!(text.contains("1 passed"), "{text}");
}

fn digits() -> impl Strategy<Value = String> {
    prop_oneof![
        (0_u64..100).prop_map(|n| n.to_string()),
        (60_000_u64..70_000).prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("99999999999999999999999".to_owned()),
    ]
}

fn hostlist() -> impl Strategy<Value = String> {
    let group = (
        prop_oneof![Just(1_usize), Just(3), Just(5_000)],
        digits(),
        digits(),
        0_usize..3,
    )
        .prop_map(|(plen, lo, hi, zeros)| {
            format!(
                "{}[{}{lo}-{hi}]",
                "x".repeat(plen),
                "0".repeat([0, 2, 2_000][zeros])
            )
        });
    proptest::collection::vec(group, 1..4).prop_map(|g| g.concat())
}

fn empty_partition() -> sk8_backend::PartitionInfo {
    sk8_backend::PartitionInfo {
        name: "debug".to_owned(),
        default: true,
        up: true,
        max_time: sk8_spec::TimeLimit::Unlimited,
        default_time: None,
        nodes: Vec::new(),
    }
}

fn context() -> sk8_format::Context {
    sk8_format::Context {
        now: 0,
        zone: sk8_format::Zone::utc(),
        groups: sk8_format::GroupNames::default(),
        cluster: "c".to_owned(),
    }
}

/// The limit every format is held to, plus room for text and suffixes.
const LINE: usize = 65_535 + 4_096;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    #[ignore = "run by every_parser_and_formatter_stays_bounded_under_a_memory_cap, under a cap"]
    fn adversarial_sizes_inner(
        hosts in hostlist(),
        widths in proptest::collection::vec((any::<bool>(), digits()), 1..12),
        task in (digits(), digits(), digits()),
        array in (digits(), digits(), any::<u32>()),
        frame in (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        if std::env::var_os("SK8_LIMITS_INNER").is_none() {
            return Ok(());
        }
        // Hostlists: parse, print, sort, expand.
        if let Ok(mut list) = hosts.parse::<sk8_hostlist::HostList>() {
            let shown = list.to_string();
            prop_assert!(shown.len() <= 64 << 20);
            if let Ok(names) = list.try_expand() {
                prop_assert!(names.len() <= sk8_hostlist::MAX_EXPANDED_HOSTS);
            }
            list.sort();
        }
        let _ = sk8_hostlist::expand(&hosts);
        // Format widths: squeue -o/-O, sinfo -o/-O, sacct -o.
        let short: String = widths
            .iter()
            .map(|(dot, w)| format!("%{}{w}i ", if *dot { "." } else { "" }))
            .collect();
        let long: Vec<String> = widths.iter().map(|(dot, w)| {
            format!("jobid:{}{w}", if *dot { "." } else { "" })
        }).collect();
        for f in [
            sk8_format::squeue::Format::parse(&short),
            sk8_format::squeue::Format::parse_long(&long.join(",")),
        ] {
            prop_assert!(f.render::<sk8_backend::JobInfo>(&[], &context(), false).len() <= LINE);
        }
        let node_short = short.replace('i', "N");
        let node_long = long.join(",").replace("jobid", "nodelist");
        for f in [
            sk8_format::sinfo::Format::parse(&node_short, false),
            sk8_format::sinfo::Format::parse_long(&node_long),
        ] {
            let out = sk8_format::sinfo::render(
                &f,
                &[empty_partition()],
                &[],
                &sk8_format::sinfo::NodeFilter::default(),
                &context(),
                false,
            );
            prop_assert!(out.lines().all(|l| l.len() <= LINE));
        }
        let fields: Vec<String> = widths.iter().map(|(dot, w)| {
            format!("jobid%{}{w}", if *dot { "-" } else { "" })
        }).collect();
        if let Ok(cols) = sk8_format::sacct::parse_fields(&fields.join(",")) {
            let out = sk8_format::sacct::render(&cols, &[], &sk8_format::sacct::Mode::Columns, &context(), false);
            prop_assert!(out.len() <= 2 * LINE);
        }
        // Task sets and array specs.
        let (lo, hi, step) = task;
        if let Some(ids) = sk8_backend::parse_task_set(&format!("{lo}-{hi}:{step},{lo}-{hi}")) {
            prop_assert!(ids.len() <= sk8_backend::MAX_TASK_SET as usize);
        }
        let (first, last, max) = array;
        if let Ok(a) = sk8_spec::ArraySpec::parse_with_max(&format!("{first}-{last},{first}-{last}"), max) {
            prop_assert!(a.len() <= sk8_spec::array::MAX_MAX_ARRAY_SIZE as usize);
        }
        // Frames: any announced length, few bytes behind it.
        let (len, tail) = frame;
        let mut wire = len.to_be_bytes().to_vec();
        wire.extend_from_slice(&[sk8_proto::VERSION, 4, 0, 0, 0, 0]);
        wire.extend_from_slice(&tail);
        let _ = sk8_proto::read_frame(&mut wire.as_slice());
    }
}
