//! Storing new messages: one send, or a batch of them in one statement.
//!
//! A send checks membership, bumps the room's seq, inserts the message,
//! records its mentions, updates its thread's summary and followers, and
//! logs `message.created`, all in one statement that commits on its own.

use chat_wire::Message;
use chat_wire::mentions::{self, Mentions};

use super::attached::{BatchFiles, FileSteps};
use super::lone;
use super::steps::{BatchSteps, ON_CLIENT_ID_CONFLICT};
use super::threads::THREAD_WRITES;
use crate::rows::{self, MESSAGE_ROW_COLUMNS};
use crate::{Committed, GenericClient, Refusal, StoreError, StoreResult};

/// A send's outcome.
#[must_use = "publish the event of a new message"]
#[derive(Debug)]
pub enum Sent {
    /// Stored now, with its `message.created` event. `rejoin` names the
    /// participants of a direct room who had left it: the caller adds them
    /// back ([`crate::rooms::rejoin_direct`]) so the message reaches them.
    New {
        message: Message,
        event: Committed,
        rejoin: Vec<i64>,
    },
    /// A retry: the message this client_id had already stored.
    Retry(Message),
}

impl Sent {
    pub fn message(&self) -> &Message {
        match self {
            Self::New { message, .. } | Self::Retry(message) => message,
        }
    }

    pub(super) fn new(message: Message, rejoin: Vec<i64>) -> Self {
        Self::New {
            event: Committed::message_created(message.clone()),
            message,
            rejoin,
        }
    }
}

/// One message to store.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub room_id: i64,
    pub author_id: i64,
    pub body: String,
    pub client_id: Option<String>,
    pub reply_to: Option<i64>,
    /// A reply in this top-level message's thread.
    pub thread_root: Option<i64>,
    /// What the body mentions ([`mentions::parse`]); only names of the
    /// room's members are stored.
    pub mentions: Mentions,
    /// Files the author uploaded, in order (at most 10, no repeats).
    pub attachments: Vec<i64>,
}

impl Draft {
    /// A top-level message; its mentions are parsed from the body.
    pub fn new(room_id: i64, author_id: i64, body: &str) -> Self {
        Self {
            room_id,
            author_id,
            body: body.to_owned(),
            mentions: mentions::parse(body),
            ..Self::default()
        }
    }
}

/// [`send_draft`] of a top-level message (mentions parsed from the body).
pub async fn send(
    db: &impl GenericClient,
    room_id: i64,
    author_id: i64,
    body: &str,
    client_id: Option<&str>,
    reply_to: Option<i64>,
) -> StoreResult<Sent> {
    let draft = Draft {
        client_id: client_id.map(str::to_owned),
        reply_to,
        ..Draft::new(room_id, author_id, body)
    };
    send_draft(db, &draft).await
}

/// Sends a message as a member of the room, in one round trip: a single
/// statement checks membership, bumps the room's seq, inserts the message
/// and its mentions, bumps its thread's summary and logs `message.created`,
/// committing atomically without BEGIN/COMMIT. The room's seq row lock it
/// takes serialises every writer of the room, so a thread's reply count
/// stays exact under concurrent replies. The unique (room, author,
/// client_id) key makes retries durable: a repeated client_id returns the
/// original. When it stores nothing, the same statement says why:
/// [`Refusal::NoSuchRoom`], [`Refusal::NotMember`], [`Refusal::Archived`],
/// [`Refusal::Blocked`] (a direct room where one of the two blocked the
/// other), [`Refusal::UnknownReplyTo`], [`Refusal::UnknownThread`],
/// [`Refusal::UnknownFiles`] (an attachment that is not the author's), or
/// [`Refusal::ClientIdReused`] when the client_id already sent another
/// text. A new message has no reactions and no pin, so the statement reads
/// neither (only a retry looks them up).
pub async fn send_draft(db: &impl GenericClient, d: &Draft) -> StoreResult<Sent> {
    // A retry (the client_id is already stored) bumps nothing, so it leaves
    // no gap in the room's seqs.
    let stmt = db
        .prepare_cached(&format!(
            "WITH room AS ( \
                 SELECT archived_at IS NOT NULL AS archived, \
                        kind = 'room' AND visibility = 'public' AS joinable \
                 FROM rooms WHERE id = $1), \
             member AS (SELECT 1 FROM memberships WHERE room_id = $1 AND user_id = $2), \
             prior AS (SELECT id, deleted_at IS NOT NULL OR body = $3 AS same FROM messages \
                       WHERE room_id = $1 AND author_id = $2 AND client_id = $4), \
             parent AS (SELECT 1 FROM messages WHERE room_id = $1 AND id = $5), \
             root AS (SELECT author_id FROM messages \
                      WHERE room_id = $1 AND id = $6 AND thread_root IS NULL), \
             blocked AS ({BLOCKED_DIRECT} WHERE r.id = $1), \
             owned AS (SELECT count(*) AS n FROM files \
                       WHERE id = ANY ($9::bigint[]) AND uploader_id = $2), \
             next AS ( \
                 UPDATE rooms SET latest_seq = latest_seq + 1 \
                 WHERE id = $1 AND archived_at IS NULL \
                   AND EXISTS (SELECT 1 FROM member) AND NOT EXISTS (SELECT 1 FROM prior) \
                   AND ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM parent)) \
                   AND ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM root)) \
                   AND NOT EXISTS (SELECT 1 FROM blocked) \
                   AND (SELECT n FROM owned) = cardinality($9::bigint[]) \
                 RETURNING latest_seq), \
             ins AS ( \
                 INSERT INTO messages (room_id, seq, author_id, body, client_id, reply_to, \
                                       thread_root, mentions_room) \
                 SELECT $1, latest_seq, $2, $3, $4, $5, $6, $8 FROM next \
                 {ON_CLIENT_ID_CONFLICT} RETURNING *), \
             e AS ( \
                 INSERT INTO room_events (room_id, seq, kind, message_id) \
                 SELECT room_id, seq, 'message.created', id FROM ins), \
             mentioned AS ( \
                 INSERT INTO mentions (room_id, message_id, user_id, author_id, seq) \
                 SELECT ins.room_id, ins.id, u.id, ins.author_id, ins.seq FROM ins \
                 JOIN users u ON lower(u.username) = ANY($7::text[]) \
                 JOIN memberships mb ON mb.room_id = ins.room_id AND mb.user_id = u.id \
                 RETURNING message_id, user_id), \
             att AS ( \
                 INSERT INTO message_attachments (room_id, message_id, position, file_id) \
                 SELECT ins.room_id, ins.id, (a.pos - 1)::smallint, a.fid \
                 FROM ins CROSS JOIN unnest($9::bigint[]) WITH ORDINALITY a(fid, pos) \
                 RETURNING position, file_id), \
             {THREAD_WRITES}, \
             outcome AS (SELECT CASE \
                 WHEN EXISTS (SELECT 1 FROM ins) THEN 'sent' \
                 WHEN EXISTS (SELECT 1 FROM prior) THEN \
                     CASE WHEN (SELECT same FROM prior) THEN 'retry' ELSE 'reused' END \
                 WHEN NOT EXISTS (SELECT 1 FROM room) THEN 'no_room' \
                 WHEN NOT EXISTS (SELECT 1 FROM member) THEN \
                     CASE WHEN (SELECT joinable FROM room) THEN 'not_member' ELSE 'no_room' END \
                 WHEN (SELECT archived FROM room) THEN 'archived' \
                 WHEN EXISTS (SELECT 1 FROM blocked) THEN 'blocked' \
                 WHEN $5::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM parent) \
                     THEN 'bad_reply' \
                 WHEN $6::bigint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM root) \
                     THEN 'bad_root' \
                 WHEN (SELECT n FROM owned) <> cardinality($9::bigint[]) THEN 'bad_files' \
                 ELSE 'raced' END AS status) \
             SELECT outcome.status, {MESSAGE_ROW_COLUMNS}, \
                    CASE WHEN outcome.status = 'retry' THEN {reactions} END, \
                    CASE WHEN outcome.status = 'retry' THEN {pinned} ELSE false END, \
                    CASE WHEN outcome.status = 'retry' THEN {mentions} \
                         ELSE {NEW_MENTIONS} END, \
                    CASE WHEN outcome.status = 'retry' THEN {attachments} \
                         ELSE (SELECT jsonb_agg({file} ORDER BY a.position) \
                               FROM att a JOIN files f ON f.id = a.file_id) END, \
                    {LEFT_DIRECT} \
             FROM outcome \
             LEFT JOIN (SELECT * FROM ins UNION ALL \
                        SELECT x.* FROM messages x JOIN prior ON prior.id = x.id) m ON true \
             LEFT JOIN users au ON au.id = m.author_id",
            reactions = rows::message_reactions_column!(),
            pinned = rows::message_pinned_column!(),
            mentions = rows::message_mentions_column!(),
            attachments = rows::message_attachments_column!(),
            file = rows::file_json!(),
        ))
        .await?;
    let room = &d.mentions.room;
    // A concurrent change the statement's snapshot could not see (a
    // retry's twin committing first, the room archived meanwhile) makes it
    // store nothing without a reason; a second look sees it.
    for _ in 0..3 {
        let row = db
            .query_one(
                &stmt,
                &[
                    &d.room_id,
                    &d.author_id,
                    &d.body,
                    &d.client_id,
                    &d.reply_to,
                    &d.thread_root,
                    &d.mentions.usernames,
                    room,
                    &d.attachments,
                ],
            )
            .await?;
        let status: &str = row.get(0);
        return match status {
            "sent" => Ok(Sent::new(rows::message_at(&row, 1), rejoin_of(&row))),
            "retry" => Ok(Sent::Retry(rows::message_at(&row, 1))),
            "no_room" => Err(Refusal::NoSuchRoom.into()),
            "not_member" => Err(Refusal::NotMember { joinable: true }.into()),
            "archived" => Err(Refusal::Archived.into()),
            "blocked" => Err(Refusal::Blocked.into()),
            "bad_reply" => Err(Refusal::UnknownReplyTo.into()),
            "bad_root" => Err(Refusal::UnknownThread.into()),
            "bad_files" => Err(Refusal::UnknownFiles.into()),
            "reused" => Err(Refusal::ClientIdReused.into()),
            _ => continue,
        };
    }
    Err(StoreError::Unavailable(
        "the room kept changing during the send; retry".into(),
    ))
}

/// A direct room (`rooms r`) whose two participants are kept apart by a
/// block, either way; the caller adds the room's id to WHERE.
const BLOCKED_DIRECT: &str = "SELECT 1 FROM rooms r JOIN blocks b \
     ON (b.user_id = r.dm_low AND b.blocked_id = r.dm_high) \
     OR (b.user_id = r.dm_high AND b.blocked_id = r.dm_low)";

/// The participants of the message's room, if it is a direct one, who
/// are no longer members (the other left): one primary-key probe of the
/// room, and two of memberships only for a direct room. Empty otherwise.
const LEFT_DIRECT: &str = "ARRAY(SELECT p.id FROM rooms dr \
     CROSS JOIN LATERAL (VALUES (dr.dm_low), (dr.dm_high)) p(id) \
     WHERE dr.id = m.room_id AND dr.kind = 'direct' \
       AND NOT EXISTS (SELECT 1 FROM memberships pm \
                       WHERE pm.room_id = dr.id AND pm.user_id = p.id))";

/// [`BLOCKED_DIRECT`] as a condition on a room row `r` the statement
/// already reads: a batch checks each of its rooms once, not each message.
pub(super) const ROOM_BLOCKED_DIRECT: &str = "(r.kind = 'direct' AND EXISTS (SELECT 1 FROM blocks b \
     WHERE (b.user_id = r.dm_low AND b.blocked_id = r.dm_high) \
        OR (b.user_id = r.dm_high AND b.blocked_id = r.dm_low)))";

/// [`LEFT_DIRECT`] of a room row `r` the statement already reads, once per
/// room of a batch.
pub(super) const ROOM_LEFT_DIRECT: &str = "CASE WHEN r.kind = 'direct' THEN ARRAY(SELECT p.id \
     FROM (VALUES (r.dm_low), (r.dm_high)) p(id) \
     WHERE NOT EXISTS (SELECT 1 FROM memberships pm \
                       WHERE pm.room_id = r.id AND pm.user_id = p.id)) \
     ELSE '{}'::bigint[] END";

/// The last column of a send's row: [`LEFT_DIRECT`].
fn rejoin_of(row: &tokio_postgres::Row) -> Vec<i64> {
    row.get(row.len() - 1)
}

/// The new message's mentions, from the rows the statement inserted.
pub(super) const NEW_MENTIONS: &str = "coalesce((SELECT array_agg(mn.user_id ORDER BY mn.user_id) \
                                      FROM mentioned mn WHERE mn.message_id = m.id), '{}')";

/// Sends several messages, to one room or many, in one statement
/// and one commit, so busy rooms pay the seq row lock and the commit flush
/// once per batch instead of once per message. Each room's drafts are
/// stored in order with consecutive seqs. The rooms' seq rows are locked in
/// id order, so concurrent batches (here or on other instances) cannot
/// deadlock. The per-draft checks are `LATERAL ... LIMIT 1` lookups so that
/// even a plan cached while the tables were small probes the indexes
/// instead of hashing a whole table on every batch. The checks that depend
/// only on the room (archived, a block between a direct room's two people,
/// who left a direct room) read the room row the batch locks anyway, once
/// per room rather than once per message.
/// Thread replies bump their roots' summaries once per root and batch
/// ([`super::threads::THREAD_BATCH_WRITES`]), and attached files are
/// checked and stored ([`super::attached`]); each step only some drafts
/// need is left out of a batch without them ([`BatchSteps`]).
/// Returns, per draft, the stored message or `None` for drafts it did not
/// store (author not a member, a retried client_id, an unknown reply_to or
/// thread root, an archived room, a block, a file that is not the
/// author's): send those with [`send_draft`], which names the refusal.
/// A batch of one plain message takes a leaner statement ([`lone`]).
pub async fn send_batch(
    db: &impl GenericClient,
    drafts: &[Draft],
) -> StoreResult<Vec<Option<Sent>>> {
    if let [d] = drafts
        && lone::is_plain(d)
    {
        return Ok(vec![lone::send_lone(db, d).await?]);
    }
    let rooms: Vec<i64> = drafts.iter().map(|d| d.room_id).collect();
    let authors: Vec<i64> = drafts.iter().map(|d| d.author_id).collect();
    let bodies: Vec<&str> = drafts.iter().map(|d| d.body.as_str()).collect();
    let client_ids: Vec<Option<&str>> = drafts.iter().map(|d| d.client_id.as_deref()).collect();
    let replies: Vec<Option<i64>> = drafts.iter().map(|d| d.reply_to).collect();
    let everyone: Vec<bool> = drafts.iter().map(|d| d.mentions.room).collect();
    let roots: Vec<Option<i64>> = drafts.iter().map(|d| d.thread_root).collect();
    // Mentioned names, flattened: (position of the draft, name).
    let (named_ords, names): (Vec<i64>, Vec<&str>) = drafts
        .iter()
        .zip(1i64..)
        .flat_map(|(d, ord)| d.mentions.usernames.iter().map(move |n| (ord, n.as_str())))
        .unzip();
    let BatchSteps {
        root_probe,
        threads,
        retry_probe,
        not_retried,
        on_conflict,
        parent_probe,
        parent_found,
        mentions_insert,
        mentions_column,
    } = BatchSteps::of(drafts);
    let files = BatchFiles::of(drafts);
    let FileSteps {
        check,
        refuse,
        insert: attach,
        column: attached,
    } = files.steps();
    let stmt = db
        .prepare_cached(&format!(
            "WITH items AS ( \
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], \
                                      $5::bigint[], $6::boolean[], $9::bigint[]) \
                     WITH ORDINALITY AS i(room_id, author_id, body, client_id, reply_to, \
                                          everyone, thread_root, ord)) \
             {check}, \
             ok AS ( \
                 SELECT i.*, root.author AS root_author, \
                        row_number() OVER (PARTITION BY i.room_id ORDER BY i.ord) AS k \
                 FROM items i \
                 CROSS JOIN LATERAL (SELECT 1 FROM memberships mb \
                     WHERE mb.room_id = i.room_id AND mb.user_id = i.author_id LIMIT 1) member \
                 {retry_probe} {parent_probe} {root_probe} \
                 WHERE (i.thread_root IS NULL OR root.author IS NOT NULL) \
                   {not_retried} {parent_found} {refuse}), \
             counts AS (SELECT room_id, count(*) AS n FROM ok GROUP BY room_id), \
             locked AS MATERIALIZED ( \
                 SELECT r.id, {ROOM_LEFT_DIRECT} AS rejoin \
                 FROM rooms r JOIN counts c ON c.room_id = r.id \
                 WHERE r.archived_at IS NULL AND NOT {ROOM_BLOCKED_DIRECT} \
                 ORDER BY r.id FOR NO KEY UPDATE OF r), \
             next AS ( \
                 UPDATE rooms r SET latest_seq = r.latest_seq + c.n FROM counts c, locked l \
                 WHERE r.id = c.room_id AND l.id = r.id AND r.archived_at IS NULL \
                 RETURNING r.id AS room_id, r.latest_seq - c.n AS base), \
             m AS ( \
                 INSERT INTO messages (room_id, seq, author_id, body, client_id, reply_to, \
                                       mentions_room, thread_root) \
                 SELECT ok.room_id, next.base + ok.k, ok.author_id, ok.body, ok.client_id, \
                        ok.reply_to, ok.everyone, ok.thread_root \
                 FROM ok JOIN next ON next.room_id = ok.room_id ORDER BY ok.ord \
                 {on_conflict} RETURNING *), \
             e AS ( \
                 INSERT INTO room_events (room_id, seq, kind, message_id) \
                 SELECT room_id, seq, 'message.created', id FROM m), \
             stored AS ( \
                 SELECT ok.ord, ok.root_author, m.* FROM m \
                 JOIN next ON next.room_id = m.room_id \
                 JOIN ok ON ok.room_id = m.room_id AND ok.k = m.seq - next.base), \
             mentioned AS ({mentions_insert}) \
             {threads} {attach} \
             SELECT m.ord, {MESSAGE_ROW_COLUMNS}, NULL::jsonb, false, {mentions_column}, \
                    {attached}, l.rejoin \
             FROM stored m JOIN users au ON au.id = m.author_id \
             JOIN locked l ON l.id = m.room_id"
        ))
        .await?;
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &rooms,
        &authors,
        &bodies,
        &client_ids,
        &replies,
        &everyone,
        &named_ords,
        &names,
        &roots,
    ];
    if !files.is_empty() {
        params.push(&files.ords);
        params.push(&files.ids);
        params.push(&files.places);
    }
    let stored = db.query(&stmt, &params).await?;
    let mut out: Vec<Option<Sent>> = drafts.iter().map(|_| None).collect();
    for row in stored {
        let ord: i64 = row.get(0);
        if let Some(slot) = out.get_mut(ord as usize - 1) {
            *slot = Some(Sent::new(rows::message_at(&row, 1), rejoin_of(&row)));
        }
    }
    Ok(out)
}
