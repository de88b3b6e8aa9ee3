//! Asking the person at the terminal: passwords without echo, and
//! confirmation of destructive steps. Neither ever waits on a script.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use crate::error::{CliError, CliResult};

/// The password, from a no-echo prompt (asked twice) or the first line of
/// standard input.
pub fn password(from_stdin: bool) -> CliResult<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(anyhow::Error::from)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "no terminal to prompt for a password; use --password-stdin".into(),
        ));
    }
    let first = rpassword::prompt_password("Password: ").map_err(anyhow::Error::from)?;
    let second = rpassword::prompt_password("Again: ").map_err(anyhow::Error::from)?;
    if first != second {
        return Err(CliError::Usage("the passwords do not match".into()));
    }
    Ok(first)
}

/// Goes on only if `--yes` was given or the person at the terminal types
/// "yes". Without a terminal and without `--yes` it refuses (exit 2), so a
/// script never destroys anything by accident.
pub fn confirm(yes: bool, action: &str) -> CliResult {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "refusing to {action} without --yes (standard input is not a terminal)"
        )));
    }
    eprint!("About to {action}. Type \"yes\" to go on: ");
    std::io::stderr().flush().map_err(anyhow::Error::from)?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(anyhow::Error::from)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CliError::Usage("cancelled".into()))
    }
}
