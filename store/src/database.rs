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

/// Creates a database owned by `owner` (the connecting role when None);
/// false when it already exists.
pub async fn create_owned(
    db: &impl GenericClient,
    name: &str,
    owner: Option<&str>,
) -> StoreResult<bool> {
    let owner = owner.map_or(String::new(), |o| format!(" OWNER {}", quote_ident(o)));
    match db
        .execute(
            &format!("CREATE DATABASE {}{owner}", quote_ident(name)),
            &[],
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The role that owns a database, if the database exists.
pub async fn owner_of(db: &impl GenericClient, name: &str) -> StoreResult<Option<String>> {
    Ok(db
        .query_opt(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await?
        .map(|r| r.get(0)))
}

/// The role this connection acts as.
pub async fn current_role(db: &impl GenericClient) -> StoreResult<String> {
    Ok(db.query_one("SELECT current_user::text", &[]).await?.get(0))
}

/// Whether the connected role may act as `role` (SET ROLE, create objects
/// it owns); None when no such role exists.
pub async fn can_act_as(db: &impl GenericClient, role: &str) -> StoreResult<Option<bool>> {
    Ok(db
        .query_opt(
            "SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = $1",
            &[&role],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Makes this session act as `role` from now on: what it creates belongs
/// to that role.
pub async fn set_role(db: &impl GenericClient, role: &str) -> StoreResult<()> {
    db.batch_execute(&format!("SET ROLE {}", quote_ident(role)))
        .await?;
    Ok(())
}

/// Drops everything in the `public` schema (before a restore replaces
/// it): the schema itself when this role may, made anew for `owner` (one
/// made plainly by a superuser would be the superuser's, and the service's
/// role could not even see the tables in it); otherwise (PostgreSQL 14 and
/// older give `public` to the bootstrap superuser) everything this role
/// owns in the database.
pub async fn recreate_public_schema(db: &impl GenericClient, owner: &str) -> StoreResult<()> {
    db.batch_execute(&format!(
        "DO $restore$ BEGIN \
           IF pg_has_role((SELECT nspowner FROM pg_namespace WHERE nspname = 'public'), 'USAGE') \
           THEN \
             DROP SCHEMA public CASCADE; \
             CREATE SCHEMA public AUTHORIZATION {}; \
           ELSE \
             DROP OWNED BY CURRENT_USER; \
           END IF; \
         END $restore$",
        quote_ident(owner)
    ))
    .await?;
    Ok(())
}

/// Whether any table (outside the system schemas) holds a row, besides
/// the migrations' own history: a freshly migrated database holds none.
pub async fn holds_rows(db: &impl GenericClient) -> StoreResult<bool> {
    let tables: Vec<String> = db
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'm') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' \
               AND NOT (n.nspname = 'public' AND c.relname = 'refinery_schema_history')",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for table in tables {
        // The names come quoted from the catalog, never from input.
        let any = db
            .query_opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])
            .await?;
        if any.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What a role needs of chat's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// chatd and chatctl's commands: read and write every table.
    Use,
    /// Migrations: also create tables in `public` and alter the existing
    /// ones, which takes being their owner.
    Migrate,
}

/// Why the connected role cannot use (or migrate) chat's tables in this
/// database, in words an operator can act on; None when it can. Worth
/// asking before the schema version: a role without access to schema
/// `public` sees no tables in it, so the schema would look unmigrated.
pub async fn access_problem(
    db: &impl GenericClient,
    access: Access,
) -> StoreResult<Option<String>> {
    let row = db
        .query_one(
            "SELECT current_user::text, r.rolsuper, current_database()::text, \
                    n.oid IS NOT NULL, pg_get_userbyid(n.nspowner)::text, \
                    coalesce(has_schema_privilege(n.oid, 'USAGE'), false), \
                    coalesce(has_schema_privilege(n.oid, 'CREATE'), false) \
             FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = 'public' \
             WHERE r.rolname = current_user",
            &[],
        )
        .await?;
    let (role, superuser, database): (String, bool, String) = (row.get(0), row.get(1), row.get(2));
    let (schema, schema_owner): (bool, Option<String>) = (row.get(3), row.get(4));
    let (usage, create): (bool, bool) = (row.get(5), row.get(6));
    if superuser {
        return Ok(None);
    }
    let schema_owner = schema_owner.unwrap_or_default();
    if !schema {
        return Ok(Some(format!("database {database} has no schema public")));
    }
    if !usage {
        return Ok(Some(format!(
            "role {role} may not use schema public in database {database} (it belongs to \
             {schema_owner}), so it sees none of chat's tables"
        )));
    }
    if access == Access::Migrate && !create {
        return Ok(Some(format!(
            "role {role} may not create tables in schema public of database {database} (it \
             belongs to {schema_owner})"
        )));
    }
    let denied: Vec<(String, String)> = db
        .query(
            "SELECT c.relname::text, pg_get_userbyid(c.relowner)::text FROM pg_class c \
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') \
               AND CASE WHEN $1 THEN NOT pg_has_role(c.relowner, 'USAGE') \
                   ELSE NOT (has_table_privilege(c.oid, 'SELECT') \
                             AND has_table_privilege(c.oid, 'INSERT') \
                             AND has_table_privilege(c.oid, 'UPDATE') \
                             AND has_table_privilege(c.oid, 'DELETE')) END \
             ORDER BY 1",
            &[&(access == Access::Migrate)],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    if denied.is_empty() {
        return Ok(None);
    }
    let mut owners: Vec<&str> = denied.iter().map(|(_, o)| o.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    let mut names: Vec<&str> = denied.iter().take(3).map(|(t, _)| t.as_str()).collect();
    if denied.len() > names.len() {
        names.push("…");
    }
    let what = match access {
        Access::Use => "may not read and write",
        Access::Migrate => "does not own",
    };
    Ok(Some(format!(
        "role {role} {what} {} of the tables in database {database} ({}); they belong to {}",
        denied.len(),
        names.join(", "),
        owners.join(", ")
    )))
}
