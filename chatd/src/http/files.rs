//! Files: upload, download (whole, ranged, or the thumbnail).
//!
//! Downloads are safe to open from a page: the type is what the bytes are,
//! `nosniff` and a sandboxing CSP keep a browser from running anything in
//! them, and everything but a raster image is an attachment. A browser
//! authenticates them with the `chat_session` cookie (an `<img src>` sends
//! it on same-site requests; cross-site ones are refused), so no token ever
//! appears in a URL, where logs, history and Referer headers would keep it.

use std::convert::Infallible;

use bytes::Buf;
use chat_wire::ErrorBody;
use chat_wire::files::{FileResponse, UploadQuery};
use futures_util::Stream;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply as _, path};

use super::extract::{Query, query};
use super::{created, respond};
use crate::error::ApiError;
use crate::service::files::{self as service, Blob, ByteRange};
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    let upload = path!("api" / "v1" / "files")
        .and(warp::post())
        .and(ctx.clone())
        .and(query())
        .and(warp::header::optional::<u64>("content-length"))
        .and(warp::body::stream())
        .then(upload);
    let download = path!("api" / "v1" / "files" / i64)
        .and(warp::get())
        .and(ctx.clone())
        .and(warp::header::optional::<String>("range"))
        .and(warp::header::optional::<String>("if-none-match"))
        .then(download);
    let thumbnail = path!("api" / "v1" / "files" / i64 / "thumbnail")
        .and(warp::get())
        .and(ctx)
        .and(warp::header::optional::<String>("if-none-match"))
        .then(thumbnail);
    upload
        .or(download)
        .unify()
        .or(thumbnail)
        .unify()
        .map(respond)
        .boxed()
}

/// Upload a file: the raw bytes as the body (any framing). The stored type
/// comes from the bytes, not from the Content-Type sent; JPEG, PNG and
/// WebP images are stored re-encoded without their metadata (EXIF, GPS).
#[utoipa::path(post, path = "/api/v1/files", tag = "files",
    security(("bearer" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, description = "The file's bytes", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = FileResponse),
        (status = 400, description = "Empty file, bad name, or an image that cannot be decoded", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 413, description = "Over the upload limit (`payload_too_large`; images also past 12000 px a side), or past the uploader's storage quota (`quota_exceeded`)", body = ErrorBody),
    ))]
pub async fn upload<S, B>(
    ctx: Ctx,
    query: Query<UploadQuery>,
    declared_len: Option<u64>,
    body: S,
) -> Result<Response, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    // The caller is checked before a byte is read; no pooled connection
    // is held while the body streams in.
    let me = ctx.caller().await?;
    let q = query?;
    let file = service::upload(ctx.state.clone(), me, q.name, declared_len, body).await?;
    created(&FileResponse { file })
}

/// Download a file: for its uploader and members of a room where a message
/// carries it (avatars: for every user). 404 for anyone else. Supports one
/// `Range` and `If-None-Match` on the SHA-256 ETag.
#[utoipa::path(get, path = "/api/v1/files/{file_id}", tag = "files",
    security(("bearer" = []), ("cookie" = [])),
    params(("file_id" = i64, Path)),
    responses(
        (status = 200, description = "The bytes, with `X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox`, `Content-Disposition: attachment` unless a raster image, `Cache-Control: private`; the Content-Type is what the bytes are", content_type = "*/*"),
        (status = 206, description = "The range asked for"),
        (status = 304, description = "The ETag matched"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such file, or not yours to read", body = ErrorBody),
        (status = 416, description = "The range starts past the end", body = ErrorBody),
    ))]
pub async fn download(
    file_id: i64,
    ctx: Ctx,
    range: Option<String>,
    if_none_match: Option<String>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let range = range.as_deref().and_then(parse_range);
    let blob = service::download(call, file_id, false, range).await?;
    Ok(reply(blob, if_none_match.as_deref(), false))
}

/// An image's thumbnail (at most 400 px a side): what avatars show.
#[utoipa::path(get, path = "/api/v1/files/{file_id}/thumbnail", tag = "files",
    security(("bearer" = []), ("cookie" = [])),
    params(("file_id" = i64, Path)),
    responses(
        (status = 200, description = "The thumbnail (JPEG, or PNG when transparent)", content_type = "image/*"),
        (status = 304, description = "The ETag matched"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such file, not yours to read, or not an image", body = ErrorBody),
    ))]
pub async fn thumbnail(
    file_id: i64,
    ctx: Ctx,
    if_none_match: Option<String>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let blob = service::download(call, file_id, true, None).await?;
    Ok(reply(blob, if_none_match.as_deref(), true))
}

/// The response for a blob, with the headers that make it safe to serve.
fn reply(blob: Blob, if_none_match: Option<&str>, thumbnail: bool) -> Response {
    let etag = format!("\"{}\"", blob.sha256);
    let matched = if_none_match.is_some_and(|v| {
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == etag || t == "*")
    });
    let mut response = if matched {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let status = if blob.range.is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        };
        warp::reply::with_status(blob.bytes, status).into_response()
    };
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("etag", etag.clone());
    // Revalidated every time, so a reader who lost access stops getting it.
    set("cache-control", "private, no-cache".to_owned());
    set("x-content-type-options", "nosniff".to_owned());
    set(
        "content-security-policy",
        "sandbox; default-src 'none'; frame-ancestors 'none'".to_owned(),
    );
    if matched {
        return response;
    }
    set("content-type", blob.content_type.clone());
    set("accept-ranges", "bytes".to_owned());
    if let Some((first, last)) = blob.range {
        set(
            "content-range",
            format!("bytes {first}-{last}/{}", blob.len),
        );
    }
    let disposition = if service::inline_allowed(&blob.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let name = if thumbnail {
        format!("thumbnail-{}", blob.info.name)
    } else {
        blob.info.name.clone()
    };
    set(
        "content-disposition",
        format!("{disposition}; filename*=UTF-8''{}", encode_filename(&name)),
    );
    response
}

/// `Range: bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (several
/// ranges included) is ignored and the whole file sent, as RFC 9110 allows.
fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return last.parse().ok().map(ByteRange::Suffix);
    }
    let first = first.parse().ok()?;
    let last = if last.is_empty() {
        None
    } else {
        let last: u64 = last.parse().ok()?;
        if last < first {
            return None;
        }
        Some(last)
    };
    Some(ByteRange::From(first, last))
}

/// RFC 8187 encoding of a file name for `filename*`.
fn encode_filename(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'-')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(name, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(matches!(
            parse_range("bytes=0-9"),
            Some(ByteRange::From(0, Some(9)))
        ));
        assert!(matches!(
            parse_range("bytes=5-"),
            Some(ByteRange::From(5, None))
        ));
        assert!(matches!(
            parse_range("bytes=-3"),
            Some(ByteRange::Suffix(3))
        ));
        for ignored in [
            "bytes=0-1,3-4",
            "bytes=9-2",
            "items=0-1",
            "bytes=x-",
            "bytes=-",
        ] {
            assert!(parse_range(ignored).is_none(), "{ignored}");
        }
    }

    #[test]
    fn file_names_are_encoded() {
        assert_eq!(encode_filename("a b\".txt"), "a%20b%22.txt");
        assert_eq!(encode_filename("é.png"), "%C3%A9.png");
    }
}
