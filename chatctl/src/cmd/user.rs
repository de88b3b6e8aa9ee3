//! `chatctl user ...`: account provisioning.

use std::io::{BufRead as _, IsTerminal as _};

use chat_store::password::{HashParams, PasswordHasher};
use chat_store::users::{self, AccountRole, NewUser};
use chat_store::{StoreError, migrate};
use chat_wire::validate::{self, Username};

use crate::cli::UserCommand;
use crate::cmd::print_json;
use crate::db;
use crate::error::{CliError, CliResult};

pub async fn run(url: &str, cmd: UserCommand) -> CliResult {
    let client = db::connect(url).await?;
    let status = migrate::status(&**client).await?;
    if !status.pending.is_empty() {
        return Err(
            anyhow::anyhow!("the database schema is behind; run `chatctl migrate` first").into(),
        );
    }
    match cmd {
        UserCommand::Add {
            username,
            password_stdin,
            admin,
            display_name,
            json,
        } => {
            let username = Username::parse(&username).map_err(CliError::Usage)?;
            let display_name = match display_name {
                Some(n) => validate::name("display name", &n).map_err(CliError::Usage)?,
                None => username.to_string(),
            };
            let password = read_password(password_stdin)?;
            validate::password(&password).map_err(CliError::Usage)?;
            let hash = PasswordHasher::new(HashParams::default())
                .hash(&password)
                .await?;
            let new = NewUser {
                username: username.as_str(),
                password_hash: &hash,
                display_name: &display_name,
                role: if admin {
                    AccountRole::Admin
                } else {
                    AccountRole::User
                },
            };
            let user = users::create(&client, &new).await.map_err(|e| match e {
                StoreError::Conflict(_) => {
                    CliError::Failed(anyhow::anyhow!("username {username} is taken"))
                }
                other => other.into(),
            })?;
            if json {
                print_json(&user)?;
            }
            eprintln!("created user {} (id {})", user.username, user.id);
            Ok(())
        }
        UserCommand::List { json } => {
            let list = users::list(&client).await?;
            if json {
                return print_json(&list);
            }
            println!(
                "{:>6}  {:<32}  {:<6}  {:<8}  DISPLAY NAME",
                "ID", "USERNAME", "ROLE", "STATE"
            );
            for u in list {
                let role = if u.role == AccountRole::Admin {
                    "admin"
                } else {
                    "user"
                };
                let state = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:>6}  {:<32}  {:<6}  {:<8}  {}",
                    u.id, u.username, role, state, u.display_name
                );
            }
            Ok(())
        }
        UserCommand::Disable { username } => set_disabled(&client, &username, true).await,
        UserCommand::Enable { username } => set_disabled(&client, &username, false).await,
    }
}

async fn set_disabled(client: &chat_store::Client, username: &str, disabled: bool) -> CliResult {
    let not_found = || CliError::NotFound(format!("no user named {username}"));
    let name = Username::parse(username).map_err(|_| not_found())?;
    users::set_disabled(client, name.as_str(), disabled)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => not_found(),
            other => other.into(),
        })?;
    eprintln!("{} {name}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

/// The password, from a no-echo prompt or the first line of stdin.
fn read_password(from_stdin: bool) -> CliResult<String> {
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
