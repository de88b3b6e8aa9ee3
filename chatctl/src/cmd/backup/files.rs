//! The uploaded files in a backup: copied in from the data directory when
//! it is taken, checked by `backup verify`, and put back by `restore`.
//!
//! Files are immutable and named by their SHA-256, so the snapshot's list
//! of names is the whole set: nothing written after the snapshot is needed,
//! and every byte can be checked against its name.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use chat_blobs::LocalDir;
use sha2::{Digest as _, Sha256};

use super::archive::{BlobEntry, Manifest, corrupt, hex};
use super::verify::Check;
use crate::error::{CliError, CliResult};

/// Where blobs sit in the archive.
const PREFIX: &str = "files/";

/// Appends each blob as `files/<sha256>`. A blob missing from the data
/// directory fails the backup: it would be a backup that cannot restore.
pub fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    entries: &[BlobEntry],
    blobs: &Option<LocalDir>,
) -> CliResult {
    let Some(blobs) = blobs else {
        if entries.is_empty() {
            return Ok(());
        }
        return Err(CliError::Usage(
            "the database names uploaded files but the data directory does not exist \
             (set --data-dir or CHATD_DATA_DIR to chatd's)"
                .into(),
        ));
    };
    for entry in entries {
        let path = blobs.path_of(&entry.sha256)?;
        let mut file = File::open(&path).with_context(|| {
            format!(
                "the file {} is missing from the data directory {}",
                entry.sha256,
                blobs.root().display()
            )
        })?;
        tar.append_file(format!("{PREFIX}{}", entry.sha256), &mut file)?;
    }
    Ok(())
}

/// What checking the archive's blobs found.
#[derive(Debug, Default)]
struct Found {
    ok: usize,
    corrupt: Vec<String>,
    missing: Vec<String>,
}

/// Reads every blob in the archive, hashing it; `each` may keep it.
fn scan(
    path: &Path,
    manifest: &Manifest,
    mut each: impl FnMut(&str, &mut dyn std::io::Read) -> CliResult<bool>,
) -> CliResult<Found> {
    let wanted: BTreeMap<&str, u64> = manifest
        .files
        .iter()
        .map(|e| (e.sha256.as_str(), e.bytes))
        .collect();
    let mut seen = BTreeMap::new();
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut archive = tar::Archive::new(file);
    for entry in archive.entries().map_err(|e| corrupt(path, e))? {
        let mut entry = entry.map_err(|e| corrupt(path, e))?;
        let name = entry.path().map_err(|e| corrupt(path, e))?;
        let Some(sha) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        let sha = sha.to_owned();
        let good = each(&sha, &mut entry)?;
        seen.insert(sha, good);
    }
    let mut found = Found::default();
    for sha in wanted.keys() {
        match seen.get(*sha) {
            Some(true) => found.ok += 1,
            Some(false) => found.corrupt.push((*sha).to_owned()),
            None => found.missing.push((*sha).to_owned()),
        }
    }
    Ok(found)
}

/// True if the bytes hash to `sha`.
fn hashes_to(sha: &str, reader: &mut dyn std::io::Read) -> std::io::Result<bool> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()) == sha)
}

/// `backup verify`'s check: every blob the manifest lists is in the
/// archive and hashes to its name.
pub fn check(path: &Path, manifest: &Manifest) -> CliResult<Check> {
    let found = scan(path, manifest, |sha, reader| Ok(hashes_to(sha, reader)?))?;
    let ok = found.corrupt.is_empty() && found.missing.is_empty();
    let mut detail = format!(
        "{} of {} match their SHA-256",
        found.ok,
        manifest.files.len()
    );
    if !found.corrupt.is_empty() {
        detail.push_str(&format!("; corrupted: {}", found.corrupt.join(", ")));
    }
    if !found.missing.is_empty() {
        detail.push_str(&format!("; missing: {}", found.missing.join(", ")));
    }
    Ok(Check {
        name: "files".into(),
        ok,
        detail,
    })
}

/// `restore`'s step: puts every blob back into the data directory, each
/// checked against its name; fails (before the database is touched) if
/// any is corrupted or missing.
pub fn restore(path: &Path, manifest: &Manifest, blobs: &LocalDir) -> CliResult<usize> {
    let found = scan(path, manifest, |sha, reader| {
        match blobs.import_blocking(reader, sha) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(false),
            Err(e) => Err(anyhow::anyhow!("cannot store the file {sha}: {e}").into()),
        }
    })?;
    if !found.corrupt.is_empty() || !found.missing.is_empty() {
        return Err(CliError::Failed(anyhow::anyhow!(
            "{}: files corrupted ({}) or missing ({}); nothing was restored",
            path.display(),
            found.corrupt.join(", "),
            found.missing.join(", ")
        )));
    }
    Ok(found.ok)
}

/// Gives everything under the data directory to the directory's owner:
/// restored as root, the files would otherwise be root's, and chatd
/// (running as its own user) could not read them.
pub fn give_to_owner(root: &Path) -> CliResult {
    use std::os::unix::fs::MetadataExt as _;
    let top = std::fs::metadata(root).with_context(|| format!("cannot read {}", root.display()))?;
    let (uid, gid) = (top.uid(), top.gid());
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            let meta = std::fs::symlink_metadata(&path)?;
            if meta.uid() != uid || meta.gid() != gid {
                std::os::unix::fs::lchown(&path, Some(uid), Some(gid)).with_context(|| {
                    format!(
                        "cannot give {} to the data directory's owner",
                        path.display()
                    )
                })?;
            }
            if meta.is_dir() {
                pending.push(path);
            }
        }
    }
    Ok(())
}
