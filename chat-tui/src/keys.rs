//! The key map: every binding in one table, so the help overlay is
//! generated from the keys that actually work.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Editor operations (readline style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOp {
    Left,
    Right,
    WordLeft,
    WordRight,
    Home,
    End,
    Backspace,
    Delete,
    KillWordBack,
    KillToEnd,
    KillToStart,
    Yank,
    Up,
    Down,
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Suspend,
    Redraw,
    Help,
    Send,
    Newline,
    RoomNext,
    RoomPrev,
    NextUnread,
    Switcher,
    PageUp,
    PageDown,
    Bottom,
    Retry,
    Discard,
    Complete,
    Cancel,
    HistoryOlder,
    HistoryNewer,
    Select,
    Edit(EditOp),
}

/// One binding: a key with exact modifiers.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub action: Action,
}

const fn b(code: KeyCode, mods: KeyModifiers, action: Action) -> Binding {
    Binding { code, mods, action }
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;

/// The key map. Order is the help overlay's order.
pub const BINDINGS: &[Binding] = &[
    b(KeyCode::Enter, NONE, Action::Send),
    b(KeyCode::Enter, ALT, Action::Newline),
    b(KeyCode::Char('j'), CTRL, Action::Newline),
    b(KeyCode::Tab, NONE, Action::Complete),
    b(KeyCode::Char('p'), ALT, Action::HistoryOlder),
    b(KeyCode::Char('n'), ALT, Action::HistoryNewer),
    b(KeyCode::Esc, NONE, Action::Cancel),
    b(KeyCode::Down, ALT, Action::RoomNext),
    b(KeyCode::Char('n'), CTRL, Action::RoomNext),
    b(KeyCode::Up, ALT, Action::RoomPrev),
    b(KeyCode::Char('p'), CTRL, Action::RoomPrev),
    b(KeyCode::Char('a'), ALT, Action::NextUnread),
    b(KeyCode::Char('k'), CTRL, Action::Switcher),
    b(KeyCode::Char('g'), CTRL, Action::Switcher),
    b(KeyCode::Up, CTRL, Action::Select),
    b(KeyCode::Char('s'), ALT, Action::Select),
    b(KeyCode::PageUp, NONE, Action::PageUp),
    b(KeyCode::PageDown, NONE, Action::PageDown),
    b(KeyCode::End, CTRL, Action::Bottom),
    b(KeyCode::Char('r'), ALT, Action::Retry),
    b(KeyCode::Char('x'), ALT, Action::Discard),
    b(KeyCode::F(1), NONE, Action::Help),
    b(KeyCode::Char('z'), CTRL, Action::Suspend),
    b(KeyCode::Char('l'), CTRL, Action::Redraw),
    b(KeyCode::Char('c'), CTRL, Action::Quit),
    b(KeyCode::Char('q'), CTRL, Action::Quit),
    b(KeyCode::Left, NONE, Action::Edit(EditOp::Left)),
    b(KeyCode::Char('b'), CTRL, Action::Edit(EditOp::Left)),
    b(KeyCode::Right, NONE, Action::Edit(EditOp::Right)),
    b(KeyCode::Char('f'), CTRL, Action::Edit(EditOp::Right)),
    b(KeyCode::Left, CTRL, Action::Edit(EditOp::WordLeft)),
    b(KeyCode::Char('b'), ALT, Action::Edit(EditOp::WordLeft)),
    b(KeyCode::Right, CTRL, Action::Edit(EditOp::WordRight)),
    b(KeyCode::Char('f'), ALT, Action::Edit(EditOp::WordRight)),
    b(KeyCode::Home, NONE, Action::Edit(EditOp::Home)),
    b(KeyCode::Char('a'), CTRL, Action::Edit(EditOp::Home)),
    b(KeyCode::End, NONE, Action::Edit(EditOp::End)),
    b(KeyCode::Char('e'), CTRL, Action::Edit(EditOp::End)),
    b(KeyCode::Backspace, NONE, Action::Edit(EditOp::Backspace)),
    b(KeyCode::Char('h'), CTRL, Action::Edit(EditOp::Backspace)),
    b(KeyCode::Delete, NONE, Action::Edit(EditOp::Delete)),
    b(KeyCode::Char('d'), CTRL, Action::Edit(EditOp::Delete)),
    b(KeyCode::Char('w'), CTRL, Action::Edit(EditOp::KillWordBack)),
    b(KeyCode::Backspace, ALT, Action::Edit(EditOp::KillWordBack)),
    b(KeyCode::Char('k'), ALT, Action::Edit(EditOp::KillToEnd)),
    b(KeyCode::Char('u'), CTRL, Action::Edit(EditOp::KillToStart)),
    b(KeyCode::Char('y'), CTRL, Action::Edit(EditOp::Yank)),
    b(KeyCode::Up, NONE, Action::Edit(EditOp::Up)),
    b(KeyCode::Down, NONE, Action::Edit(EditOp::Down)),
];

/// What a key does while a message is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectAction {
    Up,
    Down,
    Reply,
    Edit,
    Delete,
    /// Start `/react ` for the selected message.
    React,
    /// Pin it, or unpin it if pinned.
    Pin,
    /// Its earlier texts.
    History,
    /// Open its thread (or start one).
    Thread,
    /// Start `/report ` for it.
    Report,
    /// Save its first attachment.
    Open,
    /// Start any command that acts on it (`/`).
    Command,
    Done,
}

/// The selection mode's keys (no modifiers). Order is the help's order.
pub const SELECT_BINDINGS: &[(KeyCode, SelectAction)] = &[
    (KeyCode::Up, SelectAction::Up),
    (KeyCode::Down, SelectAction::Down),
    (KeyCode::Char('r'), SelectAction::Reply),
    (KeyCode::Enter, SelectAction::Reply),
    (KeyCode::Char('e'), SelectAction::Edit),
    (KeyCode::Char('d'), SelectAction::Delete),
    (KeyCode::Char('+'), SelectAction::React),
    (KeyCode::Char('p'), SelectAction::Pin),
    (KeyCode::Char('h'), SelectAction::History),
    (KeyCode::Char('t'), SelectAction::Thread),
    (KeyCode::Char('!'), SelectAction::Report),
    (KeyCode::Char('o'), SelectAction::Open),
    (KeyCode::Char('/'), SelectAction::Command),
    (KeyCode::Esc, SelectAction::Done),
    (KeyCode::Char('q'), SelectAction::Done),
];

/// The selection-mode action of a key, if any.
pub fn select_lookup(key: &KeyEvent) -> Option<SelectAction> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    SELECT_BINDINGS
        .iter()
        .find(|(code, _)| *code == key.code)
        .map(|(_, a)| *a)
}

/// Every selection action with its keys, for the help.
pub fn select_help_rows() -> Vec<(String, SelectAction)> {
    let mut rows: Vec<(String, SelectAction)> = Vec::new();
    for (code, action) in SELECT_BINDINGS {
        let key = match code {
            KeyCode::Char(c) => c.to_string(),
            other => describe(*other, NONE),
        };
        match rows.iter_mut().find(|(_, a)| a == action) {
            Some((keys, _)) => {
                keys.push_str(", ");
                keys.push_str(&key);
            }
            None => rows.push((key, *action)),
        }
    }
    rows
}

/// The action bound to a key, if any. Shift is ignored for characters (it
/// is already in the character itself).
pub fn lookup(key: &KeyEvent) -> Option<Action> {
    let mut mods = key.modifiers;
    if matches!(key.code, KeyCode::Char(_)) {
        mods.remove(KeyModifiers::SHIFT);
    }
    BINDINGS
        .iter()
        .find(|b| b.code == key.code && b.mods == mods)
        .map(|b| b.action)
}

/// A key as people write it: `Ctrl+W`, `Alt+Enter`, `PgUp`.
pub fn describe(code: KeyCode, mods: KeyModifiers) -> String {
    let mut s = String::new();
    if mods.contains(KeyModifiers::CONTROL) {
        s.push_str("Ctrl+");
    }
    if mods.contains(KeyModifiers::ALT) {
        s.push_str("Alt+");
    }
    match code {
        KeyCode::Char(c) => s.push(c.to_ascii_uppercase()),
        KeyCode::F(n) => s.push_str(&format!("F{n}")),
        KeyCode::PageUp => s.push_str("PgUp"),
        KeyCode::PageDown => s.push_str("PgDn"),
        KeyCode::Backspace => s.push_str("Bksp"),
        KeyCode::Delete => s.push_str("Del"),
        other => s.push_str(&format!("{other:?}")),
    }
    s
}

/// Every action with all its keys, in key-map order: what the help shows.
pub fn help_rows() -> Vec<(String, Action)> {
    let mut rows: Vec<(String, Action)> = Vec::new();
    for b in BINDINGS {
        let key = describe(b.code, b.mods);
        match rows.iter_mut().find(|(_, a)| *a == b.action) {
            Some((keys, _)) => {
                keys.push_str(", ");
                keys.push_str(&key);
            }
            None => rows.push((key, b.action)),
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_and_are_described() {
        let k = KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&k), Some(Action::Edit(EditOp::KillWordBack)));
        let k = KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT);
        assert_eq!(lookup(&k), Some(Action::Newline));
        assert_eq!(lookup(&KeyEvent::new(KeyCode::Char('x'), NONE)), None);
        assert_eq!(describe(KeyCode::Char('k'), CTRL), "Ctrl+K");
        let rows = help_rows();
        let (keys, _) = rows.iter().find(|(_, a)| *a == Action::Quit).unwrap();
        assert_eq!(keys, "Ctrl+C, Ctrl+Q");
    }

    #[test]
    fn selection_keys_resolve_and_are_listed() {
        let k = KeyEvent::new(KeyCode::Char('+'), KeyModifiers::SHIFT);
        assert_eq!(select_lookup(&k), Some(SelectAction::React));
        let k = KeyEvent::new(KeyCode::Char('t'), CTRL);
        assert_eq!(select_lookup(&k), None);
        let rows = select_help_rows();
        let (keys, _) = rows
            .iter()
            .find(|(_, a)| *a == SelectAction::Reply)
            .unwrap();
        assert_eq!(keys, "r, Enter");
        for (i, (a, _)) in SELECT_BINDINGS.iter().enumerate() {
            assert!(
                SELECT_BINDINGS[i + 1..].iter().all(|(b, _)| a != b),
                "{a:?} bound twice in selection"
            );
        }
    }

    #[test]
    fn every_binding_is_unique() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(
                    !(a.code == b.code && a.mods == b.mods),
                    "{:?} bound twice",
                    a.code
                );
            }
        }
    }
}
