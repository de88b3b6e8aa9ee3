//! Statements about a database as a whole, for administration: creating
//! and dropping databases, the server's version, exported snapshots,
//! planner statistics and whether a database is empty.

use tokio_postgres::GenericClient;
use tokio_postgres::error::SqlState;

use crate::StoreResult;

/// Double-quotes an identifier for SQL.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether a database of that name exists on the server.
pub async fn exists(db: &impl GenericClient, name: &str) -> StoreResult<bool> {
    Ok(db
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some())
}

/// Creates a database; false when it already exists (also when another
/// process created it between the caller's check and now).
pub async fn create(db: &impl GenericClient, name: &str) -> StoreResult<bool> {
    match db
        .execute(&format!("CREATE DATABASE {}", quote_ident(name)), &[])
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Drops a database if it exists, ending its connections first.
pub async fn drop_if_exists(db: &impl GenericClient, name: &str) -> StoreResult<()> {
    db.execute(
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)),
        &[],
    )
    .await?;
    Ok(())
}

/// The server's version as it reports it (`15.19 (Debian 15.19-0+deb12u1)`).
pub async fn server_version(db: &impl GenericClient) -> StoreResult<String> {
    Ok(db.query_one("SHOW server_version", &[]).await?.get(0))
}

/// Whether the server runs autovacuum. Without it nothing refreshes the
/// planner's statistics or clears dead rows: plans made while the tables
/// were small stay in use as they grow.
pub async fn autovacuum_enabled(db: &impl GenericClient) -> StoreResult<bool> {
    let on: String = db.query_one("SHOW autovacuum", &[]).await?.get(0);
    Ok(on == "on")
}

/// The server's major version (15 for 15.19).
pub async fn server_major(db: &impl GenericClient) -> StoreResult<u32> {
    let num: String = db.query_one("SHOW server_version_num", &[]).await?.get(0);
    let num: u32 = num.parse().map_err(|_| {
        crate::StoreError::Internal(format!("unexpected server_version_num {num:?}"))
    })?;
    Ok(num / 10000)
}

/// Exports the calling transaction's snapshot, so that another session
/// (pg_dump) can read exactly what it sees.
pub async fn export_snapshot(tx: &impl GenericClient) -> StoreResult<String> {
    Ok(tx
        .query_one("SELECT pg_export_snapshot()", &[])
        .await?
        .get(0))
}

/// Gathers planner statistics for every table (a freshly restored database
/// has none, and some queries are planned badly without them).
pub async fn analyze(db: &impl GenericClient) -> StoreResult<()> {
    db.batch_execute("ANALYZE").await?;
    Ok(())
}

/// Drops everything in the `public` schema (before a restore replaces it).
pub async fn empty_public_schema(db: &impl GenericClient) -> StoreResult<()> {
    db.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        .await?;
    Ok(())
}

/// Whether the database has any table, view or sequence of its own.
pub async fn has_objects(db: &impl GenericClient) -> StoreResult<bool> {
    let n: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'",
            &[],
        )
        .await?
        .get(0);
    Ok(n > 0)
}
