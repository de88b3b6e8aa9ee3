//! Shared state and the per-request context handlers work with.

use std::net::IpAddr;
use std::sync::Arc;

use crate::browser::{Credential, Provenance};
use crate::config::Config;
use crate::error::ApiError;
use crate::gateway::Gateway;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::sends::SendQueue;
use crate::service::Call;
use crate::session_cache::{Miss, SessionCache};
use chat_store::password::PasswordHasher;
use chat_store::sessions::{self, SessionUser};
use chat_store::{Client, Pool};
use warp::http::HeaderValue;

/// Everything handlers share: built once at startup.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub pool: Pool,
    pub hasher: PasswordHasher,
    pub metrics: Arc<Metrics>,
    pub sends: Arc<SendQueue>,
    pub gateway: Arc<Gateway>,
    pub limiter: Arc<RateLimiter>,
    pub sessions: Arc<SessionCache>,
    /// Uploaded files: the blob store and its settings.
    pub files: Arc<crate::service::files::Files>,
}

/// One request's view of the app: the shared state plus the caller's
/// credentials, checked only when a handler asks.
#[derive(Clone)]
pub struct Ctx {
    pub state: Arc<AppState>,
    credential: Option<Credential>,
    /// Where the request says it comes from (for the session cookie).
    provenance: Provenance,
    client: Option<IpAddr>,
    https: bool,
}

impl Ctx {
    pub fn new(
        state: Arc<AppState>,
        credential: Option<Credential>,
        provenance: Provenance,
        client: Option<IpAddr>,
        https: bool,
    ) -> Self {
        Self {
            state,
            credential,
            provenance,
            client,
            https,
        }
    }

    /// True if the request carries credentials (a header or the cookie).
    pub fn has_credential(&self) -> bool {
        self.credential.is_some()
    }

    /// True if the request carries the session cookie and no header.
    pub fn by_cookie(&self) -> bool {
        matches!(self.credential, Some(Credential::Cookie(_)))
    }

    /// Where the request says it comes from.
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// True if the client reached chatd over HTTPS (see
    /// [`crate::browser::is_https`]).
    pub fn https(&self) -> bool {
        self.https
    }

    /// The client's address (behind a trusted proxy, the one it names);
    /// unspecified only when chatd is driven without its own server.
    pub fn client(&self) -> IpAddr {
        self.client
            .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
    }

    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// A pooled connection, or 503 when the database is down.
    pub async fn db(&self) -> Result<Client, ApiError> {
        Ok(self
            .state
            .pool
            .get()
            .await
            .map_err(chat_store::StoreError::from)?)
    }

    /// The caller's session, or 401. Touches the database only when the
    /// token was not checked recently (see [`SessionCache`]).
    pub async fn caller(&self) -> Result<SessionUser, ApiError> {
        let token_hash = self.token_hash()?;
        match self.lookup(&token_hash) {
            Ok(me) => Ok(me),
            Err(miss) => self.check(&self.db().await?, miss, token_hash).await,
        }
    }

    /// The caller's session and a connection to keep using, or 401.
    pub async fn authed(&self) -> Result<(SessionUser, Client), ApiError> {
        let token_hash = self.token_hash()?;
        // Checked after the checkout, which may wait: the answer must be as
        // fresh as the moment the handler starts.
        let db = self.db().await?;
        let me = match self.lookup(&token_hash) {
            Ok(me) => me,
            Err(miss) => self.check(&db, miss, token_hash).await?,
        };
        Ok((me, db))
    }

    /// The caller, a connection and the shared state, for a service call.
    pub async fn call(&self) -> Result<Call, ApiError> {
        let (me, db) = self.authed().await?;
        Ok(Call {
            state: self.state.clone(),
            me,
            db,
        })
    }

    /// The session cache's answer, counted.
    fn lookup(&self, token_hash: &[u8]) -> Result<SessionUser, Miss> {
        let answer = self.state.sessions.lookup(token_hash);
        let metrics = &self.state.metrics;
        match answer {
            Ok(_) => metrics.session_cache_hits.inc(),
            Err(_) => metrics.session_cache_misses.inc(),
        };
        answer
    }

    /// Asks the database about a token the cache did not know.
    async fn check(
        &self,
        db: &Client,
        miss: Miss,
        token_hash: Vec<u8>,
    ) -> Result<SessionUser, ApiError> {
        let me = sessions::authenticate(db, &token_hash, self.state.config.session_idle)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        self.state.sessions.store(miss, token_hash, &me);
        Ok(me)
    }

    /// The hash of the caller's token. Only where the token comes from
    /// differs between a header and the cookie; a cookie from a page that
    /// is not this server's is refused before it is even looked up.
    fn token_hash(&self) -> Result<Vec<u8>, ApiError> {
        let token = match &self.credential {
            Some(Credential::Header(value)) => bearer_token(value),
            Some(Credential::Cookie(token)) => {
                self.provenance.check_cookie_use()?;
                Some(token.as_str())
            }
            None => None,
        };
        Ok(sessions::hash_token(
            token.ok_or_else(ApiError::unauthorized)?,
        ))
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
