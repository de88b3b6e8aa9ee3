//! Request and response bodies for blocking and for reports of messages to
//! the server's admins (issue 16). Blocks list users as
//! [`crate::api::UsersResponse`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{MessageId, RoomId, RoomKind, UserRef};

/// `POST /api/v1/reports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub message_id: MessageId,
    /// Why, for the server's admins: 1-1000 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 1000))]
    pub reason: String,
}

/// The id of a new report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportId {
    pub id: i64,
}

/// `201` to `POST /api/v1/reports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportCreated {
    pub report: ReportId,
}

/// Which reports to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Not resolved yet (the default).
    #[default]
    Open,
    Resolved,
    All,
}

/// `GET /api/v1/reports` (server admins): newest first, keyset paged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ReportsQuery {
    /// `open` (default), `resolved` or `all`.
    #[cfg_attr(feature = "openapi", param(inline))]
    pub status: Option<ReportStatus>,
    /// Only reports with a smaller id (the last id of the previous page).
    pub before: Option<i64>,
    /// Most results, 1-100 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<i64>,
}

/// The reported message as it is now: deleting it leaves an empty body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportedMessage {
    pub id: MessageId,
    pub room_id: RoomId,
    pub room_name: String,
    pub room_kind: RoomKind,
    pub author: UserRef,
    /// Its text now (empty once deleted).
    pub body: String,
    /// Its texts before each edit, oldest first (erased with the message).
    pub earlier_texts: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
}

/// How an admin closed a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolution {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The admin's username, or `chatctl` for the server's shell.
    pub by: String,
    pub note: String,
}

/// A report, as the server's admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub id: i64,
    pub message: ReportedMessage,
    /// Who reported it (null if that account row is gone).
    pub reporter: Option<UserRef>,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Null while open.
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportsResponse {
    pub reports: Vec<Report>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportResponse {
    pub report: Report,
}

/// `POST /api/v1/reports/{id}/resolve` (server admins). The body may be
/// empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What was done, for the record (0-1000 characters).
    #[serde(default)]
    pub note: Option<String>,
    /// Delete the reported message too (its text is then gone for good).
    #[serde(default)]
    pub delete_message: bool,
}
