//! WebSocket gateway frames: JSON text, one object per frame, with a `type`.
//!
//! Room events travel as the [`Event`] object itself (its `type` is the
//! event's, e.g. `message.created`); everything else is a [`ServerFrame`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ErrorDetail;
use crate::model::{Event, Message, MessageId, RoomId, Seq, User, UserRef};

/// What a client may send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Browser-style authentication, as the first frame.
    Auth {
        token: String,
    },
    /// Send a message; answered by `ack` (or `error`) with the same client_id.
    Send {
        room_id: RoomId,
        #[serde(default)]
        body: String,
        client_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<MessageId>,
        /// A reply in this top-level message's thread.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_root: Option<MessageId>,
        /// Files the sender uploaded, as in REST.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<MessageId>,
    },
    /// "I am typing in this room" (ephemeral, throttled by the server).
    Typing {
        room_id: RoomId,
    },
    /// Replay what each room logged after the given seq, then go on live.
    /// JSON object keys are strings: `{"12": 40}`.
    Resume {
        #[serde(deserialize_with = "room_keys")]
        rooms: BTreeMap<RoomId, Seq>,
    },
    Ping,
}

/// Reads `{"<room_id>": seq}`. Internally tagged enums buffer their
/// content, which loses serde_json's string-to-integer key conversion, so
/// the keys are parsed here.
fn room_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<RoomId, Seq>, D::Error> {
    let raw = BTreeMap::<String, Seq>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            k.parse::<RoomId>()
                .map(|room| (room, v))
                .map_err(|_| serde::de::Error::custom(format!("room id {k:?} is not an integer")))
        })
        .collect()
}

/// One room's position in the `ready` frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomPosition {
    pub room_id: RoomId,
    pub latest_seq: Seq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Online,
    Offline,
}

/// What the server sends besides room events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame after authentication.
    Ready {
        user: User,
        rooms: Vec<RoomPosition>,
        /// The members of the user's rooms who are online right now, on any
        /// chatd instance (later changes arrive as `presence` frames).
        #[serde(default)]
        online: Vec<UserRef>,
    },
    /// A `send` was stored (or had been: a retry returns the original).
    Ack {
        client_id: String,
        /// Boxed: a whole message would make every frame value as large.
        message: Box<Message>,
    },
    /// A client frame was refused.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        error: ErrorDetail,
    },
    Typing {
        room_id: RoomId,
        user: UserRef,
    },
    Presence {
        user: UserRef,
        status: PresenceStatus,
    },
    Pong,
}

/// Any frame from the server: a control frame or a room event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Incoming {
    Control(ServerFrame),
    Event(Box<Event>),
}

/// WebSocket close codes the server uses.
pub mod close {
    /// The server is shutting down; reconnect (to any instance) and resume.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame broke the protocol (not JSON, unknown type, ...).
    pub const PROTOCOL: u16 = 1002;
    /// A text frame was not valid UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A message exceeded the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The server cannot serve the connection right now (its database is
    /// unreachable); reconnect after a pause and resume.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// No valid credentials, or the session was revoked or the user disabled.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The client did not keep up with its events; reconnect and resume.
    pub const TOO_SLOW: u16 = 4008;
    /// Too many connections opened for this account; wait (the preceding
    /// `error` frame's message says how long) and reconnect.
    pub const RATE_LIMITED: u16 = 4029;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_parse_as_pinned() {
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"resume","rooms":{"12":40,"7":0}}"#).unwrap();
        assert_eq!(
            f,
            ClientFrame::Resume {
                rooms: BTreeMap::from([(12, 40), (7, 0)])
            }
        );
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"send","room_id":1,"body":"hi","client_id":"c1"}"#)
                .unwrap();
        assert!(matches!(f, ClientFrame::Send { room_id: 1, .. }));
        assert_eq!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"ping"}"#).unwrap(),
            ClientFrame::Ping
        );
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"nope"}"#).is_err());
    }

    #[test]
    fn server_frames_carry_their_type() {
        assert_eq!(
            serde_json::to_string(&ServerFrame::Pong).unwrap(),
            r#"{"type":"pong"}"#
        );
        let incoming: Incoming = serde_json::from_str(r#"{"type":"pong"}"#).unwrap();
        assert_eq!(incoming, Incoming::Control(ServerFrame::Pong));
    }
}

/// `GET /api/v1/ws` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct WsQuery {
    /// Whether a `resume` frame will follow `ready` (default true): live
    /// events then wait for the client's first frame (at most about 2 s),
    /// so the replay comes before them. `false`: live events flow at once,
    /// for clients that only listen from now on.
    pub resume: Option<bool>,
}
