//! The state database: `$SK8_HOME/state.db` (SQLite, WAL). One row per job
//! (or started array task) with its record as JSON beside the columns the
//! queries need, and a postcard copy of it that queries decode faster
//! ([`RECORD_VERSION`]); ids from a counter row bumped in the inserting
//! transaction.
//!
//! Every commit is on disk before it returns (`synchronous = FULL`: one
//! sync of the WAL), so a job whose id was printed survives a crash of the
//! machine. The database is created whole under another name and linked
//! into place, so an empty or damaged `state.db` can only be damage: it is
//! an error that names the file, never replaced by a new database that
//! would reuse job ids. Its files are 0600 (see [`crate::private`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use sk8_backend::{ExitStatus, JobState, StepInfo};
use sk8_spec::JobSpec;

use crate::Error;
use crate::private;
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
    /// A read-only database of version 3, whose cached records are in a
    /// format this build does not read.
    uncached: bool,
    /// The WAL did not exist when this process opened the database: the
    /// first commit syncs the directory that holds its name.
    new_wal: bool,
    /// This process committed a write.
    wrote: bool,
}

/// The WAL's size from which a process that wrote checkpoints it into the
/// database and empties it as it closes (about ten submissions' worth).
/// Each process that opens the database first reads the whole WAL (SQLite
/// rebuilds its index when no other connection is open), so it must stay
/// short; emptying it at every close would cost every command two syncs.
const WAL_CHECKPOINT_BYTES: u64 = 512 * 1024;

impl Drop for Store {
    fn drop(&mut self) {
        let long = std::fs::metadata(beside(&self.path, "-wal"))
            .is_ok_and(|m| m.len() >= WAL_CHECKPOINT_BYTES);
        if self.wrote && long {
            // After the commits (durable already) and the replies: never
            // wait for readers or writers, someone else will do it then.
            let _ = self.conn.busy_timeout(Duration::ZERO);
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

/// The schema's version (`PRAGMA user_version`): 1 kept the script in the
/// job's row, 2 added the environment beside it, 3 moved both to
/// `job_files` so that the rows queries scan stay small, 4 caches records
/// in postcard under [`RECORD_VERSION`] (kept in `meta`).
const VERSION: i64 = 4;

/// The layout of the cached binary records: postcard of [`JobRow`], whose
/// fields go by position and carry no names. Bump it whenever a field of
/// `JobRow`, of `JobSpec` or of any type inside them is added, removed,
/// reordered or changes its type (`record_layout_is_pinned_to_its_version`
/// fails until it is bumped). Opening a database whose cache is older
/// re-encodes it in place; until then (a read-only database, another
/// build's process) records are read from their JSON, which stays the
/// record of truth.
pub const RECORD_VERSION: u32 = 1;

const SCHEMA: &str = "
CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    finished INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    watched INTEGER NOT NULL,
    array_job_id INTEGER,
    rec TEXT NOT NULL,
    bin BLOB
);
CREATE TABLE job_files (id INTEGER PRIMARY KEY, script BLOB, env TEXT);
CREATE INDEX jobs_finished ON jobs (finished, id);
CREATE INDEX jobs_queued ON jobs (queued, id);
CREATE INDEX jobs_watched ON jobs (watched, id);
CREATE INDEX jobs_array ON jobs (array_job_id);
INSERT INTO counter (name, value) VALUES ('job_id', 0);
PRAGMA user_version = 4;
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

/// Version 3 to 4: the cache's version (its records, in a format keyed by
/// a hash of the sources, are re-encoded by [`Store::refresh_cache`]).
const MIGRATE_4: &str = "
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
PRAGMA user_version = 4;
";

/// A record as stored: JSON without its null members, which read back as
/// `None` (under half the text of a typical record), unless leaving them
/// out would change what is read back; and beside it the same record in
/// postcard (several times faster to decode) behind [`RECORD_VERSION`],
/// when it reads back whole.
pub(crate) fn encode(row: &JobRow) -> Result<(String, Option<Vec<u8>>), Error> {
    let mut value = serde_json::to_value(row).map_err(json_err)?;
    drop_nulls(&mut value);
    let compact = value.to_string();
    let rec = if serde_json::from_str::<JobRow>(&compact).is_ok_and(|back| back == *row) {
        compact
    } else {
        serde_json::to_string(row).map_err(json_err)?
    };
    Ok((rec, encode_bin(row)))
}

/// The cached form: [`RECORD_VERSION`] (4 bytes, little-endian), then the
/// record in postcard; none when it would not read back whole.
fn encode_bin(row: &JobRow) -> Option<Vec<u8>> {
    let tagged = postcard::to_extend(row, RECORD_VERSION.to_le_bytes().to_vec()).ok()?;
    decode_bin(&tagged)
        .is_some_and(|back| back == *row)
        .then_some(tagged)
}

/// A cached record of this [`RECORD_VERSION`].
fn decode_bin(bin: &[u8]) -> Option<JobRow> {
    let body = bin.strip_prefix(&RECORD_VERSION.to_le_bytes()[..])?;
    match postcard::take_from_bytes::<JobRow>(body) {
        Ok((row, [])) => Some(row),
        _ => None,
    }
}

/// Decodes a record: its cached form when of this [`RECORD_VERSION`], else
/// its JSON.
fn decode(rec: &str, bin: Option<&[u8]>) -> Result<JobRow, Error> {
    if let Some(row) = bin.and_then(decode_bin) {
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

/// What to do about a state database that cannot be used: sk8 never
/// replaces one, since the job ids and the history are in it.
const DAMAGED_HINT: &str = "(hint: sk8 does not replace it, so that no job id is reused and no history lost: restore it from a backup, or move it aside with its -wal and -shm files to start a new history)";

/// A state database that cannot be used, `why` in a few words.
fn damaged(path: &Path, why: &str) -> Error {
    Error::Db(format!(
        "local state: `{}` {why}\n{DAMAGED_HINT}",
        path.display()
    ))
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
            return damaged(path, &format!("is damaged: {e}"));
        }
        _ => format!("local state: {e} ({p})"),
    };
    Error::Db(text)
}

fn json_err(e: serde_json::Error) -> Error {
    Error::Db(format!("local state: unreadable job record: {e}"))
}

/// The file beside the database with `suffix` (`-wal`, `-shm`).
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl Store {
    /// Brings a database of an older version to [`VERSION`], deciding
    /// inside the write transaction (another process may have done it).
    fn set_up(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .and_then(|version| {
                match version {
                    1 => conn
                        .execute_batch("ALTER TABLE jobs ADD COLUMN env TEXT")
                        .and_then(|()| Self::migrate_to_3(conn))?,
                    2 => Self::migrate_to_3(conn)?,
                    _ => {}
                }
                if (1..VERSION).contains(&version) {
                    conn.execute_batch(MIGRATE_4)?;
                    Self::refresh_cache(conn)?;
                }
                Ok(())
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

    /// Re-encodes every cached record from its JSON in this
    /// [`RECORD_VERSION`] (none for a record this build cannot read), and
    /// records the version; inside the caller's write transaction.
    fn refresh_cache(conn: &Connection) -> rusqlite::Result<()> {
        let mut fresh = Vec::new();
        {
            let mut read = conn.prepare("SELECT id, rec FROM jobs")?;
            let mut rows = read.query([])?;
            while let Some(r) = rows.next()? {
                let bin = serde_json::from_str::<JobRow>(r.get_ref(1)?.as_str()?)
                    .ok()
                    .and_then(|row| encode_bin(&row));
                fresh.push((r.get::<_, i64>(0)?, bin));
            }
        }
        let mut put = conn.prepare("UPDATE jobs SET bin = ?2 WHERE id = ?1")?;
        for (id, bin) in fresh {
            put.execute(params![id, bin])?;
        }
        conn.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('record_version', ?1)",
            [RECORD_VERSION],
        )?;
        Ok(())
    }

    /// Creates a new database at `path` whole: built under a temporary
    /// name (0600) and linked into place, so that `path` is never seen
    /// empty or half made (an empty `state.db` is an error, see
    /// [`Store::open`]). Another process creating it at the same moment
    /// wins or loses the link; either way one database results.
    fn create(path: &Path) -> Result<(), Error> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(".{name}.new-{}", std::process::id()));
        let host = |what: &str, e: std::io::Error| {
            Error::Db(format!(
                "local state: cannot {what} {}: {e}",
                path.display()
            ))
        };
        let clean = || {
            for p in [tmp.clone(), beside(&tmp, "-wal"), beside(&tmp, "-shm")] {
                let _ = std::fs::remove_file(p);
            }
        };
        clean();
        private::write(&tmp, b"", private::FILE).map_err(|e| host("create", e))?;
        let built = Connection::open(&tmp).and_then(|conn| {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch("BEGIN IMMEDIATE")?;
            conn.execute_batch(SCHEMA)?;
            conn.execute(
                "INSERT INTO meta (name, value) VALUES ('record_version', ?1)",
                [RECORD_VERSION],
            )?;
            conn.execute_batch("COMMIT")?;
            // Everything into the file itself before it is linked: the
            // WAL and its index stay behind under the temporary name.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            conn.close().map_err(|(_, e)| e)
        });
        if let Err(e) = built {
            clean();
            return Err(db_error(path, &e));
        }
        let linked = match std::fs::hard_link(&tmp, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            // A file system without hard links: a rename, unless another
            // process's database got there first.
            Err(_) if !path.exists() => std::fs::rename(&tmp, path),
            other => other,
        };
        clean();
        linked.map_err(|e| host("create", e))?;
        // The new name survives a crash with the database it names.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| host("create", e))
    }

    /// Opens the database at `path`, creating it when there is none. A
    /// file without write permission is opened read-only, so reads work and
    /// writes fail cleanly even for root. An empty file, or one that is not
    /// an sk8 database, is an error that names it: never replaced.
    pub fn open(path: &Path, busy: Duration) -> Result<Self, Error> {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Self::create(path)?;
                std::fs::metadata(path).map_err(|e| {
                    Error::Db(format!("local state: cannot open {}: {e}", path.display()))
                })?
            }
            Err(e) => {
                return Err(Error::Db(format!(
                    "local state: cannot open {}: {e}",
                    path.display()
                )));
            }
        };
        if meta.len() == 0 {
            return Err(damaged(
                path,
                "is empty (zero bytes): it is not a job database",
            ));
        }
        // Older versions made these 0644: a job's environment is in them.
        for p in [
            path.to_path_buf(),
            beside(path, "-wal"),
            beside(path, "-shm"),
        ] {
            private::narrow(&p);
        }
        let read_only = meta.permissions().mode() & 0o222 == 0;
        let new_wal = !read_only && !beside(path, "-wal").exists();
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            // No CREATE: a database that vanished since is not made anew.
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(path, &e))?;
        let err = |e: rusqlite::Error| db_error(path, &e);
        conn.busy_timeout(busy).map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if version == 0 {
            // Not one of ours (every version sets it), or its first page
            // is gone: a truncated file reads as version 0.
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(err)?;
            return Err(damaged(
                path,
                &format!("is not an sk8 job database (no schema version, {tables} tables)"),
            ));
        }
        if version < VERSION && !read_only {
            // Several commands may open an old database at the same moment:
            // the migration runs in one write transaction that rechecks the
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
        // Durability: a commit returns once the WAL is on disk (FULL syncs
        // the WAL at every commit; NORMAL only at checkpoints, so a machine
        // crash could lose a job whose id was already printed). Closing
        // does not checkpoint and delete the WAL, which would bring two
        // more syncs (WAL, database) and, for the next command's new WAL, a
        // sync of the directory to every command: see `Drop`.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(err)?;
        // Read the file through a mapping: a query over a thousand jobs then
        // neither copies every page into SQLite's cache nor faults in heap
        // memory for it.
        conn.pragma_update_and_check(None, "mmap_size", 1i64 << 28, |_| Ok(()))
            .map_err(err)?;
        let store = Self {
            conn,
            path: path.to_path_buf(),
            legacy: version < 3 && read_only,
            uncached: version < VERSION && read_only,
            new_wal,
            wrote: false,
        };
        if version >= VERSION && !read_only {
            store.refresh_stale_cache(busy)?;
        }
        Ok(store)
    }

    /// Re-encodes the cache when another build with an older
    /// [`RECORD_VERSION`] wrote it (one read when it is current).
    fn refresh_stale_cache(&self, busy: Duration) -> Result<(), Error> {
        let stale = |conn: &Connection| -> rusqlite::Result<bool> {
            let v: Option<i64> = conn
                .query_row(
                    "SELECT value FROM meta WHERE name = 'record_version'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(v.is_none_or(|v| v < i64::from(RECORD_VERSION)))
        };
        let err = |e: rusqlite::Error| db_error(&self.path, &e);
        if !stale(&self.conn).map_err(err)? {
            return Ok(());
        }
        let deadline = std::time::Instant::now() + busy;
        loop {
            let done = self.conn.execute_batch("BEGIN IMMEDIATE").and_then(|()| {
                if stale(&self.conn)? {
                    Self::refresh_cache(&self.conn)?;
                }
                self.conn.execute_batch("COMMIT")
            });
            match done {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    let busy = matches!(
                        e.sqlite_error_code(),
                        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                    );
                    if !busy || std::time::Instant::now() >= deadline {
                        return Err(err(e));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
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
        if self.new_wal {
            // The commit is in a WAL this process created: its name must be
            // on disk too (SQLite's own directory sync is compiled out, see
            // .cargo/config.toml, as it would cost every process one).
            let dir = self.path.parent().unwrap_or(Path::new("."));
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| {
                    Error::Db(format!("local state: cannot sync {}: {e}", dir.display()))
                })?;
            self.new_wal = false;
        }
        self.wrote = true;
        Ok(out)
    }

    /// A read view (no transaction: each query sees the latest commit).
    pub fn read(&self) -> Reader<'_> {
        Reader {
            conn: &self.conn,
            path: &self.path,
            legacy: self.legacy,
            uncached: self.uncached,
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

    /// Whether the database is a read-only one whose cached records are
    /// not this build's.
    fn uncached(&self) -> bool {
        false
    }

    /// The table holding scripts and environments.
    fn files(&self) -> &'static str {
        if self.legacy() { "jobs" } else { "job_files" }
    }

    /// The columns a record is read from.
    fn record_columns(&self) -> &'static str {
        if self.uncached() {
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
    uncached: bool,
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
    fn uncached(&self) -> bool {
        self.uncached
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
            assert!(bin.starts_with(&RECORD_VERSION.to_le_bytes()));
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

    /// A record with every field set (no `null`, no empty list or map) and
    /// its cached form under [`RECORD_VERSION`], in hex.
    const FULL_RECORD: &str = include_str!("testdata/record.json");
    const FULL_RECORD_BIN: &str = include_str!("testdata/record.postcard.hex");

    /// Where `value` holds a `null` or an empty list or map.
    fn unset_members(value: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        use serde_json::Value;
        match value {
            Value::Null => out.push(at.to_string()),
            Value::Array(a) if a.is_empty() => out.push(at.to_string()),
            Value::Object(m) if m.is_empty() => out.push(at.to_string()),
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    unset_members(v, &format!("{at}[{i}]"), out);
                }
            }
            Value::Object(m) => {
                for (k, v) in m {
                    unset_members(v, &format!("{at}.{k}"), out);
                }
            }
            _ => {}
        }
    }

    fn hex(bytes: &[u8]) -> String {
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        lines.join("\n") + "\n"
    }

    fn unhex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// The cache's layout is what [`RECORD_VERSION`] says: a field added,
    /// removed, reordered or retyped anywhere in a record changes the bytes
    /// of this fully set record (or leaves the new field unset in it), and
    /// fails here until the version is bumped and the bytes recorded again.
    #[test]
    fn record_layout_is_pinned_to_its_version() {
        let row: JobRow = serde_json::from_str(FULL_RECORD).expect("the fixture reads as a record");
        let mut unset = Vec::new();
        unset_members(&serde_json::to_value(&row).unwrap(), "", &mut unset);
        assert!(
            unset.is_empty(),
            "set these in src/testdata/record.json (a new field?): {unset:?}"
        );
        let bin = encode_bin(&row).expect("the full record reads back whole from postcard");
        if std::env::var_os("SK8_BLESS_RECORD").is_some() {
            let out =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("src/testdata/record.postcard.hex");
            std::fs::write(out, hex(&bin)).unwrap();
            return;
        }
        assert_eq!(
            hex(&bin),
            FULL_RECORD_BIN,
            "the record layout changed: bump RECORD_VERSION in store.rs, then run this test \
             with SK8_BLESS_RECORD=1 to record the new bytes"
        );
        assert_eq!(decode_bin(&unhex(FULL_RECORD_BIN)), Some(row.clone()));
        // Another version's cache is not read as this one's.
        let mut other = bin.clone();
        other[0] ^= 0x80;
        assert_eq!(decode_bin(&other), None);
        let (rec, _) = encode(&row).unwrap();
        assert_eq!(decode(&rec, Some(&other)).unwrap(), row, "JSON instead");
    }

    fn inserted_store(name: &str, jobs: u32) -> PathBuf {
        let path = scratch(name);
        let mut store = Store::open(&path, Duration::from_secs(5)).unwrap();
        store
            .write(|tx| {
                for _ in 0..jobs {
                    let mut row = v2_row();
                    row.id = tx.next_id()?;
                    tx.insert(&row, Some(b"#!/bin/sh\ntrue\n"))?;
                }
                Ok(())
            })
            .unwrap();
        drop(store);
        // Everything into the file itself, as after a checkpoint: the WAL
        // would otherwise still hold the pages a test cuts off.
        let raw = Connection::open(&path).unwrap();
        raw.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        drop(raw);
        for s in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(beside(&path, s));
        }
        path
    }

    /// The error a damaged database gives: the file named, what to do.
    fn assert_damaged(err: &Error, path: &Path, why: &str) {
        let text = err.to_string();
        let head = format!("local state: `{}` {why}", path.display());
        assert!(text.starts_with(&head), "{text}\nwanted: {head}");
        assert!(text.ends_with(DAMAGED_HINT), "{text}");
    }

    #[test]
    fn an_empty_state_db_is_an_error_and_is_not_replaced() {
        let path = scratch("empty");
        std::fs::write(&path, b"").unwrap();
        for _ in 0..2 {
            let err = Store::open(&path, Duration::from_secs(1)).err().unwrap();
            assert_damaged(&err, &path, "is empty (zero bytes)");
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(!beside(&path, "-wal").exists());
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_state_db_of_garbage_is_an_error_and_is_kept() {
        let path = scratch("garbage");
        let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
        std::fs::write(&path, &junk).unwrap();
        let err = Store::open(&path, Duration::from_secs(1)).err().unwrap();
        assert_damaged(&err, &path, "is damaged: file is not a database");
        assert_eq!(std::fs::read(&path).unwrap(), junk);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_truncated_state_db_is_an_error_and_is_kept() {
        let path = inserted_store("truncated", 300);
        let whole = std::fs::read(&path).unwrap();
        assert!(whole.len() > 40_000, "{}", whole.len());
        // Inside the header, after the first page, and halfway.
        for cut in [50, 4096, whole.len() / 2] {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let result = Store::open(&path, Duration::from_secs(1))
                .and_then(|s| s.read().all().map(|rows| rows.len()));
            let err = result.expect_err(&format!("cut at {cut}"));
            let text = err.to_string();
            assert!(
                text.contains(&format!("`{}` is", path.display())) && text.ends_with(DAMAGED_HINT),
                "cut at {cut}: {text}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), &whole[..cut], "cut at {cut}");
            for s in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(beside(&path, s));
            }
        }
        // The whole file still reads: the checks do not refuse a good one.
        std::fs::write(&path, &whole).unwrap();
        let store = Store::open(&path, Duration::from_secs(1)).unwrap();
        assert_eq!(store.read().all().unwrap().len(), 300);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_new_state_db_is_private_whole_and_durable() {
        use std::os::unix::fs::PermissionsExt;
        let path = scratch("new");
        let mut store = Store::open(&path, Duration::from_secs(1)).unwrap();
        let q = store.read();
        let (sync, mode): (i64, String) = (
            q.conn()
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap(),
            q.conn()
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap(),
        );
        // FULL (2) in WAL mode: each commit syncs the WAL before returning.
        assert_eq!((sync, mode.as_str()), (2, "wal"));
        store
            .write(|tx| {
                let mut row = v2_row();
                row.id = tx.next_id()?;
                tx.insert(&row, None)
            })
            .unwrap();
        drop(store);
        for p in [path.clone(), beside(&path, "-wal"), beside(&path, "-shm")] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        // Nothing left under the temporary name.
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".new-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_version_3_cache_is_re_encoded_in_place() {
        let path = inserted_store("v3", 3);
        // As version 3 left it: its own binary format, no `meta`.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(
            "DROP TABLE meta; UPDATE jobs SET bin = x'00112233445566778899'; PRAGMA user_version = 3;",
        )
        .unwrap();
        drop(raw);
        let store = Store::open(&path, Duration::from_secs(1)).unwrap();
        let q = store.read();
        let version: i64 = q
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, VERSION);
        let bins: Vec<Vec<u8>> = q
            .conn()
            .prepare("SELECT bin FROM jobs ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(bins.len(), 3);
        for (i, bin) in bins.iter().enumerate() {
            let mut want = v2_row();
            want.id = u32::try_from(i).unwrap() + 1;
            assert_eq!(decode_bin(bin), Some(want));
        }
        let recorded: i64 = q
            .conn()
            .query_row(
                "SELECT value FROM meta WHERE name = 'record_version'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(recorded, i64::from(RECORD_VERSION));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
