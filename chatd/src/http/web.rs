//! The web client: the files of `web/static/`, embedded at build time
//! (build.rs) and served at `/`.
//!
//! The page is revalidated (`Cache-Control: no-cache` with a strong ETag,
//! so an unchanged page costs a 304) and loads its files from
//! `/v/<version>/…`, a hash of this build's files (build.rs): those are
//! cached as immutable, so a warm load asks for nothing but the page. A
//! file asked for under another version (a page from an older or newer
//! build) is this build's file, revalidated like the page. Every answer
//! carries a CSP that allows only this origin's own scripts, styles and
//! connections: no inline code, no eval, no framing. The API's paths are
//! never served from here.

use chat_wire::ErrorCode;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, Method, StatusCode};
use warp::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::error::ApiError;

/// The policy of every web client answer. `connect-src 'self'` covers the
/// same-origin `ws:`/`wss:` gateway; `img-src` takes `data:` and `blob:`
/// for previews made in the page.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The URL path, e.g. `/js/main.js`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// A strong ETag, quoted: a hash of the bytes.
    pub etag: &'static str,
    pub body: &'static [u8],
}

/// Every file of `web/static/`, sorted by path.
static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// A hash of this build's files: the page loads them under `/v/VERSION/`.
const VERSION: &str = include!(concat!(env!("OUT_DIR"), "/web_version.rs"));

/// How an answer may be cached.
const REVALIDATE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Paths that belong to the API and operations, never to the page.
const RESERVED: [&str; 4] = ["/api", "/healthz", "/readyz", "/metrics"];

/// The embedded file a request path names, and how it may be cached:
/// immutable under this build's `/v/VERSION/`, revalidated otherwise.
fn lookup(path: &str) -> Option<(&'static Asset, &'static str)> {
    if let Some(rest) = path.strip_prefix("/v/") {
        let (version, file) = rest.split_at(rest.find('/')?);
        let cache = if version == VERSION {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return asset(file).map(|a| (a, cache));
    }
    asset(path).map(|a| (a, REVALIDATE))
}

/// The embedded file a request path names (`/` is `/index.html`).
pub fn asset(path: &str) -> Option<&'static Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    let reserved = RESERVED.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    if reserved {
        return None;
    }
    ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .map(|i| &ASSETS[i])
}

/// GET and HEAD of any embedded file; any other path is not found here.
pub fn routes() -> BoxedFilter<(Response,)> {
    warp::method()
        .and(warp::path::full())
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(
            |method: Method, path: FullPath, if_none_match: Option<String>| async move {
                let (asset, cache) = lookup(path.as_str()).ok_or_else(warp::reject::not_found)?;
                Ok::<_, Rejection>(serve(asset, cache, &method, if_none_match.as_deref()))
            },
        )
        .boxed()
}

/// The file, or 304 when the client's copy is current.
fn serve(
    asset: &'static Asset,
    cache: &'static str,
    method: &Method,
    if_none_match: Option<&str>,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut response =
            ApiError::new(ErrorCode::MethodNotAllowed, "the web client is read-only")
                .into_response();
        response
            .headers_mut()
            .insert("allow", HeaderValue::from_static("GET, HEAD"));
        return with_web_headers(response, REVALIDATE);
    }
    let current = if_none_match.is_some_and(|tags| {
        tags.split(',').map(str::trim).any(|tag| {
            // Weak comparison, as RFC 9110 prescribes for If-None-Match.
            tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == asset.etag
        })
    });
    let mut response = if current {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(asset.body.into());
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static(asset.content_type));
        response
    };
    response
        .headers_mut()
        .insert("etag", HeaderValue::from_static(asset.etag));
    with_web_headers(response, cache)
}

/// The headers of every web client answer. The shared security headers
/// (http/mod.rs) fill in only what is missing, so these stand.
fn with_web_headers(mut response: Response, cache: &'static str) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("cache-control", cache),
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_has_the_page() {
        assert!(ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        let page = asset("/").expect("web/static/index.html");
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert!(page.etag.starts_with('"') && page.etag.ends_with('"'));
        assert!(asset("/index.html").is_some());
    }

    #[test]
    fn api_paths_are_never_files() {
        for path in ["/api", "/api/v1/me", "/healthz", "/readyz", "/metrics/x"] {
            assert!(asset(path).is_none(), "{path}");
        }
        assert!(asset("/nothing-here").is_none());
    }

    #[test]
    fn revalidation_answers_304() {
        let page = asset("/").unwrap();
        let tags = format!("\"x\", W/{}", page.etag);
        let fresh = serve(page, REVALIDATE, &Method::GET, Some(&tags));
        assert_eq!(fresh.status(), StatusCode::NOT_MODIFIED);
        let stale = serve(page, REVALIDATE, &Method::GET, Some("\"x\""));
        assert_eq!(stale.status(), StatusCode::OK);
        assert_eq!(stale.headers()["content-security-policy"], CSP);
        let post = serve(page, REVALIDATE, &Method::POST, None);
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()["allow"], "GET, HEAD");
    }

    #[test]
    fn this_builds_files_are_immutable_under_its_version() {
        let page = std::str::from_utf8(asset("/").unwrap().body).unwrap();
        let main = format!("\"/v/{VERSION}/js/main.js\"");
        assert!(page.contains(&main), "the page loads {main}");
        assert!(!page.contains("\"/js/main.js\""), "an unversioned path");
        let (file, cache) = lookup(&format!("/v/{VERSION}/js/main.js")).unwrap();
        assert_eq!((file.path, cache), ("/js/main.js", IMMUTABLE));
        let (file, cache) = lookup("/v/0123456789abcdef/js/main.js").unwrap();
        assert_eq!((file.path, cache), ("/js/main.js", REVALIDATE));
        assert_eq!(lookup("/js/main.js").unwrap().1, REVALIDATE);
        assert!(lookup(&format!("/v/{VERSION}")).is_none());
        assert!(lookup(&format!("/v/{VERSION}/api/v1/me")).is_none());
        let answer = serve(file, IMMUTABLE, &Method::GET, None);
        assert_eq!(answer.headers()["cache-control"], IMMUTABLE);
    }
}
