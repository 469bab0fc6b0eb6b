//! Users, groups and the host name, as the C library knows them: `getpwnam_r`,
//! `getpwuid_r`, `getgrgid_r` go through NSS (`/etc/nsswitch.conf`: files,
//! LDAP, SSSD...), never through a parse of `/etc/passwd` of our own.

use nix::unistd::{Gid, Uid};

/// Why a lookup could not answer (as opposed to "no such entry", which is
/// `Ok(None)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The NSS lookup itself failed (a directory server down, ...).
    #[error("cannot look up `{what}` in the user database: {errno}")]
    Lookup {
        /// The name or id looked up.
        what: String,
        /// What the C library said.
        errno: nix::errno::Errno,
    },
}

/// `Result` with this module's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Numeric user id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Numeric group id.
    pub gid: u32,
}

/// A lookup's answer: `getpwnam(3)` lets an implementation say "not found"
/// with `ENOENT`, `ESRCH`, `EBADF` or `EPERM` instead of a null result
/// (nss_wrapper does), so those are `None` too; anything else is an error.
fn answer<T, U>(
    what: impl ToString,
    found: nix::Result<Option<T>>,
    convert: impl FnOnce(T) -> U,
) -> Result<Option<U>> {
    use nix::errno::Errno;
    match found {
        Ok(entry) => Ok(entry.map(convert)),
        Err(Errno::ENOENT | Errno::ESRCH | Errno::EBADF | Errno::EPERM) => Ok(None),
        Err(errno) => Err(Error::Lookup {
            what: what.to_string(),
            errno,
        }),
    }
}

impl From<nix::unistd::User> for User {
    fn from(u: nix::unistd::User) -> Self {
        Self {
            name: u.name,
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
        }
    }
}

/// The user called `name`.
pub fn user_by_name(name: &str) -> Result<Option<User>> {
    // A name with a NUL byte names no one (the C library cannot be asked).
    if name.contains('\0') {
        return Ok(None);
    }
    answer(name, nix::unistd::User::from_name(name), User::from)
}

/// The user whose id is `uid`.
pub fn user_by_uid(uid: u32) -> Result<Option<User>> {
    answer(
        uid,
        nix::unistd::User::from_uid(Uid::from_raw(uid)),
        User::from,
    )
}

/// The user a `-u` item names, as Slurm's `uid_from_string`: a login name
/// first, else a numeric uid that the database knows.
pub fn user_of_item(item: &str) -> Result<Option<User>> {
    if let Some(user) = user_by_name(item)? {
        return Ok(Some(user));
    }
    match item.parse::<u32>() {
        Ok(uid) => user_by_uid(uid),
        Err(_) => Ok(None),
    }
}

/// The login name of `uid`, when the database has one (a lookup error
/// counts as none: callers fall back to the number, as Slurm prints it).
pub fn user_name(uid: u32) -> Option<String> {
    user_by_uid(uid).ok().flatten().map(|u| u.name)
}

/// The group whose id is `gid`.
pub fn group_by_gid(gid: u32) -> Result<Option<Group>> {
    answer(gid, nix::unistd::Group::from_gid(Gid::from_raw(gid)), |g| {
        Group {
            name: g.name,
            gid: g.gid.as_raw(),
        }
    })
}

/// The name of group `gid`, when the database has one.
pub fn group_name(gid: u32) -> Option<String> {
    group_by_gid(gid).ok().flatten().map(|g| g.name)
}

/// The real user id of this process.
pub fn current_uid() -> u32 {
    nix::unistd::getuid().as_raw()
}

/// The real group id of this process.
pub fn current_gid() -> u32 {
    nix::unistd::getgid().as_raw()
}

/// This host's name (`gethostname`), `localhost` when it has none.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .map(|n| n.to_string_lossy().trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// This host's name up to the first dot, as Slurm's `gethostname_short`
/// (and as Slurm names a node by default).
pub fn short_hostname() -> String {
    let full = hostname();
    full.split('.').next().unwrap_or(&full).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_known_by_name_and_id() {
        let root = user_by_name("root").unwrap().unwrap();
        assert_eq!(root.uid, 0);
        assert_eq!(user_by_uid(0).unwrap().unwrap().name, "root");
        assert_eq!(user_of_item("0").unwrap().unwrap().name, "root");
        assert_eq!(user_of_item("root").unwrap().unwrap().uid, 0);
        assert_eq!(group_name(0).as_deref(), Some("root"));
    }

    #[test]
    fn unknown_names_are_none_not_errors() {
        assert_eq!(user_by_name("no-such-user-sk8").unwrap(), None);
        assert_eq!(user_of_item("no-such-user-sk8").unwrap(), None);
        assert_eq!(user_by_name("nul\0byte").unwrap(), None);
        assert_eq!(user_of_item("4000000000").unwrap(), None);
        assert_eq!(user_of_item("").unwrap(), None);
    }

    #[test]
    fn this_process_has_ids_and_a_host_name() {
        let _ = (current_uid(), current_gid());
        assert!(!short_hostname().is_empty());
        assert!(!short_hostname().contains('.'));
    }
}
