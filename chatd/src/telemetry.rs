//! Logging setup: tracing to stderr, as text or JSON lines.
//!
//! Whatever `RUST_LOG` asks for, a few dependencies are capped below the
//! levels where they print payloads: tungstenite traces every WebSocket
//! message (an `auth` frame carries a token) and tokio-postgres debugs
//! every statement's parameters (password hashes, message text). chatd's
//! own logs never hold a secret; this keeps the libraries from adding one.

use std::io::IsTerminal as _;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default level
/// (`info`). Safe to call more than once; later calls do nothing.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Default to the env filter's own ceiling, not TRACE: the stack's
    // combined ceiling decides which `log` records from dependencies are
    // even built, and a TRACE ceiling made every frame pay for them.
    let ceiling = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let no_payloads = Targets::new()
        .with_default(ceiling)
        .with_target("tungstenite", LevelFilter::DEBUG)
        .with_target("tokio_tungstenite", LevelFilter::DEBUG)
        .with_target("tokio_postgres", LevelFilter::INFO);
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(no_payloads);
    let _ = match format {
        LogFormat::Text => registry.with(layer).try_init(),
        LogFormat::Json => registry.with(layer.json().flatten_event(true)).try_init(),
    };
}
