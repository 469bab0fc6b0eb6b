//! The multi-call binary's dispatch: by the file name it is called by, or
//! `sk8 <command>`; and `sk8 install-links`, which installs the names.

use sk8_harness::bins;

#[test]
fn sk8_command_is_the_command_by_its_name() {
    let env = crate::scratch_env("multicall");
    for name in bins::COMMANDS {
        let by_name = env.run(name, &["--help"]);
        let through_sk8 = env.run("sk8", &[name, "--help"]);
        assert_eq!(
            (by_name.code, &by_name.stdout, &by_name.stderr),
            (through_sk8.code, &through_sk8.stdout, &through_sk8.stderr),
            "`{name} --help` and `sk8 {name} --help` differ"
        );
    }
}

#[test]
fn the_harness_names_the_commands_the_binary_answers_to() {
    // The harness restates sk8-backend's list to stay std-only.
    assert_eq!(bins::COMMANDS, sk8_backend::COMMANDS);
}

#[test]
fn an_unknown_name_is_sk8() {
    let env = crate::scratch_env("unknown");
    let dir = env.dir().join("links");
    std::fs::create_dir_all(&dir).unwrap();
    let other = dir.join("not-a-command");
    std::os::unix::fs::symlink(bins::sk8(), &other).unwrap();
    let r = env.run_cmd(std::process::Command::new(&other).env_clear().arg("--help"));
    r.expect_code(0);
    assert!(r.stdout.starts_with("Usage: sk8 COMMAND"), "{}", r.stdout);
}

#[test]
fn install_links_makes_every_name_run_the_binary() {
    let env = crate::scratch_env("install");
    let dir = env.dir().join("bin");
    let r = env.run("sk8", &["install-links", dir.to_str().unwrap()]);
    r.expect_code(0);
    for name in bins::COMMANDS {
        let target = std::fs::read_link(dir.join(name)).unwrap();
        assert_eq!(
            std::fs::canonicalize(target).unwrap(),
            std::fs::canonicalize(bins::sk8()).unwrap()
        );
    }
    // Again: nothing to do, nothing printed; a file in the way is refused.
    let again = env.run("sk8", &["install-links", dir.to_str().unwrap()]);
    again.expect_code(0);
    assert_eq!(again.stdout, "");
    std::fs::remove_file(dir.join("sinfo")).unwrap();
    std::fs::write(dir.join("sinfo"), "mine").unwrap();
    let refused = env.run("sk8", &["install-links", dir.to_str().unwrap()]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("is not a link"),
        "{}",
        refused.stderr
    );
}
