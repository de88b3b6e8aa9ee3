//! The application state and its pure update function.
//!
//! `update(state, msg)` is the only place state changes. It never does I/O:
//! it returns [`Effect`]s (REST calls, frames to send, a bell) for the
//! runtime to carry out, so every behaviour here is testable without a
//! terminal or a server.

mod actions;
mod browse;
mod chat;
mod commands;
mod compose;
mod events;
/// Uploads and attachments.
pub mod files;
mod login;
mod measure;
mod names;
/// Messages on their way out.
pub mod outbox;
mod overlay;
mod people;
mod results;
/// One room's timeline and counters.
pub mod room;
/// Scrolling by lines around an anchor.
pub mod scroll;
mod select;
/// An open thread.
pub mod thread;

use std::collections::HashMap;
use std::time::Duration;

use chat_wire::files::FileInfo;
use chat_wire::ws::ClientFrame;
use chat_wire::{MessageId, RoomId, Seq, User};
use crossterm::event::{KeyEvent, MouseEvent};

use crate::input::Editor;
use crate::input::history::History;
use crate::net::{NetEvent, RestCall};
use crate::strings;
pub use login::{Field, LoginForm};
use outbox::Outbox;
pub use overlay::{Overlay, switcher_matches};
use room::RoomState;
use thread::ThreadView;

/// Which screen is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    Chat,
}

/// The link to the server, as the status line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// Not trying (logged out, or the session ended).
    Offline,
    Connecting,
    Connected,
    /// Down; the next attempt is at this clock time.
    Reconnecting {
        at: Duration,
    },
}

/// What the next Enter does besides sending a plain message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compose {
    Plain,
    Editing {
        room: RoomId,
        id: MessageId,
    },
    Replying {
        room: RoomId,
        id: MessageId,
    },
    /// A command typed next acts on this (selected) message.
    Acting {
        room: RoomId,
        id: MessageId,
    },
}

/// Settings that shape behaviour and display.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub bell: bool,
    pub paste_confirm_lines: usize,
    /// Local time zone for timestamps.
    pub offset: time::UtcOffset,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bell: true,
            paste_confirm_lines: 5,
            offset: time::UtcOffset::UTC,
        }
    }
}

/// Everything the client knows.
#[derive(Debug, Clone)]
pub struct State {
    pub server: String,
    pub screen: Screen,
    pub login: LoginForm,
    pub token: Option<String>,
    pub me: Option<User>,
    /// Rooms, then direct conversations, each sorted by name.
    pub rooms: Vec<RoomState>,
    pub active: Option<RoomId>,
    pub conn: Conn,
    pub outbox: Outbox,
    pub editor: Editor,
    pub drafts: HashMap<RoomId, String>,
    pub history: History,
    pub overlay: Overlay,
    pub compose: Compose,
    /// The last error or information, shown in the status line.
    pub notice: Option<String>,
    /// When the notice appeared; it fades after [`NOTICE_FOR`].
    notice_at: Duration,
    /// Monotonic time since start, advanced by ticks.
    pub clock: Duration,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub settings: Settings,
    /// Who is online, by username: the list in `ready`, then presence
    /// frames.
    pub online: HashMap<String, bool>,
    /// The thread open over the room's timeline, if any.
    pub thread: Option<ThreadView>,
    /// Usernames the directory has shown us (Tab completes them).
    pub directory: Vec<String>,
    /// Whether the terminal has the focus (terminals that do not report
    /// focus leave it true): messages arriving unfocused stay unread.
    pub focused: bool,
    pub quit: bool,
    /// Makes client ids unique across runs; the counter within one.
    client_nonce: String,
    next_client: u64,
    /// When we last told the server we are typing, per room.
    last_typing: HashMap<RoomId, Duration>,
    /// The room the latest /join, /create or /msg will open.
    pending_focus: Option<String>,
    /// When to resend the outbox after the server rate-limited a send.
    resend_at: Option<Duration>,
    /// Uploads in progress, oldest first.
    pub uploads: Vec<files::Upload>,
    next_job: u64,
    /// Public room names the server listed (Tab completes `/join`).
    pub public_rooms: Vec<String>,
    /// Display names by username, as last heard from the server.
    names: HashMap<String, String>,
    /// A search hit to show once its room's history reaches it.
    jump: Option<(RoomId, Seq)>,
}

/// Inputs to [`update`].
// Network events carry users and files inline; a message is made and
// moved once per input, so boxing them would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The terminal gained (true) or lost the focus.
    Focus(bool),
    /// Time passes (the clock since start).
    Tick(Duration),
    Net(NetEvent),
}

/// What the runtime must do on the app's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Rest(RestCall),
    Ws(ClientFrame),
    /// Start the WebSocket worker with the current token.
    Connect,
    /// Stop the WebSocket worker.
    Disconnect,
    /// Upload the file at `path` (as typed; `~/` is home) as job `job`.
    Upload {
        job: u64,
        path: String,
    },
    /// Save an attachment in the download directory.
    Download(Box<FileInfo>),
    /// Save the current token to the session file.
    SaveSession,
    DeleteSession,
    Bell,
    Suspend,
    /// Clear and repaint the whole terminal.
    Redraw,
}

impl State {
    /// A fresh state: with a saved token it starts connecting, without one
    /// it shows the login form. `nonce` seeds client ids.
    pub fn new(
        server: &str,
        saved: Option<(String, String)>,
        settings: Settings,
        nonce: &str,
    ) -> (Self, Vec<Effect>) {
        let mut state = Self {
            server: server.to_owned(),
            screen: Screen::Login,
            login: LoginForm::default(),
            token: None,
            me: None,
            rooms: Vec::new(),
            active: None,
            conn: Conn::Offline,
            outbox: Outbox::default(),
            editor: Editor::default(),
            drafts: HashMap::new(),
            history: History::default(),
            overlay: Overlay::None,
            compose: Compose::Plain,
            notice: None,
            notice_at: Duration::ZERO,
            clock: Duration::ZERO,
            size: (80, 24),
            settings,
            online: HashMap::new(),
            thread: None,
            directory: Vec::new(),
            focused: true,
            quit: false,
            client_nonce: nonce.to_owned(),
            next_client: 0,
            last_typing: HashMap::new(),
            pending_focus: None,
            resend_at: None,
            uploads: Vec::new(),
            next_job: 0,
            public_rooms: Vec::new(),
            names: HashMap::new(),
            jump: None,
        };
        let effects = match saved {
            Some((username, token)) => {
                state.login.username.set(&username);
                state.start_session(token)
            }
            // The form offers Ctrl+R only where the server takes registrations.
            None => vec![Effect::Rest(RestCall::Server)],
        };
        (state, effects)
    }

    /// Enters the chat with a token: fetch who we are and our rooms, and
    /// open the socket.
    fn start_session(&mut self, token: String) -> Vec<Effect> {
        self.token = Some(token);
        self.screen = Screen::Chat;
        self.conn = Conn::Connecting;
        vec![
            Effect::Rest(RestCall::Me),
            Effect::Rest(RestCall::Rooms),
            Effect::Connect,
        ]
    }

    /// Back to the login form, forgetting the session.
    fn end_session(&mut self, why: Option<&str>) -> Vec<Effect> {
        self.token = None;
        self.me = None;
        self.screen = Screen::Login;
        self.conn = Conn::Offline;
        self.rooms.clear();
        self.active = None;
        self.outbox = Outbox::default();
        self.overlay = Overlay::None;
        self.thread = None;
        self.compose = Compose::Plain;
        self.login.busy = false;
        self.login.error = why.map(str::to_owned);
        self.login.focus = Field::Password;
        // The account exists: whoever signed up with this form logs in now.
        self.login.register = false;
        let mut fx = vec![Effect::Disconnect, Effect::DeleteSession];
        if self.login.registration_open.is_none() {
            fx.push(Effect::Rest(RestCall::Server));
        }
        fx
    }

    /// Quits, unless messages are still unsent: then the first request
    /// warns (the outbox lives in memory) and a second one quits.
    pub fn request_quit(&mut self) {
        let warning = strings::unsent_on_quit(self.outbox.len());
        if self.outbox.is_empty() || self.notice.as_deref() == Some(warning.as_str()) {
            self.quit = true;
        } else {
            self.notice = Some(warning);
        }
    }

    /// Remembers the room a command asked to open (by name).
    fn expect_focus(&mut self, name: &str) {
        let name = name.trim_start_matches(['#', '@']).to_lowercase();
        self.pending_focus = Some(name);
    }

    /// Whether the latest /join, /create or /msg asked for this room.
    fn awaits_focus(&self, name: &str) -> bool {
        self.pending_focus.as_deref() == Some(name.to_lowercase().as_str())
    }

    /// Whether a room that just arrived is the one last asked for.
    fn take_focus(&mut self, name: &str) -> bool {
        let wanted = self.pending_focus.as_deref() == Some(name.to_lowercase().as_str());
        if wanted {
            self.pending_focus = None;
        }
        wanted
    }

    /// My username, or "" before we know it.
    pub fn my_name(&self) -> &str {
        self.me.as_ref().map_or("", |u| u.username.as_str())
    }

    /// My user id, or 0 before we know it (no user has it).
    pub fn my_id(&self) -> chat_wire::UserId {
        self.me.as_ref().map_or(0, |u| u.id)
    }

    /// The name `username` shows: their display name, as last heard.
    pub fn shown_name<'a>(&'a self, username: &'a str) -> &'a str {
        match self.names.get(username) {
            Some(n) if !n.trim().is_empty() => n,
            _ => username,
        }
    }

    /// My display name (falling back to the username).
    pub fn my_display_name(&self) -> &str {
        match &self.me {
            Some(u) if !u.display_name.trim().is_empty() => &u.display_name,
            _ => self.my_name(),
        }
    }

    /// The room with this id, if we are in it.
    pub fn room(&self, id: RoomId) -> Option<&RoomState> {
        self.rooms.iter().find(|r| r.room.id == id)
    }

    /// The room with this id, to change it.
    pub fn room_mut(&mut self, id: RoomId) -> Option<&mut RoomState> {
        self.rooms.iter_mut().find(|r| r.room.id == id)
    }

    /// The open room.
    pub fn active_room(&self) -> Option<&RoomState> {
        self.active.and_then(|id| self.room(id))
    }

    /// A new client id: unique per run (nonce) and within it (counter).
    fn client_id(&mut self) -> String {
        self.next_client += 1;
        format!("{}-{}", self.client_nonce, self.next_client)
    }
}

/// How long a notice stays in the status line.
pub const NOTICE_FOR: Duration = Duration::from_secs(10);

/// The update function: applies one message, returns the effects.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let notice = state.notice.clone();
    let fx = apply(state, msg);
    if state.notice.is_some() && state.notice != notice {
        state.notice_at = state.clock;
    }
    fx
}

fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Focus(focused) => {
            state.focused = focused;
            let mut fx = chat::mark_read(state);
            fx.extend(thread::mark_read(state));
            fx
        }
        Msg::Tick(now) => {
            state.clock = now;
            if state.notice.is_some() && now > state.notice_at + NOTICE_FOR {
                state.notice = None;
            }
            for room in &mut state.rooms {
                room.typing.retain(|(_, until)| *until > now);
            }
            if state.conn == Conn::Connected && state.resend_at.is_some_and(|at| now >= at) {
                state.resend_at = None;
                return state
                    .outbox
                    .pending_frames()
                    .into_iter()
                    .map(Effect::Ws)
                    .collect();
            }
            Vec::new()
        }
        Msg::Net(ev) => events::on_net(state, ev),
        Msg::Key(key) => match state.screen {
            Screen::Login => login::on_key(state, key),
            Screen::Chat => chat::on_key(state, key),
        },
        Msg::Paste(text) => match state.screen {
            Screen::Login => {
                state
                    .login
                    .current()
                    .insert(text.lines().next().unwrap_or(""));
                Vec::new()
            }
            Screen::Chat => chat::on_paste(state, text),
        },
        Msg::Mouse(m) => chat::on_mouse(state, m),
    }
}

#[cfg(test)]
mod tests;
