//! Accounts and sessions: register, login, logout, profiles.

use std::convert::Infallible;

use chat_wire::ErrorBody;
use chat_wire::api::{
    ChangePasswordRequest, LoginRequest, LoginResponse, RegisterRequest, UpdateProfileRequest,
    UserResponse,
};
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, json};
use super::{created, no_content, ok, respond};
use crate::browser;
use crate::error::ApiError;
use crate::service::accounts::{self as service, LoggedIn};
use crate::state::Ctx;

pub fn routes(
    ctx: impl Filter<Extract = (Ctx,), Error = Infallible> + Clone + Send + Sync + 'static,
    limit: usize,
) -> BoxedFilter<(Response,)> {
    let register = path!("api" / "v1" / "auth" / "register")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(register);
    let login = path!("api" / "v1" / "auth" / "login")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .and(user_agent())
        .then(login);
    let logout = path!("api" / "v1" / "auth" / "logout")
        .and(warp::post())
        .and(ctx.clone())
        .then(logout);
    let open_session = path!("api" / "v1" / "auth" / "session")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .and(user_agent())
        .then(open_session);
    let end_session = path!("api" / "v1" / "auth" / "session")
        .and(warp::delete())
        .and(ctx.clone())
        .then(end_session);
    let me = path!("api" / "v1" / "me")
        .and(warp::get())
        .and(ctx.clone())
        .then(get_me);
    let update_me = path!("api" / "v1" / "me")
        .and(warp::patch())
        .and(ctx.clone())
        .and(json(limit))
        .then(update_me);
    let password = path!("api" / "v1" / "me" / "password")
        .and(warp::post())
        .and(ctx.clone())
        .and(json(limit))
        .then(change_password);
    let user = path!("api" / "v1" / "users" / String)
        .and(warp::get())
        .and(ctx)
        .then(get_user);
    register
        .or(login)
        .unify()
        .or(logout)
        .unify()
        .or(open_session)
        .unify()
        .or(end_session)
        .unify()
        .or(me)
        .unify()
        .or(update_me)
        .unify()
        .or(password)
        .unify()
        .or(user)
        .unify()
        .map(respond)
        .boxed()
}

/// Create an account (when registration is open).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 400, description = "Invalid username, password or display name", body = ErrorBody),
        (status = 403, description = "`registration_closed`: accounts are made by an admin", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
    ))]
pub async fn register(ctx: Ctx, body: Body<RegisterRequest>) -> Result<Response, ApiError> {
    // The body's errors wait behind the registration mode and the limit.
    let user = service::register(&ctx.state, ctx.client(), body).await?;
    created(&UserResponse { user })
}

/// Log in and receive a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong username or password (the same answer for both)", body = ErrorBody),
        (status = 403, description = "The account is disabled", body = ErrorBody),
    ))]
pub async fn login(
    ctx: Ctx,
    body: Body<LoginRequest>,
    agent: Option<String>,
) -> Result<Response, ApiError> {
    let req = body?;
    let LoggedIn {
        token,
        user,
        expires_at,
    } = service::login(
        &ctx.state,
        ctx.client(),
        &req.username,
        &req.password,
        agent.as_deref(),
    )
    .await?;
    ok(&LoginResponse {
        token,
        user,
        expires_at,
    })
}

/// End the current session; its token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn logout(ctx: Ctx) -> Result<Response, ApiError> {
    service::logout(ctx.call().await?).await?;
    no_content()
}

/// Log in for a browser: the same checks and limits as `login`, but the
/// token goes into an `HttpOnly; SameSite=Strict` cookie (`chat_session`)
/// the page's scripts cannot read, never into the body.
#[utoipa::path(post, path = "/api/v1/auth/session", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session is in the `chat_session` cookie \
            (`Set-Cookie`, `HttpOnly; SameSite=Strict; Path=/`, `Secure` over HTTPS)",
            body = UserResponse,
            headers(("set-cookie" = String, description = "The session cookie"))),
        (status = 401, description = "Wrong username or password (the same answer for both)", body = ErrorBody),
        (status = 403, description = "The account is disabled, or the request comes from another site's page", body = ErrorBody),
    ))]
pub async fn open_session(
    ctx: Ctx,
    body: Body<LoginRequest>,
    agent: Option<String>,
) -> Result<Response, ApiError> {
    ctx.provenance().check_not_foreign()?;
    let req = body?;
    let LoggedIn { token, user, .. } = service::login(
        &ctx.state,
        ctx.client(),
        &req.username,
        &req.password,
        agent.as_deref(),
    )
    .await?;
    let mut response = ok(&UserResponse { user })?;
    let cookie = browser::set_cookie(&token, ctx.config().session_ttl, ctx.https());
    response.headers_mut().insert("set-cookie", cookie);
    Ok(response)
}

/// End the browser's session: it stops working at once and the cookie is
/// cleared. (With an Authorization header, that header's session ends.)
#[utoipa::path(delete, path = "/api/v1/auth/session", tag = "accounts",
    security(("cookie" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Logged out; `Set-Cookie` clears the cookie",
            headers(("set-cookie" = String, description = "`chat_session=; Max-Age=0`"))),
        (status = 401, description = "Not logged in (the cookie is cleared all the same)", body = ErrorBody),
        (status = 403, description = "The cookie came from another site's page, or without an Origin", body = ErrorBody),
    ))]
pub async fn end_session(ctx: Ctx) -> Result<Response, ApiError> {
    let clear = browser::clear_cookie(ctx.https());
    let ended = async { service::logout(ctx.call().await?).await };
    let mut response = match ended.await {
        Ok(()) => no_content()?,
        // A stale cookie is worth forgetting; a refused one (another
        // site's request) is not this browser's page asking.
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => e.into_response(),
        Err(e) => return Err(e),
    };
    response.headers_mut().insert("set-cookie", clear);
    Ok(response)
}

/// The caller's own profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn get_me(ctx: Ctx) -> Result<Response, ApiError> {
    let user = service::me(ctx.call().await?).await?;
    ok(&UserResponse { user })
}

/// Change the caller's password. Every other session of the account ends
/// at once, and its WebSockets close; this one stays.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions ended"),
        (status = 400, description = "The new password is not acceptable", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords", body = ErrorBody),
    ))]
pub async fn change_password(
    ctx: Ctx,
    body: Body<ChangePasswordRequest>,
) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    service::change_password(call, ctx.client(), &req.current_password, &req.new_password).await?;
    no_content()
}

/// Change the caller's display name or bio.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "The updated profile", body = UserResponse),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn update_me(ctx: Ctx, body: Body<UpdateProfileRequest>) -> Result<Response, ApiError> {
    let call = ctx.call().await?;
    let req = body?;
    let user =
        service::update_profile(call, req.display_name.as_deref(), req.bio.as_deref()).await?;
    ok(&UserResponse { user })
}

/// Another user's public profile.
#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "accounts",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Case-insensitive username")),
    responses(
        (status = 200, description = "The profile", body = UserResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    ))]
pub async fn get_user(username: String, ctx: Ctx) -> Result<Response, ApiError> {
    let user = service::profile(ctx.call().await?, &username).await?;
    ok(&UserResponse { user })
}

/// The User-Agent header, whatever bytes it holds (never a rejection: a
/// login must not fail over it).
fn user_agent() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone + Send + Sync
{
    warp::header::headers_cloned().map(|headers: http::HeaderMap| {
        headers
            .get("user-agent")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    })
}
