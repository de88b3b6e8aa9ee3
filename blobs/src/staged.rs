//! A blob being written: a staging file and the hash of what went in.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

/// A staging file, hashed as it is written. Dropping it without storing it
/// removes the file, so a failed or abandoned upload leaves nothing behind.
#[derive(Debug)]
pub struct Staged {
    path: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    len: u64,
    sha256: Option<String>,
}

impl Staged {
    /// Creates an empty staging file at `path` (0600, never an existing
    /// file).
    pub(crate) async fn create(path: PathBuf) -> io::Result<Self> {
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true).mode(0o600);
        let file = options.open(&path).await?;
        Ok(Self {
            path,
            file: Some(file),
            hasher: Sha256::new(),
            len: 0,
            sha256: None,
        })
    }

    /// Appends bytes.
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = self.file.as_mut().ok_or_else(finished)?;
        file.write_all(bytes).await?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Flushes the bytes to disk and returns their SHA-256 (hex); the
    /// file can then be read back (`path`) or stored.
    pub async fn finish(&mut self) -> io::Result<String> {
        if let Some(sha) = &self.sha256 {
            return Ok(sha.clone());
        }
        let mut file = self.file.take().ok_or_else(finished)?;
        file.flush().await?;
        // Durable before the rename that publishes it under its real name.
        file.sync_all().await?;
        let sha = crate::hex(&std::mem::take(&mut self.hasher).finalize());
        self.sha256 = Some(sha.clone());
        Ok(sha)
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The staging file's path (to read a finished one back).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hash of a finished file.
    pub(crate) fn sha256(&self) -> Option<&str> {
        self.sha256.as_deref()
    }

    /// Gives up the staging file without removing it (it was renamed).
    pub(crate) fn disarm(mut self) {
        self.path = PathBuf::new();
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // Best effort: a leftover is swept from the staging directory
            // when the store is next opened.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn finished() -> io::Error {
    io::Error::other("the staging file is already finished")
}
