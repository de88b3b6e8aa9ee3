//! Every user-visible string, in one place.

use crate::keys::{Action, EditOp, SelectAction};

pub const NO_SERVER: &str = "no server given: use --server URL or set `server` in the config file";
pub const HTTP_OR_HTTPS: &str = "the server must be an http:// or https:// URL";
pub const TOO_SMALL: &str = "terminal too small";
pub const LOGIN_TITLE: &str = " chat-tui — log in ";
pub const REGISTER_TITLE: &str = " chat-tui — create an account ";
pub const USERNAME: &str = "Username: ";
pub const PASSWORD: &str = "Password: ";
pub const LOGIN_HINT: &str = "Enter: next/log in · Ctrl+R: register instead · Ctrl+C: quit";
/// The hint on a server that takes no registrations.
pub const LOGIN_HINT_CLOSED: &str = "Enter: next/log in · Ctrl+C: quit";
pub const REGISTRATION_CLOSED: &str =
    "this server does not take new accounts; ask its admin for one";
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
/// Opens a reply's one-line quote of the message it answers.
pub const QUOTE_MARK: &str = "╭ ";
/// Marks a room name (`#general`) and a direct conversation (`@bob`).
pub const ROOM_MARK: &str = "#";
pub const DM_MARK: &str = "@";
pub const NO_ROOMS: &str = "no rooms yet: /list shows the public ones; /join NAME or /create NAME";
pub const NEW_MARKER: &str = "new messages";
pub const LOADING: &str = "loading older messages…";
pub const HISTORY_START: &str = "start of the room";
pub const HELP_TITLE: &str = " help — keys (↑↓ PgUp PgDn scroll, Esc closes) ";
pub const SWITCHER_TITLE: &str = " switch room (type to filter, Enter, Esc) ";
pub const SEARCH_TITLE: &str = " search results (↑↓, Enter opens the room at it, Esc closes) ";
pub const ROOMS_TITLE: &str = " public rooms (↑↓, Enter joins, Esc closes) ";
pub const NO_PUBLIC_ROOMS: &str = "no public rooms yet: /create NAME makes one";
pub const JOINED: &str = "(joined)";
/// Marks a private room in the room list, and in its title.
pub const PRIVATE_MARK: &str = "🔒";
pub const PRIVATE: &str = "(private)";
pub const NO_ATTACHMENTS: &str = "no attachment to open here";
/// Shown on the sign-up form before anything is typed.
pub const PASSWORD_RULES: &str =
    "Passwords: at least 8 characters; the most common ones are refused.";
pub const CONFIRM: &str = "Again:    ";
pub const PASSWORDS_DIFFER: &str = "the two passwords differ; type them again";
pub const NO_RESULTS: &str = "no results";
pub const SELECT_HINT: &str = "↑↓ select · r reply · e edit · d delete · + react · p pin · h history · t thread · o open · / command · Esc";
pub const SELECT_TITLE: &str = "selection mode (Ctrl+Up or Alt+S, then):";
pub const PINS_TITLE: &str = " pinned messages (↑↓, u unpins, Esc closes) ";
pub const NO_PINS: &str = "nothing is pinned here";
pub const HISTORY_TITLE: &str = " edit history (Esc closes) ";
pub const HISTORY_NOW: &str = "now";
pub const PEOPLE_TITLE: &str = " people (↑↓, Enter opens a direct conversation, Esc) ";
pub const NO_PEOPLE: &str = "nobody by that name";
pub const SESSIONS_TITLE: &str = " your sessions (↑↓, d ends the selected one, Esc) ";
pub const THIS_SESSION: &str = "(this one)";
pub const UNKNOWN_AGENT: &str = "unknown client";
pub const THREAD_RULE: &str = "thread";
pub const LOADING_REPLIES: &str = "loading replies…";
pub const OLDER_REPLIES: &str = "… older replies above (PgUp)";
pub const NO_REPLIES: &str = "no replies yet: write the first";
pub const NOTHING_SELECTED: &str = "select a message first (Ctrl+Up or Alt+S)";
pub const SESSION_CLOSED: &str = "session ended";
pub const NO_REASON: &str = "(no reason given)";
pub const REPORTED: &str = "reported to the server's admins";
pub const NOT_EDITED: &str = "that message was never edited";
pub const NO_THREAD_IN_THREAD: &str = "a reply cannot have a thread of its own";

/// "usage: /open [N]".
pub fn usage(what: &str) -> String {
    format!("usage: {what}")
}

/// `2.5 MiB`: a size in binary units, one decimal below 10.
pub fn file_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if size < 10.0 {
        format!("{size:.1} {}", UNITS[unit])
    } else {
        format!("{size:.0} {}", UNITS[unit])
    }
}

/// "📎 report.pdf (1.2 MiB)" under a message.
pub fn attachment(name: &str, size: i64) -> String {
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    format!("📎 {name} ({})", file_size(size))
}

/// The status line while a file goes out.
pub fn uploading(name: &str, percent: u64) -> String {
    format!("uploading {name} {percent}%")
}

pub fn upload_failed(name: &str, why: &str) -> String {
    format!("upload of {name} failed: {why}")
}

/// Why a file to upload cannot be read.
pub fn cannot_read(path: &str, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("no such file: {path}"),
        std::io::ErrorKind::PermissionDenied => format!("not allowed to read {path}"),
        _ => format!("cannot read {path}: {e}"),
    }
}

pub fn not_a_file(path: &str) -> String {
    format!("{path} is not a file")
}

pub fn cannot_save(dir: &str, e: &std::io::Error) -> String {
    format!("cannot save in {dir}: {e}")
}

pub fn saving(name: &str) -> String {
    format!("saving {name}…")
}

pub fn saved_to(path: &str) -> String {
    format!("saved to {path}")
}

pub fn only_attachments(n: usize) -> String {
    if n == 1 {
        "that message has one attachment".into()
    } else {
        format!("that message has {n} attachments")
    }
}

/// The status line when I was added to a room (or someone opened a
/// direct conversation with me).
pub fn added_to(label: &str, direct: bool) -> String {
    if direct {
        format!("new direct conversation: {label}")
    } else {
        format!("you were added to {label}")
    }
}

/// `/nick` done.
pub fn renamed(name: &str) -> String {
    format!("you are now shown as {name}")
}

/// "[3 replies]" under a thread's root.
pub fn replies(n: i64) -> String {
    if n == 1 {
        "[1 reply]".into()
    } else {
        format!("[{n} replies]")
    }
}

/// The title of an open thread.
pub fn thread_title(room: &str, who: &str) -> String {
    format!("{room} — thread of {who} (Esc back)")
}

/// The line above the input while a command waits for its target.
pub fn acting_banner(who: &str, text: &str) -> String {
    format!("command on {who}: {text} (Esc cancels)")
}

/// The line above the input in a thread.
pub fn thread_banner(who: &str) -> String {
    format!("replying in {who}'s thread (Esc back to the room)")
}

/// The status line when someone removed me from a room.
pub fn removed_by(room: &str, by: &str) -> String {
    format!("{by} removed you from {room}")
}

/// What a moderation call did, for the status line.
pub fn done_to(what: &str, user: &str) -> String {
    format!("{user}: {what}")
}

/// What a selection-mode key does, for the help overlay.
pub fn select_help(a: SelectAction) -> &'static str {
    match a {
        SelectAction::Up => "select the message above",
        SelectAction::Down => "select the message below (past the last: done)",
        SelectAction::Reply => "reply to it",
        SelectAction::Edit => "edit it (yours)",
        SelectAction::Delete => "delete it",
        SelectAction::React => "react to it: type an emoji after /react",
        SelectAction::Pin => "pin it, or unpin it",
        SelectAction::History => "its earlier texts (edited messages)",
        SelectAction::Thread => "open its thread, or start one",
        SelectAction::Report => "report it to the server's admins",
        SelectAction::Open => "save its first attachment (/open N: another)",
        SelectAction::Command => "type a command for it (/react, /pin, /history, /report)",
        SelectAction::Done => "done selecting",
    }
}

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
        Action::Select => "select a message (its keys are listed below)",
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
    ("/list", "public rooms; Enter joins one"),
    ("/join NAME", "join a public room (Tab completes)"),
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
    ("/upload PATH", "send a file here"),
    (
        "/open [N]",
        "save an attachment (of the selected or the last message)",
    ),
    (
        "/react EMOJI",
        "react to the selected message (again: remove)",
    ),
    ("/pin", "pin the selected message"),
    ("/unpin", "unpin the selected message"),
    ("/pins", "this room's pinned messages"),
    ("/history", "earlier texts of the selected message"),
    ("/report [REASON]", "report the selected message"),
    ("/people PREFIX", "find people; Enter opens a conversation"),
    ("/sessions", "your logged-in devices; end one"),
    ("/kick USER", "remove someone from this room"),
    ("/ban USER [REASON]", "remove someone and keep them out"),
    ("/unban USER", "let someone back in"),
    ("/role USER admin|member", "set someone's role here"),
    ("/block USER", "stop someone writing to you"),
    ("/unblock USER", "unblock someone"),
    ("/nick NAME", "set your display name"),
    ("/logout", "log out and forget the session"),
    ("/quit", "quit"),
    ("/help", "this help"),
];
