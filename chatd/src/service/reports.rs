//! Reports: members report a message to the server's admins, who list and
//! resolve them (here, or with `chatctl report`).

use chat_store::audit::AuditActor;
use chat_store::{Refusal, StoreError, messages, reports as store};
use chat_wire::moderation::{Report, ReportStatus};
use chat_wire::validate;

use super::Call;
use crate::error::ApiError;

/// Reports listed when the caller names no limit, and the most they may.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;

/// Files a report on a message the caller can see (a member of its room).
/// A message in a private room the caller is not in answers exactly like
/// one that does not exist.
pub async fn create(call: Call, message_id: i64, reason: &str) -> Result<i64, ApiError> {
    let reason = validate::text("reason", reason).map_err(ApiError::invalid)?;
    if reason.is_empty() {
        return Err(ApiError::invalid("reason must not be empty"));
    }
    let no_such_message = || ApiError::not_found("no such message");
    store::create(&call.db, call.me.user_id, message_id, &reason)
        .await
        .map_err(|e| match e {
            StoreError::Refused(
                Refusal::NoSuchMessage | Refusal::NotMember { joinable: false },
            ) => no_such_message(),
            StoreError::Refused(Refusal::MessageDeleted) => {
                ApiError::conflict("the message was deleted")
            }
            StoreError::Conflict(key) if key == store::ONE_PER_REPORTER_KEY => {
                ApiError::conflict("you already reported this message")
            }
            other => other.into(),
        })
}

/// Reports for the server's admins, newest first.
pub async fn list(
    call: Call,
    status: ReportStatus,
    before: Option<i64>,
    limit: Option<i64>,
) -> Result<Vec<Report>, ApiError> {
    admin_only(&call)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be 1-{MAX_LIMIT}")));
    }
    Ok(store::list(&call.db, status, before, limit).await?)
}

/// Resolves an open report (server admins), deleting the reported message
/// first when asked. Both are in the audit log.
pub async fn resolve(
    mut call: Call,
    id: i64,
    note: Option<&str>,
    delete_message: bool,
) -> Result<Report, ApiError> {
    admin_only(&call)?;
    if delete_message {
        call.spend_write()?;
    }
    let note = validate::text("note", note.unwrap_or_default()).map_err(ApiError::invalid)?;
    let report = store::get(&call.db, id).await.map_err(no_such_report)?;
    if report.resolution.is_some() {
        return Err(already_resolved());
    }
    if delete_message && !report.message.deleted {
        let (room_id, message_id) = (report.message.room_id, report.message.id);
        let deleted =
            messages::delete(&mut call.db, room_id, message_id, call.me.user_id, true).await?;
        call.state.gateway.publish(deleted);
    }
    let actor = AuditActor::User(call.me.user_id);
    store::resolve(&mut call.db, id, actor, &note, delete_message)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => already_resolved(),
            other => no_such_report(other),
        })
}

/// Reports are for the server's admins (account role `admin`).
fn admin_only(call: &Call) -> Result<(), ApiError> {
    if call.me.is_admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("only server admins handle reports"))
    }
}

fn no_such_report(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::not_found("no such report"),
        other => other.into(),
    }
}

fn already_resolved() -> ApiError {
    ApiError::conflict("the report is already resolved")
}
