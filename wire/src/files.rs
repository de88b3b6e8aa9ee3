//! Files: uploads, attachments and avatars.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A file's id.
pub type FileId = i64;

/// Most files one message may carry.
pub const MAX_ATTACHMENTS: usize = 10;

/// What is known about an uploaded file. The bytes are at
/// `GET /api/v1/files/{id}` (and, for images, a thumbnail at
/// `GET /api/v1/files/{id}/thumbnail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileInfo {
    pub id: FileId,
    /// The name the uploader gave, without any directory part.
    pub name: String,
    /// What the bytes are (from their magic numbers), not what the client
    /// said; `application/octet-stream` when unrecognised.
    pub content_type: String,
    /// Bytes served (for JPEG, PNG and WebP images: the re-encoded image
    /// without metadata).
    pub size: i64,
    /// SHA-256 of the bytes served, in hex; also their ETag.
    pub sha256: String,
    /// Pixel size, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    /// True if `GET /api/v1/files/{id}/thumbnail` has a thumbnail.
    #[serde(default)]
    pub has_thumbnail: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `POST /api/v1/files?name=NAME`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name (1–255 characters; a directory part is dropped).
    #[serde(default)]
    pub name: Option<String>,
}

/// `{file}`: the answer to an upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileResponse {
    pub file: FileInfo,
}

/// `PUT /api/v1/me/avatar`: an image the caller uploaded, or null to
/// remove the avatar.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetAvatarRequest {
    pub file_id: Option<FileId>,
}
