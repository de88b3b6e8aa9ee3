//! chat-tui: chat's terminal client.
//!
//! The shape is the Elm architecture: [`app`] holds the state and a pure
//! `update` that turns messages (keys, network events, ticks) into effects;
//! [`view`] draws a frame from the state and nothing else; both measure the
//! screen (areas, how many rows a message wraps to) with [`geometry`], a
//! leaf that knows neither. [`net`] does all network I/O in its own tasks
//! and reports back over a channel; [`runtime`] ties them together around
//! the terminal. Keys live in [`keys`], every user-visible string in
//! [`strings`].

pub mod app;
pub mod cli;
pub mod config;
pub mod geometry;
pub mod input;
pub mod keys;
pub mod net;
pub mod runtime;
pub mod session;
pub mod strings;
#[cfg(test)]
mod testutil;
pub mod view;

use std::process::ExitCode;

use clap::Parser;

/// `host:port` means `http://host:port`; a trailing slash is dropped.
pub fn normalize_server(raw: &str) -> String {
    let raw = raw.trim().trim_end_matches('/');
    if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    }
}

/// Parses arguments, loads the configuration and runs the client until the
/// user quits. Errors before the terminal is taken over go to stderr.
pub fn main_entry() -> ExitCode {
    let cli = cli::Cli::parse();
    let paths = config::Paths::from_env(cli.config.clone());
    let config = match config::Config::load(&paths.config_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chat-tui: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(server) = cli.server.clone().or_else(|| config.server.clone()) else {
        eprintln!("chat-tui: {}", strings::NO_SERVER);
        return ExitCode::from(2);
    };
    let server = normalize_server(&server);
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        eprintln!("chat-tui: {}", strings::HTTP_OR_HTTPS);
        return ExitCode::from(2);
    }
    let ca_file = cli.ca_file.as_deref().or(config.ca_file.as_deref());
    let tls = match net::tls::client_config(ca_file) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("chat-tui: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = runtime::init_logging(&paths) {
        eprintln!("chat-tui: cannot open the log file: {e}");
        return ExitCode::FAILURE;
    }
    // The local UTC offset must be read while the process has one thread:
    // the time crate refuses afterwards.
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-tui: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(runtime::run(server, tls, config, paths, offset)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-tui: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_urls_get_a_scheme() {
        assert_eq!(
            super::normalize_server("127.0.0.1:8080/"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            super::normalize_server("https://chat.example"),
            "https://chat.example"
        );
    }
}
