//! The `#BSUB` (LSF) and `#PBS` (Torque/PBS Pro) lines that sbatch translates into options.
//!
//! Unless `--ignore-pbs` (or `SBATCH_IGNORE_PBS`) is in force, sbatch 22.05 (`src/sbatch/xlate.c`)
//! reads, after the `#SBATCH` lines, the lines of ONE foreign flavour: `#BSUB` when the script
//! has any `#BSUB` line, otherwise `#PBS`. Unlike `#SBATCH`, those lines are read past the
//! first command: reading stops only after [`FOREIGN_NON_COMMENT_LIMIT`] lines that do not start
//! with `#` (blank lines count). The words of all of them form one argv, applied to every
//! heterogeneous-job component. The word splitting is the `#SBATCH` one.
//!
//! The translation into sbatch options belongs to the option parser; sbatch applies these:
//! - `#BSUB` (getopt `+c:e:J:m:M:n:o:q:W:x`): `-c`/`-cwd` -> `-D`, `-e` `-J` `-o` as is,
//!   `-m` -> `-w` (blanks become commas), `-M` -> `--mem-per-cpu` (a bare number gets `K`),
//!   `-n min,max` -> `-n max`, `-q` -> `-p`, `-W` -> `-t`, `-x` -> `--exclusive`; a leftover
//!   word is `Invalid argument: WORD` (exit 1);
//! - `#PBS` (getopt `+a:A:c:C:e:hIj:J:k:l:m:M:N:o:p:q:r:S:t:u:v:VW:z`): `-a` -> `--begin`,
//!   `-A` `-e` `-o` as is, `-h` -> `--hold`, `-J`/`-t` -> `--array`, `-l` resource lists
//!   (`nodes=N:ppn=P:gpus=G`, `mem=`, `file=`, `walltime=`, `cput=`, `pcput=`, `ncpus=`,
//!   `mpiprocs=`, `select=`, `naccelerators=`, `nice=`, ...), `-m` -> `--mail-type`,
//!   `-M` -> `--mail-user`, `-N` -> `-J`, `-p` -> `--nice`, `-q` -> `-p`,
//!   `-v` -> `--export` (appended), `-W umask=`/`depend=` -> `--umask`/`-d`; `-c -C -I -j -k
//!   -r -S -u -V -z` are accepted and ignored.

use std::fmt;
use std::str::FromStr;

use crate::words::Separator;
use crate::{Result, Warning, WarningKind, Word, check, lines, read_words};

/// sbatch stops looking for foreign directives after this many lines not starting with `#`.
pub const FOREIGN_NON_COMMENT_LIMIT: usize = 100;

/// A foreign batch system whose directives sbatch translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// LSF's `#BSUB`; looked for first.
    Bsub,
    /// Torque's and PBS Pro's `#PBS`; looked for when there is no `#BSUB` line.
    Pbs,
}

impl Flavor {
    /// Every flavour, in the order sbatch looks for them.
    pub const ALL: [Flavor; 2] = [Flavor::Bsub, Flavor::Pbs];

    /// The line prefix, e.g. `#PBS`.
    pub fn prefix(self) -> &'static str {
        match self {
            Flavor::Bsub => "#BSUB",
            Flavor::Pbs => "#PBS",
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// A string that names no [`Flavor`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown directive prefix `{0}`\n(hint: expected `#BSUB` or `#PBS`)")]
pub struct ParseFlavorError(pub String);

impl FromStr for Flavor {
    type Err = ParseFlavorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flavor::ALL
            .into_iter()
            .find(|f| f.prefix() == s)
            .ok_or_else(|| ParseFlavorError(s.to_owned()))
    }
}

/// The foreign directives sbatch would translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// Whose directives they are.
    pub flavor: Flavor,
    /// Their words, as one argv (without `argv[0]`). For `#BSUB`, a `-cwd` at an even
    /// position (0, 2, ...) has already become `-c`, as sbatch does while reading.
    pub words: Vec<Word>,
    /// The `packjob` complaint, if a `packjob` word was read. sbatch prints it at most once per
    /// run: drop it when [`crate::scan`] already reported one.
    pub warnings: Vec<Warning>,
}

/// Checks `script` (like [`crate::scan`]) and reads the foreign directives sbatch would
/// translate; `None` when there are none.
///
/// Call it only when `--ignore-pbs` is not in force: its errors (an unmatched quote in a
/// `#PBS` line) are errors only then.
pub fn scan_foreign(script: &[u8]) -> Result<Option<Foreign>> {
    check(script)?;
    for flavor in Flavor::ALL {
        if let Some(found) = scan_flavor(script, flavor)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn scan_flavor(script: &[u8], flavor: Flavor) -> Result<Option<Foreign>> {
    let prefix = flavor.prefix().as_bytes();
    let mut found = false;
    let mut words = Vec::new();
    let mut warnings = Vec::new();
    let mut non_comments = 0;
    for (number, line) in lines(script) {
        let Some(rest) = line.strip_prefix(prefix) else {
            if line.first() != Some(&b'#') {
                non_comments += 1;
                if non_comments > FOREIGN_NON_COMMENT_LIMIT {
                    break;
                }
            }
            continue;
        };
        found = true;
        let before = words.len();
        let sep = read_words(rest, number, &mut words)?;
        if sep == Some(Separator::PackJob) && warnings.is_empty() {
            warnings.push(Warning {
                kind: WarningKind::PackJob,
                line: number,
                component: 0,
            });
        }
        if flavor == Flavor::Bsub {
            for (i, word) in words.iter_mut().enumerate().skip(before) {
                if i % 2 == 0 && word.text == "-cwd" {
                    word.text.replace_range(.., "-c");
                }
            }
        }
    }
    Ok(found.then_some(Foreign {
        flavor,
        words,
        warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavor_round_trips() {
        for flavor in Flavor::ALL {
            assert_eq!(flavor.to_string().parse::<Flavor>(), Ok(flavor));
        }
        assert!("#SBATCH".parse::<Flavor>().is_err());
    }

    fn texts(found: &Foreign) -> Vec<&str> {
        found.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn reads_one_flavour_past_commands() {
        type Case = (&'static str, Option<(Flavor, &'static [&'static str])>);
        let cases: &[Case] = &[
            ("#!/bin/sh\ntrue\n", None),
            ("#!/bin/sh\n#SBATCH -J a\n", None),
            (
                "#!/bin/sh\ntrue\n#PBS -N x\n",
                Some((Flavor::Pbs, &["-N", "x"])),
            ),
            (
                "#!/bin/sh\n#PBS -N x\n#BSUB -J y\n",
                Some((Flavor::Bsub, &["-J", "y"])),
            ),
            (
                "#!/bin/sh\n#PBSX -N x\n",
                Some((Flavor::Pbs, &["X", "-N", "x"])),
            ),
            ("#!/bin/sh\n #PBS -N x\n", None),
            ("#!/bin/sh\n#pbs -N x\n", None),
            ("#!/bin/sh\n#PBS\n", Some((Flavor::Pbs, &[]))),
            (
                "#!/bin/sh\n#PBS -N x hetjob -o y\n",
                Some((Flavor::Pbs, &["-N", "x"])),
            ),
            (
                "#!/bin/sh\n#BSUB -cwd /a -J -cwd\n#BSUB -cwd b\n",
                Some((Flavor::Bsub, &["-c", "/a", "-J", "-cwd", "-c", "b"])),
            ),
            (
                "#!/bin/sh\n#BSUB -x\n#BSUB -cwd b\n",
                Some((Flavor::Bsub, &["-x", "-cwd", "b"])),
            ),
        ];
        for &(script, want) in cases {
            let got = scan_foreign(script.as_bytes()).unwrap();
            let got = got.as_ref().map(|f| (f.flavor, texts(f)));
            let want = want.map(|(f, w)| (f, w.to_vec()));
            assert_eq!(got, want, "script {script:?}");
        }
    }

    #[test]
    fn stops_after_the_hundred_and_first_non_comment_line() {
        for (fillers, seen) in [(99, true), (100, true), (101, false)] {
            let mut script = String::from("#!/bin/sh\n");
            for i in 0..fillers {
                // Blank lines count like commands; `#` lines do not.
                script.push_str(if i % 2 == 0 { "true\n" } else { "\n" });
                script.push_str("# comment\n");
            }
            script.push_str("#PBS -N late\n");
            let got = scan_foreign(script.as_bytes()).unwrap();
            assert_eq!(got.is_some(), seen, "{fillers} filler lines");
        }
    }

    #[test]
    fn reports_packjob_once() {
        let found = scan_foreign(b"#!/bin/sh\n#PBS packjob\n#PBS -N x packjob\n")
            .unwrap()
            .unwrap();
        assert_eq!(found.words, vec![Word::new("-N", 3), Word::new("x", 3)]);
        assert_eq!(
            found.warnings,
            vec![Warning {
                kind: WarningKind::PackJob,
                line: 2,
                component: 0
            }]
        );
    }
}
