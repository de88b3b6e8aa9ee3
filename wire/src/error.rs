//! The error body every failing call answers with, and its stable codes.

use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. Their spelling is part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    /// An avatar must be an image (JPEG, PNG, WebP or GIF) (400).
    NotAnImage,
    Unauthorized,
    Forbidden,
    RegistrationClosed,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    /// The upload would take the uploader past their storage quota (413).
    QuotaExceeded,
    UnsupportedMediaType,
    /// A download's Range starts past the end of the file (416).
    RangeNotSatisfiable,
    RateLimited,
    Internal,
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest | Self::NotAnImage => 400,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::RegistrationClosed => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::PayloadTooLarge | Self::QuotaExceeded => 413,
            Self::UnsupportedMediaType => 415,
            Self::RangeNotSatisfiable => 416,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}

/// `{"error": {"code": ..., "message": ...}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Human-readable explanation; not meant for parsing.
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_in_snake_case() {
        let body = ErrorBody::new(ErrorCode::RegistrationClosed, "closed");
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(
            json,
            r#"{"error":{"code":"registration_closed","message":"closed"}}"#
        );
        assert_eq!(serde_json::from_str::<ErrorBody>(&json).unwrap(), body);
    }

    #[test]
    fn statuses_match_the_api() {
        assert_eq!(ErrorCode::InvalidRequest.status(), 400);
        assert_eq!(ErrorCode::RegistrationClosed.status(), 403);
        assert_eq!(ErrorCode::Unavailable.status(), 503);
    }
}
