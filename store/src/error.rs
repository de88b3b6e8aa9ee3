//! The store's error type: what went wrong, in terms a caller can act on.

use tokio_postgres::error::SqlState;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the caller asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; carries the constraint name.
    #[error("conflict on {0}")]
    Conflict(String),
    /// A foreign key refused the write; carries the constraint name.
    #[error("reference to a missing row ({0})")]
    MissingReference(String),
    /// The database cannot be reached or is shutting down. Worth a retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The statement that was to make the change refused it, and says why.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// Anything else: a bug or a schema mismatch.
    #[error("database error: {0}")]
    Internal(String),
}

/// Why a write to a room was refused, as the refusing statement saw it.
/// chatd turns each into its answer (a private room's refusals must look
/// like a room that does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No room with that id.
    #[error("no such room")]
    NoSuchRoom,
    /// The user is not a member; `joinable` when the room is public and
    /// named, so anyone may see it exists.
    #[error("not a member of the room")]
    NotMember { joinable: bool },
    /// The room is archived: it takes no new messages or members.
    #[error("the room is archived")]
    Archived,
    /// No message with that id in the room.
    #[error("no such message in this room")]
    NoSuchMessage,
    /// The message was deleted.
    #[error("the message was deleted")]
    MessageDeleted,
    /// Only the message's author may do this.
    #[error("not the author of the message")]
    NotAuthor,
    /// The author already sent a different text with this client_id.
    #[error("client_id already used for a different message")]
    ClientIdReused,
    /// `reply_to` names no message of the room.
    #[error("reply_to does not name a message in this room")]
    UnknownReplyTo,
    /// A direct conversation where one of the two has blocked the other.
    #[error("blocked")]
    Blocked,
    /// An attachment that names no file the author uploaded.
    #[error("attachments must name files you uploaded")]
    UnknownFiles,
    /// `thread_root` names no top-level message of the room.
    #[error("thread_root does not name a top-level message in this room")]
    UnknownThread,
    /// The message already carries the most distinct emoji it may.
    #[error("too many different emoji on the message")]
    TooManyEmoji,
    /// The user already made the most reactions to the message they may.
    #[error("too many reactions of this user on the message")]
    TooManyReactions,
    /// The user is banned from the room: they cannot join or be added.
    #[error("banned from the room")]
    Banned,
    /// The room's rules do not let the caller do this to that member
    /// (see [`crate::roles`]).
    #[error("{0}")]
    Denied(#[from] crate::roles::Denied),
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        let Some(db) = err.as_db_error() else {
            // No server error: the connection broke or could not be made.
            return Self::Unavailable(chain(&err));
        };
        let code = db.code();
        let constraint = db.constraint().unwrap_or_default().to_owned();
        if *code == SqlState::UNIQUE_VIOLATION {
            Self::Conflict(constraint)
        } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
            Self::MissingReference(constraint)
        } else if *code == SqlState::INVALID_CATALOG_NAME
            || *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            // Connecting failed for a reason an operator must fix.
            Self::Unavailable(db.message().to_owned())
        } else if code.code().starts_with("08")
            || code.code().starts_with("57P")
            || *code == SqlState::TOO_MANY_CONNECTIONS
        {
            // Connection exceptions, admin/crash shutdown, cannot connect now.
            Self::Unavailable(db.message().to_owned())
        } else {
            Self::Internal(format!("{}: {}", code.code(), db.message()))
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        match err {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// An error and its sources on one line ("error: cause: cause").
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
