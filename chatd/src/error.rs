//! `ApiError`: every failure a handler can answer with, mapped to a status
//! and the JSON error body. 5xx answers never carry internal details; those
//! go to the log.

use std::borrow::Cow;

use chat_store::{Refusal, StoreError};
use chat_wire::{ErrorBody, ErrorCode};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Seconds, for 429 answers.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "missing, invalid or expired bearer token",
        )
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "the database is unavailable; retry shortly",
        )
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error")
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after;
        let body = ErrorBody::new(self.code, self.message);
        let mut response =
            warp::reply::with_status(warp::reply::json(&body), status).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}

use warp::Reply as _;

impl warp::reject::Reject for ApiError {}

/// Each refusal's answer. A private room's refusals look exactly like a
/// room that does not exist, so strangers learn nothing of it.
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoSuchRoom | Refusal::NotMember { joinable: false } => {
                Self::not_found("no such room")
            }
            Refusal::NotMember { joinable: true } => Self::forbidden("join the room first"),
            Refusal::Archived => Self::forbidden("the room is archived"),
            Refusal::NoSuchMessage => Self::not_found("no such message in this room"),
            Refusal::MessageDeleted => Self::conflict("the message was deleted"),
            Refusal::NotAuthor => Self::forbidden("only the author may edit a message"),
            Refusal::ClientIdReused => Self::conflict(
                "this client_id was already used for a different message; use a new one",
            ),
            Refusal::UnknownReplyTo => {
                Self::invalid("reply_to does not name a message in this room")
            }
            // Generic on purpose: it does not say who blocked whom.
            Refusal::Blocked => Self::forbidden("you cannot write in this direct conversation"),
            Refusal::UnknownFiles => {
                Self::invalid("attachments must name files you uploaded (POST /api/v1/files)")
            }
            Refusal::UnknownThread => Self::invalid(
                "thread_root does not name a top-level message in this room \
                 (replies cannot start threads of their own)",
            ),
            Refusal::TooManyEmoji => Self::invalid(format!(
                "a message takes at most {} different emoji",
                chat_store::reactions::MAX_EMOJI_PER_MESSAGE
            )),
            Refusal::TooManyReactions => Self::invalid(format!(
                "you may add at most {} reactions to a message",
                chat_store::reactions::MAX_REACTIONS_PER_USER
            )),
            Refusal::Banned => Self::forbidden("banned from this room"),
            Refusal::Denied(denied) => {
                use chat_store::roles::Denied;
                let message = denied.to_string();
                match denied {
                    Denied::LastOwner => Self::conflict(message),
                    Denied::SelfBan => Self::invalid(message),
                    Denied::NotModerator
                    | Denied::Outranked
                    | Denied::OwnerOnly
                    | Denied::Direct => Self::forbidden(message),
                }
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::not_found("not found"),
            StoreError::Conflict(_) => Self::conflict("already exists"),
            StoreError::MissingReference(_) => {
                Self::invalid("refers to something that does not exist")
            }
            StoreError::Refused(refusal) => refusal.into(),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self::unavailable()
            }
            StoreError::Internal(detail) => {
                tracing::error!(%detail, "database error");
                Self::internal()
            }
        }
    }
}
