//! `scontrol show hostnames|hostlist` through our binary, side by side with
//! the reference `scontrol` (skipped loudly when it is not running).

use std::process::Command;

fn run(exe: &str, args: &[&str], nodelist: Option<&str>) -> (String, String, i32) {
    let mut c = Command::new(exe);
    c.args(args).env_remove("SLURM_NODELIST");
    if let Some(n) = nodelist {
        c.env("SLURM_NODELIST", n);
    }
    let out = c.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn reference() -> bool {
    let ok = std::path::Path::new("/usr/bin/scontrol").exists()
        && Command::new("/usr/bin/scontrol")
            .arg("ping")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("SK8_REFSLURM").as_deref() == Ok("required") {
            panic!("reference Slurm required but not running");
        }
        eprintln!("SKIPPED: reference Slurm not running");
    }
    ok
}

#[test]
fn master_addr_idiom_works() {
    let ours = env!("CARGO_BIN_EXE_scontrol");
    let (out, _, code) = run(ours, &["show", "hostnames"], Some("gpu[01-02],cpu7"));
    assert_eq!((out.as_str(), code), ("gpu01\ngpu02\ncpu7\n", 0));
    let first = out.lines().next().unwrap();
    assert_eq!(first, "gpu01");
}

#[test]
fn same_as_reference_scontrol() {
    if !reference() {
        return;
    }
    let ours = env!("CARGO_BIN_EXE_scontrol");
    let cases: &[(&[&str], Option<&str>)] = &[
        (&["show", "hostnames", "n[001-003],m1"], None),
        (&["show", "hostnames", "rack[1-2]-n[1-2]"], None),
        (&["show", "hostnames"], Some("a[1-3]")),
        (&["show", "hostnames"], None),
        (&["show", "hostlist", "n1,n2,n3,n5"], None),
        (&["show", "hostlist", "n3,n1,n2"], None),
        (&["show", "hostlistsorted", "n3,n1,n2"], None),
        (&["show", "hostnames", "n[3-1]"], None),
        (&["show", "hostlist", "n[3-1]"], None),
        (&["show", "hostlist", "n[01-2],n03"], None),
    ];
    for (args, env) in cases {
        assert_eq!(
            run(ours, args, *env),
            run("/usr/bin/scontrol", args, *env),
            "scontrol {args:?} with SLURM_NODELIST={env:?}"
        );
    }
}
