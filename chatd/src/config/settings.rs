//! The one list of chatd's settings.
//!
//! Each entry names a setting once: its field name is the flag
//! (`--db-pool-size`) and the file key (`db_pool_size`), its `#[arg]` holds
//! the environment variable, and the expression after `=` is the default,
//! which both fills in an unset value and is shown by `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::shown::Shown;
use super::{DEFAULT_DATA_DIR, DEFAULT_DATABASE_URL, DEFAULT_LISTEN, LogFormat, RegistrationMode};
use crate::gateway::GatewayConfig;
use crate::proxy::TrustedProxies;
use crate::ratelimit::{Limit, RateLimits};

/// Makes [`Settings`] (every setting optional: what flags, the environment
/// or the file say) and [`Values`] (every setting given or defaulted).
///
/// Types are matched as `Name` or `Name<Param>` tokens rather than `ty`, so
/// that clap still sees `Vec` and takes a list of values.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        #[arg($($arg:tt)+)]
        $name:ident: $ty:ident $(<$param:ident>)? = $default:expr,
    )+) => {
        /// chatd's settings as flags and environment variables (clap) or as
        /// the TOML file (serde); unset ones are `None`.
        #[derive(Debug, Default, clap::Args, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Settings {
            $(
                $(#[doc = $doc])+
                #[arg(
                    long,
                    $($arg)+,
                    help = help_with_default::<$ty $(<$param>)?>(&[$($doc),+], &($default))
                )]
                pub $name: Option<$ty $(<$param>)?>,
            )+
        }

        /// Every setting with a value: the one given, else its default.
        pub(super) struct Values {
            $(pub $name: $ty $(<$param>)?,)+
        }

        impl Settings {
            /// Each setting from `self` if given there, else from `fallback`.
            pub fn or(self, fallback: Self) -> Self {
                Self { $($name: self.$name.or(fallback.$name),)+ }
            }

            /// Each setting given, else its default.
            pub(super) fn values(self) -> Values {
                Values { $($name: self.$name.unwrap_or_else(|| $default),)+ }
            }
        }
    };
}

settings! {
    /// PostgreSQL URL.
    #[arg(env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: String = DEFAULT_DATABASE_URL.to_owned(),
    /// Address to listen on.
    #[arg(env = "CHATD_LISTEN", value_name = "ADDR")]
    listen: SocketAddr = DEFAULT_LISTEN.parse().expect("DEFAULT_LISTEN is an address"),
    /// Whether anyone may register.
    #[arg(env = "CHATD_REGISTRATION")]
    registration: RegistrationMode = RegistrationMode::Open,
    /// Log line format.
    #[arg(env = "CHATD_LOG_FORMAT")]
    log_format: LogFormat = LogFormat::Text,
    /// Most PostgreSQL connections to hold.
    #[arg(env = "CHATD_DB_POOL_SIZE", value_name = "N")]
    db_pool_size: usize = 16,
    /// A session ends this many seconds after login.
    #[arg(env = "CHATD_SESSION_TTL", value_name = "SECS")]
    session_ttl: u64 = 30 * DAY,
    /// A session ends after this many seconds unused.
    #[arg(env = "CHATD_SESSION_IDLE", value_name = "SECS")]
    session_idle: u64 = 14 * DAY,
    /// Seconds chatd may trust a recently checked token without asking
    /// the database; logouts, revocations and disabled accounts still reach
    /// every instance as soon as the database's notice arrives. 0 checks
    /// every request.
    #[arg(env = "CHATD_SESSION_CACHE", value_name = "SECS")]
    session_cache: u64 = 10,
    /// Largest request body in bytes.
    #[arg(env = "CHATD_MAX_BODY_BYTES", value_name = "BYTES")]
    max_body_bytes: usize = chat_wire::limits::MAX_BODY_BYTES,
    /// Longest message in characters.
    #[arg(env = "CHATD_MAX_MESSAGE_CHARS", value_name = "CHARS")]
    max_message_chars: usize = chat_wire::limits::MAX_MESSAGE_CHARS,
    /// Seconds between WebSocket pings; silent peers go after two.
    #[arg(env = "CHATD_WS_PING_INTERVAL", value_name = "SECS")]
    ws_ping_interval: u64 = GatewayConfig::default().ping_interval.as_secs(),
    /// Events a WebSocket may have queued before it is cut off.
    #[arg(env = "CHATD_WS_QUEUE", value_name = "N")]
    ws_queue: usize = GatewayConfig::default().queue,
    /// Frames per second a WebSocket client may send.
    #[arg(env = "CHATD_WS_FRAMES_PER_SECOND", value_name = "N")]
    ws_frames_per_second: u32 = GatewayConfig::default().frames_per_second,
    /// Seconds a stopping chatd waits for requests and sockets.
    #[arg(env = "CHATD_SHUTDOWN_GRACE", value_name = "SECS")]
    shutdown_grace: u64 = 10,
    /// Seconds from accepting a connection (or from the first byte of a
    /// request) until its request head must be complete.
    #[arg(env = "CHATD_HEADER_TIMEOUT", value_name = "SECS")]
    header_timeout: u64 = 10,
    /// Seconds from a request's head until its whole body must have arrived.
    #[arg(env = "CHATD_BODY_TIMEOUT", value_name = "SECS")]
    body_timeout: u64 = 120,
    /// Seconds a kept-alive connection may sit idle between requests.
    #[arg(env = "CHATD_KEEPALIVE_IDLE", value_name = "SECS")]
    keepalive_idle: u64 = 60,
    /// Open connections (WebSockets included) before new ones are shed,
    /// a few more kept for /healthz and /readyz; 0 sets it below the
    /// file-descriptor limit.
    #[arg(env = "CHATD_MAX_CONNECTIONS", value_name = "N")]
    max_connections: usize = 0,
    /// Reverse proxies whose X-Forwarded-For names the client: addresses or
    /// CIDR networks, comma-separated (in the file, a list).
    #[arg(env = "CHATD_TRUSTED_PROXIES", value_name = "LIST")]
    trusted_proxies: TrustedProxies = TrustedProxies::default(),
    /// Browser origins allowed to open WebSockets besides the server's own
    /// (same host), comma-separated, e.g. https://chat.example.org; `*`
    /// allows any. Clients that send no Origin (not browsers) are always
    /// allowed.
    #[arg(env = "CHATD_WS_ALLOWED_ORIGINS", value_name = "LIST", value_delimiter = ',')]
    ws_allowed_origins: Vec<String> = Vec::new(),
    /// Login attempts per username, as N/PERIOD (burst N, refilled over
    /// PERIOD; s, m or h) or off.
    #[arg(env = "CHATD_LIMIT_LOGIN_USER", value_name = "RATE")]
    limit_login_user: Limit = RateLimits::default().login_per_user,
    /// Login attempts per client address.
    #[arg(env = "CHATD_LIMIT_LOGIN_ADDR", value_name = "RATE")]
    limit_login_addr: Limit = RateLimits::default().login_per_addr,
    /// Registrations per client address.
    #[arg(env = "CHATD_LIMIT_REGISTER_ADDR", value_name = "RATE")]
    limit_register_addr: Limit = RateLimits::default().register_per_addr,
    /// Messages per user, REST and WebSocket together.
    #[arg(env = "CHATD_LIMIT_SENDS_USER", value_name = "RATE")]
    limit_sends_user: Limit = RateLimits::default().sends_per_user,
    /// Every other change per user that appends to a room's log (edits,
    /// deletes, reactions, pins, joins, leaves, rooms, moderation), and
    /// uploads, together.
    #[arg(env = "CHATD_LIMIT_WRITES_USER", value_name = "RATE")]
    limit_writes_user: Limit = RateLimits::default().writes_per_user,
    /// WebSocket connections opened per user.
    #[arg(env = "CHATD_LIMIT_WS_USER", value_name = "RATE")]
    limit_ws_user: Limit = RateLimits::default().ws_per_user,
    /// WebSocket connections opened per client address.
    #[arg(env = "CHATD_LIMIT_WS_ADDR", value_name = "RATE")]
    limit_ws_addr: Limit = RateLimits::default().ws_per_addr,
    /// Directory of uploaded files (content-addressed, 0700, owned by the
    /// service user).
    #[arg(env = "CHATD_DATA_DIR", value_name = "DIR")]
    data_dir: PathBuf = PathBuf::from(DEFAULT_DATA_DIR),
    /// Largest upload in bytes (keep the proxy's limit above it).
    #[arg(env = "CHATD_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    max_upload_bytes: u64 = 25 * MIB,
    /// Bytes of uploads each user may keep.
    #[arg(env = "CHATD_UPLOAD_QUOTA_BYTES", value_name = "BYTES")]
    upload_quota_bytes: u64 = 1024 * MIB,
    /// Seconds an upload no message, profile or room uses is kept.
    #[arg(env = "CHATD_FILE_GRACE", value_name = "SECS")]
    file_grace: u64 = DAY,
    /// Seconds between sweeps for unused files (one instance at a time).
    #[arg(env = "CHATD_FILE_SWEEP_INTERVAL", value_name = "SECS")]
    file_sweep_interval: u64 = 3600,
}

const DAY: u64 = 86_400;
const MIB: u64 = 1024 * 1024;

/// A setting's help: its doc comment as one line (without the final
/// period, as clap shows doc comments) and its default.
fn help_with_default<T: Shown>(doc: &[&str], default: &T) -> String {
    let text: Vec<&str> = doc.iter().map(|line| line.trim()).collect();
    let text = text.join(" ");
    format!(
        "{} [default: {}]",
        text.trim_end_matches('.'),
        default.shown()
    )
}
