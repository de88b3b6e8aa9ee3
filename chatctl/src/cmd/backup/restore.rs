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
    owner: String,
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
    let owner = prepare_database(url, &database, args.owner.as_deref(), out).await?;
    let client = db::connect(url).await?;
    let replace = database::has_objects(&**client)
        .await
        .context("cannot inspect the database")?;
    // Tables that hold nothing (a freshly migrated database) are no data
    // to lose; anything else must be replaced on purpose.
    let holds_data = replace
        && database::holds_rows(&**client)
            .await
            .context("cannot inspect the database")?;
    if holds_data {
        if !args.force {
            return Err(CliError::Usage(format!(
                "database {database} holds data; restore replaces it only with --force \
                 (which asks first), or load into an empty database"
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
        let files = tokio::task::spawn_blocking(move || {
            let restored = super::files::restore(&src, &m, &blobs)?;
            super::files::give_to_owner(blobs.root())?;
            CliResult::Ok(restored)
        })
        .await
        .map_err(anyhow::Error::from)??;
        out.note(format_args!(
            "restored {files} file(s) into {}",
            dir.display()
        ));
    }
    if replace {
        database::recreate_public_schema(&**client, &owner)
            .await
            .context("cannot empty the database")?;
    }
    let me = database::current_role(&**client)
        .await
        .context("cannot read the current role")?;
    drop(client);
    let role = (owner != me).then_some(owner.as_str());
    load(url, &extracted, role).await?;
    let mut client = db::connect(url).await?;
    // Newer migrations below must create their tables as the owner too.
    if let Some(role) = role {
        database::set_role(&**client, role)
            .await
            .with_context(|| format!("cannot act as role {role}"))?;
    }
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
        "restored {} into {database}, owned by {owner} ({} messages) in {:.1} s{}",
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
            owner,
            counts: manifest.counts,
            migrated,
        })?;
    }
    Ok(())
}

/// Creates the database when it does not exist (owned by `owner`), and
/// returns the role the restored tables will belong to: `owner`, else the
/// database's owner, so that chatd's role can use what a superuser
/// restored.
async fn prepare_database(
    url: &str,
    database: &str,
    owner: Option<&str>,
    out: Output,
) -> CliResult<String> {
    let maintenance = db::maintenance(url).await?;
    let existing = database::owner_of(&maintenance, database)
        .await
        .context("cannot list databases")?;
    let owner = match (owner, existing) {
        (Some(owner), _) => owner.to_owned(),
        (None, Some(existing)) => existing,
        (None, None) => database::current_role(&maintenance)
            .await
            .context("cannot read the current role")?,
    };
    match database::can_act_as(&maintenance, &owner)
        .await
        .context("cannot look up roles")?
    {
        None => return Err(CliError::Usage(format!("there is no role named {owner}"))),
        Some(false) => {
            return Err(CliError::Usage(format!(
                "the role chatctl connects as cannot create tables for {owner}; restore as \
                 {owner} itself or as a superuser (e.g. postgres)"
            )));
        }
        Some(true) => {}
    }
    if database::create_owned(&maintenance, database, Some(owner.as_str()))
        .await
        .with_context(|| format!("cannot create database {database}"))?
    {
        out.note(format_args!(
            "created database {database}, owned by {owner}"
        ));
    }
    Ok(owner)
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
/// transaction; with `role`, everything it creates belongs to that role
/// (`--no-owner` drops the dumped owners, `--role` makes the new one).
pub async fn load(url: &str, extracted: &Extracted, role: Option<&str>) -> CliResult {
    let Extracted { dump, pg_restore } = extracted;
    let name = db::database_name(&db::config(url)?)?;
    let mut command = pgtools::command(pg_restore, url)?;
    command.args([
        "--no-password",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]);
    if let Some(role) = role {
        command.arg(format!("--role={role}"));
    }
    let output = command
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
