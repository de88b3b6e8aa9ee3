//! One module per command group; each takes the parsed arguments and an
//! [`Output`] and returns a [`CliResult`].

mod audit;
mod backup;
mod docs;
mod files;
mod import;
mod migrate;
mod report;
mod room;
mod session;
mod stats;
mod user;

use crate::cli::{Cli, Command};
use crate::db;
use crate::error::CliResult;
use crate::output::Output;

pub async fn run(cli: Cli) -> CliResult {
    let out = Output { json: cli.json };
    // Commands that need no database come first, so they work anywhere.
    let command = match cli.command {
        Command::Completions { shell } => return docs::completions(shell),
        Command::Man { dir } => return docs::man(dir.as_deref()),
        other => other,
    };
    let url = db::url(&cli.db)?;
    match command {
        Command::Migrate(cmd) => migrate::run(&url, cmd, out).await,
        Command::User(cmd) => user::run(&url, cmd, out).await,
        Command::Session(cmd) => session::run(&url, cmd, out).await,
        Command::Room(cmd) => room::run(&url, cmd, out).await,
        Command::Report(cmd) => report::run(&url, cmd, out).await,
        Command::Audit(cmd) => audit::run(&url, cmd, out).await,
        Command::Backup(cmd) => backup::run_backup(&url, cmd, out).await,
        Command::Files(cmd) => files::run(&url, cmd, out).await,
        Command::Restore(args) => backup::run_restore(&url, args, out).await,
        Command::Stats => stats::run(&url, out).await,
        Command::Completions { .. } | Command::Man { .. } => unreachable!("handled above"),
    }
}
