//! `chatctl user ...`: provisioning, inspecting, locking out and deleting
//! accounts.

use chat_store::accounts::{self, AccountFilter, AccountState, MessagePolicy};
use chat_store::password::{HashParams, PasswordHasher};
use chat_store::users::{self, AccountRole, NewUser};
use chat_store::{Committed, StoreError, notify};
use chat_wire::validate::{self, Username};

use super::audit;
use crate::cli::{MessagesArg, OnOff, RoleArg, StateArg, UserCommand};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};
use crate::prompt;

/// The sender name chatctl's hints to chatd carry.
pub const HINT_SENDER: &str = "chatctl";

pub async fn run(url: &str, cmd: UserCommand, out: Output) -> CliResult {
    let mut client = db::connect_current(url).await?;
    match cmd {
        UserCommand::Add {
            username,
            password_stdin,
            admin,
            display_name,
        } => {
            let username = Username::parse(&username).map_err(CliError::Usage)?;
            let display_name = match display_name {
                Some(n) => validate::name("display name", &n).map_err(CliError::Usage)?,
                None => username.to_string(),
            };
            let hash = new_password_hash(password_stdin).await?;
            let new = NewUser {
                username: username.as_str(),
                password_hash: &hash,
                display_name: &display_name,
                role: role(if admin { RoleArg::Admin } else { RoleArg::User }),
            };
            let tx = client.transaction().await.map_err(StoreError::from)?;
            let user = users::create(&tx, &new).await.map_err(|e| match e {
                StoreError::Conflict(_) => CliError::Usage(format!("username {username} is taken")),
                other => other.into(),
            })?;
            let details = serde_json::json!({ "admin": admin });
            audit::record(&tx, "user.add", target(&user.username), details).await?;
            tx.commit().await.map_err(StoreError::from)?;
            out.note(format_args!(
                "created user {} (id {})",
                user.username, user.id
            ));
            out.result(&user)
        }
        UserCommand::List {
            role: role_arg,
            state,
            search,
        } => {
            let filter = AccountFilter {
                role: role_arg.map(role),
                state: state.map(|s| match s {
                    StateArg::Active => AccountState::Active,
                    StateArg::Disabled => AccountState::Disabled,
                    StateArg::Deleted => AccountState::Deleted,
                }),
                search: search.as_deref(),
            };
            let list = accounts::list(&client, filter).await?;
            out.data(&list, |list| {
                let mut table = Table::new(&["ID", "USERNAME", "ROLE", "STATE", "DISPLAY NAME"]);
                for u in list {
                    table.row(vec![
                        u.id.to_string(),
                        u.username.clone(),
                        u.role.as_str().into(),
                        u.state.as_str().into(),
                        u.display_name.clone(),
                    ]);
                }
                table.print()
            })
        }
        UserCommand::Show { username } => {
            let detail = accounts::detail(&client, &username)
                .await
                .map_err(|e| not_found(e, &username))?;
            out.data(&detail, |d| {
                let mut table = Table::new(&["FIELD", "VALUE"]);
                let last_seen = d
                    .last_seen_at
                    .map_or_else(|| "never".to_owned(), crate::output::time);
                for (field, value) in [
                    ("id", d.account.id.to_string()),
                    ("username", d.account.username.clone()),
                    ("display name", d.account.display_name.clone()),
                    ("role", d.account.role.as_str().into()),
                    ("state", d.account.state.as_str().into()),
                    ("created", crate::output::time(d.account.created_at)),
                    ("last seen", last_seen),
                    ("live sessions", d.live_sessions.to_string()),
                    ("rooms", d.rooms.to_string()),
                    ("messages", d.messages.to_string()),
                ] {
                    table.row(vec![field.into(), value]);
                }
                table.print()
            })
        }
        UserCommand::Disable { username } => set_disabled(&mut client, &username, true, out).await,
        UserCommand::Enable { username } => set_disabled(&mut client, &username, false, out).await,
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let hash = new_password_hash(password_stdin).await?;
            let tx = client.transaction().await.map_err(StoreError::from)?;
            let ended = accounts::reset_password(&tx, &username, &hash)
                .await
                .map_err(|e| not_found(e, &username))?;
            let details = serde_json::json!({ "sessions_ended": ended });
            audit::record(&tx, "user.passwd", target(&username), details).await?;
            tx.commit().await.map_err(StoreError::from)?;
            out.note(format_args!(
                "password of {username} changed; {ended} session(s) ended"
            ));
            out.result(serde_json::json!({ "username": username, "sessions_ended": ended }))
        }
        UserCommand::Role {
            username,
            role: role_arg,
        } => {
            let tx = client.transaction().await.map_err(StoreError::from)?;
            let account = accounts::set_role(&tx, &username, role(role_arg))
                .await
                .map_err(|e| not_found(e, &username))?;
            let details = serde_json::json!({ "role": account.role.as_str() });
            audit::record(&tx, "user.role", target(&account.username), details).await?;
            tx.commit().await.map_err(StoreError::from)?;
            out.note(format_args!(
                "{} is now {}",
                account.username,
                account.role.as_str()
            ));
            out.result(&account)
        }
        UserCommand::RatelimitExempt { username, exempt } => {
            let on = exempt == OnOff::On;
            let tx = client.transaction().await.map_err(StoreError::from)?;
            accounts::set_rate_limit_exempt(&tx, &username, on)
                .await
                .map_err(|e| not_found(e, &username))?;
            let details = serde_json::json!({ "exempt": on });
            audit::record(&tx, "user.ratelimit_exempt", target(&username), details).await?;
            tx.commit().await.map_err(StoreError::from)?;
            out.note(format_args!(
                "{username} is {} the per-user rate limits (chatd applies it at the next login or connection)",
                if on { "exempt from" } else { "subject to" }
            ));
            out.result(serde_json::json!({ "username": username, "rate_limit_exempt": on }))
        }
        UserCommand::Delete {
            username,
            messages,
            yes,
        } => {
            let policy = match messages {
                MessagesArg::Keep => MessagePolicy::Keep,
                MessagesArg::Erase => MessagePolicy::Erase,
            };
            // Fail on an unknown name before asking anything.
            accounts::detail(&client, &username)
                .await
                .map_err(|e| not_found(e, &username))?;
            let what = match policy {
                MessagePolicy::Keep => "",
                MessagePolicy::Erase => " and erase all their messages",
            };
            prompt::confirm(yes, &format!("delete user {username}{what}"))?;
            let mut deletion = accounts::delete(&mut client, &username, policy)
                .await
                .map_err(|e| not_found(e, &username))?;
            let events = std::mem::take(&mut deletion.events);
            announce(&client, events).await;
            // The deletion opens its own transaction: recorded right after.
            let details = serde_json::json!({
                "messages": if policy == MessagePolicy::Erase { "erase" } else { "keep" },
            });
            audit::record(&client, "user.delete", target(&username), details).await?;
            out.note(format_args!(
                "deleted {username}: left {} room(s), erased {} message(s)",
                deletion.rooms_left, deletion.messages_erased
            ));
            out.result(&deletion)
        }
        UserCommand::Import {
            file,
            format,
            skip_invalid,
        } => super::import::run(&mut client, &file, format, skip_invalid, out).await,
    }
}

async fn set_disabled(
    client: &mut chat_store::Client,
    username: &str,
    disabled: bool,
    out: Output,
) -> CliResult {
    let tx = client.transaction().await.map_err(StoreError::from)?;
    accounts::set_disabled(&tx, username, disabled)
        .await
        .map_err(|e| not_found(e, username))?;
    let state = if disabled { "disabled" } else { "enabled" };
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit::record(&tx, action, target(username), serde_json::json!({})).await?;
    tx.commit().await.map_err(StoreError::from)?;
    out.note(format_args!("{state} {username}"));
    out.result(serde_json::json!({ "username": username, "disabled": disabled }))
}

/// Asks for (or reads) a password, checks it and hashes it.
async fn new_password_hash(from_stdin: bool) -> CliResult<String> {
    let password = prompt::password(from_stdin)?;
    validate::password(&password).map_err(CliError::Usage)?;
    Ok(PasswordHasher::new(HashParams::default())
        .hash(&password)
        .await?)
}

pub fn role(arg: RoleArg) -> AccountRole {
    match arg {
        RoleArg::User => AccountRole::User,
        RoleArg::Admin => AccountRole::Admin,
    }
}

/// An audit record's target naming an account.
fn target(username: &str) -> String {
    format!("user:{username}")
}

/// `NotFound` from the store, as the exit-3 error naming the user.
pub fn not_found(e: StoreError, username: &str) -> CliError {
    match e {
        StoreError::NotFound => CliError::NotFound(format!("no user named {username}")),
        other => other.into(),
    }
}

/// Tells running chatd instances about events chatctl logged, so their
/// clients see them at once. The events are committed either way; chatd
/// would otherwise pick them up at the room's next event.
pub async fn announce(client: &chat_store::Client, events: Committed) {
    if let Err(e) = notify::announce(client, HINT_SENDER, &events.hints()).await {
        eprintln!("chatctl: warning: cannot notify chatd of the change: {e}");
    }
}
