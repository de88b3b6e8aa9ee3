//! Finding people (the user directory), managing one's own sessions, and
//! one's avatar.

use chat_store::notify::SessionChange;
use chat_store::{StoreError, files, sessions, users};
use chat_wire::api::Session;
use chat_wire::files::FileId;
use chat_wire::{ErrorCode, User, validate};

use super::Call;
use crate::error::ApiError;

/// Directory results when the caller names no limit, and the most they may.
const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

/// Active accounts whose username or display name starts with `q`,
/// ignoring case.
pub async fn directory(call: Call, q: &str, limit: Option<i64>) -> Result<Vec<User>, ApiError> {
    // A name's rules fit a prefix of one: trimmed, 1-64 characters, no
    // control characters.
    let prefix = validate::name("q", q).map_err(ApiError::invalid)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!("limit must be 1-{MAX_LIMIT}")));
    }
    Ok(users::directory(&call.db, &prefix, limit).await?)
}

/// The caller's live sessions, newest first; `current` marks this one.
pub async fn sessions(call: Call) -> Result<Vec<Session>, ApiError> {
    let idle = call.state.config.session_idle;
    let me = &call.me;
    Ok(sessions::list_live(&call.db, me.user_id, me.session_id, idle).await?)
}

/// Ends one of the caller's sessions (this one too, if asked). Its
/// sockets close with 4001 on every instance when the database announces
/// the change.
pub async fn end_session(call: Call, session_id: i64) -> Result<(), ApiError> {
    let me = &call.me;
    sessions::revoke_own(&call.db, me.user_id, session_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("no such session"),
            other => other.into(),
        })?;
    // The notice reaches this instance too; its cache must not wait.
    call.state
        .sessions
        .forget([SessionChange::User(me.user_id)]);
    Ok(())
}

/// Sets the caller's avatar to an image they uploaded, or clears it with
/// `None`. Like a display name, it reaches others with whatever they load
/// next (messages carry their author's `avatar_id`): no event announces it.
pub async fn set_avatar(call: Call, file_id: Option<FileId>) -> Result<User, ApiError> {
    if let Some(file_id) = file_id {
        check_avatar(&call, file_id).await?;
    }
    Ok(users::set_avatar(&call.db, call.me.user_id, file_id).await?)
}

/// What an avatar may be: an image (it is shown through its thumbnail)
/// that the caller uploaded.
pub(super) async fn check_avatar(call: &Call, file_id: FileId) -> Result<(), ApiError> {
    let file = files::own(&call.db, file_id, call.me.user_id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid("file_id must name a file you uploaded (POST /api/v1/files)")
        })?;
    if !file.has_thumbnail {
        return Err(ApiError::new(
            ErrorCode::NotAnImage,
            format!(
                "an avatar must be a JPEG, PNG, WebP or GIF image; {:?} is {}",
                file.name, file.content_type
            ),
        ));
    }
    Ok(())
}

/// Longest User-Agent kept with a session, in characters.
const USER_AGENT_MAX: usize = 256;

/// The User-Agent worth keeping: control characters dropped, trimmed,
/// at most [`USER_AGENT_MAX`] characters; `None` when nothing is left.
pub fn user_agent(raw: Option<&str>) -> Option<String> {
    let clean: String = raw?
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX)
        .collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

#[cfg(test)]
mod tests {
    use super::user_agent;

    #[test]
    fn user_agents_are_cleaned_and_bounded() {
        assert_eq!(user_agent(None), None);
        assert_eq!(user_agent(Some("  \t")), None);
        assert_eq!(user_agent(Some("curl/8\u{7}")).as_deref(), Some("curl/8"));
        assert_eq!(user_agent(Some(&"x".repeat(1000))).unwrap().len(), 256);
    }
}
