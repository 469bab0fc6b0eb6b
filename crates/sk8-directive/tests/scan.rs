//! Table-driven tests of `scan`: what is read, where it stops, components, warnings, errors.

use sk8_directive::{ScanError, Warning, WarningKind, Word, scan};

use crate::support::{assert_invariants, texts};

#[test]
fn reads_words_per_component() {
    type Case = (&'static str, &'static [&'static [&'static str]]);
    let cases: &[Case] = &[
        ("#!/bin/sh\n", &[&[]]),
        ("#!/bin/sh\n#SBATCH -J a\n", &[&["-J", "a"]]),
        ("#!/bin/sh\n#SBATCH -J a", &[&["-J", "a"]]),
        (
            "#!/bin/sh\n#SBATCH --job-name\n#SBATCH a\n",
            &[&["--job-name", "a"]],
        ),
        (
            "#!/bin/sh\n#SBATCH -J a\ntrue\n#SBATCH -o b\n",
            &[&["-J", "a"]],
        ),
        ("#!/bin/sh\n  true\n#SBATCH -J a\n", &[&[]]),
        (
            "#!/bin/sh\n\n \t\n# c\n   # c\n#SBATCH -J a\n",
            &[&["-J", "a"]],
        ),
        (
            "#!/bin/sh\n  #SBATCH -J a\n# SBATCH -J b\n#sbatch -J c\n",
            &[&[]],
        ),
        ("#!/bin/sh\n#SBATCH--job-name=a\n", &[&["--job-name=a"]]),
        ("#!/bin/sh\n#SBATCHX -J a\n", &[&["X", "-J", "a"]]),
        ("#!/bin/sh\n#SLURM -J a\n", &[&["-J", "a"]]),
        ("#!/bin/sh\n#SBATCH\n#SBATCH   \n", &[&[]]),
        (
            "#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjob\n#SBATCH -J b\n",
            &[&["-J", "a"], &["-J", "b"]],
        ),
        ("#!/bin/sh\n#SBATCH hetjob\n", &[&[], &[]]),
        (
            "#!/bin/sh\n#SBATCH\tHETJOB -J x\n#SBATCH -J b\n",
            &[&[], &["-J", "b"]],
        ),
        (
            "#!/bin/sh\n#SBATCH packjob\n#SBATCH -J b\n",
            &[&[], &["-J", "b"]],
        ),
        (
            "#!/bin/sh\n#SBATCH -J a hetjob -o x\n#SBATCH -o y\n",
            &[&["-J", "a", "-o", "y"]],
        ),
        ("#!/bin/sh\n#SBATCH hetjobs\n", &[&["hetjobs"]]),
        (
            "#!/bin/sh\n#SBATCH -J a\ntrue\n#SBATCH hetjob\n#SBATCH -J b\n",
            &[&["-J", "a"]],
        ),
        ("#!/bin/sh\n#SBATCH -J a\r\x0b\x0c\n", &[&["-J", "a"]]),
    ];
    for &(input, want) in cases {
        let script = scan(input.as_bytes()).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        let want: Vec<Vec<&str>> = want.iter().map(|c| c.to_vec()).collect();
        assert_eq!(texts(&script), want, "script {input:?}");
        assert_invariants(input.as_bytes(), &script);
    }
}

#[test]
fn words_carry_their_line() {
    let script =
        scan(b"#!/bin/sh\n#SBATCH -J\n\n#SBATCH a 'b c'\n#SBATCH hetjob\n#SBATCH -o x\n").unwrap();
    assert_eq!(
        script.components,
        vec![
            vec![Word::new("-J", 2), Word::new("a", 4), Word::new("b c", 4)],
            vec![Word::new("-o", 6), Word::new("x", 6)],
        ]
    );
    assert!(script.is_heterogeneous());
}

#[test]
fn finds_the_first_command() {
    let cases: &[(&str, Option<usize>)] = &[
        ("#!/bin/sh\n", None),
        ("#!/bin/sh\n#SBATCH -J a\n\n# c\n", None),
        ("#!/bin/sh\n#SBATCH -J a\necho\n", Some(3)),
        ("#!/bin/sh\n\n\t x=1\n", Some(3)),
        ("#!/bin/sh\n\x0b#c\n:\n", Some(3)),
    ];
    for &(input, want) in cases {
        assert_eq!(
            scan(input.as_bytes()).unwrap().first_command,
            want,
            "script {input:?}"
        );
    }
}

#[test]
fn lists_warnings_per_reading() {
    let slurm = |line, component| Warning {
        kind: WarningKind::SlurmPrefix,
        line,
        component,
    };
    let packjob = |line, component| Warning {
        kind: WarningKind::PackJob,
        line,
        component,
    };
    let cases: &[(&str, &[Warning])] = &[
        ("#!/bin/sh\n#SBATCH -J a\n", &[]),
        ("#!/bin/sh\n#SLURM -J a\n#SLURM -o b\n", &[slurm(2, 0)]),
        (
            "#!/bin/sh\n#SLURM -J a\n#SBATCH hetjob\n#SBATCH hetjob\n",
            &[slurm(2, 0), slurm(2, 1), slurm(2, 2)],
        ),
        ("#!/bin/sh\n#SBATCH hetjob\n#SLURM -J a\n", &[slurm(3, 1)]),
        (
            "#!/bin/sh\n#SBATCH -J a\n#SLURM hetjob\n",
            &[slurm(3, 0), slurm(3, 1)],
        ),
        (
            "#!/bin/sh\n#SBATCH packjob\n#SBATCH packjob\n#SLURM -J x\n",
            &[packjob(2, 1), slurm(4, 2)],
        ),
        (
            "#!/bin/sh\n#SLURM -J a\n#SBATCH packjob\n",
            &[slurm(2, 0), slurm(2, 1), packjob(3, 1)],
        ),
        ("#!/bin/sh\n#SBATCH -J a packjob\n", &[packjob(2, 0)]),
        ("#!/bin/sh\ntrue\n#SLURM -J a\n", &[]),
    ];
    for &(input, want) in cases {
        assert_eq!(
            scan(input.as_bytes()).unwrap().warnings,
            want,
            "script {input:?}"
        );
    }
}

#[test]
fn renders_warnings_as_sbatch_prints_them() {
    let script = scan(b"#!/bin/sh\n#SLURM -J a\n#SBATCH packjob\n").unwrap();
    let rendered: Vec<String> = script.warnings_for(1).map(Warning::render).collect();
    assert_eq!(
        rendered,
        [
            "sbatch: error: Change from #SLURM to #SBATCH in your script and verify the options \
             are valid in sbatch\n",
            "sbatch: Warning: the \"packjob\" component separator is being deprecated. Please, \
             use \"hetjob\" instead.\n",
        ]
    );
}

#[test]
fn refuses_scripts_like_sbatch() {
    let quote = |line, quote, rest: &str| ScanError::UnmatchedQuote {
        line,
        quote,
        rest: rest.to_owned(),
    };
    let colon = |line, rest: &str| ScanError::UnexpectedColon {
        line,
        rest: rest.to_owned(),
    };
    let cases: &[(&[u8], ScanError)] = &[
        (b"", ScanError::Empty),
        (b" \n\t\n", ScanError::OnlyWhitespace),
        (b" \0#!/bin/sh", ScanError::OnlyWhitespace),
        (b"echo hi\n", ScanError::NoShebang),
        (b"\n#!/bin/sh\n", ScanError::NoShebang),
        (b"#", ScanError::NoShebang),
        (b"#!/bin/sh\necho \0\n", ScanError::NulChar),
        (b"#!/bin/sh\r\n", ScanError::DosLineBreaks),
        (b"#!/bin/sh\nx\ny\r\n", ScanError::DosLineBreaks),
        (b"#!/bin/sh\n#SBATCH -J \"abc\n", quote(2, '"', " \"abc")),
        (b"#!/bin/sh\n#SBATCH   'abc\n", quote(2, '\'', "'abc")),
        (b"#!/bin/sh\n#SBATCH -J x   'a\n", quote(2, '\'', "   'a")),
        (
            b"#!/bin/sh\n#SBATCH -J a\n#SBATCH hetjob\n#SBATCH -o \"x\n",
            quote(4, '"', " \"x"),
        ),
        (b"#!/bin/sh\n#SBATCH -J :x\n", colon(2, " :x")),
        (b"#!/bin/sh\n#SBATCH :\n", colon(2, ":")),
    ];
    for (input, want) in cases {
        assert_eq!(
            scan(input).unwrap_err(),
            *want,
            "script {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn renders_errors_as_sbatch_prints_them() {
    let cases: &[(ScanError, &str)] = &[
        (ScanError::Empty, "sbatch: error: Batch script is empty!\n"),
        (
            ScanError::NoShebang,
            "sbatch: error: This does not look like a batch script.  The first\n\
             sbatch: error: line must start with #! followed by the path to an interpreter.\n\
             sbatch: error: For instance: #!/bin/sh\n",
        ),
        (
            ScanError::UnmatchedQuote {
                line: 2,
                quote: '"',
                rest: " \"abc".to_owned(),
            },
            "sbatch: fatal: job.sh: line 2: Unmatched `\"` in [ \"abc]\n",
        ),
    ];
    for (err, want) in cases {
        assert_eq!(err.render("job.sh"), *want);
        assert_eq!(ScanError::EXIT_CODE, 1);
    }
}

#[test]
fn stops_early_in_a_long_script() {
    // A 5,000-line script with 100 directives: every directive is read, the body is only
    // checked (NUL, DOS line ends), and every word keeps its line.
    let mut input = String::from("#!/bin/bash\n");
    for i in 0..100 {
        input.push_str(&format!("#SBATCH --comment=\"c {i}\" # note\n"));
    }
    for i in 0..4_899 {
        input.push_str(&format!("echo line {i} \"$SLURM_JOB_ID\"\n"));
    }
    let script = scan(input.as_bytes()).unwrap();
    assert_eq!(script.components.len(), 1);
    assert_eq!(script.components[0].len(), 100);
    assert_eq!(script.components[0][99], Word::new("--comment=c 99", 101));
    assert_eq!(script.first_command, Some(102));
}
