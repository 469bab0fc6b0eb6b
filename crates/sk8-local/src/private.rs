//! Files and directories only their owner can read: everything this crate
//! creates under `$SK8_HOME` (the database and its `-wal`/`-shm`, job
//! directories, logs, tokens, the script copy, control sockets) is 0600
//! (directories 0700), whatever the umask and the parent's mode. A job's
//! exported environment and its token live there, so a directory a user
//! made world-readable must not expose them.
//!
//! The umask can only take bits away, so a file is opened with its mode and
//! then set to it exactly through its descriptor (a umask such as 0277
//! would otherwise leave the owner unable to write).

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A private file's mode.
pub const FILE: u32 = 0o600;
/// A private directory's mode (and an executable private file's).
pub const DIR: u32 = 0o700;

/// Creates `dir` (and missing parents) 0700; an existing directory is
/// left as it is (`SK8_HOME` may be one the user made).
pub fn dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut up = Some(dir);
    while let Some(d) = up.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d);
        up = d.parent();
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR)
        .create(dir)?;
    for d in missing {
        std::fs::set_permissions(d, Permissions::from_mode(DIR))?;
    }
    Ok(())
}

/// Opens `path` for appending, creating it 0600 (an existing file is
/// narrowed to 0600 too: it may be a log an older version made 0644).
pub fn append(path: &Path) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(FILE)
        .open(path)?;
    f.set_permissions(Permissions::from_mode(FILE))?;
    Ok(f)
}

/// Writes `data` to a new file at `path` with `mode` (a file already there
/// is replaced, not reused, so its old mode cannot leak through).
pub fn write(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.set_permissions(Permissions::from_mode(mode))?;
    f.write_all(data)
}

/// Takes the group's and others' bits off an existing file of ours (a
/// database, WAL or socket an older version left readable); a file owned
/// by someone else is left alone.
pub fn narrow(path: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 || !(meta.file_type().is_file() || is_socket(&meta)) {
        return;
    }
    let mine = std::fs::metadata("/proc/self").is_ok_and(|me| me.uid() == meta.uid());
    if mine {
        let _ = std::fs::set_permissions(path, Permissions::from_mode(mode & 0o700));
    }
}

fn is_socket(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_socket()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("sk8-private-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn created_directories_and_files_are_private_and_old_ones_narrowed() {
        let top = scratch("modes");
        std::fs::create_dir_all(&top).unwrap();
        std::fs::set_permissions(&top, Permissions::from_mode(0o755)).unwrap();
        let deep = top.join("a/b");
        dir(&deep).unwrap();
        assert_eq!((mode(&top.join("a")), mode(&deep)), (DIR, DIR));
        // An existing directory is the user's: kept.
        dir(&top).unwrap();
        assert_eq!(mode(&top), 0o755);

        let log = deep.join("x.log");
        std::fs::write(&log, "old\n").unwrap();
        std::fs::set_permissions(&log, Permissions::from_mode(0o644)).unwrap();
        writeln!(append(&log).unwrap(), "new").unwrap();
        assert_eq!(mode(&log), FILE);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "old\nnew\n");

        let script = deep.join("s");
        write(&script, b"#!/bin/sh\n", DIR).unwrap();
        write(&script, b"#!/bin/sh\ntrue\n", DIR).unwrap();
        assert_eq!(mode(&script), DIR);
        assert_eq!(std::fs::read(&script).unwrap(), b"#!/bin/sh\ntrue\n");

        let db = deep.join("db");
        std::fs::write(&db, "").unwrap();
        std::fs::set_permissions(&db, Permissions::from_mode(0o664)).unwrap();
        narrow(&db);
        assert_eq!(mode(&db), FILE);
        std::fs::set_permissions(&db, Permissions::from_mode(0o444)).unwrap();
        narrow(&db);
        assert_eq!(mode(&db), 0o400, "a read-only file stays read-only");
        let _ = std::fs::remove_dir_all(&top);
    }
}
