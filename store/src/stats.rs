//! Server-wide figures for administrators (`chatctl stats`).

use crate::{GenericClient, StoreResult};

/// Row counts and sizes across the whole database.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    pub users: i64,
    pub users_active: i64,
    pub users_disabled: i64,
    pub admins: i64,
    pub rooms: i64,
    pub direct_rooms: i64,
    pub archived_rooms: i64,
    /// Every stored message, deleted ones (tombstones) included: what a
    /// backup's manifest counts.
    pub messages: i64,
    /// Of those, the deleted ones.
    pub messages_deleted: i64,
    pub events: i64,
    pub live_sessions: i64,
    pub database_bytes: i64,
    /// Open PostgreSQL connections per client program and address: chatd
    /// instances appear as `chatd` with their host.
    pub connections: Vec<Connections>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Connections {
    pub application: String,
    pub client_addr: Option<String>,
    pub count: i64,
}

pub async fn collect(db: &impl GenericClient) -> StoreResult<Stats> {
    let row = db
        .query_one(
            "SELECT \
               (SELECT count(*) FROM users WHERE deleted_at IS NULL), \
               (SELECT count(*) FROM users WHERE deleted_at IS NULL AND NOT disabled), \
               (SELECT count(*) FROM users WHERE deleted_at IS NULL AND disabled), \
               (SELECT count(*) FROM users WHERE deleted_at IS NULL AND role = 'admin'), \
               (SELECT count(*) FROM rooms WHERE kind = 'room'), \
               (SELECT count(*) FROM rooms WHERE kind = 'direct'), \
               (SELECT count(*) FROM rooms WHERE archived_at IS NOT NULL), \
               (SELECT count(*) FROM messages), \
               (SELECT count(*) FROM room_events), \
               (SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > now()), \
               pg_database_size(current_database()), \
               (SELECT count(*) FROM messages WHERE deleted_at IS NOT NULL)",
            &[],
        )
        .await?;
    let connections = db
        .query(
            "SELECT coalesce(nullif(application_name, ''), '(unnamed)'), host(client_addr), \
                    count(*) \
             FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_type = 'client backend' \
               AND pid <> pg_backend_pid() \
             GROUP BY 1, 2 ORDER BY 1, 2",
            &[],
        )
        .await?
        .iter()
        .map(|r| Connections {
            application: r.get(0),
            client_addr: r.get(1),
            count: r.get(2),
        })
        .collect();
    Ok(Stats {
        users: row.get(0),
        users_active: row.get(1),
        users_disabled: row.get(2),
        admins: row.get(3),
        rooms: row.get(4),
        direct_rooms: row.get(5),
        archived_rooms: row.get(6),
        messages: row.get(7),
        messages_deleted: row.get(11),
        events: row.get(8),
        live_sessions: row.get(9),
        database_bytes: row.get(10),
        connections,
    })
}

/// The tables a backup's manifest counts, in dependency order.
pub const BACKUP_TABLES: [&str; 6] = [
    "users",
    "sessions",
    "rooms",
    "memberships",
    "messages",
    "room_events",
];

/// Exact row counts of [`BACKUP_TABLES`], as the caller's transaction sees
/// them (a backup counts inside the snapshot it dumps).
pub async fn table_counts(db: &impl GenericClient) -> StoreResult<Vec<(String, i64)>> {
    let mut counts = Vec::with_capacity(BACKUP_TABLES.len());
    for table in BACKUP_TABLES {
        // The names are our own constants, never input.
        let n: i64 = db
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await?
            .get(0);
        counts.push((table.to_owned(), n));
    }
    Ok(counts)
}

/// Checks the event logs agree with the rooms and messages they describe;
/// returns one line per problem found (empty when all is well).
pub async fn event_log_problems(db: &impl GenericClient) -> StoreResult<Vec<String>> {
    let mut problems = Vec::new();
    // A room's counter is the highest seq handed out; no event may be past it.
    for row in db
        .query(
            "SELECT r.id, r.latest_seq, max(e.seq) FROM rooms r \
             JOIN room_events e ON e.room_id = r.id \
             GROUP BY r.id HAVING max(e.seq) > r.latest_seq ORDER BY r.id LIMIT 20",
            &[],
        )
        .await?
    {
        let (room, latest, max): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        problems.push(format!(
            "room {room}: events go up to seq {max} but the room's counter is {latest}"
        ));
    }
    // Every message was introduced by a message.created event at its seq.
    for row in db
        .query(
            "SELECT m.room_id, m.id, m.seq FROM messages m \
             WHERE NOT EXISTS (SELECT 1 FROM room_events e \
                 WHERE e.room_id = m.room_id AND e.seq = m.seq \
                   AND e.kind = 'message.created' AND e.message_id = m.id) \
             ORDER BY m.room_id, m.id LIMIT 20",
            &[],
        )
        .await?
    {
        let (room, id, seq): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        problems.push(format!(
            "room {room}: message {id} has no message.created event at seq {seq}"
        ));
    }
    // The log's references are not foreign keys (migration V4): check them.
    for row in db
        .query(
            "SELECT e.room_id, e.seq, e.message_id, r.id IS NULL FROM room_events e \
             LEFT JOIN rooms r ON r.id = e.room_id \
             WHERE r.id IS NULL OR (e.message_id IS NOT NULL AND NOT EXISTS ( \
                 SELECT 1 FROM messages m WHERE m.room_id = e.room_id AND m.id = e.message_id)) \
             ORDER BY e.room_id, e.seq LIMIT 20",
            &[],
        )
        .await?
    {
        let (room, seq, message, no_room): (i64, i64, Option<i64>, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        problems.push(match (no_room, message) {
            (true, _) => format!("room {room}: event {seq} belongs to a room that does not exist"),
            (false, Some(id)) => {
                format!("room {room}: event {seq} points at message {id}, which does not exist")
            }
            (false, None) => format!("room {room}: event {seq} is dangling"),
        });
    }
    // Nor are a mention's (migration V14).
    for row in db
        .query(
            "SELECT mn.room_id, mn.message_id, mn.user_id, m.id IS NULL FROM mentions mn \
             LEFT JOIN messages m ON m.room_id = mn.room_id AND m.id = mn.message_id \
             LEFT JOIN users u ON u.id = mn.user_id \
             WHERE m.id IS NULL OR u.id IS NULL \
             ORDER BY mn.room_id, mn.message_id, mn.user_id LIMIT 20",
            &[],
        )
        .await?
    {
        let (room, message, user, no_message): (i64, i64, i64, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        problems.push(if no_message {
            format!("room {room}: a mention of user {user} points at message {message}, which does not exist")
        } else {
            format!("room {room}: message {message} mentions user {user}, who does not exist")
        });
    }
    // Nor are a message's own (migrations V12 and V15).
    for row in db
        .query(
            "SELECT m.room_id, m.id, r.id IS NULL, u.id IS NULL, \
                    m.reply_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages p \
                        WHERE p.room_id = m.room_id AND p.id = m.reply_to) AS lost_parent \
             FROM messages m \
             LEFT JOIN rooms r ON r.id = m.room_id \
             LEFT JOIN users u ON u.id = m.author_id \
             WHERE r.id IS NULL OR u.id IS NULL \
                OR (m.reply_to IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages p \
                    WHERE p.room_id = m.room_id AND p.id = m.reply_to)) \
                OR (m.thread_root IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages t \
                    WHERE t.room_id = m.room_id AND t.id = m.thread_root)) \
             ORDER BY m.room_id, m.id LIMIT 20",
            &[],
        )
        .await?
    {
        let (room, id, no_room, no_author, lost_parent): (i64, i64, bool, bool, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        problems.push(if no_room {
            format!("room {room}: message {id} belongs to a room that does not exist")
        } else if no_author {
            format!("room {room}: message {id} has an author who does not exist")
        } else if lost_parent {
            format!("room {room}: message {id} replies to a message that does not exist")
        } else {
            format!("room {room}: message {id} is in the thread of a message that does not exist")
        });
    }
    Ok(problems)
}
