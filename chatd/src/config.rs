//! chatd's configuration: command-line flags, then environment variables,
//! then an optional TOML file, then defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chat_store::password::HashParams;
use clap::{Parser, ValueEnum};
use serde::Deserialize;

use crate::gateway::GatewayConfig;
use crate::proxy::TrustedProxies;
use crate::ratelimit::{Limit, RateLimits};

/// Who may create accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone may register through the API.
    Open,
    /// Accounts are made by an admin with `chatctl user add`.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/chat";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The chat daemon: REST API and WebSocket gateway over PostgreSQL.
///
/// Every option can also be set in the environment (shown in brackets) or
/// in the TOML file given by --config, using the option's long name with
/// underscores (e.g. `database_url = "..."`). Flags win over the
/// environment, which wins over the file.
#[derive(Debug, Default, Parser)]
#[command(name = "chatd", version)]
pub struct Args {
    /// TOML configuration file.
    #[arg(long, env = "CHATD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// PostgreSQL URL [default: postgres://postgres@127.0.0.1:5432/chat].
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CHATD_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Whether anyone may register [default: open].
    #[arg(long, env = "CHATD_REGISTRATION")]
    pub registration: Option<RegistrationMode>,
    /// Log line format [default: text].
    #[arg(long, env = "CHATD_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Most PostgreSQL connections to hold [default: 16].
    #[arg(long, env = "CHATD_DB_POOL_SIZE", value_name = "N")]
    pub db_pool_size: Option<usize>,
    /// A session ends this many seconds after login [default: 2592000, 30 days].
    #[arg(long, env = "CHATD_SESSION_TTL", value_name = "SECS")]
    pub session_ttl: Option<u64>,
    /// A session ends after this many seconds unused [default: 1209600, 14 days].
    #[arg(long, env = "CHATD_SESSION_IDLE", value_name = "SECS")]
    pub session_idle: Option<u64>,
    /// Seconds chatd may trust a recently checked token without asking
    /// the database; logouts, revocations and disabled accounts still reach
    /// every instance as soon as the database's notice arrives. 0 checks
    /// every request [default: 10].
    #[arg(long, env = "CHATD_SESSION_CACHE", value_name = "SECS")]
    pub session_cache: Option<u64>,
    /// Largest request body in bytes [default: 65536].
    #[arg(long, env = "CHATD_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Longest message in characters [default: 4000].
    #[arg(long, env = "CHATD_MAX_MESSAGE_CHARS", value_name = "CHARS")]
    pub max_message_chars: Option<usize>,
    /// Seconds between WebSocket pings; silent peers go after two [default: 20].
    #[arg(long, env = "CHATD_WS_PING_INTERVAL", value_name = "SECS")]
    pub ws_ping_interval: Option<u64>,
    /// Events a WebSocket may have queued before it is cut off [default: 1024].
    #[arg(long, env = "CHATD_WS_QUEUE", value_name = "N")]
    pub ws_queue: Option<usize>,
    /// Frames per second a WebSocket client may send [default: 20].
    #[arg(long, env = "CHATD_WS_FRAMES_PER_SECOND", value_name = "N")]
    pub ws_frames_per_second: Option<u32>,
    /// Seconds a stopping chatd waits for requests and sockets [default: 10].
    #[arg(long, env = "CHATD_SHUTDOWN_GRACE", value_name = "SECS")]
    pub shutdown_grace: Option<u64>,
    /// Reverse proxies whose X-Forwarded-For names the client: addresses or
    /// CIDR networks, comma-separated (in the file, a list) [default: none].
    #[arg(long, env = "CHATD_TRUSTED_PROXIES", value_name = "LIST")]
    pub trusted_proxies: Option<TrustedProxies>,
    /// Browser origins allowed to open WebSockets besides the server's own
    /// (same host), comma-separated, e.g. https://chat.example.org; `*`
    /// allows any. Clients that send no Origin (not browsers) are always
    /// allowed [default: none].
    #[arg(
        long,
        env = "CHATD_WS_ALLOWED_ORIGINS",
        value_name = "LIST",
        value_delimiter = ','
    )]
    pub ws_allowed_origins: Option<Vec<String>>,
    /// Login attempts per username, as N/PERIOD (burst N, refilled over
    /// PERIOD; s, m or h) or off [default: 10/5m].
    #[arg(long, env = "CHATD_LIMIT_LOGIN_USER", value_name = "RATE")]
    pub limit_login_user: Option<Limit>,
    /// Login attempts per client address [default: 60/1m].
    #[arg(long, env = "CHATD_LIMIT_LOGIN_ADDR", value_name = "RATE")]
    pub limit_login_addr: Option<Limit>,
    /// Registrations per client address [default: 20/1h].
    #[arg(long, env = "CHATD_LIMIT_REGISTER_ADDR", value_name = "RATE")]
    pub limit_register_addr: Option<Limit>,
    /// Messages per user, REST and WebSocket together [default: 30/10s].
    #[arg(long, env = "CHATD_LIMIT_SENDS_USER", value_name = "RATE")]
    pub limit_sends_user: Option<Limit>,
    /// WebSocket connections opened per user [default: 30/1m].
    #[arg(long, env = "CHATD_LIMIT_WS_USER", value_name = "RATE")]
    pub limit_ws_user: Option<Limit>,
    /// WebSocket connections opened per client address [default: 1000/1m].
    #[arg(long, env = "CHATD_LIMIT_WS_ADDR", value_name = "RATE")]
    pub limit_ws_addr: Option<Limit>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do instead of serving.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Ask a running chatd whether it is ready (GET /readyz); exit 0 if so,
    /// 1 if not. For container health checks: needs no curl.
    Healthcheck(crate::healthcheck::HealthcheckArgs),
}

/// The same settings as a file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    registration: Option<RegistrationMode>,
    log_format: Option<LogFormat>,
    db_pool_size: Option<usize>,
    session_ttl: Option<u64>,
    session_idle: Option<u64>,
    session_cache: Option<u64>,
    max_body_bytes: Option<usize>,
    max_message_chars: Option<usize>,
    ws_ping_interval: Option<u64>,
    ws_queue: Option<usize>,
    ws_frames_per_second: Option<u32>,
    shutdown_grace: Option<u64>,
    trusted_proxies: Option<TrustedProxies>,
    ws_allowed_origins: Option<Vec<String>>,
    limit_login_user: Option<Limit>,
    limit_login_addr: Option<Limit>,
    limit_register_addr: Option<Limit>,
    limit_sends_user: Option<Limit>,
    limit_ws_user: Option<Limit>,
    limit_ws_addr: Option<Limit>,
}

/// The resolved configuration chatd runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub registration: RegistrationMode,
    pub log_format: LogFormat,
    pub db_pool_size: usize,
    pub session_ttl: Duration,
    pub session_idle: Duration,
    /// Longest a checked token is trusted without the database (zero: off).
    pub session_cache: Duration,
    pub max_body_bytes: usize,
    pub max_message_chars: usize,
    pub password_hash: HashParams,
    pub gateway: GatewayConfig,
    pub shutdown_grace: Duration,
    pub trusted_proxies: TrustedProxies,
    pub rate_limits: RateLimits,
    /// Origins (scheme://host[:port], lowercase) allowed to open WebSockets
    /// besides same-host ones; `*` for any.
    pub ws_allowed_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self::resolve(Args::default(), FileConfig::default())
    }
}

impl Config {
    /// Resolves flags and environment (already merged by clap) over the
    /// config file, if one is named.
    pub fn load(args: Args) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let config = Self::resolve(args, file);
        anyhow::ensure!(config.db_pool_size > 0, "db_pool_size must be at least 1");
        anyhow::ensure!(
            config.max_body_bytes >= 1024,
            "max_body_bytes must be at least 1024"
        );
        anyhow::ensure!(
            config.max_message_chars > 0,
            "max_message_chars must be at least 1"
        );
        anyhow::ensure!(config.gateway.queue >= 16, "ws_queue must be at least 16");
        anyhow::ensure!(
            !config.gateway.ping_interval.is_zero(),
            "ws_ping_interval must be at least 1"
        );
        Ok(config)
    }

    fn resolve(args: Args, file: FileConfig) -> Self {
        Self {
            database_url: args
                .database_url
                .or(file.database_url)
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default address")),
            registration: args
                .registration
                .or(file.registration)
                .unwrap_or(RegistrationMode::Open),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            db_pool_size: args.db_pool_size.or(file.db_pool_size).unwrap_or(16),
            session_ttl: Duration::from_secs(
                args.session_ttl.or(file.session_ttl).unwrap_or(30 * 86_400),
            ),
            session_idle: Duration::from_secs(
                args.session_idle
                    .or(file.session_idle)
                    .unwrap_or(14 * 86_400),
            ),
            session_cache: Duration::from_secs(
                args.session_cache.or(file.session_cache).unwrap_or(10),
            ),
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(chat_wire::limits::MAX_BODY_BYTES),
            max_message_chars: args
                .max_message_chars
                .or(file.max_message_chars)
                .unwrap_or(chat_wire::limits::MAX_MESSAGE_CHARS),
            password_hash: HashParams::default(),
            gateway: {
                let defaults = GatewayConfig::default();
                GatewayConfig {
                    ping_interval: args
                        .ws_ping_interval
                        .or(file.ws_ping_interval)
                        .map_or(defaults.ping_interval, Duration::from_secs),
                    queue: args.ws_queue.or(file.ws_queue).unwrap_or(defaults.queue),
                    frames_per_second: args
                        .ws_frames_per_second
                        .or(file.ws_frames_per_second)
                        .unwrap_or(defaults.frames_per_second),
                    ..defaults
                }
            },
            shutdown_grace: Duration::from_secs(
                args.shutdown_grace.or(file.shutdown_grace).unwrap_or(10),
            ),
            trusted_proxies: args
                .trusted_proxies
                .or(file.trusted_proxies)
                .unwrap_or_default(),
            ws_allowed_origins: args
                .ws_allowed_origins
                .or(file.ws_allowed_origins)
                .unwrap_or_default()
                .into_iter()
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|o| !o.is_empty())
                .collect(),
            rate_limits: {
                let d = RateLimits::default();
                RateLimits {
                    login_per_user: args
                        .limit_login_user
                        .or(file.limit_login_user)
                        .unwrap_or(d.login_per_user),
                    login_per_addr: args
                        .limit_login_addr
                        .or(file.limit_login_addr)
                        .unwrap_or(d.login_per_addr),
                    register_per_addr: args
                        .limit_register_addr
                        .or(file.limit_register_addr)
                        .unwrap_or(d.register_per_addr),
                    sends_per_user: args
                        .limit_sends_user
                        .or(file.limit_sends_user)
                        .unwrap_or(d.sends_per_user),
                    ws_per_user: args
                        .limit_ws_user
                        .or(file.limit_ws_user)
                        .unwrap_or(d.ws_per_user),
                    ws_per_addr: args
                        .limit_ws_addr
                        .or(file.limit_ws_addr)
                        .unwrap_or(d.ws_per_addr),
                }
            },
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

pub use chat_store::redact_url;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_defaults_fill_the_rest() {
        let args = Args::parse_from(["chatd", "--listen", "127.0.0.1:9000"]);
        let file: FileConfig =
            toml::from_str("listen = \"0.0.0.0:1\"\nregistration = \"closed\"").unwrap();
        let config = Config::resolve(args, file);
        assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(config.registration, RegistrationMode::Closed);
        assert_eq!(config.max_body_bytes, 64 * 1024);
        assert_eq!(config.session_cache, Duration::from_secs(10));

        let file: FileConfig = toml::from_str("session_cache = 0").unwrap();
        assert!(
            Config::resolve(Args::default(), file)
                .session_cache
                .is_zero()
        );
    }

    #[test]
    fn trusted_proxies_come_from_flags_or_the_file() {
        let file: FileConfig = toml::from_str("trusted_proxies = [\"10.0.0.0/8\"]").unwrap();
        let config = Config::resolve(Args::default(), file);
        assert!(config.trusted_proxies.trusts("10.1.1.1".parse().unwrap()));

        let args = Args::parse_from(["chatd", "--trusted-proxies", "127.0.0.1,::1"]);
        let file: FileConfig = toml::from_str("trusted_proxies = [\"10.0.0.0/8\"]").unwrap();
        let config = Config::resolve(args, file);
        assert!(config.trusted_proxies.trusts("::1".parse().unwrap()));
        assert!(!config.trusted_proxies.trusts("10.1.1.1".parse().unwrap()));

        assert!(Config::default().trusted_proxies.is_empty());
        assert!(Args::try_parse_from(["chatd", "--trusted-proxies", "proxy.lan"]).is_err());
    }

    #[test]
    fn rate_limits_and_origins_come_from_the_file_unless_a_flag_says() {
        let file = || -> FileConfig {
            toml::from_str(
                "limit_login_user = \"3/1m\"\nlimit_sends_user = \"off\"\n\
                 limit_ws_addr = \"500/1m\"\n\
                 ws_allowed_origins = [\"https://Chat.Example.org/\", \" \"]",
            )
            .unwrap()
        };
        let config = Config::resolve(Args::default(), file());
        let limits = &config.rate_limits;
        assert_eq!(limits.login_per_user, "3/1m".parse().unwrap());
        assert_eq!(limits.sends_per_user, Limit::OFF);
        assert_eq!(limits.ws_per_addr, "500/1m".parse().unwrap());
        // Keys the file leaves out keep their defaults.
        assert_eq!(
            limits.register_per_addr,
            RateLimits::default().register_per_addr
        );
        assert_eq!(config.ws_allowed_origins, ["https://chat.example.org"]);

        let args = Args::parse_from([
            "chatd",
            "--limit-login-user",
            "off",
            "--ws-allowed-origins",
            "*",
        ]);
        let config = Config::resolve(args, file());
        assert_eq!(config.rate_limits.login_per_user, Limit::OFF);
        assert_eq!(config.rate_limits.sends_per_user, Limit::OFF);
        assert_eq!(config.ws_allowed_origins, ["*"]);

        assert!(toml::from_str::<FileConfig>("limit_ws_user = \"ten a minute\"").is_err());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }
}
