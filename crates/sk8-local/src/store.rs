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
use crate::codec;
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
    /// A read-only database of version 1 or 2 (which cannot be upgraded):
    /// scripts and environments in `jobs`, no binary records.
    legacy: bool,
}

/// The schema's version (`PRAGMA user_version`): 1 kept the script in the
/// job's row, 2 added the environment beside it, 3 moved both to
/// `job_files` so that the rows queries scan stay small.
const VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    finished INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    watched INTEGER NOT NULL,
    array_job_id INTEGER,
    rec TEXT NOT NULL,
    bin BLOB
);
CREATE TABLE IF NOT EXISTS job_files (id INTEGER PRIMARY KEY, script BLOB, env TEXT);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished, id);
CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (queued, id);
CREATE INDEX IF NOT EXISTS jobs_watched ON jobs (watched, id);
CREATE INDEX IF NOT EXISTS jobs_array ON jobs (array_job_id);
INSERT OR IGNORE INTO counter (name, value) VALUES ('job_id', 0);
PRAGMA user_version = 3;
";

/// Version 2 to 3, first half: the new tables, which
/// [`Store::migrate_to_3`] then fills from `jobs`.
const MIGRATE_3_BEGIN: &str = "
CREATE TABLE job_files (id INTEGER PRIMARY KEY, script BLOB, env TEXT);
CREATE TABLE jobs_v3 (
    id INTEGER PRIMARY KEY,
    finished INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    watched INTEGER NOT NULL,
    array_job_id INTEGER,
    rec TEXT NOT NULL,
    bin BLOB
);
";

/// Version 2 to 3, once `jobs_v3` is filled.
const MIGRATE_3_END: &str = "
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
CREATE INDEX jobs_finished ON jobs (finished, id);
CREATE INDEX jobs_queued ON jobs (queued, id);
CREATE INDEX jobs_watched ON jobs (watched, id);
CREATE INDEX jobs_array ON jobs (array_job_id);
PRAGMA user_version = 3;
";

/// A record as stored: JSON without its null members, which read back as
/// `None` (under half the text of a typical record), unless leaving them
/// out would change what is read back; and beside it the same record in the
/// binary [`codec`] (several times faster to decode), tagged with this
/// build's [`codec::LAYOUT`], when it reads back whole.
pub(crate) fn encode(row: &JobRow) -> Result<(String, Option<Vec<u8>>), Error> {
    let mut value = serde_json::to_value(row).map_err(json_err)?;
    drop_nulls(&mut value);
    let compact = value.to_string();
    let rec = if serde_json::from_str::<JobRow>(&compact).is_ok_and(|back| back == *row) {
        compact
    } else {
        serde_json::to_string(row).map_err(json_err)?
    };
    let bin = codec::to_vec(row)
        .ok()
        .filter(|b| codec::from_slice::<JobRow>(b).is_ok_and(|back| back == *row))
        .map(|b| {
            let mut tagged = codec::LAYOUT.to_le_bytes().to_vec();
            tagged.extend_from_slice(&b);
            tagged
        });
    Ok((rec, bin))
}

/// Decodes a record: its binary form when this build wrote it, else its
/// JSON.
fn decode(rec: &str, bin: Option<&[u8]>) -> Result<JobRow, Error> {
    if let Some(row) = bin
        .and_then(|b| b.strip_prefix(&codec::LAYOUT.to_le_bytes()[..]))
        .and_then(|b| codec::from_slice(b).ok())
    {
        return Ok(row);
    }
    serde_json::from_str(rec).map_err(json_err)
}

/// Removes every object member whose value is `null`, at any depth.
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A row's record without its environment ([`encode`]d), and the
/// environment apart (`None` when empty: split-off array tasks share their
/// array's).
type Split = ((String, Option<Vec<u8>>), Option<String>);

fn split_environment(row: &JobRow) -> Result<Split, Error> {
    let env = &row.spec.environment;
    let env = if env.is_empty() {
        None
    } else {
        Some(serde_json::to_string(env).map_err(json_err)?)
    };
    let rec = if row.spec.environment.is_empty() {
        encode(row)?
    } else {
        let mut bare = row.clone();
        bare.spec.environment.clear();
        encode(&bare)?
    };
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
    /// Creates the schema (version 0) or brings an older one to
    /// [`VERSION`], deciding inside the write transaction.
    fn set_up(conn: &Connection) -> rusqlite::Result<()> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .and_then(|version| match version {
                0 => conn.execute_batch(SCHEMA),
                1 => conn
                    .execute_batch("ALTER TABLE jobs ADD COLUMN env TEXT")
                    .and_then(|()| Self::migrate_to_3(conn)),
                2 => Self::migrate_to_3(conn),
                _ => Ok(()),
            })
            .and_then(|()| conn.execute_batch("COMMIT"));
        if done.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        done
    }

    /// Version 1 or 2 to 3: each row is copied into a fresh table with its
    /// record compacted, its script and environment into `job_files`. A
    /// version 1 record still holding its environment gives it up there. A
    /// record this build cannot read is copied as it is.
    fn migrate_to_3(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(MIGRATE_3_BEGIN)?;
        {
            let mut read = conn.prepare(
                "SELECT id, finished, queued, watched, array_job_id, rec, script, env FROM jobs ORDER BY id",
            )?;
            let mut put_job = conn.prepare(
                "INSERT INTO jobs_v3 (id, finished, queued, watched, array_job_id, rec, bin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut put_files =
                conn.prepare("INSERT INTO job_files (id, script, env) VALUES (?1, ?2, ?3)")?;
            let mut rows = read.query([])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let mut rec: String = r.get(5)?;
                let mut bin = None;
                let script: Option<Vec<u8>> = r.get(6)?;
                let mut env: Option<String> = r.get(7)?;
                if let Some(((compact, binary), own_env)) = serde_json::from_str::<JobRow>(&rec)
                    .ok()
                    .and_then(|row| split_environment(&row).ok())
                {
                    rec = compact;
                    bin = binary;
                    env = env.or(own_env);
                }
                put_job.execute(params![
                    id,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    rec,
                    bin
                ])?;
                if script.is_some() || env.is_some() {
                    put_files.execute(params![id, script, env])?;
                }
            }
        }
        conn.execute_batch(MIGRATE_3_END)
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
        if version < VERSION && !read_only {
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
        // Read the file through a mapping: a query over a thousand jobs then
        // neither copies every page into SQLite's cache nor faults in heap
        // memory for it.
        conn.pragma_update_and_check(None, "mmap_size", 1i64 << 28, |_| Ok(()))
            .map_err(err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            legacy: version < VERSION && read_only,
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
            legacy: self.legacy,
        }
    }
}

/// Queries shared by reads and write transactions.
pub trait Query {
    /// The connection.
    fn conn(&self) -> &Connection;
    /// The database path, for messages.
    fn path(&self) -> &Path;

    /// Whether the database is a read-only one of version 1 or 2.
    fn legacy(&self) -> bool {
        false
    }

    /// The table holding scripts and environments.
    fn files(&self) -> &'static str {
        if self.legacy() { "jobs" } else { "job_files" }
    }

    /// The columns a record is read from.
    fn record_columns(&self) -> &'static str {
        if self.legacy() {
            "rec, NULL"
        } else {
            "rec, bin"
        }
    }

    /// Maps a SQLite error.
    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(self.path(), &e)
    }

    /// One job.
    fn get(&self, id: u32) -> Result<Option<JobRow>, Error> {
        let sql = format!("SELECT {} FROM jobs WHERE id = ?1", self.record_columns());
        let found: Option<(String, Option<Vec<u8>>)> = self
            .conn()
            .query_row(&sql, [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| self.err(e))?;
        found
            .map(|(rec, bin)| decode(&rec, bin.as_deref()))
            .transpose()
    }

    /// Jobs matching a `WHERE` clause, by id.
    fn select(&self, clause: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<JobRow>, Error> {
        let sql = format!(
            "SELECT {} FROM jobs WHERE {clause} ORDER BY id",
            self.record_columns()
        );
        let mut stmt = self.conn().prepare(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query(args).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        // Decode each record straight from SQLite's buffers: `squeue` over
        // a thousand jobs spends most of its time here.
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let text = row
                .get_ref(0)
                .and_then(|v| v.as_str().map_err(Into::into))
                .map_err(|e| self.err(e))?;
            let bin = row
                .get_ref(1)
                .and_then(|v| v.as_blob_or_null().map_err(Into::into))
                .map_err(|e| self.err(e))?;
            out.push(decode(text, bin)?);
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
            .query_row(
                &format!("SELECT env FROM {} WHERE id = ?1", self.files()),
                [id],
                |r| r.get(0),
            )
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
            .query_row(
                &format!("SELECT script FROM {} WHERE id = ?1", self.files()),
                [id],
                |r| r.get::<_, Option<Vec<u8>>>(0),
            )
            .optional()
            .map_err(|e| self.err(e))
            .map(|s| s.flatten().unwrap_or_default())
    }
}

/// A read view.
pub struct Reader<'a> {
    conn: &'a Connection,
    path: &'a Path,
    legacy: bool,
}

impl Query for Reader<'_> {
    fn conn(&self) -> &Connection {
        self.conn
    }
    fn path(&self) -> &Path {
        self.path
    }
    fn legacy(&self) -> bool {
        self.legacy
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
        let ((rec, bin), env) = split_environment(row)?;
        self.tx
            .prepare(
                "INSERT INTO jobs (id, finished, queued, watched, array_job_id, rec, bin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.state.is_finished(),
                    row.queued(),
                    row.watched(),
                    row.array_job_id,
                    rec,
                    bin
                ])
            })
            .map_err(|e| self.err(e))?;
        if script.is_some() || env.is_some() {
            self.tx
                .prepare("INSERT INTO job_files (id, script, env) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![row.id, script, env]))
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Writes a job's record back.
    pub fn update(&self, row: &JobRow) -> Result<(), Error> {
        // The environment column is written once, at insert.
        let ((rec, bin), _) = split_environment(row)?;
        self.tx
            .prepare(
                "UPDATE jobs SET finished = ?2, queued = ?3, watched = ?4, rec = ?5, bin = ?6 WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.id,
                    row.state.is_finished(),
                    row.queued(),
                    row.watched(),
                    rec,
                    bin
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as version 2 wrote it: every member, nulls included.
    const V2_RECORD: &str = r#"{"id":7,"kind":"Batch","array_job_id":null,"array_task_id":null,"array_pending":[],"spec":{"name":"wrap","partition":null,"account":null,"qos":null,"comment":null,"reservation":null,"licenses":null,"wckey":null,"user":"root","uid":0,"gid":0,"submit_dir":"/tmp","submit_host":"vm","work_dir":"/tmp","command":{"Wrap":"true"},"nodes":null,"ntasks":null,"cpus_per_task":null,"ntasks_per_node":null,"ntasks_per_socket":null,"ntasks_per_core":null,"ntasks_per_gpu":null,"mincpus":null,"topology":{"sockets_per_node":null,"cores_per_socket":null,"threads_per_core":null},"core_spec":null,"thread_spec":null,"memory":null,"tmp":null,"gres":null,"gpus":null,"gpus_per_node":null,"gpus_per_task":null,"gpus_per_socket":null,"cpus_per_gpu":null,"constraint":null,"cluster_constraint":null,"nodelist":null,"exclude":null,"sharing":"Default","contiguous":false,"distribution":null,"overcommit":false,"spread_job":false,"use_min_nodes":false,"time_limit":null,"time_min":null,"begin":null,"deadline":null,"priority":null,"nice":null,"hold":true,"dependency":null,"array":null,"requeue":null,"no_kill":false,"signal":null,"mail_type":null,"mail_user":null,"stdout":{"Pattern":[{"Literal":"/tmp/slurm-"},{"Field":{"field":"JobId","width":0}},{"Literal":".out"}]},"stderr":null,"stdin":{"Pattern":[{"Literal":"/dev/null"}]},"open_mode":null,"export":"All","export_file":null,"get_user_env":null,"environment":{},"container":{"image":null,"mounts":[],"workdir":null,"name":null,"env":[],"mount_home":true},"recorded":{}},"partition":"debug","state":"Pending","reason":"JobHeldUser","priority":4294901759,"hold":"User","submit_time":1795891780,"eligible_time":null,"begin_time":null,"start_time":null,"end_time":null,"time_limit":null,"alloc":[],"exit":{"code":0,"signal":0},"restarts":0,"batch_host":null,"supervisor":null,"holder":null,"umask":18,"nice":0,"agents":[],"steps":[],"cancel_requested":false,"waiter_at":null}"#;

    /// Version 2's schema, as it created databases.
    const V2_SCHEMA: &str = "
        CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE jobs (id INTEGER PRIMARY KEY, finished INTEGER NOT NULL,
            queued INTEGER NOT NULL, watched INTEGER NOT NULL, array_job_id INTEGER,
            rec TEXT NOT NULL, script BLOB, env TEXT);
        CREATE INDEX jobs_finished ON jobs (finished, id);
        CREATE INDEX jobs_queued ON jobs (queued, id);
        CREATE INDEX jobs_watched ON jobs (watched, id);
        CREATE INDEX jobs_array ON jobs (array_job_id);
        INSERT INTO counter (name, value) VALUES ('job_id', 8);
        PRAGMA user_version = 2;
    ";

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sk8-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("state.db")
    }

    fn v2_row() -> JobRow {
        serde_json::from_str(V2_RECORD).unwrap()
    }

    #[test]
    fn records_round_trip_through_both_encodings() {
        let mut row = v2_row();
        let mut variants = vec![row.clone()];
        row.spec.partition = Some("batch".into());
        row.time_limit = Some(10);
        row.waiter_at = Some(5);
        row.array_pending = vec![1, 2, 3];
        variants.push(row);
        for row in variants {
            let (rec, bin) = encode(&row).unwrap();
            assert!(!rec.contains(":null"), "{rec}");
            let bin = bin.expect("the binary form reads back whole");
            assert!(bin.starts_with(&codec::LAYOUT.to_le_bytes()));
            assert!(bin.len() < rec.len() / 2, "{} vs {}", bin.len(), rec.len());
            assert_eq!(decode(&rec, Some(&bin)).unwrap(), row);
            assert_eq!(decode(&rec, None).unwrap(), row, "JSON alone");
            // Another build's binary form is ignored, not misread.
            let mut other = bin.clone();
            other[0] ^= 1;
            assert_eq!(decode(&rec, Some(&other)).unwrap(), row);
        }
    }

    #[test]
    fn version_2_databases_are_migrated_in_place() {
        let path = scratch("v2");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(V2_SCHEMA).unwrap();
        old.execute(
            "INSERT INTO jobs VALUES (7, 0, 0, 0, NULL, ?1, ?2, ?3)",
            params![V2_RECORD, b"#!/bin/sh\ntrue\n".to_vec(), r#"{"A":"1"}"#],
        )
        .unwrap();
        // A version 1 record kept its environment inside.
        let mut v1 = v2_row();
        v1.id = 8;
        v1.spec.environment.insert("B".into(), "2".into());
        let v1_text = serde_json::to_string(&v1).unwrap();
        old.execute(
            "INSERT INTO jobs VALUES (8, 0, 0, 0, NULL, ?1, NULL, NULL)",
            params![v1_text],
        )
        .unwrap();
        drop(old);

        let store = Store::open(&path, Duration::from_secs(5)).unwrap();
        let q = store.read();
        let version: i64 = q
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        assert_eq!(q.get(7).unwrap(), Some(v2_row()));
        assert_eq!(q.script(7).unwrap(), b"#!/bin/sh\ntrue\n");
        assert_eq!(
            q.environment(7).unwrap().get("A").map(String::as_str),
            Some("1")
        );
        let mut bare = v1.clone();
        bare.spec.environment.clear();
        assert_eq!(q.get(8).unwrap(), Some(bare));
        assert_eq!(
            q.environment(8).unwrap().get("B").map(String::as_str),
            Some("2")
        );
        assert_eq!(q.unfinished().unwrap().len(), 2);
        let (rec, bin): (String, Option<Vec<u8>>) = q
            .conn()
            .query_row("SELECT rec, bin FROM jobs WHERE id = 7", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert!(!rec.contains(":null") && bin.is_some(), "{rec}");
        drop(store);
        // Opening again changes nothing.
        let again = Store::open(&path, Duration::from_secs(5)).unwrap();
        assert_eq!(again.read().get(7).unwrap(), Some(v2_row()));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_read_only_version_2_database_is_still_read() {
        use std::os::unix::fs::PermissionsExt;
        let path = scratch("v2ro");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(V2_SCHEMA).unwrap();
        old.execute(
            "INSERT INTO jobs VALUES (7, 0, 0, 0, NULL, ?1, ?2, NULL)",
            params![V2_RECORD, b"echo\n".to_vec()],
        )
        .unwrap();
        drop(old);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let store = Store::open(&path, Duration::from_secs(5)).unwrap();
        assert_eq!(store.read().unfinished().unwrap(), vec![v2_row()]);
        assert_eq!(store.read().script(7).unwrap(), b"echo\n");
        drop(store);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
