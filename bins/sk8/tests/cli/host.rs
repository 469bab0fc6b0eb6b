//! The host's facts as the commands use them: users and groups come from
//! the C library's NSS lookups (a user that only nss_wrapper's files know
//! resolves, as an LDAP or SSSD user would), and `--begin` is read and
//! times are printed in the process's zone (`TZ`), per instant.

use std::path::Path;

use sk8_harness::TestEnv;

/// Debian's `libnss-wrapper` (cwrap): preloaded, it answers `getpwnam` and
/// friends from the files `NSS_WRAPPER_PASSWD` and `NSS_WRAPPER_GROUP` name.
const NSS_WRAPPER: &str = "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so";

/// A user and a group only the wrapper's files have.
const WRAPPED_USER: &str = "nsswho";
const WRAPPED_GROUP: &str = "nssgroup";

/// Whether the wrapper is installed; on CI (`CI=true`, which installs it in
/// `.ci/run`) its absence fails the test rather than skipping it.
fn have_nss_wrapper() -> bool {
    if Path::new(NSS_WRAPPER).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{NSS_WRAPPER} is missing: .ci/run installs libnss-wrapper"
    );
    eprintln!("skipped: {NSS_WRAPPER} is missing (apt-get install libnss-wrapper)");
    false
}

fn id(flag: &str) -> String {
    let out = std::process::Command::new("id").arg(flag).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `env` with the wrapper preloaded: its passwd file has root, this
/// process's user under its own uid, and [`WRAPPED_USER`] (uid 4242); its
/// group file names this process's gid [`WRAPPED_GROUP`].
fn wrapped(env: &mut TestEnv) {
    let (uid, gid, user) = (id("-u"), id("-g"), id("-un"));
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
    if uid != "0" {
        passwd.push_str(&format!("{user}:x:{uid}:{gid}::/tmp:/bin/sh\n"));
    }
    passwd.push_str(&format!("{WRAPPED_USER}:x:4242:4242::/tmp:/bin/sh\n"));
    let group = if gid == "0" {
        format!("{WRAPPED_GROUP}:x:0:\n")
    } else {
        format!("root:x:0:\n{WRAPPED_GROUP}:x:{gid}:\n")
    };
    let passwd = env.write("passwd", &passwd);
    let group = env.write("group", &group);
    env.set("LD_PRELOAD", NSS_WRAPPER);
    env.set("NSS_WRAPPER_PASSWD", &passwd.display().to_string());
    env.set("NSS_WRAPPER_GROUP", &group.display().to_string());
}

#[test]
fn users_only_nss_knows_resolve() {
    if !have_nss_wrapper() {
        return;
    }
    // Without the wrapper the user is unknown: Slurm's words and codes.
    let plain = crate::scratch_env("nss-plain");
    let r = plain.run("squeue", &["-h", "-u", WRAPPED_USER]);
    assert_eq!(
        (r.stderr.as_str(), r.code),
        ("squeue: error: Invalid user: nsswho\n\n", Some(0))
    );
    let r = plain.run("scancel", &["-u", WRAPPED_USER]);
    assert_eq!(
        (r.stderr.as_str(), r.code),
        ("scancel: error: Invalid user name: nsswho\n", Some(1))
    );
    let r = plain.run("sacct", &["-n", "-u", WRAPPED_USER]);
    assert_eq!(
        (r.stderr.as_str(), r.code),
        ("sacct: error: Invalid user id: nsswho\n", Some(1))
    );

    let mut env = crate::scratch_env("nss-wrapped");
    wrapped(&mut env);
    for args in [
        &["squeue", "-h", "-u", WRAPPED_USER][..],
        &["squeue", "-h", "-u", "4242"],
        &["scancel", "-u", WRAPPED_USER],
        &["sacct", "-n", "-u", WRAPPED_USER],
    ] {
        let r = env.run(args[0], &args[1..]);
        assert_eq!((r.stderr.as_str(), r.code), ("", Some(0)), "{args:?}");
    }
    // An unknown user still gets Slurm's message under the wrapper.
    let r = env.run("squeue", &["-h", "-u", "nobodyx"]);
    assert_eq!(r.stderr, "squeue: error: Invalid user: nobodyx\n\n");
    let r = env.run("scancel", &["-u", "nobodyx"]);
    assert_eq!(
        (r.stderr.as_str(), r.code),
        ("scancel: error: Invalid user name: nobodyx\n", Some(1))
    );
}

#[test]
fn group_names_come_from_nss() {
    if !have_nss_wrapper() {
        return;
    }
    let mut env = crate::scratch_env("nss-group");
    wrapped(&mut env);
    let r = env.run("sbatch", &["--hold", "--parsable", "--wrap", "true"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let job = r.stdout.trim().to_owned();
    let r = env.run("squeue", &["-h", "-j", &job, "-o", "%g"]);
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("nssgroup\n", Some(0)),
        "{}",
        r.stderr
    );
    let r = env.run("scontrol", &["show", "job", &job]);
    assert!(r.stdout.contains("GroupId=nssgroup("), "{}", r.stdout);
    env.run("scancel", &[&job]);
}

/// The wall time a `KEY=` field of `text` shows.
fn field<'a>(text: &'a str, key: &str) -> &'a str {
    let at = text.find(&format!(" {key}=")).map(|i| i + key.len() + 2);
    let rest = at.map_or("", |i| &text[i..]);
    rest.split_whitespace().next().unwrap_or("")
}

#[test]
fn begin_is_local_wall_time_in_and_out() {
    let mut env = crate::scratch_env("zone");
    env.set("TZ", "America/New_York");
    // Winter (UTC-5) and summer (UTC-4) in one zone.
    let cases = [
        ("2099-01-15T10:00:00", "2099-01-15T15:00:00"),
        ("2099-07-01T10:00:00", "2099-07-01T14:00:00"),
    ];
    for (local, utc) in cases {
        let r = env.run(
            "sbatch",
            &[
                "--hold",
                "--parsable",
                &format!("--begin={local}"),
                "--wrap",
                "true",
            ],
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let job = r.stdout.trim().to_owned();
        let show = env.run("scontrol", &["show", "job", &job]).stdout;
        assert_eq!(field(&show, "EligibleTime"), local, "{show}");
        assert_eq!(field(&show, "StartTime"), local, "{show}");
        let r = env.run(
            "squeue",
            &["-h", "-j", &job, "-O", "StartTime:20,EligibleTime:20"],
        );
        assert_eq!(r.stdout, format!("{local:<20}{local:<20}\n"));
        // The same instant in UTC is the other wall time.
        let mut utc_env = env.command("scontrol");
        utc_env.env("TZ", "UTC").args(["show", "job", &job]);
        let show = env.run_cmd(&mut utc_env).stdout;
        assert_eq!(field(&show, "EligibleTime"), utc, "{show}");
        env.run("scancel", &[&job]);
    }
}
