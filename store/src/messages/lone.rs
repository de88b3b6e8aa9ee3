//! A lone plain message: the batch statement's work for one draft that
//! names nobody, replies to nothing, is not in a thread and carries no
//! file. At the rates where sends do not pile up, every message is stored
//! alone, and its statement's latency is the send's: this one leaves out
//! the batch's steps that only serve several drafts (unnesting, numbering
//! per room, the per-room counts) or features the draft does not use.

use super::send::{Draft, ROOM_BLOCKED_DIRECT, ROOM_LEFT_DIRECT, Sent};
use super::steps::ON_CLIENT_ID_CONFLICT;
use crate::rows::{self, MESSAGE_ROW_COLUMNS};
use crate::{GenericClient, StoreResult};

/// Whether [`send_lone`] can store this draft.
pub(super) fn is_plain(d: &Draft) -> bool {
    d.mentions.usernames.is_empty()
        && d.reply_to.is_none()
        && d.thread_root.is_none()
        && d.attachments.is_empty()
}

/// Stores one plain draft ([`is_plain`]) as a member of its room, with the
/// same checks and outcome as [`super::send_batch`] for a batch of one:
/// `None` when it stored nothing (not a member, a retried client_id, an
/// archived room, a block), for [`super::send_draft`] to name the reason.
/// The room's row is locked by the UPDATE that bumps its seq, and the
/// direct-room checks read that row.
pub(super) async fn send_lone(db: &impl GenericClient, d: &Draft) -> StoreResult<Option<Sent>> {
    // A draft without a client_id cannot be a retry: no probe for one, and
    // a plain insert (see `send_batch`).
    let (not_retried, on_conflict) = if d.client_id.is_some() {
        (
            "AND NOT EXISTS (SELECT 1 FROM messages x \
             WHERE x.room_id = $1 AND x.author_id = $2 AND x.client_id = $4)",
            ON_CLIENT_ID_CONFLICT,
        )
    } else {
        ("", "")
    };
    let stmt = db
        .prepare_cached(&format!(
            "WITH next AS ( \
                 UPDATE rooms r SET latest_seq = r.latest_seq + 1 \
                 WHERE r.id = $1 AND r.archived_at IS NULL AND NOT {ROOM_BLOCKED_DIRECT} \
                   AND EXISTS (SELECT 1 FROM memberships mb \
                               WHERE mb.room_id = $1 AND mb.user_id = $2) \
                   {not_retried} \
                 RETURNING r.latest_seq, {ROOM_LEFT_DIRECT} AS rejoin), \
             m AS ( \
                 INSERT INTO messages (room_id, seq, author_id, body, client_id, mentions_room) \
                 SELECT $1, latest_seq, $2, $3, $4::text, $5 FROM next \
                 {on_conflict} RETURNING *), \
             e AS ( \
                 INSERT INTO room_events (room_id, seq, kind, message_id) \
                 SELECT room_id, seq, 'message.created', id FROM m) \
             SELECT {MESSAGE_ROW_COLUMNS}, NULL::jsonb, false, '{{}}'::bigint[], NULL::jsonb, \
                    next.rejoin \
             FROM m JOIN users au ON au.id = m.author_id CROSS JOIN next"
        ))
        .await?;
    let row = db
        .query_opt(
            &stmt,
            &[
                &d.room_id,
                &d.author_id,
                &d.body,
                &d.client_id,
                &d.mentions.room,
            ],
        )
        .await?;
    Ok(row.map(|row| Sent::new(rows::message_at(&row, 0), row.get(row.len() - 1))))
}
