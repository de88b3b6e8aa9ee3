//! Connecting to PostgreSQL: the shared pool and one-off connections.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: usize,
    /// How the connections name themselves to PostgreSQL (shown in
    /// `pg_stat_activity` and `chatctl stats`) unless the URL says.
    pub application_name: &'static str,
    /// How long a request waits for a connection (or to open one) before the
    /// store reports the database unavailable.
    pub timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 16,
            application_name: "chatd",
            timeout: Duration::from_secs(5),
        }
    }
}

/// Builds the pool. No connection is opened until the first checkout, so
/// this only fails on a malformed URL.
pub fn create_pool(database_url: &str, options: &PoolOptions) -> StoreResult<Pool> {
    let mut pg = parse_url(database_url)?;
    if pg.get_application_name().is_none() {
        pg.application_name(options.application_name);
    }
    pg.connect_timeout(options.timeout);
    // A connection that died with the server (restart, failover) is found
    // out on checkout by the cheap is_closed() check and replaced.
    let manager = Manager::from_config(
        pg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(options.max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.timeout))
        .create_timeout(Some(options.timeout))
        .recycle_timeout(Some(options.timeout))
        .build()
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Opens a single connection outside the pool (migrations, admin commands).
/// The connection task runs until the client is dropped.
pub async fn connect_once(database_url: &str) -> StoreResult<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(database_url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "database connection closed");
        }
    });
    Ok(client)
}

/// The settings of chatd's one long-lived `LISTEN` connection: named after
/// the pool's (`chatd listener` unless the URL names them), so operators and
/// tests can tell it apart in `pg_stat_activity`.
pub fn listener_config(database_url: &str) -> StoreResult<tokio_postgres::Config> {
    let mut pg = parse_url(database_url)?;
    let name = format!(
        "{} listener",
        pg.get_application_name()
            .unwrap_or(PoolOptions::default().application_name)
    );
    pg.application_name(name);
    pg.connect_timeout(PoolOptions::default().timeout);
    Ok(pg)
}

fn parse_url(database_url: &str) -> StoreResult<tokio_postgres::Config> {
    tokio_postgres::Config::from_str(database_url)
        .map_err(|e| StoreError::Internal(format!("invalid database URL: {e}")))
}

/// A database URL with its password masked, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let masked = url.split_once("://").and_then(|(scheme, rest)| {
        let (userinfo, host) = rest.rsplit_once('@')?;
        let (user, _password) = userinfo.split_once(':')?;
        Some(format!("{scheme}://{user}:***@{host}"))
    });
    masked.unwrap_or_else(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact_url("postgres://chat:s3cret@db:5432/chat"),
            "postgres://chat:***@db:5432/chat"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/chat"),
            "postgres://postgres@127.0.0.1/chat"
        );
        assert_eq!(redact_url("host=/run/postgresql"), "host=/run/postgresql");
    }
}
