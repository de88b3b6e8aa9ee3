//! `chatctl backup`, `backup verify` and `restore`.
//!
//! Consistency while chatd keeps writing: chatctl opens a repeatable-read
//! transaction, exports its snapshot, counts every table inside it and has
//! pg_dump dump that same snapshot — so the manifest's counts are exactly
//! what the dump holds, whatever commits meanwhile.
//!
//! Safety: a backup is written under a temporary name and renamed into
//! place only once complete and synced; a restore loads in one transaction
//! (all or nothing) into an empty database, after the dump's checksum
//! matched; verification restores into a scratch database that is always
//! dropped afterwards.
//!
//! Taking a backup is in `take`, loading one in `restore`, checking one in
//! `verify`; the file format is in `archive`, and finding and running
//! pg_dump and pg_restore in `pgtools`.

mod archive;
mod files;
mod pgtools;
mod restore;
mod take;
mod verify;

pub use self::restore::run_restore;
pub use self::take::run_backup;
