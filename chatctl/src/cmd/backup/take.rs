//! `chatctl backup`: dumps one snapshot with pg_dump into a new archive,
//! optionally verifies it, and rotates older backups in a directory.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chat_store::{database, migrate, stats};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::archive::{self, BlobEntry, DumpInfo, Manifest, TempFile};
use super::pgtools;
use super::verify::{run_verify, verdict, verification};
use crate::cli::{BackupAction, BackupCmd, PgToolArgs};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::Output;

/// The file extension of backups; rotation removes only files with it.
const EXTENSION: &str = "chatbak";

/// Runs `chatctl backup`, or `chatctl backup verify`.
pub async fn run_backup(url: &str, cmd: BackupCmd, out: Output) -> CliResult {
    if let Some(BackupAction::Verify { file, tools }) = cmd.action {
        return run_verify(url, &file, &tools, out).await;
    }
    let target = cmd
        .target
        .expect("clap requires a target without a subcommand");
    let started = Instant::now();
    let (file, rotate_dir) = if target.is_dir() {
        let stamp = OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .map_err(anyhow::Error::from)?;
        (
            target.join(format!("chat-{stamp}.{EXTENSION}")),
            Some(target),
        )
    } else {
        if cmd.keep.is_some() {
            return Err(CliError::Usage(
                "--keep needs a directory to rotate backups in".into(),
            ));
        }
        check_new_file(&target)?;
        (target, None)
    };
    if file.exists() {
        return Err(CliError::Usage(format!(
            "{} exists; chatctl never overwrites a backup",
            file.display()
        )));
    }
    let blobs = open_data_dir(&cmd.data.data_dir)?;
    let (manifest, partial) = take(url, &file, &cmd.tools, &blobs).await?;
    // Verified under its temporary name: a backup that fails verification
    // is removed, never left looking like a good one.
    let verification = if cmd.verify {
        let started = Instant::now();
        let mut report = verification(url, &partial.path, &cmd.tools).await;
        report.file.clone_from(&file);
        verdict(&report, started)?;
        Some(report)
    } else {
        None
    };
    partial.persist(&file)?;
    out.note(format_args!(
        "wrote {} ({} bytes of dump, {} messages) in {:.1} s",
        file.display(),
        manifest.dump.bytes,
        manifest.counts.get("messages").copied().unwrap_or(0),
        started.elapsed().as_secs_f64()
    ));
    let removed = match (rotate_dir, cmd.keep) {
        (Some(dir), Some(keep)) => rotate(&dir, keep as usize)?,
        _ => Vec::new(),
    };
    for old in &removed {
        out.note(format_args!("removed {}", old.display()));
    }
    if out.json {
        crate::output::print_json(&serde_json::json!({
            "file": file,
            "manifest": manifest,
            "verification": verification,
            "removed": removed,
            "seconds": started.elapsed().as_secs_f64(),
        }))?;
    }
    Ok(())
}

/// A backup file named on the command line must be new and end in
/// `.chatbak`, in a directory that exists: `backup /var/backups/chta` (a
/// typo of a directory) must not quietly write a file of that name.
fn check_new_file(target: &Path) -> CliResult {
    if target.exists() {
        return Ok(()); // refused as existing below
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent
        && !parent.is_dir()
    {
        return Err(CliError::Usage(format!(
            "{} is not a directory: name an existing directory, or a new .{EXTENSION} file \
             in one",
            parent.display()
        )));
    }
    let is_backup_name = target.extension().is_some_and(|e| e == EXTENSION);
    if !is_backup_name || target.as_os_str().to_string_lossy().ends_with('/') {
        return Err(CliError::Usage(format!(
            "{} does not exist: name an existing directory, or a new file ending in .{EXTENSION}",
            target.display()
        )));
    }
    Ok(())
}

/// Dumps the database into a temporary file beside `file` and returns the
/// manifest written in it, and that file (removed if dropped).
async fn take(
    url: &str,
    file: &Path,
    tools: &PgToolArgs,
    blobs: &Option<chat_blobs::LocalDir>,
) -> CliResult<(Manifest, TempFile)> {
    let mut client = db::connect(url).await?;
    let status = migrate::status(&**client).await?;
    let schema_version = status.applied.iter().map(|m| m.version).max().unwrap_or(0);
    let server_major = database::server_major(&**client)
        .await
        .context("cannot read the server version")?;
    let pg_dump = pgtools::find("pg_dump", tools.pg_bindir.as_deref(), server_major).await?;
    let server_version = database::server_version(&**client)
        .await
        .context("cannot read the server version")?;

    // From before the snapshot until its files are copied, no sweep may
    // delete one of them (uploads go on: they hold the lock shared too).
    chat_store::files::hold(&client).await?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .context("cannot start the snapshot transaction")?;
    let snapshot = database::export_snapshot(&*tx)
        .await
        .context("cannot export a snapshot")?;
    let counts: BTreeMap<String, i64> = stats::table_counts(&tx).await?.into_iter().collect();
    let files = chat_store::files::referenced_blobs(&tx)
        .await?
        .into_iter()
        .map(|(sha256, bytes)| BlobEntry {
            sha256,
            bytes: bytes.max(0) as u64,
        })
        .collect();

    let dir = file.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".into());
    let dump_tmp = TempFile::new(dir.join(format!(".{name}.dump.partial")));
    let dump = run_pg_dump(&pg_dump, url, &snapshot, &dump_tmp.path).await?;
    // The snapshot had to live until pg_dump imported it; it can go now.
    tx.rollback().await.ok();

    let manifest = Manifest {
        format: archive::FORMAT.into(),
        created_at: OffsetDateTime::now_utc(),
        chatctl_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        server_version,
        pg_dump_version: pg_dump.version.clone(),
        database: db::database_name(&db::config(url)?)?,
        counts,
        dump,
        files,
    };
    let archive_tmp = TempFile::new(dir.join(format!(".{name}.partial")));
    let (path, m, d, b) = (
        archive_tmp.path.clone(),
        manifest.clone(),
        dump_tmp.path.clone(),
        blobs.clone(),
    );
    tokio::task::spawn_blocking(move || archive::write(&path, &m, &d, &b))
        .await
        .map_err(anyhow::Error::from)??;
    chat_store::files::unhold(&client).await?;
    drop(dump_tmp);
    Ok((manifest, archive_tmp))
}

/// Streams pg_dump's output into `dest`, hashing it and showing progress
/// on a terminal.
async fn run_pg_dump(
    tool: &pgtools::Tool,
    url: &str,
    snapshot: &str,
    dest: &Path,
) -> CliResult<DumpInfo> {
    let mut child = pgtools::command(tool, url)?
        .args(["--format=custom", "--no-password", "--snapshot", snapshot])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", tool.path.display()))?;
    let mut stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let errors = tokio::spawn(read_all(stderr));
    let mut out = tokio::fs::File::from_std(archive::create_private(dest)?);
    let progress = progress_bar("dumping");
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = stdout.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).await?;
        bytes += n as u64;
        progress.set_position(bytes);
    }
    out.sync_all().await?;
    progress.finish_and_clear();
    let status = child.wait().await?;
    let errors = errors.await.unwrap_or_default();
    if !status.success() {
        return Err(anyhow::anyhow!("pg_dump failed ({status}): {}", errors.trim()).into());
    }
    Ok(DumpInfo {
        bytes,
        sha256: archive::hex(&hasher.finalize()),
    })
}

async fn read_all(mut stream: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text).await;
    text
}

fn progress_bar(what: &'static str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner().with_message(what);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}: {bytes} ({bytes_per_sec})")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A temporary file of an earlier run older than this was left by a run
/// that was killed (a timeout, a reboot); none runs that long.
const STALE_PARTIAL: Duration = Duration::from_secs(12 * 3600);

/// Keeps the newest `keep` backups in `dir`, and removes temporary files
/// killed runs left there; returns the removed files.
fn rotate(dir: &Path, keep: usize) -> CliResult<Vec<PathBuf>> {
    let names: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.path(), e.file_name().to_str()?.to_owned())))
        .collect();
    let mut removed = Vec::new();
    for (path, name) in &names {
        let partial = name.starts_with(".chat-") && name.ends_with(".partial");
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if partial && age.is_some_and(|a| a > STALE_PARTIAL) {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            removed.push(path.clone());
        }
    }
    // Only finished backups have this name; every one was verified when
    // the runs ask for --verify.
    let mut backups: Vec<PathBuf> = names
        .into_iter()
        .filter(|(_, n)| n.starts_with("chat-") && n.ends_with(&format!(".{EXTENSION}")))
        .map(|(p, _)| p)
        .collect();
    // The timestamped names sort oldest first.
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    for path in backups.into_iter().take(excess) {
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        removed.push(path);
    }
    Ok(removed)
}

/// The data directory if it exists (a backup only reads it; one whose
/// snapshot names files fails without it).
fn open_data_dir(dir: &Path) -> CliResult<Option<chat_blobs::LocalDir>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    chat_blobs::LocalDir::open(dir, false)
        .map(Some)
        .with_context(|| format!("cannot open the data directory {}", dir.display()))
        .map_err(Into::into)
}
