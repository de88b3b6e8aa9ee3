//! `chatctl report ...`: the reports members file on messages, for the
//! server's admins to read and resolve. Resolutions go to the audit log.

use chat_store::audit::AuditActor;
use chat_store::{StoreError, messages, reports};
use chat_wire::moderation::{Report, ReportStatus};
use chat_wire::validate;

use super::user::announce;
use crate::cli::{ReportCommand, ReportStatusArg};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table, line, time};

pub async fn run(url: &str, cmd: ReportCommand, out: Output) -> CliResult {
    let mut client = db::connect_current(url).await?;
    match cmd {
        ReportCommand::List { status, limit } => {
            let status = match status {
                ReportStatusArg::Open => ReportStatus::Open,
                ReportStatusArg::Resolved => ReportStatus::Resolved,
                ReportStatusArg::All => ReportStatus::All,
            };
            let list = reports::list(&client, status, None, i64::from(limit)).await?;
            out.data(&list, |list| {
                let mut table =
                    Table::new(&["ID", "REPORTED", "BY", "ROOM", "AUTHOR", "STATE", "REASON"]);
                for r in list {
                    table.row(vec![
                        r.id.to_string(),
                        time(r.created_at),
                        r.reporter
                            .as_ref()
                            .map_or("-".into(), |u| u.username.clone()),
                        r.message.room_id.to_string(),
                        r.message.author.username.clone(),
                        if r.resolution.is_some() {
                            "resolved"
                        } else {
                            "open"
                        }
                        .into(),
                        r.reason.clone(),
                    ]);
                }
                table.print()
            })
        }
        ReportCommand::Show { id } => {
            let report = reports::get(&client, id)
                .await
                .map_err(|e| not_found(e, id))?;
            out.data(&report, show)
        }
        ReportCommand::Resolve {
            id,
            note,
            delete_message,
        } => {
            let note = validate::text("note", &note).map_err(CliError::Usage)?;
            let report = reports::get(&client, id)
                .await
                .map_err(|e| not_found(e, id))?;
            if report.resolution.is_some() {
                return Err(already_resolved(id));
            }
            if delete_message && !report.message.deleted {
                // The shell has no account: 0 names no author, and the
                // moderator's right lets it delete anyone's message.
                let deleted = messages::delete(
                    &mut client,
                    report.message.room_id,
                    report.message.id,
                    0,
                    true,
                )
                .await?;
                announce(&client, deleted).await;
            }
            let resolved =
                reports::resolve(&mut client, id, AuditActor::Shell, &note, delete_message)
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict(_) => already_resolved(id),
                        other => not_found(other, id),
                    })?;
            out.note(format_args!("resolved report {id}"));
            out.result(&resolved)
        }
    }
}

/// One report for people: what was reported, by whom, why, and the
/// message as it is now with its earlier texts.
fn show(r: &Report) -> CliResult {
    let m = &r.message;
    let reporter = r.reporter.as_ref().map_or("-", |u| u.username.as_str());
    line(&format!(
        "report {} by {reporter} at {}",
        r.id,
        time(r.created_at)
    ))?;
    line(&format!("reason: {}", r.reason))?;
    line(&format!(
        "message {} in room {} ({:?}) by {} at {}",
        m.id,
        m.room_id,
        m.room_name,
        m.author.username,
        time(m.created_at)
    ))?;
    if m.deleted {
        line("text: (deleted)")?;
    } else {
        line(&format!("text: {}", m.body))?;
    }
    for (n, text) in m.earlier_texts.iter().enumerate() {
        line(&format!("before edit {}: {text}", n + 1))?;
    }
    match &r.resolution {
        None => line("state: open"),
        Some(res) => line(&format!(
            "state: resolved by {} at {}: {}",
            res.by,
            time(res.at),
            res.note
        )),
    }
}

fn not_found(e: StoreError, id: i64) -> CliError {
    match e {
        StoreError::NotFound => CliError::NotFound(format!("no report {id}")),
        other => other.into(),
    }
}

fn already_resolved(id: i64) -> CliError {
    CliError::Usage(format!("report {id} is already resolved"))
}
