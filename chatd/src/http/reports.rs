//! Reports of messages to the server's admins.

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::moderation::{
    ReportCreated, ReportId, ReportRequest, ReportResponse, ReportsQuery, ReportsResponse,
    ResolveRequest,
};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, Query, json, json_or_empty, query};
use super::{created, ok, respond};
use crate::error::ApiError;
use crate::service::reports as service;
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
) -> BoxedFilter<(Response,)> {
    let create = path!("api" / "v1" / "reports")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(create_report);
    let list = path!("api" / "v1" / "reports")
        .and(warp::get())
        .and(ctx.clone())
        .and(query())
        .then(list_reports);
    let resolve = path!("api" / "v1" / "reports" / i64 / "resolve")
        .and(warp::post())
        .and(ctx)
        .and(json_or_empty(limit))
        .then(resolve_report);
    create
        .or(list)
        .unify()
        .or(resolve)
        .unify()
        .map(respond)
        .boxed()
}

/// Report a message to the server's admins. Any member of the message's
/// room may; the admins see the message as it is now (deleting it erases
/// its text from the report too).
#[utoipa::path(post, path = "/api/v1/reports", tag = "moderation",
    security(("bearer" = [])),
    request_body = ReportRequest,
    responses(
        (status = 201, description = "Reported", body = ReportCreated),
        (status = 400, description = "Empty or over-long reason", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "The message is in a public room the caller is not in", body = ErrorBody),
        (status = 404, description = "No such message (or one in a private room the caller is not in)", body = ErrorBody),
        (status = 409, description = "The message was deleted, or the caller already reported it", body = ErrorBody),
    ))]
pub async fn create_report(ctx: Ctx, body: Body<ReportRequest>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let id = service::create(call, req.message_id, &req.reason).await?;
    created(&ReportCreated {
        report: ReportId { id },
    })
}

/// Reports, newest first (server admins only).
#[utoipa::path(get, path = "/api/v1/reports", tag = "moderation",
    security(("bearer" = [])),
    params(ReportsQuery),
    responses(
        (status = 200, description = "The reports", body = ReportsResponse),
        (status = 400, description = "limit out of range", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a server admin", body = ErrorBody),
    ))]
pub async fn list_reports(ctx: Ctx, query: Query<ReportsQuery>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let q = query?;
    let status = q.status.unwrap_or_default();
    let reports = service::list(call, status, q.before, q.limit).await?;
    ok(&ReportsResponse { reports })
}

/// Resolve a report with a note, optionally deleting the reported message
/// (server admins only). Recorded in the audit log. The body may be empty.
#[utoipa::path(post, path = "/api/v1/reports/{report_id}/resolve", tag = "moderation",
    security(("bearer" = [])),
    params(("report_id" = i64, Path)),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "The resolved report", body = ReportResponse),
        (status = 400, description = "Note too long", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a server admin", body = ErrorBody),
        (status = 404, description = "No such report", body = ErrorBody),
        (status = 409, description = "Already resolved", body = ErrorBody),
    ))]
pub async fn resolve_report(
    report_id: i64,
    ctx: Ctx,
    body: Body<ResolveRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let report = service::resolve(call, report_id, req.note.as_deref(), req.delete_message).await?;
    ok(&ReportResponse { report })
}
