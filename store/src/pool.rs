//! Connecting to PostgreSQL: the shared pool and one-off connections.
//!
//! Every connection follows the primary of a replicated cluster: give a
//! multi-host URL (`postgres://chat@db1:5432,db2:5432/chat?target_session_attrs=read-write`)
//! and each new connection tries the hosts in order, skipping any that is
//! down or read-only (a standby). After a failover the pool's old
//! connections are found dead and replaced by connections to the new
//! primary; nothing needs restarting (docs/ha.md).

mod primary;

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{
    ClientWrapper, Connect, Hook, HookError, Manager, ManagerConfig, Metrics, Pool,
    RecyclingMethod, Runtime,
};
use tokio::task::JoinHandle;

use crate::{StoreError, StoreResult};

pub use primary::Connected;

/// How long one host may take to accept a connection and answer its
/// startup. Per host: a multi-host URL tries the next one after this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a pooled connection may take to answer the check made before it
/// is handed out. A healthy server answers an empty query in well under a
/// millisecond; one that vanished (its machine gone, or its processes
/// stopped) never does, and its connection is dropped for a fresh one.
const RECYCLE_TIMEOUT: Duration = Duration::from_secs(1);
/// A pooled connection last handed out longer ago than this is checked
/// with an empty query before it is handed out again. One in steady use
/// is not: checking every checkout put a round trip before every request
/// and every batch of sends (docs/benchmarks.md: up to half a millisecond
/// per request on a small VM). A connection that broke since its last use
/// fails its next statement, which the writer and the handlers already
/// treat as the database being unavailable; one that hangs sits idle past
/// this while its statement times out, so it is checked before its next
/// use.
const VERIFY_AFTER_IDLE: Duration = Duration::from_secs(1);
/// Unacknowledged data older than this kills the connection in the kernel,
/// and an idle connection is probed after `KEEPALIVE_IDLE`, every
/// `KEEPALIVE_INTERVAL`, `KEEPALIVE_RETRIES` times: a host that vanished
/// without closing its connections (power loss, a network partition) shows
/// up as a broken connection in seconds, not after the kernel's 2 hours.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);
const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(2);
const KEEPALIVE_RETRIES: u32 = 3;

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: usize,
    /// How the connections name themselves to PostgreSQL (shown in
    /// `pg_stat_activity` and `chatctl stats`) unless the URL says.
    pub application_name: &'static str,
    /// How long a request waits for a free connection before the store
    /// reports the database unavailable.
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
///
/// The `tokio_postgres::Config` is parsed from the URL here rather than by
/// deadpool's `Config`, which drops `target_session_attrs` (and with it,
/// following the primary).
pub fn create_pool(database_url: &str, options: &PoolOptions) -> StoreResult<Pool> {
    let mut pg = parse_url(database_url)?;
    if pg.get_application_name().is_none() {
        pg.application_name(options.application_name);
    }
    let hosts = u32::try_from(pg.get_hosts().len().max(1)).unwrap_or(u32::MAX);
    // A closed connection is never handed out; an idle one is checked with
    // a query too ([`verify_if_idle`]): a connection to a host that stopped
    // answering is still "open" as far as the client knows.
    let manager = Manager::from_connect(
        pg,
        EachHostInTurn,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .pre_recycle(Hook::async_fn(verify_if_idle))
        .max_size(options.max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.timeout))
        // Every host in turn may take its connect timeout.
        .create_timeout(Some(CONNECT_TIMEOUT * hosts + Duration::from_secs(1)))
        .build()
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// The pool's check before it hands out a connection last used more than
/// [`VERIFY_AFTER_IDLE`] ago: an empty query answered within
/// [`RECYCLE_TIMEOUT`], else the connection is dropped for another.
fn verify_if_idle<'a>(
    client: &'a mut ClientWrapper,
    metrics: &'a Metrics,
) -> Pin<Box<dyn Future<Output = Result<(), HookError>> + Send + 'a>> {
    Box::pin(async move {
        if metrics.last_used() < VERIFY_AFTER_IDLE {
            return Ok(());
        }
        match tokio::time::timeout(RECYCLE_TIMEOUT, client.simple_query("")).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(HookError::Backend(e)),
            Err(_) => Err(HookError::message("no answer to the check in time")),
        }
    })
}

/// Opens a single connection outside the pool (migrations, admin commands),
/// to the primary when the URL says `target_session_attrs=read-write`.
/// The connection task runs until the client is dropped.
pub async fn connect_once(database_url: &str) -> StoreResult<tokio_postgres::Client> {
    let (client, connection) = connect_primary(&parse_url(database_url)?).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "database connection closed");
        }
    });
    Ok(client)
}

/// Connects to the first host of `config` that answers in time and suits
/// its `target_session_attrs` (see [`primary`]); the caller drives the
/// connection.
pub async fn connect_primary(config: &tokio_postgres::Config) -> StoreResult<Connected> {
    primary::connect(config, CONNECT_TIMEOUT)
        .await
        .map_err(|failed| match failed {
            Some(e) => e.into(),
            None => StoreError::Unavailable("no database host answered in time".into()),
        })
}

/// The pool's way to connect: [`primary::connect`], driving the connection
/// on a task of its own.
struct EachHostInTurn;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Connect for EachHostInTurn {
    fn connect(
        &self,
        pg_config: &tokio_postgres::Config,
    ) -> BoxFuture<'_, Result<(tokio_postgres::Client, JoinHandle<()>), tokio_postgres::Error>>
    {
        let pg_config = pg_config.clone();
        Box::pin(async move {
            match primary::connect(&pg_config, CONNECT_TIMEOUT).await {
                Ok((client, connection)) => {
                    let task = tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(error = %e, "database connection closed");
                        }
                    });
                    Ok((client, task))
                }
                Err(Some(e)) => Err(e),
                // Every host timed out and there is no error to return: the
                // pool's create timeout ends the wait with "unavailable".
                Err(None) => std::future::pending().await,
            }
        })
    }
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
    Ok(pg)
}

/// The URL's settings plus the timeouts that notice a dead host, where the
/// URL does not set its own.
fn parse_url(database_url: &str) -> StoreResult<tokio_postgres::Config> {
    let mut pg = tokio_postgres::Config::from_str(database_url)
        .map_err(|e| StoreError::Internal(format!("invalid database URL: {e}")))?;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(CONNECT_TIMEOUT);
    }
    if pg.get_tcp_user_timeout().is_none() {
        pg.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    // tokio-postgres turns keepalives on by default with a 2-hour idle time;
    // a URL that sets its own keepalive parameters keeps them.
    if !database_url.contains("keepalives") {
        pg.keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES);
    }
    Ok(pg)
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
