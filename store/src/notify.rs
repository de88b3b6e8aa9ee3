//! Hints between the processes that write to one database: "room R has
//! events up to seq S", sent with `pg_notify` on one channel.
//!
//! chatd instances and chatctl both write room events; whoever commits one
//! announces it here after the commit (never inside the writing transaction,
//! where `NOTIFY` would serialise every commit on the server). Listeners
//! treat a hint as a reason to read the durable log, so a lost hint costs
//! latency, never data.
//!
//! Payload: `sender;room:seq,room:seq:user,...` where the optional third
//! part names a user a `member.joined` event is about (so instances start
//! that user's open connections on the room).

use std::collections::HashMap;
use std::fmt::Write as _;

use chat_wire::{Event, EventType, RoomId, Seq, UserId};

use crate::{Client, GenericClient as _, StoreResult};

/// The `LISTEN`/`NOTIFY` channel.
pub const CHANNEL: &str = "chat_events";
/// PostgreSQL's payload limit is 8000 bytes; stay well below.
pub const MAX_PAYLOAD: usize = 7000;

/// A committed event's announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hint {
    pub room_id: RoomId,
    pub seq: Seq,
    /// The user a `member.joined` event is about.
    pub joined: Option<UserId>,
}

impl Hint {
    /// The announcement of a committed event.
    pub fn of(event: &Event) -> Self {
        Self {
            room_id: event.room_id,
            seq: event.seq,
            joined: match event.kind {
                EventType::MemberJoined => event.user.as_ref().map(|u| u.id),
                _ => None,
            },
        }
    }
}

/// Encodes hints as payloads from `sender`, keeping only the highest seq
/// per room (plus every join), split to fit the payload limit.
pub fn payloads(sender: &str, hints: &[Hint]) -> Vec<String> {
    let mut latest: HashMap<RoomId, Seq> = HashMap::new();
    for h in hints {
        let seq = latest.entry(h.room_id).or_insert(h.seq);
        *seq = (*seq).max(h.seq);
    }
    let mut items: Vec<String> = latest.iter().map(|(r, s)| format!("{r}:{s}")).collect();
    items.extend(
        hints
            .iter()
            .filter_map(|h| h.joined.map(|u| format!("{}:{}:{u}", h.room_id, h.seq))),
    );
    let mut out = Vec::new();
    let mut current = format!("{sender};");
    for item in items {
        if current.len() + item.len() + 1 > MAX_PAYLOAD {
            out.push(std::mem::replace(&mut current, format!("{sender};")));
        }
        if !current.ends_with(';') {
            current.push(',');
        }
        let _ = write!(current, "{item}");
    }
    if !current.ends_with(';') {
        out.push(current);
    }
    out
}

/// Decodes a payload; `None` if `me` sent it (or it is malformed).
pub fn parse(me: &str, payload: &str) -> Option<Vec<Hint>> {
    let (from, items) = payload.split_once(';')?;
    if from == me {
        return None;
    }
    Some(
        items
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(':');
                Some(Hint {
                    room_id: parts.next()?.parse().ok()?,
                    seq: parts.next()?.parse().ok()?,
                    joined: parts.next().and_then(|u| u.parse().ok()),
                })
            })
            .collect(),
    )
}

/// The channel on which the database itself (the triggers of migration V5)
/// names a user whose logins changed: a session revoked, expired early or
/// deleted, or the account renamed, disabled, deleted or given another role.
pub const SESSIONS_CHANNEL: &str = "chat_sessions";

/// Whose logins a `chat_sessions` notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChange {
    User(UserId),
    /// A table was truncated (or the payload is not understood): anyone's.
    Everyone,
}

impl SessionChange {
    pub fn parse(payload: &str) -> Self {
        payload.parse().map_or(Self::Everyone, Self::User)
    }
}

/// Sends hints, after the commit of the events they announce.
///
/// A `NOTIFY` takes a transaction id, so its commit would wait for a WAL
/// flush of its own. The hint's transaction commits asynchronously instead:
/// the events it announces are already durable, and a hint lost in a crash
/// costs listeners nothing (they re-read the log when the connection drops).
/// It takes a plain connection, not a transaction: the setting lasts until
/// the end of the caller's transaction.
pub async fn announce(db: &Client, sender: &str, hints: &[Hint]) -> StoreResult<()> {
    announce_payloads(db, &payloads(sender, hints)).await
}

/// Sends ready-made payloads on [`CHANNEL`] in one statement, committed
/// asynchronously (see [`announce`]).
pub async fn announce_payloads(db: &Client, payloads: &[String]) -> StoreResult<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    let stmt = db
        .prepare_cached(
            "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, p) \
             FROM unnest($2::text[]) p",
        )
        .await?;
    db.execute(&stmt, &[&CHANNEL, &payloads]).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_skip_their_own() {
        let hints = [
            Hint {
                room_id: 7,
                seq: 40,
                joined: Some(3),
            },
            Hint {
                room_id: 7,
                seq: 42,
                joined: None,
            },
        ];
        let payloads = payloads("abc", &hints);
        assert_eq!(payloads.len(), 1);
        let mut parsed = parse("other", &payloads[0]).unwrap();
        parsed.sort();
        assert_eq!(parsed, hints);
        assert!(parse("abc", &payloads[0]).is_none());
    }

    #[test]
    fn session_notices_name_a_user_or_everyone() {
        assert_eq!(SessionChange::parse("42"), SessionChange::User(42));
        assert_eq!(SessionChange::parse("*"), SessionChange::Everyone);
        assert_eq!(SessionChange::parse(""), SessionChange::Everyone);
    }

    #[test]
    fn big_batches_are_split_under_the_limit() {
        let hints: Vec<Hint> = (0..2000)
            .map(|r| Hint {
                room_id: r,
                seq: r * 1000,
                joined: None,
            })
            .collect();
        let payloads = payloads("abc", &hints);
        assert!(payloads.len() > 1);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let total: usize = payloads.iter().map(|p| parse("x", p).unwrap().len()).sum();
        assert_eq!(total, 2000);
    }
}
