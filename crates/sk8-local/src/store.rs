//! The state database: `$SK8_HOME/state.db` (SQLite, WAL). One row per job
//! (or started array task) with its record as JSON beside the columns the
//! queries need; ids from a counter row bumped in the inserting transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use sk8_backend::{ExitStatus, JobState, StepInfo};
use sk8_spec::JobSpec;

use crate::Error;
use crate::sched::NodeAlloc;

/// What created the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// `sbatch`: a script run by the supervisor.
    Batch,
    /// `salloc`/standalone `srun`: held by the caller until released.
    Alloc,
}

/// A hold on a pending job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hold {
    /// `--hold`, `scontrol hold` by the user (`JobHeldUser`).
    User,
    /// By an administrator (`JobHeldAdmin`).
    Admin,
}

/// A process recorded with its start time (see [`crate::procs::ProcId`]).
pub type ProcRec = (u32, u64);

/// One job's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    /// Its id.
    pub id: u32,
    /// Batch or allocation.
    pub kind: Kind,
    /// The array it belongs to (its first id).
    pub array_job_id: Option<u32>,
    /// Its task index, once started.
    pub array_task_id: Option<u32>,
    /// For the array's own record: the indices not started yet.
    pub array_pending: Vec<u32>,
    /// What was asked.
    pub spec: JobSpec,
    /// The partition it runs in.
    pub partition: String,
    /// Its state.
    pub state: JobState,
    /// Slurm's reason name.
    pub reason: String,
    /// Its priority when not held.
    pub priority: u32,
    /// A hold, if any.
    pub hold: Option<Hold>,
    /// Submit time.
    pub submit_time: i64,
    /// When it became eligible.
    pub eligible_time: Option<i64>,
    /// `--begin`, resolved.
    pub begin_time: Option<i64>,
    /// Start time.
    pub start_time: Option<i64>,
    /// End time.
    pub end_time: Option<i64>,
    /// Time limit in minutes (`None`: unlimited).
    pub time_limit: Option<u32>,
    /// What it holds while it runs.
    pub alloc: Vec<NodeAlloc>,
    /// How it ended.
    pub exit: ExitStatus,
    /// Times requeued.
    pub restarts: u32,
    /// The batch script's node.
    pub batch_host: Option<String>,
    /// Its supervisor.
    pub supervisor: Option<ProcRec>,
    /// The process holding an allocation (`salloc`).
    pub holder: Option<ProcRec>,
    /// The submitter's umask.
    pub umask: u32,
    /// The submitter's nice value.
    pub nice: i32,
    /// Each node's agent address, once started.
    pub agents: Vec<(String, String)>,
    /// Steps, as reported.
    pub steps: Vec<StepInfo>,
    /// A cancel was asked for before the supervisor could act on it.
    pub cancel_requested: bool,
    /// When a `sk8 schedule --at` waiter was last left for this job.
    #[serde(default)]
    pub waiter_at: Option<i64>,
}

impl JobRow {
    /// The priority in force (0 while held, as Slurm shows).
    pub fn effective_priority(&self) -> u32 {
        if self.hold.is_some() {
            0
        } else {
            self.priority
        }
    }

    /// Whether the scheduling pass looks at it: holding resources, or
    /// pending without a hold (held jobs block nothing and wait for a
    /// release, which runs a pass).
    pub fn queued(&self) -> bool {
        self.state.is_active() || (self.state == JobState::Pending && self.hold.is_none())
    }

    /// Whether reaping looks at it: holding resources (its supervisor may
    /// die), or a pending allocation (its requester may die).
    pub fn watched(&self) -> bool {
        self.state.is_active() || (self.state == JobState::Pending && self.kind == Kind::Alloc)
    }

    /// The id whose row holds the script (an array's first id).
    pub fn script_id(&self) -> u32 {
        self.array_job_id.unwrap_or(self.id)
    }
}

/// The open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    finished INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    watched INTEGER NOT NULL,
    array_job_id INTEGER,
    rec TEXT NOT NULL,
    script BLOB,
    env TEXT
);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished, id);
CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (queued, id);
CREATE INDEX IF NOT EXISTS jobs_watched ON jobs (watched, id);
CREATE INDEX IF NOT EXISTS jobs_array ON jobs (array_job_id);
INSERT OR IGNORE INTO counter (name, value) VALUES ('job_id', 0);
PRAGMA user_version = 2;
";

/// A row's record without its environment, and the environment apart
/// (`None` when empty: split-off array tasks share their array's).
fn split_environment(row: &JobRow) -> Result<(String, Option<String>), Error> {
    let env = &row.spec.environment;
    let env = if env.is_empty() {
        None
    } else {
        Some(serde_json::to_string(env).map_err(json_err)?)
    };
    let rec = if row.spec.environment.is_empty() {
        serde_json::to_string(row)
    } else {
        let mut bare = row.clone();
        bare.spec.environment.clear();
        serde_json::to_string(&bare)
    }
    .map_err(json_err)?;
    Ok((rec, env))
}

/// Turns SQLite's failures into the message users see.
pub fn db_error(path: &Path, e: &rusqlite::Error) -> Error {
    let p = path.display();
    let text = match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            format!(
                "local state: database is locked ({p})\n(hint: another sk8 command holds it; try again)"
            )
        }
        Some(ErrorCode::ReadOnly) => format!("local state: database is read-only ({p})"),
        Some(ErrorCode::CannotOpen) => format!("local state: cannot open {p}: {e}"),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            format!("local state: database is damaged ({p}): {e}")
        }
        _ => format!("local state: {e} ({p})"),
    };
    Error::Db(text)
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Db(format!("local state: unreadable job record: {e}"))
}

impl Store {
    /// Creates the schema (version 0) or adds the environment column
    /// (version 1), deciding inside the write transaction.
    fn set_up(conn: &Connection) -> rusqlite::Result<()> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .and_then(|version| match version {
                0 => conn.execute_batch(SCHEMA),
                1 => conn.execute_batch(
                    "ALTER TABLE jobs ADD COLUMN env TEXT; PRAGMA user_version = 2;",
                ),
                _ => Ok(()),
            })
            .and_then(|()| conn.execute_batch("COMMIT"));
        if done.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        done
    }

    /// Opens (creating when needed) the database at `path`. A file without
    /// write permission is opened read-only, so reads work and writes fail
    /// cleanly even for root.
    pub fn open(path: &Path, busy: Duration) -> Result<Self, Error> {
        use std::os::unix::fs::PermissionsExt;
        let read_only = std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o222 == 0);
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(path, &e))?;
        let err = |e: rusqlite::Error| db_error(path, &e);
        conn.busy_timeout(busy).map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if version == 0 && read_only {
            return Err(Error::Db(format!(
                "local state: database is read-only ({})",
                path.display()
            )));
        }
        if version < 2 && !read_only {
            // Several commands may create the database at the same moment:
            // the setup runs in one write transaction that rechecks the
            // version, retried while another process holds the lock.
            let deadline = std::time::Instant::now() + busy;
            loop {
                match Self::set_up(&conn) {
                    Ok(()) => break,
                    Err(e)
                        if matches!(
                            e.sqlite_error_code(),
                            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                        ) && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => return Err(err(e)),
                }
            }
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`): all of it is
    /// committed, or none of it when `f` fails.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| db_error(&path, &e))?;
        let wrapped = Tx { tx, path };
        let out = f(&wrapped)?;
        wrapped
            .tx
            .commit()
            .map_err(|e| db_error(&wrapped.path, &e))?;
        Ok(out)
    }

    /// A read view (no transaction: each query sees the latest commit).
    pub fn read(&self) -> Reader<'_> {
        Reader {
            conn: &self.conn,
            path: &self.path,
        }
    }
}

/// Queries shared by reads and write transactions.
pub trait Query {
    /// The connection.
    fn conn(&self) -> &Connection;
    /// The database path, for messages.
    fn path(&self) -> &Path;

    /// Maps a SQLite error.
    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(self.path(), &e)
    }

    /// One job.
    fn get(&self, id: u32) -> Result<Option<JobRow>, Error> {
        let rec: Option<String> = self
            .conn()
            .query_row("SELECT rec FROM jobs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        rec.map(|r| serde_json::from_str(&r).map_err(json_err))
            .transpose()
    }

    /// Jobs matching a `WHERE` clause, by id.
    fn select(&self, clause: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<JobRow>, Error> {
        let sql = format!("SELECT rec FROM jobs WHERE {clause} ORDER BY id");
        let mut stmt = self.conn().prepare(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query(args).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        // Parse each record straight from SQLite's buffer: `squeue` over a
        // thousand jobs spends most of its time here.
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let text = row
                .get_ref(0)
                .and_then(|v| v.as_str().map_err(Into::into))
                .map_err(|e| self.err(e))?;
            out.push(serde_json::from_str(text).map_err(json_err)?);
        }
        Ok(out)
    }

    /// Jobs not finished (pending or holding resources).
    fn unfinished(&self) -> Result<Vec<JobRow>, Error> {
        self.select("finished = 0", &[])
    }

    /// Jobs the scheduling pass considers ([`JobRow::queued`]).
    fn queued(&self) -> Result<Vec<JobRow>, Error> {
        self.select("queued = 1", &[])
    }

    /// Jobs reaping looks at ([`JobRow::watched`]).
    fn watched(&self) -> Result<Vec<JobRow>, Error> {
        self.select("watched = 1", &[])
    }

    /// Held pending jobs below `id` (for `singleton`).
    fn held_before(&self, id: u32) -> Result<Vec<JobRow>, Error> {
        self.select("finished = 0 AND queued = 0 AND id < ?1", &[&id])
    }

    /// A job and, for an array, all its records.
    fn family(&self, id: u32) -> Result<Vec<JobRow>, Error> {
        self.select("id = ?1 OR array_job_id = ?1", &[&id])
    }

    /// Every job.
    fn all(&self) -> Result<Vec<JobRow>, Error> {
        self.select("1", &[])
    }

    /// The environment a job receives (`--export` applied), kept apart from
    /// its record so that queries over many jobs do not decode it; like the
    /// script, it lives in the row of [`JobRow::script_id`].
    fn environment(&self, id: u32) -> Result<BTreeMap<String, String>, Error> {
        let env: Option<Option<String>> = self
            .conn()
            .query_row("SELECT env FROM jobs WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        match env.flatten() {
            Some(text) => serde_json::from_str(&text).map_err(json_err),
            None => Ok(BTreeMap::new()),
        }
    }

    /// The script of a job.
    fn script(&self, id: u32) -> Result<Vec<u8>, Error> {
        self.conn()
            .query_row("SELECT script FROM jobs WHERE id = ?1", [id], |r| {
                r.get::<_, Option<Vec<u8>>>(0)
            })
            .optional()
            .map_err(|e| self.err(e))
            .map(|s| s.flatten().unwrap_or_default())
    }
}

/// A read view.
pub struct Reader<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl Query for Reader<'_> {
    fn conn(&self) -> &Connection {
        self.conn
    }
    fn path(&self) -> &Path {
        self.path
    }
}

/// A write transaction.
pub struct Tx<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
}

impl Query for Tx<'_> {
    fn conn(&self) -> &Connection {
        &self.tx
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

impl Tx<'_> {
    /// The next job id.
    pub fn next_id(&self) -> Result<u32, Error> {
        self.tx
            .query_row(
                "UPDATE counter SET value = value + 1 WHERE name = 'job_id' RETURNING value",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Inserts a new job (with its script, if any).
    pub fn insert(&self, row: &JobRow, script: Option<&[u8]>) -> Result<(), Error> {
        let (rec, env) = split_environment(row)?;
        self.tx
            .prepare(
                "INSERT INTO jobs (id, finished, queued, watched, array_job_id, rec, script, env) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.state.is_finished(),
                    row.queued(),
                    row.watched(),
                    row.array_job_id,
                    rec,
                    script,
                    env
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Writes a job's record back.
    pub fn update(&self, row: &JobRow) -> Result<(), Error> {
        // The environment column is written once, at insert.
        let (rec, _) = split_environment(row)?;
        self.tx
            .prepare(
                "UPDATE jobs SET finished = ?2, queued = ?3, watched = ?4, rec = ?5 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.state.is_finished(),
                    row.queued(),
                    row.watched(),
                    rec
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
