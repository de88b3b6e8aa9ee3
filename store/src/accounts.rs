//! Accounts as administrators manage them (chatctl): filtered lists,
//! details, role and password changes, lock-outs, deletion and bulk import.
//!
//! Everything that locks a user out (disable, password reset, delete) also
//! ends their sessions in the same statement or transaction; chatd notices
//! at its next session check and closes their WebSockets.

use chat_wire::{EventType, User};
use time::OffsetDateTime;

use crate::events::Appends;
use crate::users::{self, AccountRole, NewUser};
use crate::{Client, Committed, GenericClient, StoreError, StoreResult, members};

/// Columns of [`Account`], from `users u`.
const ACCOUNT_COLUMNS: &str =
    "u.id, u.username, u.display_name, u.role, u.disabled, u.created_at, u.deleted_at";

/// An account as an administrator sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: AccountRole,
    pub state: AccountState,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Whether an account can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    Active,
    Disabled,
    /// Deleted by an administrator; only a tombstone author remains.
    Deleted,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
        }
    }
}

fn account(row: &tokio_postgres::Row) -> Account {
    let deleted: Option<OffsetDateTime> = row.get(6);
    Account {
        id: row.get(0),
        username: row.get(1),
        display_name: row.get(2),
        role: AccountRole::parse(row.get(3)),
        state: match (deleted, row.get::<_, bool>(4)) {
            (Some(_), _) => AccountState::Deleted,
            (None, true) => AccountState::Disabled,
            (None, false) => AccountState::Active,
        },
        created_at: row.get(5),
    }
}

/// Which accounts [`list`] returns; `None` fields match everything.
/// Deleted accounts are listed only when `state` asks for them.
#[derive(Debug, Default, Clone, Copy)]
pub struct AccountFilter<'a> {
    pub role: Option<AccountRole>,
    pub state: Option<AccountState>,
    /// Case-insensitive substring of the username or display name.
    pub search: Option<&'a str>,
}

pub async fn list(db: &impl GenericClient, filter: AccountFilter<'_>) -> StoreResult<Vec<Account>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM users u \
         WHERE ($1::text IS NULL OR u.role = $1) \
           AND CASE $2::text \
                 WHEN 'active' THEN NOT u.disabled AND u.deleted_at IS NULL \
                 WHEN 'disabled' THEN u.disabled AND u.deleted_at IS NULL \
                 WHEN 'deleted' THEN u.deleted_at IS NOT NULL \
                 ELSE u.deleted_at IS NULL END \
           AND ($3::text IS NULL OR strpos(lower(u.username || ' ' || u.display_name), lower($3)) > 0) \
         ORDER BY u.id"
    );
    let role = filter.role.map(AccountRole::as_str);
    let state = filter.state.map(AccountState::as_str);
    let rows = db.query(&sql, &[&role, &state, &filter.search]).await?;
    Ok(rows.iter().map(account).collect())
}

/// An account and what hangs off it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountDetail {
    #[serde(flatten)]
    pub account: Account,
    pub bio: String,
    /// Sessions that are not revoked and not past their absolute expiry.
    pub live_sessions: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
    pub rooms: i64,
    pub messages: i64,
    pub rate_limit_exempt: bool,
}

/// `NotFound` for an unknown (or deleted) username.
pub async fn detail(db: &impl GenericClient, username: &str) -> StoreResult<AccountDetail> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, u.bio, \
           (SELECT count(*) FROM sessions s \
             WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()), \
           (SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id), \
           (SELECT count(*) FROM memberships m WHERE m.user_id = u.id), \
           (SELECT count(*) FROM messages m WHERE m.author_id = u.id AND m.deleted_at IS NULL), \
           u.rate_limit_exempt \
         FROM users u WHERE lower(u.username) = lower($1) AND u.deleted_at IS NULL"
    );
    let row = db
        .query_opt(&sql, &[&username])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(AccountDetail {
        account: account(&row),
        bio: row.get(7),
        live_sessions: row.get(8),
        last_seen_at: row.get(9),
        rooms: row.get(10),
        messages: row.get(11),
        rate_limit_exempt: row.get(12),
    })
}

/// Disables or re-enables an account. Disabling also revokes every session,
/// so the user is logged out everywhere at once. `NotFound` for an unknown
/// username.
pub async fn set_disabled(
    db: &impl GenericClient,
    username: &str,
    disabled: bool,
) -> StoreResult<()> {
    let sql = "WITH u AS ( \
                 UPDATE users SET disabled = $2 \
                 WHERE lower(username) = lower($1) AND deleted_at IS NULL RETURNING id), \
               s AS ( \
                 UPDATE sessions SET revoked_at = now() \
                 WHERE $2 AND user_id IN (SELECT id FROM u) AND revoked_at IS NULL) \
               SELECT count(*) FROM u";
    let found: i64 = db.query_one(sql, &[&username, &disabled]).await?.get(0);
    if found == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Makes an account an administrator or a plain user.
pub async fn set_role(
    db: &impl GenericClient,
    username: &str,
    role: AccountRole,
) -> StoreResult<Account> {
    let sql = format!(
        "UPDATE users u SET role = $2 \
         WHERE lower(u.username) = lower($1) AND u.deleted_at IS NULL RETURNING {ACCOUNT_COLUMNS}"
    );
    let row = db
        .query_opt(&sql, &[&username, &role.as_str()])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(account(&row))
}

/// Exempts an account from the per-user rate limits, or ends that.
pub async fn set_rate_limit_exempt(
    db: &impl GenericClient,
    username: &str,
    exempt: bool,
) -> StoreResult<()> {
    let updated = db
        .execute(
            "UPDATE users SET rate_limit_exempt = $2 \
             WHERE lower(username) = lower($1) AND deleted_at IS NULL",
            &[&username, &exempt],
        )
        .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Replaces a password (already hashed) and revokes every session, so
/// whoever knew the old one is out. Returns how many sessions were live.
pub async fn reset_password(
    db: &impl GenericClient,
    username: &str,
    password_hash: &str,
) -> StoreResult<u64> {
    let sql = "WITH u AS ( \
                 UPDATE users SET password_hash = $2 \
                 WHERE lower(username) = lower($1) AND deleted_at IS NULL RETURNING id), \
               s AS ( \
                 UPDATE sessions SET revoked_at = now() \
                 WHERE user_id IN (SELECT id FROM u) AND revoked_at IS NULL RETURNING 1) \
               SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM s)";
    let row = db.query_one(sql, &[&username, &password_hash]).await?;
    if row.get::<_, i64>(0) == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(row.get::<_, i64>(1) as u64)
}

/// A user's own password change: the new hash, and every session but the
/// one making the change ends. Returns how many sessions ended.
pub async fn change_password(
    db: &impl GenericClient,
    user_id: i64,
    password_hash: &str,
    keep_session: i64,
) -> StoreResult<u64> {
    let sql = "WITH u AS (UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING id), \
               s AS (UPDATE sessions SET revoked_at = now() \
                     WHERE user_id IN (SELECT id FROM u) AND id <> $3 AND revoked_at IS NULL \
                     RETURNING 1) \
               SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM s)";
    let row = db
        .query_one(sql, &[&user_id, &password_hash, &keep_session])
        .await?;
    if row.get::<_, i64>(0) == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(row.get::<_, i64>(1) as u64)
}

/// What happens to a deleted account's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagePolicy {
    /// They stay, credited to the tombstone author "Deleted user".
    Keep,
    /// Their text is erased: each becomes a deleted-message tombstone, with
    /// a `message.deleted` event so clients drop the text too.
    Erase,
}

/// What [`delete`] did.
#[derive(Debug, serde::Serialize)]
pub struct Deletion {
    pub user_id: i64,
    pub rooms_left: usize,
    pub messages_erased: usize,
    /// The events it logged, to announce to chatd.
    #[serde(skip)]
    pub events: Committed,
}

/// Deletes an account in one transaction: it leaves every room (logged as
/// `member.left`, with ownership handed on), optionally has its messages
/// erased, loses its sessions, and is turned into a tombstone row named
/// `~deleted-<id>` (a name no one can register) so its messages keep an
/// author. `NotFound` for an unknown username.
pub async fn delete(
    client: &mut Client,
    username: &str,
    policy: MessagePolicy,
) -> StoreResult<Deletion> {
    let tx = client.transaction().await?;
    let user_id: i64 = tx
        .query_opt(
            "SELECT id FROM users WHERE lower(username) = lower($1) AND deleted_at IS NULL \
             FOR UPDATE",
            &[&username],
        )
        .await?
        .ok_or(StoreError::NotFound)?
        .get(0);
    let mut log = Appends::default();
    let rooms: Vec<i64> = tx
        .query(
            "SELECT room_id FROM memberships WHERE user_id = $1 ORDER BY room_id",
            &[&user_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for &room_id in &rooms {
        members::remove_in(&tx, &mut log, room_id, user_id).await?;
    }
    let mut messages_erased = 0;
    if policy == MessagePolicy::Erase {
        // Room by room, in id order like the leaves above, so this
        // transaction takes room locks in a fixed order.
        let erased = tx
            .query(
                "UPDATE messages SET body = '', deleted_at = now() \
                 WHERE author_id = $1 AND deleted_at IS NULL RETURNING room_id, id",
                &[&user_id],
            )
            .await?;
        let mut erased: Vec<(i64, i64)> = erased.iter().map(|r| (r.get(0), r.get(1))).collect();
        erased.sort_unstable();
        messages_erased = erased.len();
        for (room_id, message_id) in erased {
            log.append(
                &tx,
                room_id,
                EventType::MessageDeleted,
                Some(message_id),
                None,
                None,
            )
            .await?;
        }
    }
    tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
        .await?;
    tx.execute(
        "UPDATE users SET username = '~deleted-' || id, display_name = 'Deleted user', bio = '', \
           password_hash = '', disabled = true, deleted_at = now() WHERE id = $1",
        &[&user_id],
    )
    .await?;
    Ok(Deletion {
        user_id,
        rooms_left: rooms.len(),
        messages_erased,
        events: log.commit(tx).await?,
    })
}

/// Creates many accounts in one transaction: all of them or, on any
/// failure (such as a username taken meanwhile), none.
pub async fn import(client: &mut Client, new: &[NewUser<'_>]) -> StoreResult<Vec<User>> {
    let tx = client.transaction().await?;
    let mut created = Vec::with_capacity(new.len());
    for user in new {
        created.push(users::create(&tx, user).await?);
    }
    tx.commit().await?;
    Ok(created)
}

/// Of the given usernames, those already taken (deleted accounts do not
/// hold their old names).
pub async fn taken(db: &impl GenericClient, usernames: &[&str]) -> StoreResult<Vec<String>> {
    let rows = db
        .query(
            "SELECT lower(username) FROM users WHERE lower(username) = ANY($1)",
            &[&usernames],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
