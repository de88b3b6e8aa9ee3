//! `chatctl migrate`: apply pending schema migrations.

use std::str::FromStr;

use anyhow::Context as _;
use chat_store::migrate;
use tokio_postgres::NoTls;

use crate::cli::MigrateArgs;
use crate::cmd::print_json;
use crate::db;
use crate::error::{CliError, CliResult};

pub async fn run(url: &str, args: &MigrateArgs) -> CliResult {
    if args.create_database {
        create_database(url).await?;
    }
    let mut client = db::connect(url).await?;
    let applied = migrate::run(&mut client).await?;
    let version = migrate::latest_version();
    if args.json {
        print_json(&serde_json::json!({ "applied": applied, "version": version }))?;
    }
    if applied.is_empty() {
        eprintln!("schema is up to date (version {version})");
    } else {
        for m in &applied {
            eprintln!("applied V{}__{}", m.version, m.name);
        }
        eprintln!("schema is now at version {version}");
    }
    Ok(())
}

/// Creates the URL's database through the `postgres` maintenance database
/// when it does not exist yet.
async fn create_database(url: &str) -> CliResult {
    let config = tokio_postgres::Config::from_str(url)
        .map_err(|e| CliError::Usage(format!("invalid database URL: {e}")))?;
    let name = config
        .get_dbname()
        .or(config.get_user())
        .ok_or_else(|| CliError::Usage("the database URL names no database".into()))?
        .to_owned();
    let mut maintenance = config.clone();
    maintenance.dbname("postgres");
    let (client, connection) = maintenance
        .connect(NoTls)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e}", db::redact(url)))?;
    tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .context("cannot list databases")?
        .is_some();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        match client
            .execute(&format!("CREATE DATABASE {quoted}"), &[])
            .await
        {
            Ok(_) => eprintln!("created database {name}"),
            // Another migrator created it between our check and now.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {}
            Err(e) => return Err(anyhow::anyhow!("cannot create database {name}: {e}").into()),
        }
    }
    Ok(())
}
