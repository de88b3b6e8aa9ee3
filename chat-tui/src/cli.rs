//! The command line: where the server is and where the config lives.

use std::path::PathBuf;

use clap::Parser;

/// chat's terminal client.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Base URL of the chat server, e.g. http://127.0.0.1:8080 (beats the
    /// config file's `server`).
    #[arg(long, env = "CHAT_SERVER")]
    pub server: Option<String>,
    /// Config file to read instead of $XDG_CONFIG_HOME/chat-tui/config.toml.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// PEM file of extra certificates to trust for https:// servers (a
    /// private CA, or the server's self-signed certificate); the usual
    /// public roots are built in (beats the config file's `ca_file`).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}
