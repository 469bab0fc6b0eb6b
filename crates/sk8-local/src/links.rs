//! The directory of command links on a job's `PATH`: `$SK8_HOME/bin/srun`,
//! `scontrol`, ... each a symbolic link to the running multi-call `sk8`
//! binary, so a batch script's `srun` reaches sk8's and never another
//! Slurm's (DESIGN.md §4). Private (0700) like everything under
//! `$SK8_HOME`; a link that points at another binary (sk8 was rebuilt or
//! moved) is replaced atomically, so a job starting meanwhile never finds
//! a name missing.

use std::path::{Path, PathBuf};

use crate::private;

/// Makes `home/bin` hold a link named after each of [`sk8_backend::COMMANDS`]
/// to `exe`, and returns the directory.
pub fn ensure(home: &Path, exe: &Path) -> std::io::Result<PathBuf> {
    let dir = home.join("bin");
    private::dir(&dir)?;
    for name in sk8_backend::COMMANDS {
        let link = dir.join(name);
        if std::fs::read_link(&link).is_ok_and(|t| t == exe) {
            continue;
        }
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(exe, &tmp)?;
        std::fs::rename(&tmp, &link)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_made_private_and_follow_the_binary() {
        let home = std::env::temp_dir().join(format!("sk8-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        let dir = ensure(&home, Path::new("/usr/bin/true")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        for name in sk8_backend::COMMANDS {
            assert_eq!(
                std::fs::read_link(dir.join(name)).unwrap(),
                Path::new("/usr/bin/true")
            );
        }
        // A rebuilt binary elsewhere: every link now names it.
        ensure(&home, Path::new("/usr/bin/false")).unwrap();
        assert_eq!(
            std::fs::read_link(dir.join("srun")).unwrap(),
            Path::new("/usr/bin/false")
        );
        std::fs::remove_dir_all(&home).unwrap();
    }
}
