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
    framing().and(warp::body::stream()).then(
        move |(content_type, length): Framing, body| async move {
            check_declared_length(length, limit)?;
            check_content_type(content_type.as_deref())?;
            let bytes = read_limited(body, limit).await?;
            require_content_type(content_type.as_deref(), &bytes)?;
            // serde reads a struct from a JSON array too (`[null, null]`);
            // the API takes objects only.
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(ApiError::invalid("request body must be a JSON object"));
            }
            serde_json::from_slice::<T>(&bytes)
                .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
        },
    )
}

/// [`json`], where an empty body stands for `T::default()` (a body whose
/// every field is optional).
pub fn json_or_empty<T: DeserializeOwned + Default + Send + 'static>(
    limit: usize,
) -> impl Filter<Extract = (Body<T>,), Error = Rejection> + Clone + Send + Sync + 'static {
    framing().and(warp::body::stream()).then(
        move |(content_type, length): Framing, body| async move {
            check_declared_length(length, limit)?;
            let bytes = read_limited(body, limit).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(T::default());
            }
            check_content_type(content_type.as_deref())?;
            require_content_type(content_type.as_deref(), &bytes)?;
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(ApiError::invalid("request body must be a JSON object"));
            }
            serde_json::from_slice::<T>(&bytes)
                .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
        },
    )
}

/// Parses the query string (absent means empty) into `T`.
pub fn query<T: DeserializeOwned + Send + 'static>()
-> impl Filter<Extract = (Query<T>,), Error = Infallible> + Clone + Send + Sync + 'static {
    warp::query::raw()
        .or(warp::any().map(String::new))
        .unify()
        .map(|raw: String| parse_query(&raw))
}

/// A raw query string (without the `?`) parsed into `T`, as [`query`] does.
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Query<T> {
    serde_urlencoded::from_str::<T>(raw)
        .map_err(|e| ApiError::invalid(format!("invalid query string: {e}")))
}

/// The request's Content-Type and declared Content-Length.
type Framing = (Option<String>, Option<u64>);

fn framing() -> impl Filter<Extract = (Framing,), Error = Rejection> + Clone + Send + Sync + 'static
{
    warp::header::optional::<String>("content-type")
        .and(warp::header::optional::<u64>("content-length"))
        .map(|content_type, length| (content_type, length))
}

/// A body declared larger than the limit is refused before a byte of it is
/// read (hyper then closes the connection rather than drain it).
fn check_declared_length(length: Option<u64>, limit: usize) -> Result<(), ApiError> {
    match length {
        Some(n) if n > limit as u64 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// A body needs a declared type: one without is refused (415) rather than
/// guessed at, as with a wrong type. No body needs none.
fn require_content_type(content_type: Option<&str>, body: &[u8]) -> Result<(), ApiError> {
    if content_type.is_none() && !body.is_empty() {
        return Err(unsupported());
    }
    Ok(())
}

fn unsupported() -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        "request body must be application/json",
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("request body exceeds {limit} bytes"),
    )
}

/// Any declared type other than JSON is refused before the body is read.
fn check_content_type(content_type: Option<&str>) -> Result<(), ApiError> {
    match content_type {
        None => Ok(()),
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            if essence.eq_ignore_ascii_case("application/json") {
                Ok(())
            } else {
                Err(unsupported())
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
            return Err(too_large(limit));
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
