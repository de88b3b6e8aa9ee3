//! Network I/O, off the UI task: REST calls run as their own tasks, the
//! WebSocket in a long-lived worker; both report back over one channel as
//! [`NetEvent`]s, so drawing never waits on the network.

/// Uploads and downloads, streamed to and from disk.
pub mod files;
/// REST calls for reactions, pins, threads, people and moderation.
mod more;
/// The REST client.
pub mod rest;
/// TLS settings for https servers.
pub mod tls;
/// The WebSocket worker.
pub mod ws;

use std::path::PathBuf;
use std::time::Duration;

use chat_wire::api::{Revision, Session};
use chat_wire::files::FileInfo;
use chat_wire::ws::Incoming;
use chat_wire::{MemberRole, Message, MessageId, Room, RoomId, Seq, User, UserRef};

/// A REST call the app asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestCall {
    Login {
        username: String,
        password: String,
    },
    /// Register, then log in with the same pair.
    Register {
        username: String,
        password: String,
    },
    /// What the server says about itself (whether it takes registrations).
    Server,
    Me,
    Rooms,
    Room(RoomId),
    /// A page of messages: the newest, or those before `before`.
    Page {
        room: RoomId,
        before: Option<Seq>,
    },
    Read {
        room: RoomId,
        seq: Seq,
    },
    /// Find a public room by name and join it.
    JoinByName(String),
    /// Join a public room by id (from the room browser).
    Join(RoomId),
    /// The public rooms; `complete` feeds Tab completion, not the browser.
    PublicRooms {
        complete: bool,
    },
    Create {
        name: String,
        private: bool,
    },
    Leave(RoomId),
    Invite {
        room: RoomId,
        username: String,
    },
    /// Open (or find) the direct room with someone; then send `then_send`.
    Dm {
        username: String,
        then_send: Option<String>,
    },
    Edit {
        room: RoomId,
        id: MessageId,
        body: String,
    },
    Delete {
        room: RoomId,
        id: MessageId,
    },
    Search {
        q: String,
    },
    Nick(String),
    Topic {
        room: RoomId,
        topic: String,
    },
    Members(RoomId),
    /// Revoke this session (the app has already forgotten it).
    Logout {
        token: String,
    },
    /// Add (or remove) my reaction.
    React {
        room: RoomId,
        id: MessageId,
        emoji: String,
        add: bool,
    },
    /// Pin (or unpin) a message.
    Pin {
        room: RoomId,
        id: MessageId,
        pin: bool,
    },
    Pins(RoomId),
    /// A message's earlier texts.
    History {
        room: RoomId,
        id: MessageId,
    },
    /// A page of a thread's replies: the newest, or those before `before`.
    Thread {
        room: RoomId,
        root: MessageId,
        before: Option<Seq>,
    },
    ThreadRead {
        room: RoomId,
        root: MessageId,
        seq: Seq,
    },
    /// The user directory; `complete` feeds Tab completion, not the list.
    Users {
        q: String,
        complete: bool,
    },
    Sessions,
    EndSession(i64),
    Kick {
        room: RoomId,
        username: String,
    },
    Ban {
        room: RoomId,
        username: String,
        reason: Option<String>,
    },
    Unban {
        room: RoomId,
        username: String,
    },
    Role {
        room: RoomId,
        username: String,
        role: MemberRole,
    },
    Block {
        username: String,
        block: bool,
    },
    Report {
        id: MessageId,
        reason: String,
    },
}

/// What a REST call came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestResult {
    LoggedIn {
        token: String,
        user: User,
    },
    /// Whether the server lets anyone create an account.
    Server {
        registration_open: bool,
    },
    Me(User),
    Rooms(Vec<Room>),
    /// A room looked up, joined, created or opened; `focus` switches to it.
    Room {
        room: Room,
        focus: bool,
        then_send: Option<String>,
    },
    Page {
        room: RoomId,
        before: Option<Seq>,
        messages: Vec<Message>,
    },
    Left(RoomId),
    /// The public rooms (for the browser, or for completion).
    PublicRooms {
        complete: bool,
        rooms: Vec<Room>,
    },
    /// My display name changed (`/nick`).
    Renamed(User),
    /// Part of an upload has gone out: `sent` of `total` bytes.
    UploadProgress {
        job: u64,
        sent: u64,
        total: u64,
    },
    Uploaded {
        job: u64,
        file: Box<FileInfo>,
    },
    UploadFailed {
        job: u64,
        message: String,
    },
    /// An attachment was saved to `path`.
    Saved {
        path: PathBuf,
    },
    Searched {
        q: String,
        messages: Vec<Message>,
    },
    /// A room's members, with the names they show.
    Members {
        room: RoomId,
        members: Vec<UserRef>,
    },
    Pins {
        room: RoomId,
        messages: Vec<Message>,
    },
    History {
        room: RoomId,
        id: MessageId,
        revisions: Vec<Revision>,
    },
    Thread {
        room: RoomId,
        root: MessageId,
        before: Option<Seq>,
        messages: Vec<Message>,
        has_more: bool,
    },
    Users {
        q: String,
        complete: bool,
        users: Vec<User>,
    },
    Sessions(Vec<Session>),
    SessionEnded(i64),
    /// Done, nothing to show (read markers, edits: the socket brings them).
    Done,
    /// Something to tell the user.
    Info(String),
    LoggedOut,
    /// The token is no good: back to the login form.
    Unauthorized,
    Failed {
        what: &'static str,
        message: String,
    },
}

/// The WebSocket's state as the worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsStatus {
    Connecting,
    /// Lost or could not connect; the next try is in `retry_in`.
    Down {
        retry_in: Duration,
        reason: String,
    },
    /// The server refused the token (401 or close 4001); the worker stopped.
    AuthLost,
}

/// Everything the network side reports to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetEvent {
    Rest(RestResult),
    Ws(WsStatus),
    Frame(Incoming),
}
