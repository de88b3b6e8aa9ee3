//! `GET /api/v1/server`: what a client needs to know about this server
//! before anyone logs in (whether it may offer registration, and the limits
//! it can check before sending).

use std::convert::Infallible;

use chat_wire::api::{Registration, ServerInfo, ServerLimits};
use chat_wire::files::MAX_ATTACHMENTS;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::{ok, respond};
use crate::config::{Config, RegistrationMode};
use crate::error::ApiError;
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
) -> BoxedFilter<(Response,)> {
    path!("api" / "v1" / "server")
        .and(warp::get())
        .and(ctx)
        .then(server_info)
        .map(respond)
        .boxed()
}

/// This server's version, registration mode and limits. No login needed.
#[utoipa::path(get, path = "/api/v1/server", tag = "accounts",
    responses((status = 200, description = "About this server", body = ServerInfo)))]
pub async fn server_info(ctx: Ctx) -> Result<Response, ApiError> {
    ok(&info(&ctx.state.config))
}

fn info(config: &Config) -> ServerInfo {
    ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        registration: match config.registration {
            RegistrationMode::Open => Registration::Open,
            RegistrationMode::Closed => Registration::Closed,
        },
        limits: ServerLimits {
            message_chars: config.max_message_chars,
            upload_bytes: config.files.max_upload_bytes,
            attachments: MAX_ATTACHMENTS,
        },
    }
}
