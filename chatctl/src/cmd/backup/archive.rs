//! The backup file: a tar archive holding `manifest.json`, then
//! `database.dump`, pg_dump's custom format, then `files/<sha256>` for
//! every uploaded file the dumped snapshot names. One file, so an admin cannot
//! copy the dump and lose its manifest; tar, so `tar tf` shows what is in
//! it and `tar xf` gets the dump out for pg_restore by hand.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::error::{CliError, CliResult};

pub const FORMAT: &str = "chat-backup/1";
const MANIFEST_NAME: &str = "manifest.json";
const DUMP_NAME: &str = "database.dump";

/// What a backup holds, written when it is taken and checked on restore.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub chatctl_version: String,
    /// The newest migration applied to the database that was dumped.
    pub schema_version: i32,
    pub server_version: String,
    pub pg_dump_version: String,
    pub database: String,
    /// Exact row counts inside the dumped snapshot.
    pub counts: BTreeMap<String, i64>,
    pub dump: DumpInfo,
    /// The blobs (uploads and thumbnails) the snapshot names, each held in
    /// the archive as `files/<sha256>`. Absent in backups from before
    /// files existed.
    #[serde(default)]
    pub files: Vec<BlobEntry>,
}

/// One blob a backup carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlobEntry {
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpInfo {
    pub bytes: u64,
    pub sha256: String,
}

/// Creates a file only its owner can read: a backup holds password and
/// session hashes.
pub fn create_private(path: &Path) -> CliResult<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
        .map_err(Into::into)
}

/// Writes the archive to `path` (a fresh file) and syncs it to disk, with
/// the manifest's blobs read from `blobs`.
pub fn write(
    path: &Path,
    manifest: &Manifest,
    dump: &Path,
    blobs: &Option<chat_blobs::LocalDir>,
) -> CliResult {
    let file = create_private(path)?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    let json = serde_json::to_vec_pretty(manifest).map_err(anyhow::Error::from)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(manifest.created_at.unix_timestamp().max(0) as u64);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    tar.append_data(&mut header, MANIFEST_NAME, json.as_slice())?;
    let mut dump_file =
        File::open(dump).with_context(|| format!("cannot read {}", dump.display()))?;
    tar.append_file(DUMP_NAME, &mut dump_file)?;
    super::files::append(&mut tar, &manifest.files, blobs)?;
    let mut writer = tar.into_inner()?;
    writer.flush()?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

pub(super) fn corrupt(path: &Path, why: impl std::fmt::Display) -> CliError {
    CliError::Failed(anyhow::anyhow!(
        "{} is not a readable chat backup: {why}",
        path.display()
    ))
}

/// Reads the manifest (the archive's first entry) and checks its format.
pub fn read_manifest(path: &Path) -> CliResult<Manifest> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(file);
    let mut entries = archive.entries().map_err(|e| corrupt(path, e))?;
    let mut first = entries
        .next()
        .ok_or_else(|| corrupt(path, "it is empty"))?
        .map_err(|e| corrupt(path, e))?;
    if first.path().map_err(|e| corrupt(path, e))?.as_ref() != Path::new(MANIFEST_NAME) {
        return Err(corrupt(path, "it does not start with manifest.json"));
    }
    let mut text = String::new();
    first
        .read_to_string(&mut text)
        .map_err(|e| corrupt(path, e))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| corrupt(path, e))?;
    if manifest.format != FORMAT {
        return Err(corrupt(
            path,
            format!("unknown format {:?} (expected {FORMAT})", manifest.format),
        ));
    }
    Ok(manifest)
}

/// Copies the dump out of the archive into `dest`, checking its size and
/// SHA-256 against the manifest; a mismatch means the file is corrupted.
pub fn extract_dump(path: &Path, manifest: &Manifest, dest: &Path) -> CliResult {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(file);
    for entry in archive.entries().map_err(|e| corrupt(path, e))? {
        let mut entry = entry.map_err(|e| corrupt(path, e))?;
        if entry.path().map_err(|e| corrupt(path, e))?.as_ref() != Path::new(DUMP_NAME) {
            continue;
        }
        let mut out = BufWriter::new(create_private(dest)?);
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = entry.read(&mut buf).map_err(|e| corrupt(path, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            bytes += n as u64;
        }
        out.flush()?;
        let sha256 = hex(&hasher.finalize());
        if bytes != manifest.dump.bytes || sha256 != manifest.dump.sha256 {
            return Err(corrupt(
                path,
                "the database dump does not match the manifest's checksum (the file is corrupted)",
            ));
        }
        return Ok(());
    }
    Err(corrupt(path, "it holds no database.dump"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file that is removed when dropped unless [`TempFile::keep`] is
/// called, so a failed command leaves no partial backup behind.
#[derive(Debug)]
pub struct TempFile {
    pub path: PathBuf,
    armed: bool,
}

impl TempFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    /// Renames it into place and stops it from being removed.
    pub fn persist(mut self, to: &Path) -> CliResult {
        std::fs::rename(&self.path, to)
            .with_context(|| format!("cannot move the backup into {}", to.display()))?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
