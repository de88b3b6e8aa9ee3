//! `chatctl session ...`: see and end a user's login sessions (ending
//! them is recorded in the audit log).

use chat_store::{StoreError, sessions};

use crate::cli::SessionCommand;
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};

pub async fn run(url: &str, cmd: SessionCommand, out: Output) -> CliResult {
    let mut client = db::connect_current(url).await?;
    match cmd {
        SessionCommand::List { username, all } => {
            let list = sessions::list_for_user(&client, &username, all)
                .await
                .map_err(|e| super::user::not_found(e, &username))?;
            out.data(&list, |list| {
                let mut table = Table::new(&["ID", "CREATED", "LAST SEEN", "EXPIRES", "STATE"]);
                for s in list {
                    let state = match (s.live, s.revoked_at) {
                        (true, _) => "live",
                        (false, Some(_)) => "revoked",
                        (false, None) => "expired",
                    };
                    table.row(vec![
                        s.id.to_string(),
                        crate::output::time(s.created_at),
                        crate::output::time(s.last_seen_at),
                        crate::output::time(s.expires_at),
                        state.into(),
                    ]);
                }
                table.print()
            })
        }
        SessionCommand::Revoke { username, id, all } => {
            // clap makes exactly one of --id and --all present.
            let target = if all { None } else { id };
            let tx = client.transaction().await.map_err(StoreError::from)?;
            let ended = sessions::revoke_for_user(&tx, &username, target)
                .await
                .map_err(|e| match (e, target) {
                    (StoreError::NotFound, Some(id)) => {
                        CliError::NotFound(format!("{username} has no session {id}"))
                    }
                    (e, _) => super::user::not_found(e, &username),
                })?;
            let details = serde_json::json!({ "session_id": target, "sessions_ended": ended });
            let who = format!("user:{username}");
            super::audit::record(&tx, "session.revoke", who, details).await?;
            tx.commit().await.map_err(StoreError::from)?;
            out.note(format_args!("ended {ended} session(s) of {username}"));
            out.result(serde_json::json!({ "username": username, "sessions_ended": ended }))
        }
    }
}
