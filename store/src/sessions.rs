//! The `sessions` table: bearer tokens, stored only as SHA-256 hashes.

use sha2::{Digest, Sha256};
use std::time::Duration;
use time::OffsetDateTime;

use crate::{GenericClient, StoreError, StoreResult};

/// A fresh 256-bit random token, hex-encoded, and the hash to store.
pub fn new_token() -> StoreResult<(String, Vec<u8>)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// The stored form of a token. A plain hash is enough (no salt, no
/// stretching): the token is 256 random bits, not a guessable password.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Starts a session that ends at the latest after `ttl`.
pub async fn create(
    db: &impl GenericClient,
    user_id: i64,
    token_hash: &[u8],
    ttl: Duration,
) -> StoreResult<OffsetDateTime> {
    create_with_agent(db, user_id, token_hash, ttl, None).await
}

/// [`create`], noting the client's User-Agent (already truncated) so its
/// owner can tell their sessions apart.
pub async fn create_with_agent(
    db: &impl GenericClient,
    user_id: i64,
    token_hash: &[u8],
    ttl: Duration,
    user_agent: Option<&str>,
) -> StoreResult<OffsetDateTime> {
    let row = db
        .query_one(
            "INSERT INTO sessions (user_id, token_hash, expires_at, user_agent) \
             VALUES ($1, $2, now() + $3::bigint * interval '1 second', $4) RETURNING expires_at",
            &[&user_id, &token_hash, &(ttl.as_secs() as i64), &user_agent],
        )
        .await?;
    Ok(row.get(0))
}

/// A user's sessions that still count (not revoked, not expired, used
/// within `idle`), newest first, with `current` marking `current_id`.
pub async fn list_live(
    db: &impl GenericClient,
    user_id: i64,
    current_id: i64,
    idle: Duration,
) -> StoreResult<Vec<chat_wire::api::Session>> {
    let rows = db
        .query(
            "SELECT id, created_at, last_seen_at, user_agent FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() \
               AND last_seen_at > now() - $2::bigint * interval '1 second' \
             ORDER BY created_at DESC, id DESC",
            &[&user_id, &(idle.as_secs() as i64)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| chat_wire::api::Session {
            id: r.get(0),
            created_at: r.get(1),
            last_seen_at: r.get(2),
            user_agent: r.get(3),
            current: r.get::<_, i64>(0) == current_id,
        })
        .collect())
}

/// Ends one of a user's live sessions. `NotFound` when the id names no
/// live session of theirs (someone else's looks exactly like none). The
/// database announces the change, so its sockets close on every instance.
pub async fn revoke_own(db: &impl GenericClient, user_id: i64, session_id: i64) -> StoreResult<()> {
    let ended = db
        .execute(
            "UPDATE sessions SET revoked_at = now() \
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()",
            &[&session_id, &user_id],
        )
        .await?;
    if ended == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The caller behind a valid token.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: i64,
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    /// Skips the per-user rate limits (bots, set by an administrator).
    pub rate_limit_exempt: bool,
    /// How long this answer stays true if nothing is changed: until the
    /// session's absolute expiry or its idle limit, whichever comes first.
    pub valid_for: Duration,
}

/// Looks a token up. A session counts only while it is not revoked, not
/// past its expiry, used within `idle`, and its user is not disabled.
/// `last_seen_at` is refreshed at most once a minute (or a third of `idle`,
/// if that is shorter) to keep reads cheap.
pub async fn authenticate(
    db: &impl GenericClient,
    token_hash: &[u8],
    idle: Duration,
) -> StoreResult<Option<SessionUser>> {
    // A plain read on the hot path; the rare refresh is its own statement.
    let stmt = db
        .prepare_cached(&format!(
            "SELECT s.id, u.id, u.username, u.role = 'admin', u.rate_limit_exempt, \
                    s.last_seen_at < now() - {REFRESH_AFTER}, \
                    extract(epoch FROM s.expires_at - now())::float8, \
                    extract(epoch FROM now() - s.last_seen_at)::float8 \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() \
               AND s.last_seen_at > now() - $2::bigint * interval '1 second' \
               AND NOT u.disabled"
        ))
        .await?;
    let row = db
        .query_opt(&stmt, &[&token_hash, &(idle.as_secs() as i64)])
        .await?;
    let Some(row) = row else { return Ok(None) };
    let touched = row.get::<_, bool>(5);
    if touched {
        let touch = db
            .prepare_cached(
                // Never backwards, when two requests race: the database
                // announces a last_seen_at that goes back (migration V5).
                "UPDATE sessions SET last_seen_at = greatest(last_seen_at, now()) WHERE id = $1",
            )
            .await?;
        db.execute(&touch, &[&row.get::<_, i64>(0)]).await?;
    }
    // Seconds since last use (zero when just refreshed) count against idle.
    let unused = if touched { 0.0 } else { row.get::<_, f64>(7) };
    let left = row
        .get::<_, f64>(6)
        .min(idle.as_secs_f64() - unused)
        .max(0.0);
    Ok(Some(SessionUser {
        session_id: row.get(0),
        user_id: row.get(1),
        username: row.get(2),
        is_admin: row.get(3),
        rate_limit_exempt: row.get(4),
        valid_for: Duration::try_from_secs_f64(left).unwrap_or_default(),
    }))
}

/// Ends one session at once.
pub async fn revoke(db: &impl GenericClient, session_id: i64) -> StoreResult<()> {
    db.execute(
        "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        &[&session_id],
    )
    .await?;
    Ok(())
}

/// Ends every session of a user; returns how many were live.
pub async fn revoke_all(db: &impl GenericClient, user_id: i64) -> StoreResult<u64> {
    Ok(db
        .execute(
            "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user_id],
        )
        .await?)
}

/// How stale `last_seen_at` may get before a use refreshes it: a minute,
/// or a third of the idle limit (`$2`, seconds) when that is shorter, so
/// a session in use never reaches the limit.
const REFRESH_AFTER: &str = "least(interval '1 minute', $2::bigint * interval '1 second' / 3)";

/// Marks sessions as used now (those with an open WebSocket), where their
/// `last_seen_at` is older than the refresh interval; one statement for
/// every socket of an instance.
pub async fn touch_many(db: &impl GenericClient, ids: &[i64], idle: Duration) -> StoreResult<u64> {
    let stmt = db
        .prepare_cached(&format!(
            "UPDATE sessions SET last_seen_at = now() \
             WHERE id = ANY($1) AND revoked_at IS NULL AND last_seen_at < now() - {REFRESH_AFTER}"
        ))
        .await?;
    Ok(db.execute(&stmt, &[&ids, &(idle.as_secs() as i64)]).await?)
}

/// Of the given sessions, those that no longer count: revoked, expired,
/// idle too long, or belonging to a disabled user (or gone). One query for
/// every open WebSocket of an instance.
pub async fn invalid_among(
    db: &impl GenericClient,
    ids: &[i64],
    idle: Duration,
) -> StoreResult<Vec<i64>> {
    let rows = db
        .query(
            "SELECT wanted.id FROM unnest($1::bigint[]) AS wanted(id) \
             WHERE NOT EXISTS ( \
                 SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id = wanted.id AND s.revoked_at IS NULL AND s.expires_at > now() \
                   AND s.last_seen_at > now() - $2::bigint * interval '1 second' \
                   AND NOT u.disabled)",
            &[&ids, &(idle.as_secs() as i64)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// A session as an administrator sees it (never the token).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// Neither revoked nor past its absolute expiry (chatd may still end
    /// it for being idle).
    pub live: bool,
}

/// A user's sessions, newest first; ended ones only with `include_ended`.
/// `NotFound` for an unknown username.
pub async fn list_for_user(
    db: &impl GenericClient,
    username: &str,
    include_ended: bool,
) -> StoreResult<Vec<SessionInfo>> {
    let user: Option<i64> = db
        .query_opt(
            "SELECT id FROM users WHERE lower(username) = lower($1) AND deleted_at IS NULL",
            &[&username],
        )
        .await?
        .map(|r| r.get(0));
    let user = user.ok_or(StoreError::NotFound)?;
    let rows = db
        .query(
            "SELECT id, created_at, last_seen_at, expires_at, revoked_at, \
                    revoked_at IS NULL AND expires_at > now() AS live \
             FROM sessions WHERE user_id = $1 \
               AND ($2 OR (revoked_at IS NULL AND expires_at > now())) \
             ORDER BY created_at DESC, id DESC",
            &[&user, &include_ended],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| SessionInfo {
            id: r.get(0),
            created_at: r.get(1),
            last_seen_at: r.get(2),
            expires_at: r.get(3),
            revoked_at: r.get(4),
            live: r.get(5),
        })
        .collect())
}

/// Ends a user's session by id, or all of them with `None`; returns how
/// many were live. `NotFound` for an unknown user, or a session id that is
/// not that user's.
pub async fn revoke_for_user(
    db: &impl GenericClient,
    username: &str,
    session_id: Option<i64>,
) -> StoreResult<u64> {
    let row = db
        .query_one(
            "WITH u AS (SELECT id FROM users \
                        WHERE lower(username) = lower($1) AND deleted_at IS NULL), \
                  target AS (SELECT s.id, s.revoked_at FROM sessions s JOIN u ON u.id = s.user_id \
                             WHERE $2::bigint IS NULL OR s.id = $2), \
                  ended AS (UPDATE sessions SET revoked_at = now() \
                            WHERE id IN (SELECT id FROM target WHERE revoked_at IS NULL) RETURNING 1) \
             SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM target), \
                    (SELECT count(*) FROM ended)",
            &[&username, &session_id],
        )
        .await?;
    let (users, targets, ended): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    if users == 0 || (session_id.is_some() && targets == 0) {
        return Err(StoreError::NotFound);
    }
    Ok(ended as u64)
}
