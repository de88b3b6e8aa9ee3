//! Operations endpoints: liveness, readiness, metrics and the API document.

use std::convert::Infallible;
use std::time::Duration;

use chat_wire::ErrorBody;
use chat_wire::api::HealthResponse;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply, path};

use super::{ok, respond};
use crate::error::ApiError;
use crate::state::Ctx;

/// How long readiness waits for the database before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    let healthz = path!("healthz").and(warp::get()).then(healthz);
    let readyz = path!("readyz")
        .and(warp::get())
        .and(ctx.clone())
        .then(readyz);
    let metrics = path!("metrics").and(warp::get()).and(ctx).then(metrics);
    let openapi = path!("api" / "v1" / "openapi.json")
        .and(warp::get())
        .then(openapi);
    healthz
        .or(readyz)
        .unify()
        .or(metrics)
        .unify()
        .or(openapi)
        .unify()
        .map(respond)
        .boxed()
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = HealthResponse)))]
pub async fn healthz() -> Result<Response, ApiError> {
    ok(&HealthResponse {
        status: "ok".into(),
    })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    ))]
pub async fn readyz(ctx: Ctx) -> Result<Response, ApiError> {
    let probe = async {
        let db = ctx.db().await?;
        db.query_one("SELECT 1", &[])
            .await
            .map_err(|e| ApiError::from(chat_store::StoreError::from(e)))
    };
    match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(Ok(_)) => ok(&HealthResponse {
            status: "ok".into(),
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ApiError::unavailable()),
    }
}

/// Prometheus metrics (text format). Keep this off the public internet.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(ctx: Ctx) -> Result<Response, ApiError> {
    let body = ctx.state.metrics.render(&ctx.state.pool);
    Ok(warp::reply::with_header(
        body,
        "content-type",
        "text/plain; version=0.0.4; charset=utf-8",
    )
    .into_response())
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document")))]
pub async fn openapi() -> Result<Response, ApiError> {
    ok(&super::openapi::document())
}
