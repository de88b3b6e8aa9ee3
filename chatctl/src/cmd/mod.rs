//! One module per subcommand group.

mod migrate;
mod user;

use crate::cli::{Cli, Command};
use crate::error::CliResult;

pub async fn run(cli: Cli) -> CliResult {
    let url = crate::db::url(&cli.db)?;
    match cli.command {
        Command::Migrate(args) => migrate::run(&url, &args).await,
        Command::User(cmd) => user::run(&url, cmd).await,
    }
}

/// Prints one JSON document on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(anyhow::Error::from)?;
    println!("{text}");
    Ok(())
}
