//! Connecting to the database named on the command line, and creating or
//! dropping whole databases through the `postgres` maintenance database.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context as _;
use chat_store::{database, migrate};
use tokio_postgres::NoTls;

use crate::cli::DbArgs;
use crate::error::{CliError, CliResult};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/chat";

/// The database URL: `--database-url`, `DATABASE_URL`, the config file's
/// `database_url`, or the default.
pub fn url(args: &DbArgs) -> CliResult<String> {
    if let Some(url) = &args.database_url {
        return Ok(url.clone());
    }
    if let Some(path) = &args.config
        && let Some(url) = from_config(path)?
    {
        return Ok(url);
    }
    Ok(DEFAULT_DATABASE_URL.to_owned())
}

fn from_config(path: &Path) -> CliResult<Option<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))?;
    Ok(table
        .get("database_url")
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}

/// Connects, with a message that names the (password-free) target. The
/// connection comes from a one-connection pool so the store's functions
/// take it like chatd's pooled ones.
pub async fn connect(url: &str) -> CliResult<chat_store::Client> {
    let missing = config(url)
        .and_then(|c| database_name(&c))
        .map(|name| format!("database \"{name}\" does not exist"))
        .ok();
    let fail = |e: chat_store::StoreError| {
        let text = e.to_string();
        // A missing database is the usual first-run mistake; say the cure.
        let hint = match &missing {
            Some(m) if text.contains(m.as_str()) => {
                " (`chatctl migrate --create-database` creates it; `chatctl restore` too)"
            }
            _ => "",
        };
        CliError::Failed(anyhow::anyhow!(
            "cannot connect to {}: {text}{hint}",
            redact(url)
        ))
    };
    let options = chat_store::PoolOptions {
        max_size: 1,
        application_name: "chatctl",
        ..Default::default()
    };
    let pool = chat_store::create_pool(url, &options).map_err(fail)?;
    pool.get().await.map_err(|e| fail(e.into()))
}

/// Connects and makes sure the schema is exactly what this binary knows,
/// as every command that reads or writes chat's tables needs.
pub async fn connect_current(url: &str) -> CliResult<chat_store::Client> {
    let client = connect(url).await?;
    check_access(&client, database::Access::Use).await?;
    let status = migrate::status(&**client).await?;
    if !status.unknown.is_empty() {
        return Err(CliError::Failed(migrate::ahead_error(&status).into()));
    }
    if !status.pending.is_empty() {
        return Err(
            anyhow::anyhow!("the database schema is behind; run `chatctl migrate` first").into(),
        );
    }
    Ok(client)
}

/// Fails with a permission problem stated as one, before a role that
/// cannot see chat's tables is told that the schema is behind.
pub async fn check_access(client: &chat_store::Client, access: database::Access) -> CliResult {
    let problem = database::access_problem(&***client, access)
        .await
        .context("cannot check access to chat's tables")?;
    match problem {
        None => Ok(()),
        Some(problem) => Err(CliError::Failed(anyhow::anyhow!(
            "permission problem: {problem}; chat's tables must belong to the role chatd and \
             chatctl connect as (`chatctl restore --owner ROLE`; docs/admin.md, \"Restoring\")"
        ))),
    }
}

pub use chat_store::redact_url as redact;

/// The URL's parsed form; a malformed URL is a usage error.
pub fn config(url: &str) -> CliResult<tokio_postgres::Config> {
    tokio_postgres::Config::from_str(url)
        .map_err(|e| CliError::Usage(format!("invalid database URL: {e}")))
}

/// The database a URL names (libpq's default is the user name).
pub fn database_name(config: &tokio_postgres::Config) -> CliResult<String> {
    config
        .get_dbname()
        .or(config.get_user())
        .map(str::to_owned)
        .ok_or_else(|| CliError::Usage("the database URL names no database".into()))
}

/// A connection to the same server's `postgres` database.
pub async fn maintenance(url: &str) -> CliResult<tokio_postgres::Client> {
    let mut config = config(url)?;
    config.dbname("postgres");
    let (client, connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", redact(url)))?;
    tokio::spawn(connection);
    Ok(client)
}

/// Creates the URL's database when it does not exist yet; true if it did.
pub async fn create_database(url: &str) -> CliResult<bool> {
    let name = database_name(&config(url)?)?;
    let client = maintenance(url).await?;
    if database::exists(&client, &name)
        .await
        .context("cannot list databases")?
    {
        return Ok(false);
    }
    Ok(database::create(&client, &name)
        .await
        .with_context(|| format!("cannot create database {name}"))?)
}

/// The URL with another database name.
pub fn with_database(url: &str, name: &str) -> CliResult<String> {
    if !url.contains("://") {
        return Err(CliError::Usage(
            "this command needs the database as a postgres:// URL".into(),
        ));
    }
    // Rebuild from the parsed config's parts would lose unknown options;
    // replacing the path keeps everything else as the admin wrote it.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}
