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
        // In a unit's journal the failure is logged as an error
        // (`journalctl -p err`), not lost among the info lines.
        let level = if stderr_is_journal() { "<3>" } else { "" };
        eprintln!("{level}chatctl: {error}");
    }
    ExitCode::from(error.exit_code())
}

/// Whether stderr is systemd's journal stream: JOURNAL_STREAM names its
/// device and inode (systemd.exec(5)), so a line there may start with a
/// syslog priority.
fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::MetadataExt as _;
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    stream.to_str() == Some(&format!("{}:{}", meta.dev(), meta.ino()))
}
