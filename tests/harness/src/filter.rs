//! Snapshot filters: what differs from run to run (job ids, times, this
//! host's name, temporary paths) replaced by a placeholder, so a snapshot
//! holds only what the command decided. Plain string scanning: the harness
//! builds with std alone.

/// The filters of one test environment.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Exact texts and their placeholders, longest first when applied.
    literals: Vec<(String, String)>,
    /// Words (not part of a longer name) and their placeholders.
    words: Vec<(String, String)>,
    /// Keys whose `KEY=value` value is replaced (`RunTime=[RunTime]`).
    fields: Vec<String>,
}

impl Filters {
    /// Times (`2026-11-28T15:48:49` -> `[TIME]`) and this host's short name
    /// (`[HOST]`), with nothing else yet.
    #[must_use]
    pub fn new() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host = host
            .trim()
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        let mut f = Self::default();
        if !host.is_empty() {
            f.words.push((host, "[HOST]".into()));
        }
        f
    }

    /// Replaces the exact text `from` by `to` (a path, a user name).
    #[must_use]
    pub fn literal(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        let from = from.into();
        if !from.is_empty() {
            self.literals.push((from, to.into()));
        }
        self
    }

    /// Replaces job id `id` where it stands as one: `JobId=N`, `job N`,
    /// `slurm-N.`, and a line's first column (`N ...`, `N|...`). Not every
    /// whole number: a fresh state directory's first job is 1.
    #[must_use]
    pub fn job_id(mut self, id: u32, placeholder: &str) -> Self {
        for (from, to) in [
            (format!("JobId={id}"), format!("JobId={placeholder}")),
            (format!("job {id}"), format!("job {placeholder}")),
            (format!("slurm-{id}."), format!("slurm-{placeholder}.")),
            (format!("\n{id} "), format!("\n{placeholder} ")),
            (format!("\n{id}|"), format!("\n{placeholder}|")),
        ] {
            self.literals.push((from, to));
        }
        self
    }

    /// Replaces the word `word` (a user name) by `placeholder`.
    #[must_use]
    pub fn word(mut self, word: &str, placeholder: &str) -> Self {
        if !word.is_empty() {
            self.words.push((word.into(), placeholder.into()));
        }
        self
    }

    /// Replaces the value of every `key=value` (up to the next space or
    /// line end) by `[key]`: an elapsed time, a numeric user id.
    #[must_use]
    pub fn field(mut self, key: &str) -> Self {
        self.fields.push(key.into());
        self
    }

    /// Applies every filter to `text`.
    #[must_use]
    pub fn apply(&self, text: &str) -> String {
        let mut literals = self.literals.clone();
        literals.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
        let mut out = text.to_string();
        for (from, to) in &literals {
            out = out.replace(from.as_str(), to);
        }
        out = times(&out);
        for key in &self.fields {
            out = field(&out, key);
        }
        replace_runs(&out, &self.words, |c| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        })
    }
}

/// `key=value` -> `key=[key]` where `key` starts a word.
fn field(text: &str, key: &str) -> String {
    let needle = format!("{key}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let starts_word = rest[..at]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        let value_at = at + needle.len();
        out.push_str(&rest[..value_at]);
        rest = &rest[value_at..];
        if starts_word {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push_str(&format!("[{key}]"));
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// `YYYY-MM-DDTHH:MM:SS` -> `[TIME]`.
fn times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= SHAPE.len()
            && SHAPE.iter().zip(&bytes[i..]).all(|(s, b)| match s {
                b'd' => b.is_ascii_digit(),
                s => s == b,
            });
        if fits {
            out.push_str("[TIME]");
            i += SHAPE.len();
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Replaces every maximal run of `in_run` characters equal to one of
/// `pairs`' texts by its placeholder.
fn replace_runs(text: &str, pairs: &[(String, String)], in_run: impl Fn(char) -> bool) -> String {
    if pairs.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match pairs.iter().find(|(from, _)| from == run) {
            Some((_, to)) => out.push_str(to),
            None => out.push_str(run),
        }
        run.clear();
    };
    for c in text.chars() {
        if in_run(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_times_and_paths_are_replaced_whole() {
        let f = Filters::default()
            .literal("/tmp/sk8-test-1/home", "[HOME]")
            .job_id(7, "[JOBID]");
        assert_eq!(
            f.apply(
                "JobId=7 ArrayJobId=17 NumNodes=7 SubmitTime=2026-11-28T15:48:49 \
                 /tmp/sk8-test-1/home/slurm-7.out\n7 x"
            ),
            "JobId=[JOBID] ArrayJobId=17 NumNodes=7 SubmitTime=[TIME] \
             [HOME]/slurm-[JOBID].out\n[JOBID] x"
        );
    }

    #[test]
    fn fields_are_replaced_only_where_the_key_starts_a_word() {
        let f = Filters::default().field("RunTime");
        assert_eq!(
            f.apply("   RunTime=00:00:01 TimeLimit=00:05:00\nXRunTime=1"),
            "   RunTime=[RunTime] TimeLimit=00:05:00\nXRunTime=1"
        );
    }

    #[test]
    fn a_host_name_is_replaced_only_as_a_word() {
        let mut f = Filters::default();
        f.words.push(("box".into(), "[HOST]".into()));
        assert_eq!(
            f.apply("box boxer box-1 box,"),
            "[HOST] boxer box-1 [HOST],"
        );
    }
}
