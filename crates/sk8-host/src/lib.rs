//! The facts of the machine a command runs on, each with one owner: users
//! and groups (through the C library's NSS lookups, so LDAP and SSSD users
//! resolve as they do for real Slurm), the clock, the local time zone and
//! the host name.
//!
//! The pure crates never call this one: they take these facts as values
//! (names, `now`, a [`sk8_spec::Zone`]) that the commands and backends pass
//! in from here.

mod clock;
mod names;
mod zone;

pub use clock::now;
pub use names::{
    Error, Group, User, current_gid, current_uid, group_by_gid, group_name, hostname,
    short_hostname, user_by_name, user_by_uid, user_name, user_of_item,
};
pub use zone::{local_zone, named_zone};
