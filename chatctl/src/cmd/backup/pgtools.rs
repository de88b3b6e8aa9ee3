//! Finding and running PostgreSQL's own `pg_dump` and `pg_restore`.
//!
//! They must be at least the server's major version (an older pg_dump
//! refuses a newer server, and an older pg_restore may not read a newer
//! dump). We look in `--pg-bindir`, then `PATH`, then Debian's
//! `/usr/lib/postgresql/N/bin`, and say exactly what is wrong if none fits.
//! The connection goes through libpq's environment variables so a password
//! never shows in the process list.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use tokio::process::Command;

use crate::db;
use crate::error::{CliError, CliResult};

/// A located tool and its major version.
#[derive(Debug, Clone)]
pub struct Tool {
    pub path: PathBuf,
    pub version: String,
    pub major: u32,
}

/// Finds `name` (pg_dump or pg_restore) of at least `server_major`.
pub async fn find(name: &str, bindir: Option<&Path>, server_major: u32) -> CliResult<Tool> {
    let candidates: Vec<PathBuf> = match bindir {
        Some(dir) => vec![dir.join(name)],
        None => {
            let mut list: Vec<PathBuf> = std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect())
                .unwrap_or_default();
            let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .map(|dir| {
                    dir.filter_map(Result::ok)
                        .map(|e| e.path().join("bin").join(name))
                        .collect()
                })
                .unwrap_or_default();
            debian.sort();
            debian.reverse(); // newest first
            list.extend(debian);
            list
        }
    };
    let mut too_old: Option<Tool> = None;
    for path in candidates.into_iter().filter(|p| p.is_file()) {
        let Ok(tool) = probe(&path).await else {
            continue;
        };
        if tool.major >= server_major {
            return Ok(tool);
        }
        too_old.get_or_insert(tool);
    }
    let hint = format!(
        "install PostgreSQL {server_major}'s client tools (Debian: apt-get install \
         postgresql-client-{server_major}) or pass --pg-bindir"
    );
    Err(match too_old {
        Some(old) => CliError::Failed(anyhow::anyhow!(
            "{name} {} ({}) is older than the server (PostgreSQL {server_major}); {hint}",
            old.version,
            old.path.display()
        )),
        None => CliError::Failed(anyhow::anyhow!("{name} not found; {hint}")),
    })
}

/// Runs `tool --version` ("pg_dump (PostgreSQL) 15.19 (Debian ...)").
async fn probe(path: &Path) -> anyhow::Result<Tool> {
    let out = Command::new(path).arg("--version").output().await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .nth(2)
        .context("unexpected --version output")?
        .to_owned();
    let major = version
        .split(['.', 'b', 'r'])
        .next()
        .and_then(|m| m.parse().ok())
        .context("unexpected version number")?;
    Ok(Tool {
        path: path.to_owned(),
        version,
        major,
    })
}

/// A command for `tool` that connects to the URL's database through libpq
/// environment variables (none inherited from the caller's environment).
pub fn command(tool: &Tool, url: &str) -> CliResult<Command> {
    let config = db::config(url)?;
    let mut cmd = Command::new(&tool.path);
    for var in [
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGDATABASE",
        "PGSERVICE",
        "PGOPTIONS",
    ] {
        cmd.env_remove(var);
    }
    if let Some(host) = config.get_hosts().first() {
        let host = match host {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        };
        cmd.env("PGHOST", host);
    }
    if let Some(port) = config.get_ports().first() {
        cmd.env("PGPORT", port.to_string());
    }
    if let Some(user) = config.get_user() {
        cmd.env("PGUSER", user);
    }
    if let Some(password) = config.get_password() {
        cmd.env("PGPASSWORD", String::from_utf8_lossy(password).into_owned());
    }
    cmd.env("PGDATABASE", db::database_name(&config)?);
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    Ok(cmd)
}
