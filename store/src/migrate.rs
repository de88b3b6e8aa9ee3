//! The schema migrations in `migrations/`, embedded in the binary.
//!
//! `run` is safe to call from several processes at once: it holds a
//! PostgreSQL advisory lock while refinery applies what is missing.
//! `status` compares the database with what this binary knows, so chatd can
//! refuse a schema that is behind (or ahead of) it.

use crate::{StoreError, StoreResult};

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// Arbitrary but fixed key of the advisory lock that serialises migrators.
const MIGRATE_LOCK_KEY: i64 = 0x6368_6174_6d69_6772; // "chatmigr"
const HISTORY_TABLE: &str = "refinery_schema_history";

/// One migration, by version and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationInfo {
    pub version: i32,
    pub name: String,
}

/// How the database's schema compares with this binary's migrations.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SchemaStatus {
    pub applied: Vec<MigrationInfo>,
    /// Known to this binary, not yet applied.
    pub pending: Vec<MigrationInfo>,
    /// Applied to the database but unknown to this binary: it is older
    /// than the schema.
    pub unknown: Vec<MigrationInfo>,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

fn known() -> Vec<MigrationInfo> {
    let mut list: Vec<_> = embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| MigrationInfo {
            version: m.version() as i32,
            name: m.name().to_owned(),
        })
        .collect();
    list.sort_by_key(|m| m.version);
    list
}

/// The newest schema version this binary knows.
pub fn latest_version() -> i32 {
    known().last().map_or(0, |m| m.version)
}

/// Applies every pending migration; returns the ones it applied.
pub async fn run(client: &mut tokio_postgres::Client) -> StoreResult<Vec<MigrationInfo>> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK_KEY])
        .await?;
    let result = apply(client).await;
    // Release even after a failure; if the connection broke, the server
    // releases session locks by itself.
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK_KEY])
        .await;
    let applied = result?;
    unlock?;
    Ok(applied)
}

async fn apply(client: &mut tokio_postgres::Client) -> StoreResult<Vec<MigrationInfo>> {
    let status = status(client).await?;
    if !status.unknown.is_empty() {
        return Err(ahead_error(&status));
    }
    let report = embedded::migrations::runner()
        .run_async(client)
        .await
        .map_err(|e| StoreError::Internal(format!("migration failed: {e}")))?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| MigrationInfo {
            version: m.version() as i32,
            name: m.name().to_owned(),
        })
        .collect())
}

/// Reads what has been applied and compares it with this binary.
pub async fn status(client: &impl tokio_postgres::GenericClient) -> StoreResult<SchemaStatus> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&HISTORY_TABLE])
        .await?
        .get(0);
    let applied: Vec<MigrationInfo> = if exists {
        client
            .query(
                &format!("SELECT version, name FROM {HISTORY_TABLE} ORDER BY version"),
                &[],
            )
            .await?
            .iter()
            .map(|row| MigrationInfo {
                version: row.get(0),
                name: row.get(1),
            })
            .collect()
    } else {
        Vec::new()
    };
    let known = known();
    let pending = known
        .iter()
        .filter(|k| !applied.iter().any(|a| a.version == k.version))
        .cloned()
        .collect();
    let unknown = applied
        .iter()
        .filter(|a| !known.iter().any(|k| k.version == a.version))
        .cloned()
        .collect();
    Ok(SchemaStatus {
        applied,
        pending,
        unknown,
    })
}

/// The error for a database whose schema is newer than this binary.
pub fn ahead_error(status: &SchemaStatus) -> StoreError {
    let newest = status.unknown.iter().map(|m| m.version).max().unwrap_or(0);
    StoreError::Internal(format!(
        "the database schema (version {newest}) is newer than this binary knows (version {}); upgrade chat",
        latest_version()
    ))
}
