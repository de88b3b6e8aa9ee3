//! The batch statement's steps that only some drafts need. Every node of
//! the statement's plan is built again for every batch, and plain REST
//! sends name nobody, carry no client_id, reply to nothing and are in no
//! thread: each step is left out of a batch none of whose drafts needs it.

use super::send::{Draft, NEW_MENTIONS};
use super::threads::THREAD_BATCH_WRITES;

/// The pieces of SQL [`super::send_batch`] puts into its statement; empty
/// where the batch does without the step.
pub(super) struct BatchSteps {
    /// Joined to `ok`: each thread reply's root (`root.author`).
    pub root_probe: &'static str,
    /// The thread summaries' and followers' writes after the insert.
    pub threads: &'static str,
    /// Joined to `ok` and its condition: a client_id not stored yet, nor
    /// by an earlier draft of the batch.
    pub retry_probe: &'static str,
    pub not_retried: &'static str,
    /// The insert's conflict clause.
    pub on_conflict: &'static str,
    /// Joined to `ok` and its condition: a reply's parent in the same room.
    pub parent_probe: &'static str,
    pub parent_found: &'static str,
    /// The `mentioned` step, and the result's mentions column.
    pub mentions_insert: &'static str,
    pub mentions_column: &'static str,
}

impl BatchSteps {
    pub(super) fn of(drafts: &[Draft]) -> Self {
        let any = |need: fn(&Draft) -> bool| drafts.iter().any(need);
        let (root_probe, threads) = if any(|d| d.thread_root.is_some()) {
            (BATCH_ROOT_PROBE, THREAD_BATCH_WRITES)
        } else {
            (NO_ROOT_PROBE, "")
        };
        // Without client_ids nothing can conflict (NULLs never do), and a
        // plain insert skips the speculative one's index probe and
        // confirmation record per row.
        let ([retry_probe, not_retried], on_conflict) = if any(|d| d.client_id.is_some()) {
            (RETRY_PROBE, ON_CLIENT_ID_CONFLICT)
        } else {
            (["", ""], "")
        };
        let [parent_probe, parent_found] = if any(|d| d.reply_to.is_some()) {
            PARENT_PROBE
        } else {
            ["", ""]
        };
        let (mentions_insert, mentions_column) = if any(|d| !d.mentions.usernames.is_empty()) {
            (MENTIONS_INSERT, NEW_MENTIONS)
        } else {
            (NO_MENTIONS_INSERT, "'{}'::bigint[]")
        };
        Self {
            root_probe,
            threads,
            retry_probe,
            not_retried,
            on_conflict,
            parent_probe,
            parent_found,
            mentions_insert,
            mentions_column,
        }
    }
}

/// The batch's check of each reply's root (a top-level message of the same
/// room), joined as `root` with the root's author (NULL when it is not one:
/// the statement then leaves the draft out).
const BATCH_ROOT_PROBE: &str = "\
    LEFT JOIN LATERAL (SELECT t.author_id AS author FROM messages t \
        WHERE t.room_id = i.room_id AND t.id = i.thread_root \
          AND t.thread_root IS NULL LIMIT 1) root ON true";
/// [`BATCH_ROOT_PROBE`] for a batch without replies.
const NO_ROOT_PROBE: &str = "CROSS JOIN (SELECT NULL::bigint AS author) root";

/// The batch's check that a draft's client_id is stored neither yet nor
/// by an earlier draft of the batch: a join of `ok` and its condition.
const RETRY_PROBE: [&str; 2] = [
    "LEFT JOIN LATERAL (SELECT 1 AS hit FROM messages x \
         WHERE x.room_id = i.room_id AND x.author_id = i.author_id \
           AND x.client_id = i.client_id LIMIT 1) retry ON true",
    "AND retry.hit IS NULL AND NOT EXISTS ( \
         SELECT 1 FROM items j WHERE j.ord < i.ord AND j.room_id = i.room_id \
           AND j.author_id = i.author_id AND j.client_id = i.client_id)",
];

/// A retried client_id that raced past the batch's check stores nothing.
pub(super) const ON_CLIENT_ID_CONFLICT: &str =
    "ON CONFLICT (room_id, author_id, client_id) DO NOTHING";

/// The batch's check that a reply's parent is in the same room.
const PARENT_PROBE: [&str; 2] = [
    "LEFT JOIN LATERAL (SELECT 1 AS hit FROM messages r \
         WHERE r.room_id = i.room_id AND r.id = i.reply_to LIMIT 1) parent ON true",
    "AND (i.reply_to IS NULL OR parent.hit IS NOT NULL)",
];

/// The batch's mentions of members of the message's room.
const MENTIONS_INSERT: &str = "\
    INSERT INTO mentions (room_id, message_id, user_id, author_id, seq) \
    SELECT DISTINCT s.room_id, s.id, u.id, s.author_id, s.seq \
    FROM unnest($7::bigint[], $8::text[]) AS n(ord, name) \
    JOIN stored s ON s.ord = n.ord \
    JOIN users u ON lower(u.username) = n.name \
    JOIN memberships mb ON mb.room_id = s.room_id AND mb.user_id = u.id \
    RETURNING message_id, user_id";

/// [`MENTIONS_INSERT`] for a batch that names nobody: no rows, planned as
/// one constant-false node (it still names $7 and $8, so that their types
/// are known; the thread steps read it).
const NO_MENTIONS_INSERT: &str = "\
    SELECT n.ord AS message_id, NULL::bigint AS user_id \
    FROM unnest($7::bigint[], $8::text[]) AS n(ord, name) WHERE false";
