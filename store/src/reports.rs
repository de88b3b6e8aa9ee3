//! The `reports` table: messages reported to the server's admins.
//!
//! A report refers to its message and shows the message as it is now,
//! never a copy of its text, so deleting the message (which empties its
//! body and erases its earlier texts) leaves nothing of what it said in
//! the database. Admins see the earlier texts too, so editing a message
//! after it was reported hides nothing.

use chat_wire::UserRef;
use chat_wire::moderation::{Report, ReportStatus, ReportedMessage, Resolution};
use tokio_postgres::Row;

use crate::audit::{self, AuditActor, Entry};
use crate::rows::room_kind;
use crate::{Client, GenericClient, Refusal, StoreError, StoreResult, members};

/// The unique index that allows one report per reporter and message.
pub const ONE_PER_REPORTER_KEY: &str = "reports_message_reporter_idx";

/// Files a report by `reporter` on a message, which they must be able to
/// see: [`Refusal::NoSuchMessage`] for an unknown message,
/// [`Refusal::NotMember`] for one in a room they are not in,
/// [`Refusal::MessageDeleted`] for a tombstone, a conflict on
/// [`ONE_PER_REPORTER_KEY`] for a second report of theirs.
pub async fn create(
    db: &impl GenericClient,
    reporter: i64,
    message_id: i64,
    reason: &str,
) -> StoreResult<i64> {
    let row = find_message(db, reporter, message_id)
        .await?
        .ok_or(Refusal::NoSuchMessage)?;
    let room_id: i64 = row.get(0);
    members::access(db, room_id, reporter).await?.member()?;
    if row.get::<_, bool>(1) {
        return Err(Refusal::MessageDeleted.into());
    }
    let row = db
        .query_one(
            "INSERT INTO reports (room_id, message_id, reporter_id, reason) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&room_id, &message_id, &reporter, &reason],
        )
        .await?;
    Ok(row.get(0))
}

/// Everything a report shows, from `reports r`.
/// Finds a message by id alone, as a report names it: `(room_id,
/// deleted)`. messages has no index on id by itself (every send would pay
/// for one), so it probes the primary key (room_id, id) of the reporter's
/// own rooms first, and only if it is in none of them the public rooms, so
/// a stranger still learns that the message is in a room they may join.
async fn find_message(
    db: &impl GenericClient,
    reporter: i64,
    message_id: i64,
) -> StoreResult<Option<Row>> {
    let mine = db
        .query_opt(
            "SELECT m.room_id, m.deleted_at IS NOT NULL FROM memberships mb \
             JOIN messages m ON m.room_id = mb.room_id AND m.id = $2 \
             WHERE mb.user_id = $1",
            &[&reporter, &message_id],
        )
        .await?;
    if mine.is_some() {
        return Ok(mine);
    }
    Ok(db
        .query_opt(
            "SELECT m.room_id, m.deleted_at IS NOT NULL FROM rooms r \
             JOIN messages m ON m.room_id = r.id AND m.id = $1 \
             WHERE r.kind = 'room' AND r.visibility = 'public'",
            &[&message_id],
        )
        .await?)
}

const REPORT_SELECT: &str = "\
    SELECT r.id, r.reason, r.created_at, r.resolved_at, r.resolved_by, r.resolution, \
           m.id, m.room_id, ro.name, ro.kind, m.body, m.created_at, m.edited_at, \
           m.deleted_at IS NOT NULL, \
           au.id, au.username, au.display_name, \
           ru.id, ru.username, ru.display_name, \
           ARRAY(SELECT body FROM message_revisions v \
                 WHERE v.room_id = m.room_id AND v.message_id = m.id ORDER BY v.seq), \
           au.avatar_file_id, ru.avatar_file_id \
    FROM reports r \
    JOIN messages m ON m.room_id = r.room_id AND m.id = r.message_id \
    JOIN rooms ro ON ro.id = r.room_id \
    JOIN users au ON au.id = m.author_id \
    LEFT JOIN users ru ON ru.id = r.reporter_id";

fn report(row: &Row) -> StoreResult<Report> {
    let resolution = row
        .get::<_, Option<time::OffsetDateTime>>(3)
        .map(|at| Resolution {
            at,
            by: row.get::<_, Option<String>>(4).unwrap_or_default(),
            note: row.get(5),
        });
    let reporter = row.get::<_, Option<i64>>(17).map(|id| UserRef {
        id,
        username: row.get(18),
        display_name: row.get(19),
        avatar_id: row.get(22),
    });
    Ok(Report {
        id: row.get(0),
        reason: row.get(1),
        created_at: row.get(2),
        resolution,
        message: ReportedMessage {
            id: row.get(6),
            room_id: row.get(7),
            room_name: row.get(8),
            room_kind: room_kind(row.get(9))?,
            body: row.get(10),
            created_at: row.get(11),
            edited_at: row.get(12),
            deleted: row.get(13),
            author: UserRef {
                id: row.get(14),
                username: row.get(15),
                display_name: row.get(16),
                avatar_id: row.get(21),
            },
            earlier_texts: row.get(20),
        },
        reporter,
    })
}

/// Reports with the given status, newest first, with ids below `before`.
pub async fn list(
    db: &impl GenericClient,
    status: ReportStatus,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Report>> {
    let filter = match status {
        ReportStatus::Open => "r.resolved_at IS NULL",
        ReportStatus::Resolved => "r.resolved_at IS NOT NULL",
        ReportStatus::All => "true",
    };
    let sql = format!(
        "{REPORT_SELECT} WHERE {filter} AND ($1::bigint IS NULL OR r.id < $1) \
         ORDER BY r.id DESC LIMIT $2"
    );
    let rows = db.query(&sql, &[&before, &limit]).await?;
    rows.iter().map(report).collect()
}

/// One report; `NotFound` if there is none with that id.
pub async fn get(db: &impl GenericClient, id: i64) -> StoreResult<Report> {
    let sql = format!("{REPORT_SELECT} WHERE r.id = $1");
    let row = db.query_opt(&sql, &[&id]).await?;
    report(&row.ok_or(StoreError::NotFound)?)
}

/// The room and message a report is about; `NotFound` if there is none.
pub async fn subject(db: &impl GenericClient, id: i64) -> StoreResult<(i64, i64)> {
    let row = db
        .query_opt(
            "SELECT room_id, message_id FROM reports WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((row.get(0), row.get(1)))
}

/// Resolves an open report with a note and records it in the audit log,
/// in one transaction. `NotFound` for no such report; a conflict when it
/// was already resolved.
pub async fn resolve(
    client: &mut Client,
    id: i64,
    actor: AuditActor,
    note: &str,
    message_deleted: bool,
) -> StoreResult<Report> {
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE reports SET resolved_at = now(), resolution = $2, \
                    resolved_by = COALESCE((SELECT username FROM users WHERE id = $3), $4) \
             WHERE id = $1 AND resolved_at IS NULL",
            &[&id, &note, &actor.user_id(), &audit::SHELL],
        )
        .await?;
    if changed == 0 {
        let exists = tx
            .query_opt("SELECT 1 FROM reports WHERE id = $1", &[&id])
            .await?
            .is_some();
        return Err(if exists {
            StoreError::Conflict("report already resolved".into())
        } else {
            StoreError::NotFound
        });
    }
    let report = get(&tx, id).await?;
    let entry = Entry {
        actor,
        action: "report.resolve",
        target: format!(
            "report:{id} room:{} message:{}",
            report.message.room_id, report.message.id
        ),
        details: serde_json::json!({ "note": note, "message_deleted": message_deleted }),
    };
    audit::append(&tx, &entry).await?;
    tx.commit().await?;
    Ok(report)
}
