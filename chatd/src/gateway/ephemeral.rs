//! What chatd instances tell each other besides event hints: typing
//! notices, presence changes and presence heartbeats. They travel on the
//! same PostgreSQL channel as the hints, as JSON payloads (hints never
//! start with `{`), and nothing of them is stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chat_store::notify::MAX_PAYLOAD;
use chat_wire::{RoomId, UserId, UserRef};
use serde::{Deserialize, Serialize};

/// A user's typing notice is passed on at most this often per room.
pub const TYPING_EVERY: Duration = Duration::from_secs(3);
/// Users named per heartbeat payload (well under the payload limit).
const ROSTER_CHUNK: usize = 500;

/// One ephemeral notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// `user` is typing in `room_id`.
    Typing { room_id: RoomId, user: UserRef },
    /// `user` opened their first socket on the sender, or closed their last.
    Presence { user: UserRef, online: bool },
    /// The users with a socket on the sender right now (a heartbeat, so a
    /// lost notice or a dead instance is noticed within seconds).
    Roster { users: Vec<UserId> },
}

/// A notice with the instance that sent it.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: String,
    #[serde(flatten)]
    notice: Notice,
}

/// Encodes a notice from `from` as payloads that fit PostgreSQL's limit.
pub fn payloads(from: &str, notice: Notice) -> Vec<String> {
    let notices = match notice {
        Notice::Roster { users } if users.len() > ROSTER_CHUNK => users
            .chunks(ROSTER_CHUNK)
            .map(|chunk| Notice::Roster {
                users: chunk.to_vec(),
            })
            .collect(),
        other => vec![other],
    };
    notices
        .into_iter()
        .filter_map(|notice| {
            let envelope = Envelope {
                from: from.to_owned(),
                notice,
            };
            serde_json::to_string(&envelope)
                .ok()
                .filter(|p| p.len() <= MAX_PAYLOAD)
        })
        .collect()
}

/// True if a payload is an ephemeral notice rather than a hint.
pub fn is_notice(payload: &str) -> bool {
    payload.starts_with('{')
}

/// Decodes a payload: the sender and the notice, or `None` if `me` sent it
/// or it is not understood (a newer instance's notice, say).
pub fn parse(me: &str, payload: &str) -> Option<(String, Notice)> {
    let envelope: Envelope = serde_json::from_str(payload).ok()?;
    (envelope.from != me).then_some((envelope.from, envelope.notice))
}

/// Throttles typing notices per user and room, across all of a user's
/// sockets on this instance and the notices heard from other instances.
#[derive(Debug, Default)]
pub struct TypingThrottle {
    last: Mutex<HashMap<(UserId, RoomId), Instant>>,
}

impl TypingThrottle {
    /// True if a notice from `user` in `room_id` may go out now.
    pub fn allow(&self, user: UserId, room_id: RoomId) -> bool {
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.len() > 10_000 {
            last.retain(|_, at| now.duration_since(*at) < TYPING_EVERY);
        }
        match last.get(&(user, room_id)) {
            Some(at) if now.duration_since(*at) < TYPING_EVERY => false,
            _ => {
                last.insert((user, room_id), now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserRef {
        UserRef {
            id: 7,
            username: "alice".into(),
            display_name: "Alice; \"A\"".into(),
            avatar_id: None,
        }
    }

    #[test]
    fn notices_round_trip_and_skip_their_own() {
        let typing = Notice::Typing {
            room_id: 3,
            user: alice(),
        };
        let sent = payloads("abc", typing.clone());
        assert_eq!(sent.len(), 1);
        assert!(is_notice(&sent[0]));
        assert_eq!(parse("xyz", &sent[0]), Some(("abc".into(), typing)));
        assert_eq!(parse("abc", &sent[0]), None);
        assert_eq!(parse("xyz", "{\"from\":\"q\",\"kind\":\"future\"}"), None);
    }

    #[test]
    fn big_rosters_are_split_under_the_limit() {
        let users: Vec<UserId> = (1_000_000_000..1_000_002_000).collect();
        let sent = payloads("abc", Notice::Roster { users });
        assert_eq!(sent.len(), 4);
        let total: usize = sent
            .iter()
            .map(|p| match parse("x", p) {
                Some((_, Notice::Roster { users })) => users.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(total, 2000);
    }

    #[test]
    fn typing_is_throttled_per_user_and_room() {
        let throttle = TypingThrottle::default();
        assert!(throttle.allow(1, 10));
        assert!(!throttle.allow(1, 10));
        assert!(throttle.allow(1, 11));
        assert!(throttle.allow(2, 10));
    }
}
