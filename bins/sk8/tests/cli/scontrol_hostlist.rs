//! `scontrol show hostnames|hostlist` through our binary, side by side with
//! the reference `scontrol`.

use sk8_harness::reference;

/// `scontrol args` (with `SLURM_NODELIST` when given), ours or the
/// reference's, in a cleared environment.
fn run(ours: bool, args: &[&str], nodelist: Option<&str>) -> (String, String, i32) {
    let mut env = crate::env("scontrol-hostlist");
    if let Some(n) = nodelist {
        env.set("SLURM_NODELIST", n);
    }
    let mut c = env.command("scontrol");
    if !ours {
        c = std::process::Command::new(reference::command("scontrol"));
        // The reference keeps this process's environment (its SLURM_CONF).
        c.env_remove("SLURM_NODELIST")
            .envs(nodelist.map(|n| ("SLURM_NODELIST", n)));
    }
    let r = env.run_cmd(c.args(args));
    (r.stdout, r.stderr, r.code.unwrap_or(-1))
}

#[test]
fn master_addr_idiom_works() {
    let (out, _, code) = run(true, &["show", "hostnames"], Some("gpu[01-02],cpu7"));
    assert_eq!((out.as_str(), code), ("gpu01\ngpu02\ncpu7\n", 0));
    let first = out.lines().next().unwrap();
    assert_eq!(first, "gpu01");
}

#[test]
#[ignore = "needs the reference Slurm"]
fn same_as_reference_scontrol() {
    reference::require("same_as_reference_scontrol");
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
            run(true, args, *env),
            run(false, args, *env),
            "scontrol {args:?} with SLURM_NODELIST={env:?}"
        );
    }
}
