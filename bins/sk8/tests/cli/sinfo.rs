//! `sinfo` through the binary on a local backend with two partitions.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    crate::scratch("sinfo", args, env)
}

#[test]
fn summary_and_node_layouts() {
    let (out, _, code) = run(&[], &[]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\ndebug*       up   infinite      1   idle n1\nlong         up 2-00:00:00      1   idle n1\n"
    );
    let (out, _, _) = run(&["-N", "-p", "long"], &[]);
    assert_eq!(
        out,
        "NODELIST   NODES PARTITION STATE \nn1             1      long idle  \n"
    );
    let (out, _, _) = run(&["-h", "-o", "%P %D"], &[]);
    assert_eq!(out, "debug* 1\nlong 1\n");
}

#[test]
fn bad_state_is_refused_with_the_list() {
    let (_, err, code) = run(&["-t", "bogus"], &[]);
    assert_eq!(code, 1);
    assert!(err.starts_with("sinfo: error: Bad state string: \"bogus\"\nsinfo: error: valid states: unknown,down,idle"), "{err}");
}

#[test]
fn json_lists_the_nodes() {
    let (out, _, code) = run(&["--json"], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("\"name\": \"n1\""), "{out}");
    assert!(out.contains("\"idle_cpus\": 2"), "{out}");
}

/// One config file holds every section: the `backend` key, the
/// `[kubernetes]` table and the local backend's nodes. Each reader takes
/// its own section of the one parse (the local reader once refused the
/// file for its `backend` key).
#[test]
fn one_config_file_holds_every_section() {
    let text = format!(
        "backend = \"local\"\n{}[kubernetes]\nimage = \"busybox\"\n",
        crate::SCRATCH
    );
    let env = crate::env("sinfo-sections").with_config(&text);
    let r = env.run("sinfo", &["-h", "-o", "%P %N"]);
    assert_eq!(
        (r.stdout.as_str(), r.code),
        ("debug* n1\nlong n1\n", Some(0)),
        "{}",
        r.stderr
    );
}

/// A key no section owns is an error naming the file and the key, and the
/// command exits 1, as a bad `slurm.conf` stops Slurm's commands.
#[test]
fn an_unknown_config_key_is_refused_with_its_file() {
    let env = crate::env("sinfo-badkey").with_config("kil_wait = 3\n");
    let r = env.run("sinfo", &[]);
    assert_eq!(r.code, Some(1));
    let file = env.home().join("config.toml");
    assert!(
        r.stderr.starts_with(&format!(
            "sinfo: error: invalid config `{}`: unknown field `kil_wait`",
            file.display()
        )),
        "{}",
        r.stderr
    );
    let r = env.run("squeue", &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
}
