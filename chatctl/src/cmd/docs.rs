//! `chatctl completions SHELL` and `chatctl man`: shell completion scripts
//! and man pages, generated from the same clap definition as the parser so
//! they never drift from it.

use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::error::CliResult;

pub fn completions(shell: clap_complete::Shell) -> CliResult {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "chatctl", &mut std::io::stdout());
    Ok(())
}

/// chatctl(1) on stdout, or a page per command (chatctl-user-add.1, ...)
/// in `dir`.
pub fn man(dir: Option<&Path>) -> CliResult {
    let command = Cli::command();
    let Some(dir) = dir else {
        clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(command, dir)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    eprintln!("wrote man pages to {}", dir.display());
    Ok(())
}
