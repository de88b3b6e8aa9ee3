//! `chatctl migrate [up|status]`: apply pending schema migrations, or show
//! where the database stands.

use chat_store::database;
use chat_store::migrate::{self, MigrationInfo};
use serde::Serialize;

use crate::cli::{MigrateAction, MigrateCmd};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};

pub async fn run(url: &str, cmd: MigrateCmd, out: Output) -> CliResult {
    match cmd.action {
        None => up(url, cmd.create_database, out).await,
        Some(MigrateAction::Up { create_database }) => up(url, create_database, out).await,
        Some(MigrateAction::Status) => status(url, out).await,
    }
}

async fn up(url: &str, create_database: bool, out: Output) -> CliResult {
    if create_database && db::create_database(url).await? {
        out.note(format_args!(
            "created database {}",
            db::database_name(&db::config(url)?)?
        ));
    }
    let mut client = db::connect(url).await?;
    db::check_access(&client, database::Access::Use).await?;
    if !migrate::status(&**client).await?.pending.is_empty() {
        db::check_access(&client, database::Access::Migrate).await?;
    }
    let applied = migrate::run(&mut client).await?;
    let version = migrate::latest_version();
    for m in &applied {
        out.note(format_args!("applied V{}__{}", m.version, m.name));
    }
    if applied.is_empty() {
        out.note(format_args!("schema is up to date (version {version})"));
    } else {
        out.note(format_args!("schema is now at version {version}"));
    }
    if out.json {
        crate::output::print_json(&serde_json::json!({ "applied": applied, "version": version }))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Status {
    /// The newest version this chatctl knows.
    latest: i32,
    applied: Vec<MigrationInfo>,
    pending: Vec<MigrationInfo>,
    /// Applied but unknown to this chatctl: the schema is newer than it.
    unknown: Vec<MigrationInfo>,
}

async fn status(url: &str, out: Output) -> CliResult {
    let client = db::connect(url).await?;
    let s = migrate::status(&**client).await?;
    let status = Status {
        latest: migrate::latest_version(),
        applied: s.applied,
        pending: s.pending,
        unknown: s.unknown,
    };
    out.data(&status, |s| {
        let mut table = Table::new(&["VERSION", "NAME", "STATE"]);
        let rows = [
            (&s.applied, "applied"),
            (&s.pending, "pending"),
            (&s.unknown, "unknown (newer than this chatctl)"),
        ];
        for (list, state) in rows {
            for m in list {
                table.row(vec![m.version.to_string(), m.name.clone(), state.into()]);
            }
        }
        table.print()
    })?;
    if !status.unknown.is_empty() {
        return Err(CliError::Failed(anyhow::anyhow!(
            "the database schema is newer than this chatctl; upgrade chatctl"
        )));
    }
    if !status.pending.is_empty() {
        return Err(CliError::Pending(format!(
            "{} migration(s) pending; run `chatctl migrate`",
            status.pending.len()
        )));
    }
    out.note(format_args!(
        "schema is up to date (version {})",
        status.latest
    ));
    Ok(())
}
