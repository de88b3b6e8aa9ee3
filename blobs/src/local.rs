//! [`LocalDir`]: blobs in a directory on local disk.
//!
//! Layout under the data directory (all 0700 directories, 0600 files):
//! `files/ab/cd/abcd…` holds the blob whose SHA-256 is `abcd…` (two levels
//! of fan-out keep directories small); `tmp/` holds staging files, which
//! are on the same filesystem so that storing one is a rename.

use std::io;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::{BlobStore, Sha256Hex, Staged, is_sha256_hex};

/// A content-addressed directory of blobs.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// Opens (creating if need be) the store under `data_dir`, and removes
    /// staging files a crash left behind when `clear_staging` is set (only
    /// the server does that: a chatctl run must not pull the rug from under
    /// a running chatd's uploads).
    pub fn open(data_dir: &Path, clear_staging: bool) -> io::Result<Self> {
        let store = Self {
            root: data_dir.to_path_buf(),
        };
        for dir in [store.root.clone(), store.files_dir(), store.tmp_dir()] {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
        }
        if clear_staging {
            for entry in std::fs::read_dir(store.tmp_dir())? {
                let _ = std::fs::remove_file(entry?.path());
            }
        }
        Ok(store)
    }

    /// The data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn files_dir(&self) -> PathBuf {
        self.root.join("files")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Where the blob named `sha256` lives (or would).
    pub fn path_of(&self, sha256: &str) -> io::Result<PathBuf> {
        if !is_sha256_hex(sha256) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a SHA-256 in hex",
            ));
        }
        Ok(self
            .files_dir()
            .join(&sha256[..2])
            .join(&sha256[2..4])
            .join(sha256))
    }

    /// A new, empty staging file with a random name.
    pub async fn stage(&self) -> io::Result<Staged> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| io::Error::other(e.to_string()))?;
        let name = format!("upload-{}", crate::hex(&nonce));
        Staged::create(self.tmp_dir().join(name)).await
    }

    /// Stores what `reader` holds as the blob `sha256`, checking that the
    /// bytes hash to it; blocking (for restores, which read a tar archive).
    /// A blob already there is kept.
    pub fn import_blocking(&self, mut reader: impl io::Read, sha256: &str) -> io::Result<()> {
        use io::Write as _;
        use sha2::{Digest as _, Sha256};
        use std::os::unix::fs::OpenOptionsExt as _;
        let target = self.path_of(sha256)?;
        if target.exists() {
            return Ok(());
        }
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| io::Error::other(e.to_string()))?;
        let tmp = self
            .tmp_dir()
            .join(format!("restore-{}", crate::hex(&nonce)));
        let result = (|| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            let mut out = io::BufWriter::new(file);
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
            }
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            if crate::hex(&hasher.finalize()) != sha256 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the bytes of {sha256} do not hash to it"),
                ));
            }
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(target.parent().expect("a blob path has a parent"))?;
            std::fs::rename(&tmp, &target)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

impl BlobStore for LocalDir {
    async fn put(&self, mut staged: Staged) -> io::Result<Sha256Hex> {
        let sha = staged.finish().await?;
        debug_assert_eq!(staged.sha256(), Some(sha.as_str()));
        let target = self.path_of(&sha)?;
        let parent = target.parent().expect("a blob path has a parent");
        tokio::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .await?;
        if tokio::fs::try_exists(&target).await? {
            // Stored already: the same bytes. The staging file goes.
            return Ok(sha);
        }
        // rename(2) is atomic: readers see the whole blob or none.
        tokio::fs::rename(staged.path(), &target).await?;
        staged.disarm();
        tokio::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).await?;
        Ok(sha)
    }

    async fn open(&self, sha256: &str) -> io::Result<(tokio::fs::File, u64)> {
        let file = tokio::fs::File::open(self.path_of(sha256)?).await?;
        let len = file.metadata().await?.len();
        Ok((file, len))
    }

    async fn delete(&self, sha256: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path_of(sha256)?).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    async fn list(&self) -> io::Result<Vec<Sha256Hex>> {
        let root = self.files_dir();
        tokio::task::spawn_blocking(move || list_blobs(&root))
            .await
            .map_err(io::Error::other)?
    }
}

/// Walks `files/??/??/` for blob names (anything else is ignored).
fn list_blobs(root: &Path) -> io::Result<Vec<Sha256Hex>> {
    let mut out = Vec::new();
    for first in std::fs::read_dir(root)? {
        let first = first?.path();
        if !first.is_dir() {
            continue;
        }
        for second in std::fs::read_dir(&first)? {
            let second = second?.path();
            if !second.is_dir() {
                continue;
            }
            for blob in std::fs::read_dir(&second)? {
                let name = blob?.file_name();
                if let Some(name) = name.to_str().filter(|n| is_sha256_hex(n)) {
                    out.push(name.to_owned());
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chat-blobs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test]
    async fn stores_once_by_hash_with_private_modes() {
        let dir = scratch("once");
        let store = LocalDir::open(&dir, true).unwrap();
        let mut names = Vec::new();
        for _ in 0..2 {
            let mut staged = store.stage().await.unwrap();
            staged.write(b"hello ").await.unwrap();
            staged.write(b"world").await.unwrap();
            names.push(store.put(staged).await.unwrap());
        }
        // sha256("hello world")
        let sha = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        assert_eq!(names, [sha, sha]);
        assert_eq!(store.list().await.unwrap(), [sha]);
        let path = store.path_of(sha).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // Nothing left in staging.
        assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        store.delete(sha).await.unwrap();
        store.delete(sha).await.unwrap();
        assert!(store.list().await.unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_abandoned_staging_file_is_removed() {
        let dir = scratch("abandon");
        let store = LocalDir::open(&dir, true).unwrap();
        let mut staged = store.stage().await.unwrap();
        staged.write(b"half").await.unwrap();
        let path = staged.path().to_path_buf();
        assert!(path.exists());
        drop(staged);
        assert!(!path.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn names_cannot_escape() {
        let store = LocalDir {
            root: PathBuf::from("/x"),
        };
        assert!(store.path_of("../etc/passwd").is_err());
        assert!(store.path_of(&"A".repeat(64)).is_err());
        assert!(store.path_of(&"a".repeat(64)).is_ok());
    }
}
