//! chatctl: chat's admin command line.
//!
//! Exit codes: 0 success, 1 failure, 2 usage error or refusal, 3 not
//! found, 4 migrations pending (`migrate status`). Data goes to stdout (one
//! JSON document with `--json`), messages to stderr.

mod cli;
mod cmd;
mod db;
mod error;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::Parser;

use crate::error::CliError;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return report(&CliError::Failed(e.into())),
    };
    match runtime.block_on(cmd::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn report(error: &CliError) -> ExitCode {
    if !matches!(error, CliError::BrokenPipe) {
        eprintln!("chatctl: {error}");
    }
    ExitCode::from(error.exit_code())
}
