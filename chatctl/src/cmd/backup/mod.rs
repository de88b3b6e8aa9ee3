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

mod archive;
mod pgtools;

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chat_store::{database, migrate, stats};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use self::archive::{DumpInfo, Manifest, TempFile};
use crate::cli::{BackupAction, BackupCmd, PgToolArgs, RestoreArgs};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};
use crate::prompt;

const EXTENSION: &str = "chatbak";

pub async fn run_backup(url: &str, cmd: BackupCmd, out: Output) -> CliResult {
    if let Some(BackupAction::Verify { file, tools }) = cmd.action {
        return verify(url, &file, &tools, out).await;
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
        (target, None)
    };
    if file.exists() {
        return Err(CliError::Usage(format!(
            "{} exists; chatctl never overwrites a backup",
            file.display()
        )));
    }
    let manifest = take(url, &file, &cmd.tools).await?;
    out.note(format_args!(
        "wrote {} ({} bytes of dump, {} messages) in {:.1} s",
        file.display(),
        manifest.dump.bytes,
        manifest.counts.get("messages").copied().unwrap_or(0),
        started.elapsed().as_secs_f64()
    ));
    let verification = if cmd.verify {
        let started = Instant::now();
        let report = verification(url, &file, &cmd.tools).await;
        verdict(&report, started)?;
        Some(report)
    } else {
        None
    };
    let removed = match (rotate_dir, cmd.keep) {
        (Some(dir), Some(keep)) => rotate(&dir, keep as usize)?,
        _ => Vec::new(),
    };
    for old in &removed {
        out.note(format_args!("removed old backup {}", old.display()));
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

/// Dumps the database into `file` and returns the manifest written in it.
async fn take(url: &str, file: &Path, tools: &PgToolArgs) -> CliResult<Manifest> {
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
    };
    let archive_tmp = TempFile::new(dir.join(format!(".{name}.partial")));
    let (path, m, d) = (
        archive_tmp.path.clone(),
        manifest.clone(),
        dump_tmp.path.clone(),
    );
    tokio::task::spawn_blocking(move || archive::write(&path, &m, &d))
        .await
        .map_err(anyhow::Error::from)??;
    archive_tmp.persist(file)?;
    drop(dump_tmp);
    Ok(manifest)
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

/// Keeps the newest `keep` backups in `dir`; returns the removed ones.
fn rotate(dir: &Path, keep: usize) -> CliResult<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("chat-") && n.ends_with(&format!(".{EXTENSION}")))
        })
        .collect();
    // The timestamped names sort oldest first.
    backups.sort();
    let excess = backups.len().saturating_sub(keep);
    let removed: Vec<PathBuf> = backups.into_iter().take(excess).collect();
    for path in &removed {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(removed)
}

/// A scratch file for an extracted dump, removed afterwards.
fn scratch_dump() -> TempFile {
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    TempFile::new(std::env::temp_dir().join(format!(
        "chatctl-{}-{}.dump",
        std::process::id(),
        archive::hex(&random)
    )))
}

/// A backup's dump, extracted and checked against the manifest, and the
/// pg_restore to load it with.
struct Extracted {
    dump: TempFile,
    pg_restore: pgtools::Tool,
}

/// Finds pg_restore for the URL's server and extracts the dump, checking
/// its size and checksum; nothing is changed anywhere.
async fn extract(
    url: &str,
    file: &Path,
    manifest: &Manifest,
    tools: &PgToolArgs,
) -> CliResult<Extracted> {
    let client = db::connect(url).await?;
    let server_major = database::server_major(&**client)
        .await
        .context("cannot read the server version")?;
    drop(client);
    let pg_restore = pgtools::find("pg_restore", tools.pg_bindir.as_deref(), server_major).await?;
    let dump = scratch_dump();
    let (src, m, dest) = (file.to_owned(), manifest.clone(), dump.path.clone());
    tokio::task::spawn_blocking(move || archive::extract_dump(&src, &m, &dest))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(Extracted { dump, pg_restore })
}

/// Loads an extracted dump with pg_restore into the URL's database in one
/// transaction.
async fn load(url: &str, extracted: &Extracted) -> CliResult {
    let Extracted { dump, pg_restore } = extracted;
    let name = db::database_name(&db::config(url)?)?;
    let output = pgtools::command(pg_restore, url)?
        .args([
            "--no-password",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
        ])
        .arg(format!("--dbname={name}"))
        .arg(&dump.path)
        .output()
        .await
        .with_context(|| format!("cannot run {}", pg_restore.path.display()))?;
    if !output.status.success() {
        return Err(anyhow::anyhow!(
            "pg_restore failed ({}); nothing was restored: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(())
}

/// Table by table, the manifest's counts against the database's.
async fn compare_counts(
    client: &impl chat_store::GenericClient,
    manifest: &Manifest,
) -> CliResult<Vec<Check>> {
    let actual = stats::table_counts(client).await?;
    Ok(actual
        .into_iter()
        .map(|(table, n)| {
            let want = manifest.counts.get(&table).copied();
            Check {
                ok: want == Some(n),
                detail: match want {
                    Some(w) => format!("{n} rows (manifest: {w})"),
                    None => format!("{n} rows (not in the manifest)"),
                },
                name: format!("rows in {table}"),
            }
        })
        .collect())
}

/// One verification step's outcome.
#[derive(Debug, Serialize)]
struct Check {
    name: String,
    ok: bool,
    detail: String,
}

#[derive(Debug, Serialize)]
struct Verification {
    file: PathBuf,
    ok: bool,
    manifest: Option<Manifest>,
    checks: Vec<Check>,
}

async fn verify(url: &str, file: &Path, tools: &PgToolArgs, out: Output) -> CliResult {
    let started = Instant::now();
    let report = verification(url, file, tools).await;
    out.data(&report, |r| {
        let mut table = Table::new(&["CHECK", "RESULT", "DETAIL"]);
        for c in &r.checks {
            let result = if c.ok { "ok" } else { "FAILED" };
            table.row(vec![c.name.clone(), result.into(), c.detail.clone()]);
        }
        table.print()
    })?;
    verdict(&report, started)
}

/// Runs every check; failures are in the report, never an early return.
async fn verification(url: &str, file: &Path, tools: &PgToolArgs) -> Verification {
    let mut report = Verification {
        file: file.to_owned(),
        ok: false,
        manifest: None,
        checks: Vec::new(),
    };
    let result = verify_into(url, file, tools, &mut report).await;
    if let Err(e) = &result {
        report.checks.push(Check {
            name: "restore".into(),
            ok: false,
            detail: e.to_string(),
        });
    }
    report.ok = result.is_ok() && report.checks.iter().all(|c| c.ok);
    report
}

/// Exit status and closing note of a verification.
fn verdict(report: &Verification, started: Instant) -> CliResult {
    if report.ok {
        eprintln!(
            "{} verified in {:.1} s",
            report.file.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    Err(CliError::Failed(anyhow::anyhow!(
        "{} failed verification: {}",
        report.file.display(),
        failed.join("; ")
    )))
}

/// Restores into a scratch database, runs the checks, and drops it.
async fn verify_into(
    url: &str,
    file: &Path,
    tools: &PgToolArgs,
    report: &mut Verification,
) -> CliResult {
    let manifest = archive::read_manifest(file)?;
    report.manifest = Some(manifest.clone());
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let scratch = format!("chatctl_verify_{}", archive::hex(&random));
    let scratch_url = db::with_database(url, &scratch)?;
    let maintenance = db::maintenance(url).await?;
    database::create(&maintenance, &scratch)
        .await
        .with_context(|| format!("cannot create the scratch database {scratch}"))?;
    let result = check_restored(&scratch_url, file, &manifest, tools, report).await;
    let dropped = database::drop_if_exists(&maintenance, &scratch).await;
    if let Err(e) = dropped {
        eprintln!("chatctl: warning: cannot drop the scratch database {scratch}: {e}");
    }
    result
}

async fn check_restored(
    scratch_url: &str,
    file: &Path,
    manifest: &Manifest,
    tools: &PgToolArgs,
    report: &mut Verification,
) -> CliResult {
    let extracted = extract(scratch_url, file, manifest, tools).await?;
    load(scratch_url, &extracted).await?;
    report.checks.push(Check {
        name: "checksum".into(),
        ok: true,
        detail: format!("sha256 {}", manifest.dump.sha256),
    });
    report.checks.push(Check {
        name: "restore".into(),
        ok: true,
        detail: "pg_restore loaded it with every constraint and foreign key validated".into(),
    });
    let client = db::connect(scratch_url).await?;
    // pg_restore leaves no planner statistics; without them the event-log
    // check below is planned as a quadratic join (hours at 1M messages).
    database::analyze(&**client)
        .await
        .context("cannot analyze the scratch database")?;
    report
        .checks
        .extend(compare_counts(&client, manifest).await?);
    let problems = stats::event_log_problems(&client).await?;
    report.checks.push(Check {
        name: "event log".into(),
        ok: problems.is_empty(),
        detail: if problems.is_empty() {
            "every message has its event; no event past its room's counter".into()
        } else {
            problems.join("; ")
        },
    });
    Ok(())
}

#[derive(Debug, Serialize)]
struct Restored {
    file: PathBuf,
    database: String,
    counts: BTreeMap<String, i64>,
    migrated: Vec<migrate::MigrationInfo>,
}

pub async fn run_restore(url: &str, args: RestoreArgs, out: Output) -> CliResult {
    let started = Instant::now();
    let manifest = archive::read_manifest(&args.file)?;
    let latest = migrate::latest_version();
    if manifest.schema_version > latest {
        return Err(CliError::Failed(anyhow::anyhow!(
            "the backup's schema (version {}) is newer than this chatctl knows ({latest}); \
             restore it with a newer chatctl",
            manifest.schema_version
        )));
    }
    let database = db::database_name(&db::config(url)?)?;
    if db::create_database(url).await? {
        out.note(format_args!("created database {database}"));
    }
    let client = db::connect(url).await?;
    let replace = database::has_objects(&**client)
        .await
        .context("cannot inspect the database")?;
    if replace {
        if !args.force {
            return Err(CliError::Usage(format!(
                "database {database} is not empty; restore loads only into an empty database \
                 (pass --force to replace everything in it)"
            )));
        }
        prompt::confirm(
            args.yes,
            &format!("replace ALL data in database {database} with the backup"),
        )?;
    }
    // Check the dump (and find pg_restore) before anything is dropped: a
    // corrupted backup must not cost the data it was meant to replace.
    let extracted = extract(url, &args.file, &manifest, &args.tools).await?;
    if replace {
        database::empty_public_schema(&**client)
            .await
            .context("cannot empty the database")?;
    }
    drop(client);
    load(url, &extracted).await?;
    let mut client = db::connect(url).await?;
    // pg_restore leaves no planner statistics; chatd's first queries need them.
    database::analyze(&**client)
        .await
        .context("cannot analyze the restored database")?;
    let mismatched: Vec<String> = compare_counts(&client, &manifest)
        .await?
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    if !mismatched.is_empty() {
        return Err(anyhow::anyhow!(
            "the restored database does not match the manifest: {}",
            mismatched.join("; ")
        )
        .into());
    }
    let migrated = migrate::run(&mut client).await?;
    out.note(format_args!(
        "restored {} into {database} ({} messages) in {:.1} s{}",
        args.file.display(),
        manifest.counts.get("messages").copied().unwrap_or(0),
        started.elapsed().as_secs_f64(),
        if migrated.is_empty() {
            String::new()
        } else {
            format!("; applied {} newer migration(s)", migrated.len())
        }
    ));
    if out.json {
        crate::output::print_json(&Restored {
            file: args.file,
            database,
            counts: manifest.counts,
            migrated,
        })?;
    }
    Ok(())
}
