//! Fingerprints the sources that define a job record's types (every file
//! under sk8-spec's, sk8-backend's and this crate's `src/`), so that a
//! binary record (see `src/codec.rs`) is only ever read back by a build
//! whose types are the ones that wrote it. Walking the directories, rather
//! than naming files, means a new file that changes a type is counted too.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dirs = [
        manifest.join("src"),
        manifest.join("../sk8-spec/src"),
        manifest.join("../sk8-backend/src"),
    ];
    let mut files = Vec::new();
    for dir in &dirs {
        println!("cargo:rerun-if-changed={}", dir.display());
        collect(dir, &mut files);
    }
    files.sort();
    // FNV-1a over each file's path (relative to its crate) and bytes.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .strip_prefix(manifest.parent().unwrap_or(&manifest))
            .unwrap_or(f);
        feed(name.to_string_lossy().as_bytes());
        feed(&std::fs::read(f).expect("a source file is readable"));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// Fingerprint of the record types' sources (build.rs)."
    );
    let _ = writeln!(out, "pub const LAYOUT: u64 = {hash:#018x};");
    let path = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("layout.rs");
    std::fs::write(path, out).expect("OUT_DIR is writable");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
