//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// chat's admin tool: migrations and user accounts.
///
/// Exit codes: 0 success, 1 failure, 2 usage error, 3 not found.
#[derive(Debug, Parser)]
#[command(name = "chatctl", version)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the database is: flag, then environment, then chatd's config file.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// PostgreSQL URL [default: postgres://postgres@127.0.0.1:5432/chat].
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// chatd's TOML config file, read for its database_url.
    #[arg(long, env = "CHATD_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the database schema up to date (safe to run again, and from
    /// several hosts at once).
    Migrate(MigrateArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Create the database first if it does not exist.
    #[arg(long)]
    pub create_database: bool,
    /// Print what was applied as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from a prompt, or from the
    /// first line of standard input with --password-stdin.
    Add {
        username: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Make the account a server administrator.
        #[arg(long)]
        admin: bool,
        /// Display name (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Print the new account as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it cannot log in and its sessions end at once.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
}
