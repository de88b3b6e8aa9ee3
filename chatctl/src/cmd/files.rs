//! `chatctl files stats|gc`: uploaded files as the database and the data
//! directory see them.

use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use chat_blobs::{BlobStore as _, LocalDir};
use chat_store::files::{self, Sweeper};
use serde::Serialize;

use crate::cli::FilesCommand;
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};

/// Blobs on disk younger than this are left alone by gc even if no row
/// names them: an upload in flight stores its blob just before its row.
const ORPHAN_AGE: Duration = Duration::from_secs(3600);

pub async fn run(url: &str, cmd: FilesCommand, out: Output) -> CliResult {
    match cmd {
        FilesCommand::Stats { data } => stats(url, &open(&data.data_dir)?, out).await,
        FilesCommand::Gc { data, grace } => gc(url, &open(&data.data_dir)?, grace, out).await,
    }
}

fn open(dir: &std::path::Path) -> CliResult<LocalDir> {
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "the data directory {} does not exist (set --data-dir or CHATD_DATA_DIR)",
            dir.display()
        )));
    }
    LocalDir::open(dir, false)
        .with_context(|| format!("cannot open {}", dir.display()))
        .map_err(Into::into)
}

#[derive(Debug, Serialize)]
struct Stats {
    #[serde(flatten)]
    db: files::FileStats,
    /// Blobs in the data directory.
    blobs_on_disk: usize,
    /// Blobs the database names that the directory lacks (should be 0).
    missing_on_disk: usize,
}

async fn stats(url: &str, blobs: &LocalDir, out: Output) -> CliResult {
    let client = db::connect_current(url).await?;
    let db = files::stats(&client).await?;
    let on_disk = blobs
        .list()
        .await
        .context("cannot list the data directory")?;
    let named = files::referenced_blobs(&client).await?;
    let missing = named
        .iter()
        .filter(|(sha, _)| on_disk.binary_search(sha).is_err())
        .count();
    let stats = Stats {
        db,
        blobs_on_disk: on_disk.len(),
        missing_on_disk: missing,
    };
    out.data(&stats, |s| {
        let mut table = Table::new(&["WHAT", "COUNT"]);
        for (what, n) in [
            ("files", s.db.files),
            ("bytes", s.db.bytes),
            ("blobs named", s.db.blobs),
            ("attached files", s.db.attached),
            ("avatars", s.db.avatars),
            ("blobs on disk", s.blobs_on_disk as i64),
            ("missing on disk", s.missing_on_disk as i64),
        ] {
            table.row(vec![what.into(), n.to_string()]);
        }
        table.print()
    })
}

#[derive(Debug, Serialize)]
struct Collected {
    files: u64,
    blobs: usize,
}

/// chatd's sweep, by hand: unused uploads older than `grace`, then blobs
/// no row names (older than an hour), all under the sweep lock.
async fn gc(url: &str, blobs: &LocalDir, grace: u64, out: Output) -> CliResult {
    let client = db::connect_current(url).await?;
    let Some(mut sweeper) = Sweeper::try_lock(client).await? else {
        return Err(anyhow::anyhow!("a sweep is running (in chatd); try again shortly").into());
    };
    let grace = i64::try_from(grace).unwrap_or(i64::MAX);
    let mut removed_files = 0;
    let mut removed_blobs = 0;
    loop {
        let swept = sweeper.sweep(grace, 500).await?;
        for sha in &swept.blobs {
            blobs.delete(sha).await?;
        }
        removed_blobs += swept.blobs.len();
        removed_files += swept.files;
        if swept.files < 500 {
            break;
        }
    }
    let old: Vec<String> = blobs
        .list()
        .await?
        .into_iter()
        .filter(|sha| older_than(blobs, sha, ORPHAN_AGE))
        .collect();
    for sha in sweeper.unreferenced(&old).await? {
        blobs.delete(&sha).await?;
        removed_blobs += 1;
    }
    sweeper.unlock().await?;
    let collected = Collected {
        files: removed_files,
        blobs: removed_blobs,
    };
    out.data(&collected, |c| {
        println!("removed {} unused file(s) and {} blob(s)", c.files, c.blobs);
        Ok(())
    })
}

fn older_than(blobs: &LocalDir, sha: &str, age: Duration) -> bool {
    let modified = blobs
        .path_of(sha)
        .and_then(std::fs::metadata)
        .and_then(|m| m.modified());
    modified
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|d| d > age)
}
