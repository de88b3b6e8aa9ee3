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
///
/// Both of PostgreSQL's forms are understood: a URL (`postgres://user:pw@host/db`,
/// also `?password=pw` among its parameters) and libpq's `key=value` list
/// (`host=db password='a b'`). Anything that might be a password is masked
/// rather than risk showing one.
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        // A scheme is letters, digits, `+`, `-` and `.`: an `=` or a space
        // before the `://` means a key=value list whose value holds one.
        Some((scheme, rest))
            if scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            redact_url_form(scheme, rest)
        }
        _ => redact_key_values(url),
    }
}

/// `scheme://[user[:password]@]host.../db[?key=value&...]`.
fn redact_url_form(scheme: &str, rest: &str) -> String {
    // The parameters first: a password there may contain an `@`.
    let rest = match rest.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => param.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => rest.to_owned(),
    };
    // The last `@`, not the first: a password with a stray `@` in it is
    // then masked whole (at worst, so is some of the host).
    if let Some((userinfo, host)) = rest.rsplit_once('@')
        && let Some((user, _password)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    format!("{scheme}://{rest}")
}

/// libpq's `key = value ...`, values bare or in single quotes with
/// backslash escapes. Past anything that does not parse, the rest is
/// masked: it cannot be told apart from a password.
fn redact_key_values(conninfo: &str) -> String {
    let mut out = String::with_capacity(conninfo.len());
    let mut rest = conninfo;
    loop {
        let token = rest.trim_start();
        out.push_str(&rest[..rest.len() - token.len()]);
        if token.is_empty() {
            return out;
        }
        let key_len = token
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(token.len());
        let key = &token[..key_len];
        let Some(after_eq) = token[key_len..].trim_start().strip_prefix('=') else {
            out.push_str("***");
            return out;
        };
        let value = after_eq.trim_start();
        // The key and the `=` as written, spaces included.
        out.push_str(&token[..token.len() - value.len()]);
        let value_len = value_len(value);
        out.push_str(if key == "password" {
            "***"
        } else {
            &value[..value_len]
        });
        rest = &value[value_len..];
    }
}

/// The length of the value `text` starts with: a quoted string up to its
/// closing quote, or a bare word up to white space.
fn value_len(text: &str) -> usize {
    let quoted = text.starts_with('\'');
    let mut chars = text.char_indices().skip(usize::from(quoted));
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if quoted => return at + 1,
            c if !quoted && c.is_whitespace() => return at,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_password_in_the_user_part_is_masked() {
        assert_eq!(
            redact_url("postgres://chat:s3cret@db:5432/chat"),
            "postgres://chat:***@db:5432/chat"
        );
        // A stray `@` or `/` in the password is masked with it.
        assert_eq!(
            redact_url("postgresql://chat:s3/c@ret@db/chat"),
            "postgresql://chat:***@db/chat"
        );
    }

    #[test]
    fn a_password_parameter_is_masked() {
        assert_eq!(
            redact_url("postgres://chat@db/chat?password=s3cret&sslmode=disable"),
            "postgres://chat@db/chat?password=***&sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres:///chat?host=/run/postgresql&password=a@b"),
            "postgres:///chat?host=/run/postgresql&password=***"
        );
        assert_eq!(
            redact_url("postgres://chat:one@db/chat?password=two"),
            "postgres://chat:***@db/chat?password=***"
        );
    }

    #[test]
    fn a_key_value_password_is_masked() {
        assert_eq!(
            redact_url("host=db user=chat password=s3cret dbname=chat"),
            "host=db user=chat password=*** dbname=chat"
        );
        assert_eq!(
            redact_url("host=db password='a b' dbname=chat"),
            "host=db password=*** dbname=chat"
        );
        assert_eq!(
            redact_url(r"password = 'it\'s \\ secret'  port=5432"),
            "password = ***  port=5432"
        );
        assert_eq!(
            redact_url("host=db password=s3cret"),
            "host=db password=***"
        );
        // An `=` in a value does not make it a URL.
        assert_eq!(
            redact_url("options='-c x=y://z' password=s3cret"),
            "options='-c x=y://z' password=***"
        );
        // Past what does not parse, nothing is shown.
        assert_eq!(redact_url("host=db password s3cret"), "host=db ***");
        assert_eq!(redact_url("password='unterminated"), "password=***");
    }

    #[test]
    fn urls_without_a_password_are_unchanged() {
        for url in [
            "postgres://postgres@127.0.0.1/chat",
            "postgres://127.0.0.1:5432/chat?sslmode=disable&application_name=chatd",
            "postgres:///chat?host=/run/postgresql&user=chatd",
            "host=/run/postgresql",
            "host=db user=chat dbname='my chat'",
            "",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
