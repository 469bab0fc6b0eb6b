//! Differential tests: the same expressions through `/usr/bin/scontrol` and through this crate, compared byte for byte.
//!
//! `scontrol show hostnames`, `show hostlist` and `show hostlistsorted` are
//! emulated from the library's results exactly as the crate docs describe
//! (stdout, stderr, exit code), so these tests also pin down that contract.

use std::process::Command;

use sk8_hostlist::HostList;

const SCONTROL: &str = "/usr/bin/scontrol";

/// What a command printed and returned.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn scontrol(what: &str, expr: &str) -> Run {
    let out = Command::new(SCONTROL)
        .args(["show", what, expr])
        .env_remove("SLURM_NODELIST")
        .output()
        .expect("run scontrol");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// What our `scontrol show {what} EXPR` must print.
fn ours(what: &str, expr: &str) -> Run {
    let (result, diagnostics) = HostList::parse_with_diagnostics(expr);
    let mut stderr: String = diagnostics
        .iter()
        .map(|d| format!("scontrol: error: {d}\n"))
        .collect();
    let mut stdout = String::new();
    let mut code = 0;
    match result {
        Ok(mut list) => match what {
            "hostnames" => list.for_each_host(|h| {
                stdout.push_str(h);
                stdout.push('\n');
            }),
            _ => {
                if what == "hostlistsorted" {
                    list.sort();
                }
                stdout = format!("{list}\n");
            }
        },
        Err(_) => {
            stderr.push_str(&format!("Invalid hostlist: {expr}\n"));
            if what != "hostnames" {
                code = 1;
            }
        }
    }
    Run {
        stdout,
        stderr,
        code,
    }
}

/// Runs every expression through all three commands; returns the mismatches.
fn compare(exprs: &[String]) -> Vec<String> {
    let mut mismatches = Vec::new();
    for expr in exprs {
        for what in ["hostnames", "hostlist", "hostlistsorted"] {
            let (want, got) = (scontrol(what, expr), ours(what, expr));
            if want != got {
                mismatches.push(format!(
                    "show {what} {expr:?}\n  slurm: {want:?}\n  ours:  {got:?}"
                ));
            }
        }
    }
    mismatches
}

/// Hand-picked expressions, valid and not, covering every rule in the crate docs.
const FIXED: &[&str] = &[
    "",
    "n1",
    "node10",
    "n[001-010]",
    "n[1-3,5,7-8]",
    "rack[1-2]-n[1-3]",
    "a,b[1-2],c",
    "n[9-10]",
    "n[09-10]",
    "n[1-02]",
    "n[01-2]",
    "n[098-101]",
    "a,a,b",
    "n[1-3],n2",
    "n[1-3],n[2-5]",
    "n[5-9],n[1-6],n3",
    "n3,n1,n2",
    "n1,n1,n2",
    "n1,n01",
    "n1,n001,n2",
    "n10,n9",
    "n[1-9],n010",
    "n[8-9],n10",
    "n,n1,n2",
    "n1,m1,n2",
    "rack1-n3,rack1-n4,rack2-n1",
    "a1b2,a1b3,a01b4",
    "n[1-2],n[001-002]",
    "n[09-10],n[9-10]",
    "1,2,3",
    "[1-3]",
    "a[1-2]b[3-4]c[5-6]d[7-8]",
    "a[1-2][3-4]",
    "n1 n2\tn3",
    "n[1, 2]",
    "n[+1-2]",
    "n[1-]",
    "n[1a-3]",
    "n[1-",
    "n[1,2",
    "[1-2",
    "[",
    "]",
    "a[b[1-2]",
    "a]b[1-2]",
    "a[[1-2]b[3]",
    "a[x]b[1]c[2]",
    "a[x]b[1-3]c[2]",
    "n99999999999999999999999",
    "n[99999999999999999999]",
    "n[0-99999999999999999999]",
    "n[0-99999999999999999999],n1",
    "n1,n[0-99999999999999999999],n2",
    "n[1-3]x",
    "n[1-3]]",
    "n[3-1]",
    "n[a-b]",
    "n[]",
    "n[1,,2]",
    "n[-1]",
    "n[1--2]",
    "n[1x2]",
    "n[1a]",
    "n[1 ]",
    "n[1-3a]",
    "n[0-65536]",
    "n[65535-131070]",
    "a[1-2]b[x]c[2]",
    "a[1-2]]b[3]",
    "a[1-2]b[3]]c",
    "a[1-2]b[3]x]c[4]",
    "a[1-40000,1-40000]b[1]",
    "nid0000[2-7],nid00008",
    "x1.5,x1.10,x1.9",
    "B1,a1,A1,b1",
    "gpu[1-4]-ib,gpu[1-4]",
];

#[test]
#[ignore = "needs the reference Slurm"]
fn fixed_expressions_match_scontrol() {
    sk8_harness::reference::require("fixed_expressions_match_scontrol");
    let exprs: Vec<String> = FIXED.iter().map(|s| (*s).to_owned()).collect();
    let mismatches = compare(&exprs);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// A fixed-seed xorshift, so the generated corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Random expressions from fragments that exercise the corners.
fn generated(count: usize) -> Vec<String> {
    const PREFIXES: &[&str] = &[
        "n", "node", "rack1-n", "a", "gpu-", "x", "", "n0", "b2c", "n",
    ];
    const PIECES: &[&str] = &[
        "1", "3", "1-3", "2-4", "01-03", "9-10", "09-10", "007-012", "5", "0", "98-102", "4-5",
        "2-1", "a", "", " 1", "1-", "+2", "1a-3", "1x2", "0-65536", "6",
    ];
    const TAILS: &[&str] = &["", "", "", "-ib", "x", "]", "[", "7"];
    const SEPARATORS: &[&str] = &[",", ",", " ", ",,", "\t"];
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut exprs = Vec::with_capacity(count);
    for _ in 0..count {
        let mut expr = String::new();
        for t in 0..1 + rng.next() % 4 {
            if t > 0 {
                expr.push_str(rng.pick(SEPARATORS));
            }
            let groups = rng.next() % 3;
            expr.push_str(rng.pick(PREFIXES));
            for g in 0..groups {
                if g > 0 {
                    expr.push_str(rng.pick(&["-", "x", "", "s"]));
                }
                expr.push('[');
                for p in 0..1 + rng.next() % 3 {
                    if p > 0 {
                        expr.push(',');
                    }
                    expr.push_str(rng.pick(PIECES));
                }
                expr.push(']');
            }
            if groups == 0 {
                expr.push_str(rng.pick(&["", "1", "2", "3", "10", "9", "01", "007"]));
            }
            expr.push_str(rng.pick(TAILS));
        }
        // A leading '/' would make `show hostlist` read a file, a '-' would
        // be an option to scontrol.
        if !expr.starts_with(['/', '-']) {
            exprs.push(expr);
        }
    }
    exprs
}

#[test]
#[ignore = "needs the reference Slurm"]
fn generated_expressions_match_scontrol() {
    sk8_harness::reference::require("generated_expressions_match_scontrol");
    let exprs = generated(300);
    let refused = exprs
        .iter()
        .filter(|e| e.parse::<HostList>().is_err())
        .count();
    assert!(
        (60..=240).contains(&refused),
        "the corpus should mix valid and invalid expressions; {refused} of 300 refused"
    );
    let mismatches = compare(&exprs);
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Random host lists (names only, no brackets) for compression and sorting.
fn generated_host_lists(count: usize) -> Vec<String> {
    const PREFIXES: &[&str] = &[
        "n", "n", "n", "node", "a", "b", "rack1-n", "rack2-n", "x1.", "",
    ];
    const NUMBERS: &[&str] = &[
        "", "0", "1", "2", "3", "4", "5", "8", "9", "10", "11", "01", "02", "09", "010", "099",
        "100", "0001",
    ];
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    (0..count)
        .map(|_| {
            let hosts: Vec<String> = (0..1 + rng.next() % 12)
                .map(|_| format!("{}{}", rng.pick(PREFIXES), rng.pick(NUMBERS)))
                .filter(|h| !h.is_empty())
                .collect();
            hosts.join(",")
        })
        .filter(|list| !list.starts_with(['/', '-']))
        .collect()
}

#[test]
#[ignore = "needs the reference Slurm"]
fn generated_host_lists_match_scontrol() {
    sk8_harness::reference::require("generated_host_lists_match_scontrol");
    let mismatches = compare(&generated_host_lists(300));
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
