//! `chatctl restore`, and the extract-and-load steps verification shares:
//! the dump is checked against the manifest before anything is dropped,
//! then loaded in one transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use chat_store::{database, migrate};
use serde::Serialize;

use super::archive::{self, Manifest, TempFile};
use super::pgtools;
use super::verify::compare_counts;
use crate::cli::{PgToolArgs, RestoreArgs};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::Output;
use crate::prompt;

/// What `--json` prints after a restore.
#[derive(Debug, Serialize)]
struct Restored {
    file: PathBuf,
    database: String,
    counts: BTreeMap<String, i64>,
    migrated: Vec<migrate::MigrationInfo>,
}

/// Runs `chatctl restore`.
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
    // The files go back first, each checked against its SHA-256: adding
    // content-addressed files takes nothing away, and a corrupted one
    // stops the restore before the database is touched.
    if !manifest.files.is_empty() {
        let dir = &args.data.data_dir;
        let blobs = chat_blobs::LocalDir::open(dir, false)
            .with_context(|| format!("cannot open the data directory {}", dir.display()))?;
        let (src, m) = (args.file.clone(), manifest.clone());
        let files = tokio::task::spawn_blocking(move || super::files::restore(&src, &m, &blobs))
            .await
            .map_err(anyhow::Error::from)??;
        out.note(format_args!(
            "restored {files} file(s) into {}",
            dir.display()
        ));
    }
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
pub struct Extracted {
    dump: TempFile,
    pg_restore: pgtools::Tool,
}

/// Finds pg_restore for the URL's server and extracts the dump, checking
/// its size and checksum; nothing is changed anywhere.
pub async fn extract(
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
pub async fn load(url: &str, extracted: &Extracted) -> CliResult {
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
