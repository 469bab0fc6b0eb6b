//! `srun --multi-prog` configuration files: which program each task runs.
//!
//! The file is checked as `srun` does (`verify_multi_name` in
//! `src/srun/libsrun/multi_prog.c`) and each task's argv is built as
//! `slurmstepd` builds it (`multi_prog_get_argv`): lines `RANKS PROGRAM
//! ARGS...`, ranks `*`, `N`, `N-M` or comma lists; `#` comments whole
//! lines; in arguments `%t` is the task rank, `%o` its offset within the
//! line's ranks, single quotes keep text as is and a backslash escapes one
//! character; a trailing backslash continues the line.

/// One parsed configuration line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    number: usize,
    ranks: String,
    /// The text after the ranks, continuation lines joined.
    args: String,
}

/// A checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiProg {
    lines: Vec<Line>,
}

/// Logical lines: physical lines with continuations joined by `\n`.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let continues = raw.ends_with('\\');
        match current.as_mut() {
            Some((_, acc)) => {
                acc.push('\n');
                acc.push_str(raw);
            }
            None => current = Some((i + 1, raw.to_string())),
        }
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

fn parse_ranks(spec: &str, ntasks: u32) -> Result<Vec<u32>, String> {
    if spec == "*" {
        return Ok((0..ntasks).collect());
    }
    let mut out = Vec::new();
    for range in spec.split(',').filter(|r| !r.is_empty()) {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) if digits(a) && digits(b) => (a, b),
            None if digits(range) => (range, range),
            _ => return Err(format!("Invalid task range specification ({range})")),
        };
        let lo: u32 = lo.parse().map_err(|_| format!("Invalid task id {lo}"))?;
        let hi: u32 = hi.parse().map_err(|_| format!("Invalid task id {hi}"))?;
        if lo > hi {
            return Err(format!("Invalid task range, {lo}-{hi}"));
        }
        if hi >= ntasks {
            return Err(format!("Invalid task id, {hi} >= ntasks"));
        }
        out.extend(lo..=hi);
    }
    Ok(out)
}

impl MultiProg {
    /// Checks `text` (the file `name`) for a step of `ntasks` tasks; the
    /// error lines are `srun`'s.
    pub fn parse(text: &str, name: &str, ntasks: u32) -> Result<Self, Vec<String>> {
        if text.len() > 60_000 {
            return Err(vec![format!("Multi_prog config file {name} is too large")]);
        }
        let mut lines = Vec::new();
        let mut seen = vec![false; ntasks as usize];
        let mut asterisk = false;
        for (number, line) in logical_lines(text) {
            let body = line.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let invalid = || format!("Line {number} of configuration file {name} invalid");
            let (ranks, rest) = body
                .split_once(|c: char| c.is_ascii_whitespace())
                .ok_or_else(|| vec![invalid()])?;
            if rest.trim().is_empty() {
                return Err(vec![invalid()]);
            }
            if asterisk {
                return Err(vec![
                    "Task range specification with asterisk must be last".into(),
                    invalid(),
                ]);
            }
            let ids = parse_ranks(ranks, ntasks).map_err(|e| vec![e, invalid()])?;
            if ranks == "*" {
                asterisk = true;
            }
            for id in ids {
                let slot = &mut seen[id as usize];
                if *slot && ranks != "*" {
                    return Err(vec![format!("Duplicate record for task {id}"), invalid()]);
                }
                *slot = true;
            }
            lines.push(Line {
                number,
                ranks: ranks.to_string(),
                args: rest.trim_start().to_string(),
            });
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(vec![format!(
                "Configuration file {name} invalid, no record for task id {missing}"
            )]);
        }
        Ok(Self { lines })
    }

    /// The argv of task `rank`, followed by `extra` (the arguments given to
    /// `srun` after the configuration file).
    pub fn argv(&self, rank: u32, extra: &[String]) -> Result<Vec<String>, String> {
        for line in &self.lines {
            let Some(offset) = offset_in(&line.ranks, rank) else {
                continue;
            };
            let mut argv = split_args(&line.args, rank, offset)
                .map_err(|e| format!("{e} (line {})", line.number))?;
            argv.extend(extra.iter().cloned());
            return Ok(argv);
        }
        Err(format!("Program for task rank {rank} not specified."))
    }
}

/// Where `rank` falls in a rank specification, counting from 0.
fn offset_in(spec: &str, rank: u32) -> Option<u32> {
    if spec == "*" {
        return Some(rank);
    }
    let mut passed = 0;
    for range in spec.split(',').filter(|r| !r.is_empty()) {
        let (lo, hi) = match range.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let n = range.parse::<u32>().ok()?;
                (n, n)
            }
        };
        if (lo..=hi).contains(&rank) {
            return Some(passed + rank - lo);
        }
        passed += hi - lo + 1;
    }
    None
}

/// `slurmstepd`'s argument splitting: whitespace separates, `'...'` keeps,
/// `\x` is `x` (a backslash at a line end continues), `%t`/`%o` expand and
/// any other `%x` is dropped.
fn split_args(text: &str, rank: u32, offset: u32) -> Result<Vec<String>, String> {
    let mut argv = Vec::new();
    let mut arg: Option<String> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                let a = arg.get_or_insert_with(String::new);
                match chars.next() {
                    Some('t') => a.push_str(&rank.to_string()),
                    Some('o') => a.push_str(&offset.to_string()),
                    _ => {}
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(x) => arg.get_or_insert_with(String::new).push(x),
            },
            '\'' => {
                let a = arg.get_or_insert_with(String::new);
                let mut closed = false;
                for q in chars.by_ref() {
                    if q == '\'' {
                        closed = true;
                        break;
                    }
                    a.push(q);
                }
                if !closed {
                    return Err(format!(
                        "Program arguments specification format invalid: {}.",
                        argv.last().map_or("", String::as_str)
                    ));
                }
            }
            c if c.is_ascii_whitespace() => argv.extend(arg.take()),
            c => arg.get_or_insert_with(String::new).push(c),
        }
    }
    argv.extend(arg);
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_string()).collect()
    }

    #[test]
    fn ranks_offsets_and_quotes() {
        let text = "# comment\n0 echo master %t\n1-2,4 echo 'worker %t' %o\n3 printf a\\ b\n";
        let mp = MultiProg::parse(text, "mp.conf", 5).unwrap();
        assert_eq!(mp.argv(0, &[]).unwrap(), s(&["echo", "master", "0"]));
        assert_eq!(mp.argv(2, &[]).unwrap(), s(&["echo", "worker %t", "1"]));
        assert_eq!(mp.argv(4, &[]).unwrap(), s(&["echo", "worker %t", "2"]));
        assert_eq!(mp.argv(3, &s(&["x"])).unwrap(), s(&["printf", "a b", "x"]));
    }

    #[test]
    fn asterisk_covers_the_rest() {
        let mp = MultiProg::parse("0 hostname\n* echo %t\n", "f", 3).unwrap();
        assert_eq!(mp.argv(0, &[]).unwrap(), s(&["hostname"]));
        assert_eq!(mp.argv(2, &[]).unwrap(), s(&["echo", "2"]));
    }

    #[test]
    fn srun_refuses_bad_files() {
        assert_eq!(
            MultiProg::parse("0 true\n", "f", 2).unwrap_err(),
            s(&["Configuration file f invalid, no record for task id 1"])
        );
        assert_eq!(
            MultiProg::parse("0 true\n0-1 false\n", "f", 2).unwrap_err(),
            s(&[
                "Duplicate record for task 0",
                "Line 2 of configuration file f invalid"
            ])
        );
        assert_eq!(
            MultiProg::parse("0-5 true\n", "f", 2).unwrap_err(),
            s(&[
                "Invalid task id, 5 >= ntasks",
                "Line 1 of configuration file f invalid"
            ])
        );
        assert_eq!(
            MultiProg::parse("0\n", "f", 1).unwrap_err(),
            s(&["Line 1 of configuration file f invalid"])
        );
    }
}
