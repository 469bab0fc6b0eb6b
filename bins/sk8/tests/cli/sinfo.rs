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
