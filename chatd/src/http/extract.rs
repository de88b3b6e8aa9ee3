//! Body and query extraction that never rejects: the outcome reaches the
//! handler as a `Result`, so input errors get the API's JSON error body.

use std::convert::Infallible;

use bytes::{Buf, BytesMut};
use chat_wire::ErrorCode;
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use warp::{Filter, Rejection};

use crate::error::ApiError;

/// A parsed JSON request body, or why it could not be had.
pub type Body<T> = Result<T, ApiError>;
/// A parsed query string, or why it could not be had.
pub type Query<T> = Result<T, ApiError>;

/// Reads a JSON body of at most `limit` bytes, whatever its framing
/// (Content-Length or chunked), and parses it into `T`.
pub fn json<T: DeserializeOwned + Send + 'static>(
    limit: usize,
) -> impl Filter<Extract = (Body<T>,), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::header::optional::<String>("content-type")
        .and(warp::body::stream())
        .then(move |content_type: Option<String>, body| async move {
            check_content_type(content_type.as_deref())?;
            let bytes = read_limited(body, limit).await?;
            // serde reads a struct from a JSON array too (`[null, null]`);
            // the API takes objects only.
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(ApiError::invalid("request body must be a JSON object"));
            }
            serde_json::from_slice::<T>(&bytes)
                .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
        })
}

/// [`json`], where an empty body stands for `T::default()` (a body whose
/// every field is optional).
pub fn json_or_empty<T: DeserializeOwned + Default + Send + 'static>(
    limit: usize,
) -> impl Filter<Extract = (Body<T>,), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::header::optional::<String>("content-type")
        .and(warp::body::stream())
        .then(move |content_type: Option<String>, body| async move {
            let bytes = read_limited(body, limit).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(T::default());
            }
            check_content_type(content_type.as_deref())?;
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(ApiError::invalid("request body must be a JSON object"));
            }
            serde_json::from_slice::<T>(&bytes)
                .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
        })
}

/// Parses the query string (absent means empty) into `T`.
pub fn query<T: DeserializeOwned + Send + 'static>()
-> impl Filter<Extract = (Query<T>,), Error = Infallible> + Clone + Send + Sync + 'static {
    warp::query::raw()
        .or(warp::any().map(String::new))
        .unify()
        .map(|raw: String| {
            serde_urlencoded::from_str::<T>(&raw)
                .map_err(|e| ApiError::invalid(format!("invalid query string: {e}")))
        })
}

/// A body without a Content-Type is read as JSON; any other declared type
/// is refused.
fn check_content_type(content_type: Option<&str>) -> Result<(), ApiError> {
    match content_type {
        None => Ok(()),
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            if essence.eq_ignore_ascii_case("application/json") {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "request body must be application/json",
                ))
            }
        }
    }
}

async fn read_limited<S, B>(body: S, limit: usize) -> Result<BytesMut, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut out = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| ApiError::invalid("could not read the request body"))?;
        if out.len() + chunk.remaining() > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body exceeds {limit} bytes"),
            ));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out)
}
