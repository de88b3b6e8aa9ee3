//! Committed room events: what a write to a room's log hands back, and the
//! only thing that can be published.
//!
//! Every store function that appends to a room's log returns a
//! [`Committed`] value once its transaction has committed, holding the
//! events as the log shows them. chatd publishes it to its clients and the
//! other instances (`Gateway::publish`); chatctl announces it to the running
//! chatd instances ([`crate::notify::announce`]). Because only the store can
//! make one, and dropping one unused is a warning, an event cannot be logged
//! and then forgotten.

use chat_wire::{Event, EventType, Message};

use crate::notify::Hint;

/// Room events that have committed, ascending by seq within each room.
#[must_use = "publish it: clients hear of the change only through it"]
#[derive(Debug, Default)]
pub struct Committed {
    events: Vec<Event>,
}

impl Committed {
    pub(crate) fn new(mut events: Vec<Event>) -> Self {
        events.sort_by_key(|e| (e.room_id, e.seq));
        Self { events }
    }

    /// A `message.created` event for a message a send stored.
    pub(crate) fn message_created(message: Message) -> Self {
        Self::new(vec![Event {
            kind: EventType::MessageCreated,
            room_id: message.room_id,
            seq: message.seq,
            created_at: message.created_at,
            message: Some(message),
            user: None,
            room: None,
            role: None,
            by: None,
            emoji: None,
        }])
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Adds another write's events (both must have committed).
    pub fn merge(&mut self, other: Committed) {
        self.events.extend(other.events);
        self.events.sort_by_key(|e| (e.room_id, e.seq));
    }

    /// Takes the events out, to hand them to clients.
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    /// The announcements other processes need: room, seq, and the user a
    /// `member.joined` event is about.
    pub fn hints(&self) -> Vec<Hint> {
        self.events.iter().map(Hint::of).collect()
    }
}
