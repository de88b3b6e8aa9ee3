//! chatd's configuration: command-line flags, then environment variables,
//! then an optional TOML file, then defaults.
//!
//! Every setting is declared once, in `settings.rs`: its flag, environment
//! variable, file key and default come from that one entry. This module
//! layers the sources and turns the result into the [`Config`] chatd runs
//! with.

mod settings;
mod shown;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chat_store::password::HashParams;
use clap::{Parser, ValueEnum};
use serde::Deserialize;

pub use self::settings::Settings;
use crate::gateway::GatewayConfig;
use crate::proxy::TrustedProxies;
use crate::ratelimit::RateLimits;

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
/// Where systemd's `StateDirectory=chat` and the Docker volume put it.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/chat";

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
    /// Every other setting, from flags and the environment.
    #[command(flatten)]
    pub settings: Settings,
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

/// The resolved configuration chatd runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: std::net::SocketAddr,
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
    /// Time and count limits on client connections.
    pub connections: crate::server::ConnectionLimits,
    pub trusted_proxies: TrustedProxies,
    pub rate_limits: RateLimits,
    /// Origins (scheme://host[:port], lowercase) allowed to open WebSockets
    /// besides same-host ones; `*` for any.
    pub ws_allowed_origins: Vec<String>,
    /// Uploaded files: where, how large, how many, how long unused.
    pub files: FilesConfig,
}

/// Settings of uploaded files.
#[derive(Debug, Clone)]
pub struct FilesConfig {
    pub data_dir: PathBuf,
    pub max_upload_bytes: u64,
    pub quota_bytes: u64,
    /// How long an upload nothing uses is kept.
    pub grace: Duration,
    pub sweep_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self::resolve(Settings::default(), Settings::default())
    }
}

impl Config {
    /// Resolves flags and environment (already merged by clap) over the
    /// config file, if one is named, and checks the result.
    pub fn load(args: Args) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => Settings::default(),
        };
        let config = Self::resolve(args.settings, file);
        anyhow::ensure!(config.db_pool_size > 0, "db_pool_size must be at least 1");
        anyhow::ensure!(
            config.max_body_bytes >= 1024,
            "max_body_bytes must be at least 1024"
        );
        anyhow::ensure!(
            config.max_message_chars > 0,
            "max_message_chars must be at least 1"
        );
        anyhow::ensure!(
            !config.files.sweep_interval.is_zero(),
            "file_sweep_interval must be at least 1"
        );
        for (name, value) in [
            ("header_timeout", config.connections.header_timeout),
            ("body_timeout", config.connections.body_timeout),
            ("keepalive_idle", config.connections.keepalive_idle),
        ] {
            anyhow::ensure!(!value.is_zero(), "{name} must be at least 1");
        }
        anyhow::ensure!(config.gateway.queue >= 16, "ws_queue must be at least 16");
        anyhow::ensure!(
            !config.gateway.ping_interval.is_zero(),
            "ws_ping_interval must be at least 1"
        );
        Ok(config)
    }

    /// Each setting from `flags` (flags and environment), else `file`,
    /// else its default.
    fn resolve(flags: Settings, file: Settings) -> Self {
        let v = flags.or(file).values();
        Self {
            database_url: v.database_url,
            listen: v.listen,
            registration: v.registration,
            log_format: v.log_format,
            db_pool_size: v.db_pool_size,
            session_ttl: Duration::from_secs(v.session_ttl),
            session_idle: Duration::from_secs(v.session_idle),
            session_cache: Duration::from_secs(v.session_cache),
            max_body_bytes: v.max_body_bytes,
            max_message_chars: v.max_message_chars,
            password_hash: HashParams::default(),
            gateway: GatewayConfig {
                ping_interval: Duration::from_secs(v.ws_ping_interval),
                queue: v.ws_queue,
                frames_per_second: v.ws_frames_per_second,
                ..GatewayConfig::default()
            },
            shutdown_grace: Duration::from_secs(v.shutdown_grace),
            connections: crate::server::ConnectionLimits {
                header_timeout: Duration::from_secs(v.header_timeout),
                body_timeout: Duration::from_secs(v.body_timeout),
                keepalive_idle: Duration::from_secs(v.keepalive_idle),
                max_connections: v.max_connections,
            },
            trusted_proxies: v.trusted_proxies,
            rate_limits: RateLimits {
                login_per_user: v.limit_login_user,
                login_per_addr: v.limit_login_addr,
                register_per_addr: v.limit_register_addr,
                sends_per_user: v.limit_sends_user,
                writes_per_user: v.limit_writes_user,
                ws_per_user: v.limit_ws_user,
                ws_per_addr: v.limit_ws_addr,
            },
            // Compared with the browser's Origin header, which has neither
            // a trailing slash nor capitals.
            ws_allowed_origins: v
                .ws_allowed_origins
                .into_iter()
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|o| !o.is_empty())
                .collect(),
            files: FilesConfig {
                data_dir: v.data_dir,
                max_upload_bytes: v.max_upload_bytes,
                quota_bytes: v.upload_quota_bytes,
                grace: Duration::from_secs(v.file_grace),
                sweep_interval: Duration::from_secs(v.file_sweep_interval),
            },
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<Settings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

pub use chat_store::redact_url;

#[cfg(test)]
mod tests;
