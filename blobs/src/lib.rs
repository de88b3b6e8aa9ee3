//! chat's blob store: the bytes of uploaded files, named by their SHA-256.
//!
//! Files are immutable and content-addressed, so identical uploads are
//! stored once and a backup can name the set it needs by hash. A blob is
//! first written to a staging file ([`Staged`]) while its hash is computed,
//! then moved under its real name in one rename: a crash leaves at most a
//! staging file behind, never a half blob under a real name.
//!
//! [`BlobStore`] is the interface chatd and chatctl use; [`LocalDir`], a
//! directory on local disk, is its only implementation today. An
//! S3-compatible store would implement the same four calls (staging stays
//! local: uploads are hashed and images processed before they are stored).

mod local;
mod staged;

use std::future::Future;
use std::io;

pub use local::LocalDir;
pub use staged::Staged;

/// A SHA-256 as 64 lowercase hex digits: a blob's name.
pub type Sha256Hex = String;

/// Where blobs live. Every call is keyed by the blob's SHA-256 (hex).
pub trait BlobStore: Send + Sync {
    /// Stores a staged file under its hash. Storing a hash that is already
    /// there keeps the existing blob (the bytes are the same).
    fn put(&self, staged: Staged) -> impl Future<Output = io::Result<Sha256Hex>> + Send;
    /// Opens a blob for reading, with its length; `NotFound` if absent.
    fn open(&self, sha256: &str)
    -> impl Future<Output = io::Result<(tokio::fs::File, u64)>> + Send;
    /// Removes a blob; removing one that is not there is not an error.
    fn delete(&self, sha256: &str) -> impl Future<Output = io::Result<()>> + Send;
    /// Every stored blob's hash (for sweeps, statistics and backups).
    fn list(&self) -> impl Future<Output = io::Result<Vec<Sha256Hex>>> + Send;
}

/// True if `s` is a blob name: 64 lowercase hex digits. Checked before a
/// name becomes a path, so no name can climb out of the directory.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
