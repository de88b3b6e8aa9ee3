//! The `users` table: accounts, profiles and credentials.

use chat_wire::User;

use crate::rows::{self, USER_COLUMN_COUNT, USER_COLUMNS, avatar_json};
use crate::{GenericClient, StoreError, StoreResult};

/// The account role; admins administer the server, not rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    User,
    Admin,
}

impl AccountRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        if s == "admin" {
            Self::Admin
        } else {
            Self::User
        }
    }
}

/// What the store needs to create an account. The username must already be
/// validated and lowercased, the password already hashed.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: AccountRole,
}

/// Creates an account. A taken username is `StoreError::Conflict`.
pub async fn create(db: &impl GenericClient, new: &NewUser<'_>) -> StoreResult<User> {
    let sql = format!(
        "INSERT INTO users AS u (username, password_hash, display_name, role) \
         VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
    );
    let row = db
        .query_one(
            &sql,
            &[
                &new.username,
                &new.password_hash,
                &new.display_name,
                &new.role.as_str(),
            ],
        )
        .await?;
    Ok(rows::user(&row))
}

/// What login checks a password against.
#[derive(Debug)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub disabled: bool,
}

pub async fn credentials(
    db: &impl GenericClient,
    username: &str,
) -> StoreResult<Option<Credentials>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, u.password_hash, u.disabled FROM users u \
         WHERE lower(u.username) = lower($1)"
    );
    let row = db.query_opt(&sql, &[&username]).await?;
    Ok(row.map(|row| Credentials {
        user: rows::user(&row),
        password_hash: row.get(USER_COLUMN_COUNT),
        disabled: row.get(USER_COLUMN_COUNT + 1),
    }))
}

pub async fn get(db: &impl GenericClient, id: i64) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
    let row = db
        .query_opt(&sql, &[&id])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(rows::user(&row))
}

pub async fn by_username(db: &impl GenericClient, username: &str) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE lower(u.username) = lower($1)");
    let row = db
        .query_opt(&sql, &[&username])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(rows::user(&row))
}

/// Changes the given profile fields and leaves the others alone.
pub async fn update_profile(
    db: &impl GenericClient,
    id: i64,
    display_name: Option<&str>,
    bio: Option<&str>,
) -> StoreResult<User> {
    let sql = format!(
        "UPDATE users u SET display_name = coalesce($2, u.display_name), bio = coalesce($3, u.bio) \
         WHERE u.id = $1 RETURNING {USER_COLUMNS}"
    );
    let row = db
        .query_opt(&sql, &[&id, &display_name, &bio])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(rows::user(&row))
}

/// Sets (or with `None` clears) a user's avatar. The caller has checked
/// that the file is an image they uploaded.
pub async fn set_avatar(
    db: &impl GenericClient,
    id: i64,
    file_id: Option<i64>,
) -> StoreResult<User> {
    let sql =
        format!("UPDATE users u SET avatar_file_id = $2 WHERE u.id = $1 RETURNING {USER_COLUMNS}");
    let row = db
        .query_opt(&sql, &[&id, &file_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(rows::user(&row))
}

/// Replaces a password hash (after a reset, or a rehash on login).
pub async fn set_password_hash(db: &impl GenericClient, id: i64, hash: &str) -> StoreResult<()> {
    db.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        &[&id, &hash],
    )
    .await?;
    Ok(())
}

/// The user directory's query: active accounts whose username or display
/// name starts with `$1` (ignoring case), at most `$2`, by username.
///
/// Sorted by the stored username (always lowercase), which no index
/// provides: ordering by `lower(username)` would let the planner walk the
/// unique index in order, filtering, hoping to meet `$2` matches early,
/// which at 100k accounts reads nearly all of them for a rare prefix.
///
/// The prefix is compared as a byte range on the lowercased columns, not
/// with LIKE, so `%` and `_` are plain characters and the partial
/// `text_pattern_ops` indexes of migration V8 serve it even in a generic
/// plan (chatd/tests/api/moderation.rs checks the plan at 100k users). The
/// range's end, the prefix followed by U+10FFFF, takes in every name that
/// starts with the prefix (bar one continuing with that noncharacter).
pub const DIRECTORY_SQL: &str = concat!(
    "SELECT u.id, u.username, u.display_name, u.bio, u.created_at, ",
    avatar_json!("u.avatar_file_id"),
    " FROM users u \
     WHERE NOT u.disabled AND u.deleted_at IS NULL \
       AND ((lower(u.username) ~>=~ lower($1) \
             AND lower(u.username) ~<~ (lower($1) || chr(1114111))) \
         OR (lower(u.display_name) ~>=~ lower($1) \
             AND lower(u.display_name) ~<~ (lower($1) || chr(1114111)))) \
     ORDER BY u.username, u.id LIMIT $2"
);

/// Runs [`DIRECTORY_SQL`].
pub async fn directory(
    db: &impl GenericClient,
    prefix: &str,
    limit: i64,
) -> StoreResult<Vec<User>> {
    let stmt = db.prepare_cached(DIRECTORY_SQL).await?;
    Ok(db
        .query(&stmt, &[&prefix, &limit])
        .await?
        .iter()
        .map(rows::user)
        .collect())
}
