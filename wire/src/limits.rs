//! Default limits. chatd can raise or lower the ones marked configurable.

/// Largest accepted request body in bytes (configurable in chatd).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest message body in characters, after trimming (configurable in chatd).
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Username length bounds, after lowercasing.
pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
/// Password length bounds in characters.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;
/// Display names and room names.
pub const NAME_MAX: usize = 64;
/// Profile bio and room topic.
pub const TEXT_MAX: usize = 1000;
/// Client-chosen idempotency key for sends.
pub const CLIENT_ID_MAX: usize = 64;
/// Page sizes of message and event listings.
pub const PAGE_DEFAULT: i64 = 50;
pub const PAGE_MAX: i64 = 200;
