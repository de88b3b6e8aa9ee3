//! Connecting to the database named on the command line.

use std::path::Path;

use anyhow::Context as _;

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
    let fail = |e: chat_store::StoreError| {
        CliError::Failed(anyhow::anyhow!("cannot connect to {}: {e}", redact(url)))
    };
    let options = chat_store::PoolOptions {
        max_size: 1,
        ..Default::default()
    };
    let pool = chat_store::create_pool(url, &options).map_err(fail)?;
    pool.get().await.map_err(|e| fail(e.into()))
}

pub use chat_store::redact_url as redact;
