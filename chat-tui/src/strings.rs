//! Every user-visible string, in one place.

use crate::keys::{Action, EditOp};

pub const NO_SERVER: &str = "no server given: use --server URL or set `server` in the config file";
pub const HTTP_OR_HTTPS: &str = "the server must be an http:// or https:// URL";
pub const TOO_SMALL: &str = "terminal too small";
pub const LOGIN_TITLE: &str = " chat-tui — log in ";
pub const REGISTER_TITLE: &str = " chat-tui — create an account ";
pub const USERNAME: &str = "Username: ";
pub const PASSWORD: &str = "Password: ";
pub const LOGIN_HINT: &str = "Enter: next/log in · Ctrl+R: register instead · Ctrl+C: quit";
pub const REGISTER_HINT: &str =
    "Enter: next/create account · Ctrl+R: log in instead · Ctrl+C: quit";
pub const LOGGING_IN: &str = "logging in…";
pub const SESSION_ENDED: &str = "your session ended; please log in again";
pub const CONNECTED: &str = "connected";
pub const CONNECTING: &str = "connecting…";
pub const OFFLINE: &str = "offline";
pub const ONLINE: &str = " — online";
pub const SENDING: &str = "sending…";
pub const FAILED: &str = "failed (Alt+R retry, Alt+X discard)";
pub const EDITED: &str = "(edited)";
pub const DELETED: &str = "(message deleted)";
pub const PINNED: &str = "(pinned)";
/// Marks a room name (`#general`) and a direct conversation (`@bob`).
pub const ROOM_MARK: &str = "#";
pub const DM_MARK: &str = "@";
pub const NO_ROOMS: &str = "no rooms yet: /join NAME or /create NAME";
pub const NEW_MARKER: &str = "new messages";
pub const LOADING: &str = "loading older messages…";
pub const HISTORY_START: &str = "start of the room";
pub const HELP_TITLE: &str = " help — keys (↑↓ PgUp PgDn scroll, Esc closes) ";
pub const SWITCHER_TITLE: &str = " switch room (type to filter, Enter, Esc) ";
pub const SEARCH_TITLE: &str = " search results (↑↓, Enter opens the room, Esc closes) ";
pub const NO_RESULTS: &str = "no results";
pub const SELECT_HINT: &str = "↑↓ select · r reply · e edit · d delete · Esc done";

/// "reconnecting in 3s".
pub fn reconnecting(secs: u64) -> String {
    if secs == 0 {
        "reconnecting…".into()
    } else {
        format!("reconnecting in {secs}s")
    }
}

/// The warning before quitting drops unsent messages.
pub fn unsent_on_quit(n: usize) -> String {
    format!("{n} unsent message(s) would be lost: quit again to drop them")
}

/// "3 new ↓".
pub fn new_below(n: usize) -> String {
    format!(" {n} new ↓ ")
}

/// "alice is typing…".
pub fn typing(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is typing…"),
        [a, b] => format!("{a} and {b} are typing…"),
        _ => "several people are typing…".into(),
    }
}

/// The paste confirmation prompt.
pub fn paste_confirm(lines: usize) -> String {
    format!("paste {lines} lines? y: insert · n/Esc: drop")
}

/// The line above the input while editing or replying.
pub fn editing_banner() -> &'static str {
    "editing your message (Esc cancels)"
}

/// "replying to alice: text".
pub fn replying_banner(who: &str, text: &str) -> String {
    format!("replying to {who}: {text} (Esc cancels)")
}

/// What an action does, for the help overlay.
pub fn action_help(a: Action) -> &'static str {
    match a {
        Action::Quit => "quit",
        Action::Suspend => "suspend to the shell",
        Action::Redraw => "redraw the screen",
        Action::Help => "this help (also ? on an empty line)",
        Action::Send => "send the message",
        Action::Newline => "new line in the message",
        Action::RoomNext => "next room",
        Action::RoomPrev => "previous room",
        Action::NextUnread => "jump to the next unread room",
        Action::Switcher => "room switcher (Ctrl+K: on an empty line)",
        Action::PageUp => "scroll up (older messages load on the way)",
        Action::PageDown => "scroll down",
        Action::Bottom => "back to the newest message",
        Action::Retry => "retry failed messages",
        Action::Discard => "discard failed messages",
        Action::Complete => "complete a name, room or command",
        Action::Cancel => "cancel edit/reply, close overlays",
        Action::HistoryOlder => "previous input (history)",
        Action::Select => "select a message: ↑↓, r reply, e edit, d delete, Esc",
        Action::HistoryNewer => "next input (history)",
        Action::Edit(op) => match op {
            EditOp::Left => "cursor left",
            EditOp::Right => "cursor right",
            EditOp::WordLeft => "word left",
            EditOp::WordRight => "word right",
            EditOp::Home => "start of line",
            EditOp::End => "end of line",
            EditOp::Backspace => "delete back",
            EditOp::Delete => "delete forward",
            EditOp::KillWordBack => "delete word back",
            EditOp::KillToEnd => "delete to end of line",
            EditOp::KillToStart => "delete to start of line",
            EditOp::Yank => "paste what was deleted",
            EditOp::Up => "line up / history; on an empty line: edit your last message",
            EditOp::Down => "line down / history",
        },
    }
}

/// The slash commands and what they do, for the help overlay and `/help`.
pub const COMMANDS: &[(&str, &str)] = &[
    ("/join NAME", "join a public room"),
    ("/leave", "leave this room"),
    ("/create NAME [private]", "create a room"),
    ("/invite USER", "add someone to this room"),
    ("/msg USER [TEXT]", "direct message"),
    ("/me ACTION", "say what you do"),
    ("/topic [TEXT]", "show or set the room topic"),
    ("/edit TEXT", "edit your last message"),
    ("/delete", "delete your last message"),
    (
        "/reply [@USER] [TEXT]",
        "reply to the last message (of USER)",
    ),
    ("/search WORDS", "search your rooms"),
    ("/nick NAME", "set your display name"),
    ("/logout", "log out and forget the session"),
    ("/quit", "quit"),
    ("/help", "this help"),
];
