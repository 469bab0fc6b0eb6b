//! Differential tests against real sbatch 22.05: every rule of the scanner, proved on Slurm.
//!
//! Each case is a little script. The test scans it with `sk8_directive`, derives from the words
//! what Slurm must do (a tiny getopt for `-J`/`--job-name`, `--comment`, `-o`/`--output`, and
//! for `#PBS -N -o`/`#BSUB -J -o -c`), then runs `/usr/bin/sbatch --test-only` on it and, when
//! it is accepted, `/usr/bin/sbatch --hold` + `/usr/bin/scontrol show job -o` + `/usr/bin/scancel`
//! and compares: the same rejection (exit code and stderr, byte for byte), or the same JobName,
//! Comment, StdOut and WorkDir in every component, with the same warnings on stderr.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sk8_directive::{Flavor, Foreign, ScanError, Script, Word, scan, scan_foreign};

/// The cases: a file name (its base name shows in Slurm's messages) and the script.
const CASES: &[(&str, &[u8])] = &[
    // Where directives are read, and where reading stops.
    ("basic.sh", b"#!/bin/sh\n#SBATCH -J basic\n"),
    ("no_eol.sh", b"#!/bin/sh\n#SBATCH -J no_eol"),
    (
        "blank_lines.sh",
        b"#!/bin/sh\n\n# hello\n\t\n#SBATCH -J after_blank\n",
    ),
    (
        "indented_comment.sh",
        b"#!/bin/sh\n   # indented\n\x0b#vt\n#SBATCH -J after_indented\n",
    ),
    (
        "command_stops.sh",
        b"#!/bin/sh\n#SBATCH -J first\necho hi\n#SBATCH -J late\n",
    ),
    (
        "indented_command.sh",
        b"#!/bin/sh\n  echo hi\n#SBATCH -J late\n",
    ),
    (
        "indented_directive.sh",
        b"#!/bin/sh\n  #SBATCH -J indented\n#SBATCH --comment seen\n",
    ),
    (
        "space_after_hash.sh",
        b"#!/bin/sh\n# SBATCH -J spaced\n#SBATCH --comment seen\n",
    ),
    (
        "lower_case.sh",
        b"#!/bin/sh\n#sbatch -J lower\n#Sbatch -J mixed\n",
    ),
    ("glued_option.sh", b"#!/bin/sh\n#SBATCH--job-name=glued\n"),
    ("glued_word.sh", b"#!/bin/sh\n#SBATCHX -J glued\n"),
    (
        "slurm_prefix.sh",
        b"#!/bin/sh\n#SLURM -J old_prefix\n#SLURM --comment twice\n",
    ),
    ("slurm_lower.sh", b"#!/bin/sh\n#slurm -J lower\n"),
    (
        "value_next_line.sh",
        b"#!/bin/sh\n#SBATCH --job-name\n#SBATCH next_line\n",
    ),
    (
        "value_after_comments.sh",
        b"#!/bin/sh\n#SBATCH -J\n# note\n\n#SBATCH split\n",
    ),
    (
        "value_after_command.sh",
        b"#!/bin/sh\n#SBATCH --comment\ntrue\n#SBATCH x\n",
    ),
    ("short_missing.sh", b"#!/bin/sh\n#SBATCH -J\n"),
    (
        "empty_directive.sh",
        b"#!/bin/sh\n#SBATCH\n#SBATCH   \n#SBATCH -J after_empty\n",
    ),
    // Blanks.
    (
        "tabs.sh",
        b"#!/bin/sh\n#SBATCH\t-J\ttabbed\t--comment\tc\t\n",
    ),
    (
        "c_blanks.sh",
        b"#!/bin/sh\n#SBATCH -J\x0bvt --comment\x0cff -o\rcr.out\x0c\n",
    ),
    // Quotes and backslashes.
    (
        "double_quotes.sh",
        b"#!/bin/sh\n#SBATCH -J \"a b\" --comment \"x  y\"\n",
    ),
    ("single_quotes.sh", b"#!/bin/sh\n#SBATCH -J 'a b'\n"),
    (
        "mid_word_quotes.sh",
        b"#!/bin/sh\n#SBATCH -J a\"b c\"d --comment=x' 'y\n",
    ),
    (
        "other_quote.sh",
        b"#!/bin/sh\n#SBATCH --comment \"it's\" -J 'say \"hi\"'\n",
    ),
    (
        "escaped_quote.sh",
        b"#!/bin/sh\n#SBATCH -J a\\\"b --comment \\'c\n",
    ),
    (
        "escaped_in_quotes.sh",
        b"#!/bin/sh\n#SBATCH -J \"a\\\"b\" --comment 'c\\'d'\n",
    ),
    ("double_backslash.sh", b"#!/bin/sh\n#SBATCH -J a\\\\b\n"),
    ("escaped_space.sh", b"#!/bin/sh\n#SBATCH -J a\\ b\n"),
    (
        "escaped_space_quoted.sh",
        b"#!/bin/sh\n#SBATCH -J \"a\\ b\"\n",
    ),
    ("escaped_letter.sh", b"#!/bin/sh\n#SBATCH -J \\a\\b\n"),
    ("trailing_backslash.sh", b"#!/bin/sh\n#SBATCH -J end\\\n"),
    (
        "long_option_quoted.sh",
        b"#!/bin/sh\n#SBATCH --comment=\"spaced value\" -J=x\n",
    ),
    ("empty_word_ends.sh", b"#!/bin/sh\n#SBATCH -J x \"\" -J y\n"),
    ("empty_value.sh", b"#!/bin/sh\n#SBATCH --comment '' -J y\n"),
    (
        "utf8.sh",
        "#!/bin/sh\n#SBATCH -J été --comment «ü»\n".as_bytes(),
    ),
    // Comments inside directives.
    (
        "hash_ends_word.sh",
        b"#!/bin/sh\n#SBATCH -J a#b --comment x\n",
    ),
    (
        "hash_after_blank.sh",
        b"#!/bin/sh\n#SBATCH -J a #--comment x\n",
    ),
    (
        "hash_quoted.sh",
        b"#!/bin/sh\n#SBATCH -J \"a#b\" --comment 'c # d'\n",
    ),
    ("hash_escaped.sh", b"#!/bin/sh\n#SBATCH -J a\\#b\n"),
    // Colons.
    (
        "colon_in_value.sh",
        b"#!/bin/sh\n#SBATCH -J a:b --comment=:c\n",
    ),
    ("colon_quoted.sh", b"#!/bin/sh\n#SBATCH -J \":b\"\n"),
    ("colon_word.sh", b"#!/bin/sh\n#SBATCH -J :x\n"),
    ("colon_first.sh", b"#!/bin/sh\n#SBATCH : -J x\n"),
    // Unmatched quotes.
    ("unmatched_double.sh", b"#!/bin/sh\n#SBATCH -J \"abc\n"),
    ("unmatched_single.sh", b"#!/bin/sh\n#SBATCH -J x   'abc  \n"),
    ("unmatched_first.sh", b"#!/bin/sh\n#SBATCH   \"abc\n"),
    ("unmatched_escaped.sh", b"#!/bin/sh\n#SBATCH -J \"abc\\\"\n"),
    (
        "unmatched_after_stop.sh",
        b"#!/bin/sh\n#SBATCH -J ok\ntrue\n#SBATCH -J \"abc\n",
    ),
    // Non-options.
    ("stray_word.sh", b"#!/bin/sh\n#SBATCH foo -J x bar\n"),
    // Heterogeneous jobs.
    (
        "hetjob.sh",
        b"#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjob\n#SBATCH -J b --comment c\n",
    ),
    (
        "packjob.sh",
        b"#!/bin/sh\n#SBATCH -J a\n#SBATCH packjob\n#SBATCH -J b\n#SBATCH HetJob\n#SBATCH -J c\n",
    ),
    (
        "hetjob_tail.sh",
        b"#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjob -J ignored\n#SBATCH -o o1\n",
    ),
    (
        "hetjob_mid_line.sh",
        b"#!/bin/sh\n#SBATCH -J x hetjob --comment dropped\n",
    ),
    (
        "hetjob_word_value.sh",
        b"#!/bin/sh\n#SBATCH -J hetjob\n#SBATCH --comment=next\n",
    ),
    ("hetjobs.sh", b"#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjobs\n"),
    (
        "hetjob_slurm.sh",
        b"#!/bin/sh\n#SLURM -J a\n#SBATCH hetjob\n#SBATCH -J b\n",
    ),
    (
        "hetjob_after_stop.sh",
        b"#!/bin/sh\n#SBATCH -J a\ntrue\n#SBATCH hetjob\n#SBATCH -J b\n",
    ),
    // The checks on the script itself.
    ("empty.sh", b""),
    ("whitespace.sh", b"  \n\t\n"),
    ("whitespace_then_nul.sh", b" \n\0#!/bin/sh\n"),
    ("no_shebang.sh", b"echo hi\n"),
    ("shebang_second_line.sh", b"\n#!/bin/sh\n"),
    ("bom.sh", b"\xef\xbb\xbf#!/bin/sh\n"),
    ("nul.sh", b"#!/bin/sh\n#SBATCH -J x\0\n"),
    ("dos.sh", b"#!/bin/sh\r\n#SBATCH -J x\r\n"),
    ("dos_late.sh", b"#!/bin/sh\n#SBATCH -J x\ntrue\r\n"),
    ("lone_cr.sh", b"#!/bin/sh\n#SBATCH -J x\rq\n"),
    // #PBS and #BSUB.
    (
        "pbs_after_command.sh",
        b"#!/bin/sh\n#SBATCH -J a\ntrue\n#PBS -N pbs_name\n",
    ),
    ("pbs_quoted.sh", b"#!/bin/sh\n#PBS -N \"p q\" -o out.txt\n"),
    ("pbs_glued.sh", b"#!/bin/sh\n#PBSX -N x\n"),
    (
        "pbs_indented.sh",
        b"#!/bin/sh\n #PBS -N ignored\n#SBATCH -J kept\n",
    ),
    (
        "bsub_first.sh",
        b"#!/bin/sh\n#SBATCH -J a\n#PBS -N pbs_name\n#BSUB -J bsub_name\n",
    ),
    ("bsub_cwd.sh", b"#!/bin/sh\n#BSUB -cwd /tmp -J w\n"),
    ("pbs_unmatched.sh", b"#!/bin/sh\n#PBS -N \"unterminated\n"),
    (
        "pbs_hetjob.sh",
        b"#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjob\n#SBATCH -J b\n#PBS -o both.out\n",
    ),
    ("bsub_cwd_value.sh", b"#!/bin/sh\n#BSUB -J -cwd\n"),
    // Warnings and errors across components.
    (
        "slurm_then_packjob.sh",
        b"#!/bin/sh\n#SLURM -J a\n#SBATCH packjob\n#SBATCH -J b\n",
    ),
    (
        "unmatched_in_component.sh",
        b"#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjob\n#SBATCH -o \"x\n",
    ),
];

/// The fixed cases plus generated ones: `#PBS` lines are read up to the 100th line that does
/// not start with `#` (blank lines count), and not after the 101st.
fn cases() -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = CASES
        .iter()
        .map(|(n, s)| ((*n).to_owned(), s.to_vec()))
        .collect();
    for fillers in [100, 101] {
        let mut script = String::from("#!/bin/sh\n#SBATCH -J sbatch_name\n");
        for i in 0..fillers {
            script.push_str(if i % 2 == 0 {
                "true\n# comment\n"
            } else {
                "\n"
            });
        }
        script.push_str("#PBS -N pbs_name\n");
        all.push((format!("pbs_after_{fillers}_lines.sh"), script.into_bytes()));
    }
    all
}

/// The observable fields of one job component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    name: Option<String>,
    comment: Option<String>,
    output: Option<String>,
    workdir: Option<String>,
}

/// Option spellings and the field each one sets.
type Table = &'static [(&'static str, fn(&mut Fields) -> &mut Option<String>)];

/// What sbatch must do with a script, according to our scan.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Jobs { fields: Vec<Fields>, stderr: String },
    Fails { code: i32, stderr: String },
}

/// getopt's complaint for an option without its value, and sbatch's exit code for it.
fn missing(option: &str) -> (i32, String) {
    let what = match option.strip_prefix("--") {
        Some(_) => format!("option '{option}' requires an argument"),
        None => format!("option requires an argument -- '{}'", &option[1..]),
    };
    (
        255,
        format!("sbatch: {what}\nTry \"sbatch --help\" for more information\n"),
    )
}

/// Applies one argv to `fields` the way getopt_long and sbatch would, for the options the
/// cases use. `table` maps an option spelling to the field it sets; `permute` is GNU getopt's
/// default (non-options move to the end) as opposed to a leading `+` (stop at the first).
fn apply(
    fields: &mut Fields,
    words: &[Word],
    table: Table,
    permute: bool,
) -> Result<Option<String>, (i32, String)> {
    let mut stray = None;
    let mut i = 0;
    while i < words.len() {
        let word = &words[i].text;
        i += 1;
        if !word.starts_with('-') || word == "-" {
            stray.get_or_insert_with(|| word.clone());
            if permute {
                continue;
            }
            break;
        }
        let (name, attached) = if word.starts_with("--") {
            match word.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (word.as_str(), None),
            }
        } else {
            let (n, v) = word.split_at(2);
            (n, (!v.is_empty()).then(|| v.to_owned()))
        };
        let Some(&(_, field)) = table.iter().find(|(n, _)| *n == name) else {
            panic!("the cases use option `{word}`, which this test does not model");
        };
        let value = match attached {
            Some(v) => v,
            None if i < words.len() => {
                i += 1;
                words[i - 1].text.clone()
            }
            None => return Err(missing(name)),
        };
        *field(fields) = Some(value);
    }
    Ok(stray)
}

const SBATCH: Table = &[
    ("-J", |f| &mut f.name),
    ("--job-name", |f| &mut f.name),
    ("--comment", |f| &mut f.comment),
    ("-o", |f| &mut f.output),
    ("--output", |f| &mut f.output),
];
const PBS: Table = &[("-N", |f| &mut f.name), ("-o", |f| &mut f.output)];
const BSUB: Table = &[
    ("-J", |f| &mut f.name),
    ("-o", |f| &mut f.output),
    ("-c", |f| &mut f.workdir),
];

/// What sbatch must do, derived from our scan of `script`.
fn expect(file: &str, script: &[u8]) -> Expect {
    let scanned: Script = match scan(script) {
        Ok(s) => s,
        Err(err) => {
            return Expect::Fails {
                code: i32::from(ScanError::EXIT_CODE),
                stderr: err.render(file),
            };
        }
    };
    let foreign: Option<Result<Foreign, ScanError>> = scan_foreign(script).transpose();
    let mut stderr = String::new();
    let mut fields = Fields::default();
    let mut all = Vec::new();
    let mut packjob_told = scanned
        .warnings
        .iter()
        .any(|w| w.kind == sk8_directive::WarningKind::PackJob);
    for (k, words) in scanned.components.iter().enumerate() {
        for warning in scanned.warnings_for(k) {
            stderr.push_str(&warning.render());
        }
        match apply(&mut fields, words, SBATCH, true) {
            Ok(None) => {}
            Ok(Some(stray)) => {
                let _ = writeln!(
                    stderr,
                    "sbatch: error: Invalid directive found in batch script: {stray}"
                );
                return Expect::Fails { code: 255, stderr };
            }
            Err((code, text)) => {
                return Expect::Fails {
                    code,
                    stderr: stderr + &text,
                };
            }
        }
        match &foreign {
            None => {}
            Some(Err(err)) => {
                return Expect::Fails {
                    code: i32::from(ScanError::EXIT_CODE),
                    stderr: stderr + &err.render(file),
                };
            }
            Some(Ok(found)) => {
                if !packjob_told {
                    for warning in &found.warnings {
                        stderr.push_str(&warning.render());
                        packjob_told = true;
                    }
                }
                let table = match found.flavor {
                    Flavor::Pbs => PBS,
                    Flavor::Bsub => BSUB,
                };
                match apply(&mut fields, &found.words, table, false) {
                    Ok(None) => {}
                    Ok(Some(stray)) => {
                        let _ = writeln!(stderr, "sbatch: error: Invalid argument: {stray}");
                        return Expect::Fails { code: 1, stderr };
                    }
                    Err((code, text)) => {
                        return Expect::Fails {
                            code,
                            stderr: stderr + &text,
                        };
                    }
                }
            }
        }
        all.push(fields.clone());
    }
    Expect::Jobs {
        fields: all,
        stderr,
    }
}

/// One component as `scontrol show job -o` prints it.
#[derive(Debug)]
struct Shown {
    job_id: u64,
    offset: u64,
    name: String,
    comment: Option<String>,
    std_out: String,
    workdir: String,
}

/// The value of `key=` in a `scontrol -o` line, up to the first of `ends` (values may hold
/// blanks, so the next key decides where a value ends).
fn field<'a>(line: &'a str, key: &str, ends: &[&str]) -> Option<&'a str> {
    let start = line
        .find(&format!(" {key}="))
        .map(|i| i + key.len() + 2)
        .or_else(|| {
            line.starts_with(&format!("{key}="))
                .then_some(key.len() + 1)
        })?;
    let rest = &line[start..];
    let end = ends
        .iter()
        .filter_map(|e| rest.find(&format!(" {e}=")))
        .min()
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn parse_shown(line: &str) -> Shown {
    let get = |key, ends: &[&str]| {
        field(line, key, ends)
            .unwrap_or_else(|| panic!("no {key}= in {line:?}"))
            .to_owned()
    };
    Shown {
        job_id: get("JobId", &["HetJobId", "JobName"])
            .parse()
            .expect("JobId"),
        offset: field(line, "HetJobOffset", &["JobName"]).map_or(0, |v| v.parse().expect("offset")),
        name: get("JobName", &["HetJobIdSet", "UserId"]),
        // scontrol prints `Comment=%s ` (a blank after the value).
        comment: field(line, "Comment", &["StdErr"])
            .map(|v| v.strip_suffix(' ').unwrap_or(v).to_owned()),
        std_out: get("StdOut", &["Power"]),
        workdir: get("WorkDir", &["Comment", "StdErr"]),
    }
}

/// Runs one of the reference Slurm commands; returns (exit code, stdout, stderr).
fn run(dir: &Path, program: &str, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("SBATCH_") || key.starts_with("SLURM_") {
            command.env_remove(key);
        }
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Compares one case with real Slurm; returns the differences.
fn compare(dir: &Path, file: &str, script: &[u8]) -> Vec<String> {
    let mut diffs = Vec::new();
    std::fs::write(dir.join(file), script).expect("write the case");
    let want = expect(file, script);
    let (code, _, stderr) = run(dir, "/usr/bin/sbatch", &["--test-only", file]);
    match &want {
        Expect::Fails {
            code: want_code,
            stderr: want_err,
        } => {
            if code != *want_code || stderr != *want_err {
                diffs.push(format!(
                    "--test-only: sbatch exit {code} with {stderr:?}; we expect exit {want_code} with {want_err:?}"
                ));
            }
            return diffs;
        }
        Expect::Jobs { .. } if code != 0 => {
            diffs.push(format!(
                "--test-only: sbatch refused (exit {code}: {stderr:?}); we accept"
            ));
            return diffs;
        }
        Expect::Jobs { .. } => {}
    }
    let Expect::Jobs {
        fields,
        stderr: want_err,
    } = want
    else {
        unreachable!()
    };
    let (code, stdout, stderr) = run(dir, "/usr/bin/sbatch", &["--hold", "--parsable", file]);
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    if code != 0 || id.is_empty() {
        diffs.push(format!("--hold: sbatch exit {code} with {stderr:?}"));
        return diffs;
    }
    let (_, shown, _) = run(dir, "/usr/bin/scontrol", &["show", "job", "-o", &id]);
    let _ = run(dir, "/usr/bin/scancel", &[&id]);
    if stderr != want_err {
        diffs.push(format!("stderr {stderr:?}; we expect {want_err:?}"));
    }
    let mut shown: Vec<Shown> = shown
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_shown)
        .collect();
    shown.sort_by_key(|s| s.offset);
    if shown.len() != fields.len() {
        diffs.push(format!(
            "{} components; we expect {}",
            shown.len(),
            fields.len()
        ));
        return diffs;
    }
    let default_dir = dir.to_string_lossy().into_owned();
    for (k, (got, want)) in shown.iter().zip(&fields).enumerate() {
        let workdir = want.workdir.clone().unwrap_or_else(|| default_dir.clone());
        let name = want.name.clone().unwrap_or_else(|| file.to_owned());
        let std_out = match &want.output {
            Some(p) if p.starts_with('/') => p.clone(),
            Some(p) => format!("{workdir}/{p}"),
            None => format!("{workdir}/slurm-{}.out", got.job_id),
        };
        let pairs = [
            ("JobName", &got.name, &name),
            ("StdOut", &got.std_out, &std_out),
            ("WorkDir", &got.workdir, &workdir),
        ];
        for (key, got, want) in pairs {
            if got != want {
                diffs.push(format!("component {k}: {key}={got:?}; we expect {want:?}"));
            }
        }
        if got.comment != want.comment {
            diffs.push(format!(
                "component {k}: Comment={:?}; we expect {:?}",
                got.comment, want.comment
            ));
        }
    }
    diffs
}

#[test]
fn cases_are_many_and_uniquely_named() {
    let cases = cases();
    assert!(cases.len() >= 40, "the brief asks for at least 40 cases");
    let mut names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
}

#[test]
#[ignore = "needs the reference Slurm"]
fn scanner_agrees_with_sbatch() {
    sk8_harness::reference::require("scanner_agrees_with_sbatch");
    let cases = cases();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sk8-directive-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = String::new();
    for (file, script) in &cases {
        for diff in compare(&dir, file, script) {
            let _ = writeln!(failures, "{file}: {diff}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "sbatch and sk8-directive disagree:\n{failures}"
    );
}
