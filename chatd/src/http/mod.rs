//! The HTTP surface: routes, the filters they share, and the answer to any
//! request no route takes.
//!
//! Handlers are plain async functions returning `Result<Response,
//! ApiError>`; filters only route and extract. Bodies and query strings are
//! handed to handlers as `Result`s so the handler decides the order of
//! checks (authentication first, then input) and every failure gets the
//! same JSON error shape.

mod about;
mod accounts;
mod allow;
mod conversations;
pub(crate) mod extract;
mod files;
mod messages;
mod moderation;
pub mod openapi;
mod ops;
mod people;
mod reports;
mod rooms;
mod threads;
pub mod web;
pub mod ws;

use std::convert::Infallible;
use std::sync::Arc;

use chat_wire::ErrorCode;
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::browser::{self, Credential, Provenance};
use crate::error::ApiError;
use crate::server::PeerAddr;
use crate::state::{AppState, Ctx};

pub use extract::{Body, Query};

/// Every route chatd serves, with error recovery, security headers and
/// request logging applied.
pub fn routes(
    state: Arc<AppState>,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone + Send + Sync + 'static {
    let ctx = with_ctx(state.clone());
    let limit = state.config.max_body_bytes;
    let metrics_state = state.clone();
    let api = accounts::routes(ctx.clone(), limit)
        .or(about::routes(ctx.clone()))
        .unify()
        .or(rooms::routes(ctx.clone(), limit))
        .unify()
        .or(messages::routes(ctx.clone(), limit))
        .unify()
        .or(conversations::routes(ctx.clone()))
        .unify()
        .or(threads::routes(ctx.clone(), limit))
        .unify()
        .or(people::routes(ctx.clone(), limit))
        .unify()
        .or(moderation::routes(ctx.clone(), limit))
        .unify()
        .or(reports::routes(ctx.clone(), limit))
        .unify()
        .or(files::routes(ctx.clone()))
        .unify()
        .or(ws::routes(ctx.clone()))
        .unify()
        .or(ops::routes(ctx))
        .unify()
        // Last: the page never shadows an API path (and refuses them).
        .or(web::routes())
        .unify()
        .boxed();
    let answered = api.recover(recover).unify();
    warp::path::full()
        .and(answered)
        .map(|path: warp::path::FullPath, response| allow::add_header(path.as_str(), response))
        .map(add_security_headers)
        .with(warp::log::custom(move |info| {
            let status = info.status().as_u16();
            let elapsed = info.elapsed();
            metrics_state.metrics.observe_http(
                info.method().as_str(),
                status,
                elapsed.as_secs_f64(),
            );
            tracing::info!(
                target: "chatd::http",
                method = %info.method(),
                path = info.path(),
                status,
                micros = elapsed.as_micros() as u64,
                "request"
            );
        }))
}

/// Extracts the request context: shared state, the credentials (the
/// Authorization header, else the session cookie), where the request comes
/// from, and whether it came over HTTPS.
fn with_ctx(
    state: Arc<AppState>,
) -> impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static {
    warp::any()
        .map(move || state.clone())
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<PeerAddr>())
        .map(
            |state: Arc<AppState>, method, headers: HeaderMap, peer: Option<PeerAddr>| {
                let config = &state.config;
                let credential = Credential::of(&headers);
                let provenance = Provenance::of(&method, &headers, &config.ws_allowed_origins);
                let tcp = peer.map(|p| p.tcp.ip());
                let https = browser::is_https(tcp, &config.trusted_proxies, &headers);
                Ctx::new(state, credential, provenance, peer.map(|p| p.client), https)
            },
        )
}

/// Turns a handler's result into the response.
pub fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

pub fn json_reply<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

pub fn ok<T: serde::Serialize>(body: &T) -> Result<Response, ApiError> {
    Ok(json_reply(StatusCode::OK, body))
}

pub fn created<T: serde::Serialize>(body: &T) -> Result<Response, ApiError> {
    Ok(json_reply(StatusCode::CREATED, body))
}

pub fn no_content() -> Result<Response, ApiError> {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Answers requests that no route took: unknown paths, wrong methods.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let error = if rejection.is_not_found() {
        ApiError::not_found("no such endpoint")
    } else if let Some(error) = rejection.find::<ApiError>() {
        error.clone()
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::new(
            ErrorCode::MethodNotAllowed,
            "method not allowed on this endpoint",
        )
    } else if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::new(ErrorCode::PayloadTooLarge, "request body too large")
    } else if rejection
        .find::<warp::reject::UnsupportedMediaType>()
        .is_some()
    {
        ApiError::new(ErrorCode::UnsupportedMediaType, "expected application/json")
    } else {
        tracing::debug!(?rejection, "unhandled rejection");
        ApiError::invalid("malformed request")
    };
    Ok(error.into_response())
}

/// The answer on a connection admitted from the health reserve to
/// anything but the health checks: chatd is at its connection cap.
pub fn overloaded() -> Response {
    let error = ApiError::new(
        ErrorCode::Unavailable,
        "too many open connections; try again shortly",
    );
    add_security_headers(error.into_response())
}

/// Headers on every answer: nothing is cached, sniffed, framed or referred.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("content-security-policy", "frame-ancestors 'none'"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// Adds [`SECURITY_HEADERS`]. An answer that set one of them itself (the
/// web client's files: cached with revalidation, under their own CSP)
/// keeps its own.
fn add_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    response
}
