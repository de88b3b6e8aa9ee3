//! Accounts and sessions: register, login, logout, profiles.

use chat_store::notify::SessionChange;
use chat_store::users::{self, AccountRole, NewUser};
use chat_store::{StoreError, accounts, sessions};
use chat_wire::api::{
    ChangePasswordRequest, LoginRequest, LoginResponse, RegisterRequest, UpdateProfileRequest,
    UserResponse,
};
use chat_wire::validate::{self, Username};
use chat_wire::{ErrorBody, ErrorCode};
use std::convert::Infallible;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, path};

use super::extract::{Body, json};
use super::{created, no_content, ok, respond};
use crate::config::RegistrationMode;
use crate::error::ApiError;
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
        .then(login);
    let logout = path!("api" / "v1" / "auth" / "logout")
        .and(warp::post())
        .and(ctx.clone())
        .then(logout);
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
    if ctx.config().registration == RegistrationMode::Closed {
        return Err(ApiError::new(
            ErrorCode::RegistrationClosed,
            "registration is closed; ask an administrator for an account",
        ));
    }
    ctx.state.limiter.register(ctx.client())?;
    let req = body?;
    let username = Username::parse(&req.username).map_err(ApiError::invalid)?;
    validate::password(&req.password).map_err(ApiError::invalid)?;
    let display_name = match &req.display_name {
        Some(name) => validate::name("display_name", name).map_err(ApiError::invalid)?,
        None => username.to_string(),
    };
    let hash = ctx.state.hasher.hash(&req.password).await?;
    let db = ctx.db().await?;
    let new = NewUser {
        username: username.as_str(),
        password_hash: &hash,
        display_name: &display_name,
        role: AccountRole::User,
    };
    let user = users::create(&db, &new).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict("username is taken"),
        other => other.into(),
    })?;
    tracing::info!(user_id = user.id, username = %user.username, "account registered");
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
pub async fn login(ctx: Ctx, body: Body<LoginRequest>) -> Result<Response, ApiError> {
    let req = body?;
    // Counted before the password is checked, so guessing costs a token
    // whether or not the guess is right.
    ctx.state.limiter.login(&req.username, ctx.client())?;
    let refused = || ApiError::new(ErrorCode::Unauthorized, "wrong username or password");
    // An impossible username is looked up like any other: the answer and
    // its timing must not tell which usernames exist. The connection goes
    // back to the pool before the slow hash.
    let credentials = match Username::parse(&req.username) {
        Ok(name) => users::credentials(&ctx.db().await?, name.as_str()).await?,
        Err(_) => None,
    };
    let hasher = &ctx.state.hasher;
    let verified = hasher
        .verify(
            &req.password,
            credentials.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await?;
    let metrics = &ctx.state.metrics;
    let Some(credentials) = credentials.filter(|_| verified) else {
        metrics.login_failures.inc();
        return Err(refused());
    };
    if credentials.disabled {
        metrics.login_failures.inc();
        return Err(ApiError::forbidden("this account is disabled"));
    }
    let user = credentials.user;
    let fresh_hash = if hasher.needs_rehash(&credentials.password_hash) {
        Some(hasher.hash(&req.password).await?)
    } else {
        None
    };
    let db = ctx.db().await?;
    if let Some(fresh) = fresh_hash {
        users::set_password_hash(&db, user.id, &fresh).await?;
    }
    let (token, token_hash) = sessions::new_token()?;
    let expires_at = sessions::create(&db, user.id, &token_hash, ctx.config().session_ttl).await?;
    metrics.logins.inc();
    tracing::info!(user_id = user.id, "login");
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
    let (me, db) = ctx.authed().await?;
    sessions::revoke(&db, me.session_id).await?;
    // The database announces it to every instance; this one must not wait.
    ctx.state.sessions.forget([SessionChange::User(me.user_id)]);
    no_content()
}

/// The caller's own profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserResponse),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn get_me(ctx: Ctx) -> Result<Response, ApiError> {
    let (me, db) = ctx.authed().await?;
    let user = users::get(&db, me.user_id).await?;
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
    let (me, db) = ctx.authed().await?;
    let req = body?;
    // Guessing the current password here costs the same budget as logging in.
    ctx.state.limiter.login(&me.username, ctx.client())?;
    validate::password(&req.new_password).map_err(ApiError::invalid)?;
    let credentials = users::credentials(&db, &me.username).await?;
    drop(db);
    let hasher = &ctx.state.hasher;
    let stored = credentials.as_ref().map(|c| c.password_hash.as_str());
    if !hasher.verify(&req.current_password, stored).await? {
        return Err(ApiError::forbidden("the current password is wrong"));
    }
    let hash = hasher.hash(&req.new_password).await?;
    let ended =
        accounts::change_password(&ctx.db().await?, me.user_id, &hash, me.session_id).await?;
    ctx.state.sessions.forget([SessionChange::User(me.user_id)]);
    tracing::info!(
        user_id = me.user_id,
        sessions_ended = ended,
        "password changed"
    );
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
    let (me, db) = ctx.authed().await?;
    let req = body?;
    let display_name = req
        .display_name
        .as_deref()
        .map(|n| validate::name("display_name", n))
        .transpose()
        .map_err(ApiError::invalid)?;
    let bio = req
        .bio
        .as_deref()
        .map(|b| validate::text("bio", b))
        .transpose()
        .map_err(ApiError::invalid)?;
    let user =
        users::update_profile(&db, me.user_id, display_name.as_deref(), bio.as_deref()).await?;
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
    let (_, db) = ctx.authed().await?;
    let no_such_user = || ApiError::not_found("no such user");
    let name = Username::parse(&username).map_err(|_| no_such_user())?;
    let user = users::by_username(&db, name.as_str())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_such_user(),
            other => other.into(),
        })?;
    ok(&UserResponse { user })
}
