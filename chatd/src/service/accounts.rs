//! Accounts and sessions: signing up, logging in and out, one's own
//! profile and password, and other people's profiles.
//!
//! Signing up and logging in come before there is a caller, so they take
//! the shared state and the client's address instead of a [`Call`].

use std::net::IpAddr;

use chat_store::notify::SessionChange;
use chat_store::users::{self, AccountRole, NewUser};
use chat_store::{Client, StoreError, accounts, sessions};
use chat_wire::api::RegisterRequest;
use chat_wire::validate::{self, Username};
use chat_wire::{ErrorCode, User};
use time::OffsetDateTime;

use super::Call;
use super::names::refuse_mixed_scripts;
use super::rooms::user_named;
use crate::config::RegistrationMode;
use crate::error::ApiError;
use crate::state::AppState;

/// A new session, as a login hands it out.
#[derive(Debug)]
pub struct LoggedIn {
    /// The bearer token; only its hash is stored.
    pub token: String,
    pub user: User,
    pub expires_at: OffsetDateTime,
}

/// Creates an account when registration is open. The request comes as it
/// arrived, readable or not: the registration mode and the sign-up limit
/// answer first, so a malformed sign-up costs a token like any other.
pub async fn register(
    state: &AppState,
    client: IpAddr,
    req: Result<RegisterRequest, ApiError>,
) -> Result<User, ApiError> {
    if state.config.registration == RegistrationMode::Closed {
        return Err(ApiError::new(
            ErrorCode::RegistrationClosed,
            "registration is closed; ask an administrator for an account",
        ));
    }
    state.limiter.register(client)?;
    let req = req?;
    let username = Username::parse(&req.username).map_err(ApiError::invalid)?;
    validate::password(&req.password).map_err(ApiError::invalid)?;
    let display_name = match &req.display_name {
        Some(name) => validate::name("display_name", name).map_err(ApiError::invalid)?,
        None => username.to_string(),
    };
    refuse_mixed_scripts("display_name", &display_name)?;
    let hash = state.hasher.hash(&req.password).await?;
    let new = NewUser {
        username: username.as_str(),
        password_hash: &hash,
        display_name: &display_name,
        role: AccountRole::User,
    };
    let user = users::create(&connect(state).await?, &new)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict("username is taken"),
            other => other.into(),
        })?;
    tracing::info!(user_id = user.id, username = %user.username, "account registered");
    Ok(user)
}

/// Checks a username and password and opens a session, upgrading the
/// stored hash when its parameters are out of date. The client's
/// User-Agent is kept with the session (see [`super::people::user_agent`]).
pub async fn login(
    state: &AppState,
    client: IpAddr,
    username: &str,
    password: &str,
    user_agent: Option<&str>,
) -> Result<LoggedIn, ApiError> {
    // Counted before the password is checked, so guessing costs a token
    // whether or not the guess is right.
    state.limiter.login(username, client)?;
    let refused = || ApiError::new(ErrorCode::Unauthorized, "wrong username or password");
    // An impossible username is looked up like any other: the answer and
    // its timing must not tell which usernames exist. The connection goes
    // back to the pool before the slow hash.
    let credentials = match Username::parse(username) {
        Ok(name) => users::credentials(&connect(state).await?, name.as_str()).await?,
        Err(_) => None,
    };
    let hasher = &state.hasher;
    let stored = credentials.as_ref().map(|c| c.password_hash.as_str());
    let verified = hasher.verify(password, stored).await?;
    let metrics = &state.metrics;
    // A disabled account answers exactly like a wrong password, whichever
    // password is given: its state is told to nobody (docs/security.md).
    let Some(credentials) = credentials.filter(|c| verified && !c.disabled) else {
        metrics.login_failures.inc();
        return Err(refused());
    };
    let user = credentials.user;
    let fresh_hash = if hasher.needs_rehash(&credentials.password_hash) {
        Some(hasher.hash(password).await?)
    } else {
        None
    };
    let db = connect(state).await?;
    if let Some(fresh) = fresh_hash {
        users::set_password_hash(&db, user.id, &fresh).await?;
    }
    let (token, token_hash) = sessions::new_token()?;
    let agent = super::people::user_agent(user_agent);
    let ttl = state.config.session_ttl;
    let expires_at =
        sessions::create_with_agent(&db, user.id, &token_hash, ttl, agent.as_deref()).await?;
    metrics.logins.inc();
    tracing::info!(user_id = user.id, "login");
    Ok(LoggedIn {
        token,
        user,
        expires_at,
    })
}

/// Ends the caller's session; its token stops working at once.
pub async fn logout(call: Call) -> Result<(), ApiError> {
    sessions::revoke(&call.db, call.me.session_id).await?;
    // The database announces it to every instance; this one must not wait.
    call.state
        .sessions
        .forget([SessionChange::User(call.me.user_id)]);
    Ok(())
}

/// The caller's own profile.
pub async fn me(call: Call) -> Result<User, ApiError> {
    Ok(users::get(&call.db, call.me.user_id).await?)
}

/// Changes the caller's password, ending every other session of the
/// account; the caller's own stays.
pub async fn change_password(
    call: Call,
    client: IpAddr,
    current: &str,
    new: &str,
) -> Result<(), ApiError> {
    let Call { state, me, db } = call;
    // Guessing the current password here costs the same budget as logging in.
    state.limiter.login(&me.username, client)?;
    validate::password(new).map_err(ApiError::invalid)?;
    let credentials = users::credentials(&db, &me.username).await?;
    // Back to the pool before the slow hashes.
    drop(db);
    let hasher = &state.hasher;
    let stored = credentials.as_ref().map(|c| c.password_hash.as_str());
    if !hasher.verify(current, stored).await? {
        return Err(ApiError::forbidden("the current password is wrong"));
    }
    let hash = hasher.hash(new).await?;
    let ended =
        accounts::change_password(&connect(&state).await?, me.user_id, &hash, me.session_id)
            .await?;
    state.sessions.forget([SessionChange::User(me.user_id)]);
    tracing::info!(
        user_id = me.user_id,
        sessions_ended = ended,
        "password changed"
    );
    Ok(())
}

/// Changes the caller's display name or bio; an absent field stays.
pub async fn update_profile(
    call: Call,
    display_name: Option<&str>,
    bio: Option<&str>,
) -> Result<User, ApiError> {
    let display_name = display_name
        .map(|n| validate::name("display_name", n))
        .transpose()
        .map_err(ApiError::invalid)?;
    if let Some(name) = &display_name {
        refuse_mixed_scripts("display_name", name)?;
    }
    let bio = bio
        .map(|b| validate::text("bio", b))
        .transpose()
        .map_err(ApiError::invalid)?;
    let user = users::update_profile(
        &call.db,
        call.me.user_id,
        display_name.as_deref(),
        bio.as_deref(),
    )
    .await?;
    Ok(user)
}

/// Another user's public profile; 404 for a name that names no one.
pub async fn profile(call: Call, username: &str) -> Result<User, ApiError> {
    user_named(&call, username).await
}

/// A pooled connection, or 503 when the database is down: for the calls
/// that come before there is a [`Call`] to hold one.
async fn connect(state: &AppState) -> Result<Client, ApiError> {
    Ok(state.pool.get().await.map_err(StoreError::from)?)
}
