//! `sinfo` through the binary on a local backend with two partitions.

fn run(args: &[&str], env: &[(&str, &str)]) -> (String, String, i32) {
    let home = std::env::temp_dir().join(format!("sk8-sinfo-test-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    write_config(
        &home,
        "[[node]]\nname = \"n1\"\ncpus = 2\n[[partition]]\nname = \"debug\"\n[[partition]]\nname = \"long\"\nmax_time = \"2-00:00:00\"\n",
    )
    .unwrap();
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sinfo"));
    c.args(args).env("SK8_HOME", &home);
    for (k, _) in std::env::vars() {
        if k.starts_with("SQUEUE_") || k.starts_with("SINFO_") || k.starts_with("SACCT_") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().copied());
    let out = c.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
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

/// Writes the config through a rename, so that tests running in parallel
/// never read it half-written (and fall back to the host's own shape).
fn write_config(home: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = home.join(format!("config.toml.{:?}", std::thread::current().id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, home.join("config.toml"))
}
