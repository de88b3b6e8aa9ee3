//! One room as the client holds it: its timeline keyed by seq (so a
//! message seen twice — from a page, a replay and an ack — is stored once),
//! the resume point, unread counts and the scroll position.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chat_wire::{Message, Room, RoomKind, Seq, UserId};
use time::{OffsetDateTime, UtcOffset};

use crate::geometry::timeline::{Entry, ItemRows, item_rows};

/// How many messages a history page asks for (the server's default).
pub const PAGE: usize = 50;

/// A timeline entry.
// Nearly every entry is a message: boxing them to shrink the rare notice
// would cost an allocation each for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Message(Message),
    /// Someone joined or left, the topic changed.
    Notice {
        at: OffsetDateTime,
        text: String,
    },
}

impl Item {
    /// When it happened (for times and day separators).
    pub fn at(&self) -> OffsetDateTime {
        match self {
            Item::Message(m) => m.created_at,
            Item::Notice { at, .. } => *at,
        }
    }

    /// What its layout depends on.
    pub fn entry(&self) -> Entry<'_> {
        match self {
            Item::Message(m) => Entry::Message(m),
            Item::Notice { at, text } => Entry::Notice { at: *at, text },
        }
    }
}

/// Where the view is when scrolled up: the item at the bottom of the
/// viewport and how many of its last lines are hidden below. Anchoring to
/// an item keeps the view put when messages arrive or the width changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub seq: Seq,
    pub skip: usize,
}

/// A room and what we know of it.
#[derive(Debug, Clone)]
pub struct RoomState {
    pub room: Room,
    pub items: BTreeMap<Seq, Item>,
    /// The highest event seq applied: what `resume` asks to continue from.
    pub seen_seq: Seq,
    pub unread: i64,
    pub mentions: i64,
    /// Events up to here were counted by the server's `unread_count`.
    pub unread_base: Seq,
    /// The read marker we last sent.
    pub read_sent: Seq,
    /// Where the "new messages" line goes while the room is open.
    pub marker: Option<Seq>,
    /// None: following the newest message.
    pub scroll: Option<Anchor>,
    /// No older messages exist.
    pub history_done: bool,
    /// A page request is in flight.
    pub loading: bool,
    /// The newest page has been loaded once.
    pub loaded: bool,
    /// Who is typing, until when.
    pub typing: Vec<(String, Duration)>,
    /// Usernames for completion.
    pub members: Vec<String>,
    /// When each person's latest message arrived (clock time).
    pub spoke: HashMap<String, Duration>,
    /// Known only from my own `member.joined`: someone added me, unless
    /// I asked for the room; the notice waits for its name.
    pub announce: bool,
}

impl RoomState {
    /// A room from the server's description; its history so far is not
    /// loaded, and live events continue after its latest seq.
    pub fn new(room: Room) -> Self {
        let read = room.read_seq.unwrap_or(0);
        Self {
            seen_seq: room.latest_seq,
            unread: room.unread_count.unwrap_or(0),
            unread_base: room.latest_seq,
            read_sent: read,
            mentions: room.mention_count.unwrap_or(0),
            items: BTreeMap::new(),
            marker: None,
            scroll: None,
            history_done: false,
            loading: false,
            loaded: false,
            typing: Vec::new(),
            members: Vec::new(),
            spoke: HashMap::new(),
            announce: false,
            room,
        }
    }

    /// Takes newer metadata (name, topic, unread) without losing the
    /// timeline or the resume point.
    pub fn refresh(&mut self, room: Room) {
        // The server's count is only newer than ours if it has seen at
        // least every event we applied; an older snapshot would drop the
        // messages we counted since.
        if let Some(count) = room.unread_count
            && room.latest_seq >= self.unread_base.max(self.seen_seq)
        {
            self.unread = count;
            self.unread_base = room.latest_seq;
            if let Some(mentions) = room.mention_count {
                self.mentions = mentions;
            }
        }
        // seen_seq stays: events between it and the server's latest are
        // still coming (or will be replayed), and must not be skipped.
        self.read_sent = self.read_sent.max(room.read_seq.unwrap_or(0));
        self.room = room;
    }

    /// A direct conversation rather than a room.
    pub fn is_direct(&self) -> bool {
        self.room.kind == RoomKind::Direct
    }

    /// Merges a page of messages. Returns how many were new. Unread
    /// mentions of `me` in it are counted when the server did not count
    /// them (live events count the rest).
    pub fn merge_page(&mut self, messages: Vec<Message>, me: UserId, my_name: &str) -> usize {
        let counted = self.room.mention_count.is_some();
        self.loading = false;
        self.loaded = true;
        // A short page means we reached the start of the room.
        if messages.len() < PAGE {
            self.history_done = true;
        }
        let mut added = 0;
        for m in messages {
            // Between the read marker and what the server counted: unread,
            // and not yet counted by a live event.
            let unread =
                m.seq > self.read_sent && m.seq <= self.unread_base && m.author.username != my_name;
            let mention = unread && !counted && mentions_me(&m, me);
            if let std::collections::btree_map::Entry::Vacant(e) = self.items.entry(m.seq) {
                added += 1;
                self.mentions += i64::from(mention);
                e.insert(Item::Message(m));
            }
        }
        added
    }

    /// How the item at `seq` is laid out: a day separator when the item
    /// above is from another day, the "new messages" rule when the read
    /// marker falls between them. Scrolling and drawing both use this.
    pub fn item_rows(&self, seq: Seq, item: &Item, offset: UtcOffset) -> ItemRows {
        let prev = self.items.range(..seq).next_back();
        let prev_seq = prev.map_or(Seq::MIN, |(s, _)| *s);
        let new_marker = self
            .marker
            .is_some_and(|marker| seq > marker && prev_seq <= marker);
        item_rows(item.entry(), prev.map(|(_, p)| p.at()), new_marker, offset)
    }

    /// Where the next older page starts.
    pub fn oldest(&self) -> Option<Seq> {
        self.items.keys().next().copied()
    }

    /// Replaces a message we hold with its new state (edit, delete).
    pub fn replace(&mut self, m: Message) {
        if let Some(item) = self.items.get_mut(&m.seq) {
            *item = Item::Message(m);
        }
    }

    /// The message with this id, if loaded.
    pub fn find(&self, id: chat_wire::MessageId) -> Option<&Message> {
        self.items.values().rev().find_map(|i| match i {
            Item::Message(m) if m.id == id => Some(m),
            _ => None,
        })
    }

    /// The newest message matching `f`.
    pub fn last_where(&self, f: impl Fn(&Message) -> bool) -> Option<&Message> {
        self.items.values().rev().find_map(|i| match i {
            Item::Message(m) if !m.deleted && f(m) => Some(m),
            _ => None,
        })
    }

    /// The room's name as shown: `#general` or `@bob`.
    pub fn label(&self) -> String {
        let mark = if self.is_direct() {
            crate::strings::DM_MARK
        } else {
            crate::strings::ROOM_MARK
        };
        format!("{mark}{}", self.room.name)
    }
}

/// Does this word of a body mention `username` (`@name`, any case) or
/// everyone (`@room`)? The same rules as the server's.
pub fn mentions(word: &str, username: &str) -> bool {
    if username.is_empty() {
        return false;
    }
    let found = chat_wire::mentions::parse(word);
    found.room
        || found
            .usernames
            .iter()
            .any(|n| n.eq_ignore_ascii_case(username))
}

/// Does a message mention me? The server says whom it mentions (members
/// named with `@`, or everyone with `@room`).
pub fn mentions_me(m: &Message, me: UserId) -> bool {
    !m.deleted && (m.mentions_room || m.mentions.contains(&me))
}
