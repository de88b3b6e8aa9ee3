//! Everything around the timeline: title bar, room list, input, status.

use chat_wire::Visibility;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::room::RoomState;
use crate::app::{Compose, Conn, Overlay, State};
use crate::geometry::layout::{Areas, PROMPT, input_rows};
use crate::geometry::timeline::display_name;
use crate::geometry::wrap::truncate;
use crate::strings;

/// The room's name and topic across the top.
pub fn title(f: &mut Frame, area: Rect, state: &State) {
    let text = match state.active_room() {
        Some(r) if state.thread.is_some() => {
            let root = crate::app::thread::root(state);
            strings::thread_title(&r.label(), root.map_or("…", |m| display_name(&m.author)))
        }
        // A direct conversation says whether the other person is online.
        Some(r) if r.is_direct() => {
            let online = state.online.get(&r.room.name).copied().unwrap_or(false);
            let presence = if online { strings::ONLINE } else { "" };
            format!("{}{presence}", r.label())
        }
        Some(r) => {
            let mut title = r.label();
            if is_private(r) {
                title = format!("{title} {}", strings::PRIVATE);
            }
            if !r.room.topic.is_empty() {
                title = format!("{title} — {}", r.room.topic.replace('\n', " "));
            }
            title
        }
        None => "chat".into(),
    };
    let style = Style::default().add_modifier(Modifier::REVERSED);
    let text = truncate(&format!(" {text}"), area.width as usize);
    f.render_widget(Paragraph::new(text).style(style), area);
}

/// The room list: unread and mention counts, bold when unread, direct
/// conversations marked with `@` and a presence dot.
pub fn sidebar(f: &mut Frame, area: Rect, state: &State) {
    let width = area.width as usize;
    let mut lines = Vec::new();
    let height = area.height as usize;
    let first = state.first_listed_room(height);
    for r in state.rooms.iter().skip(first).take(height) {
        let mut count = String::new();
        if r.unread > 0 {
            count = r.unread.to_string();
        }
        if r.mentions > 0 {
            count = format!("{count} @{}", r.mentions);
        }
        let online = r.is_direct() && state.online.get(&r.room.name).copied().unwrap_or(false);
        let dot = if online { "●" } else { " " };
        let lock = if is_private(r) {
            format!(" {}", strings::PRIVATE_MARK)
        } else {
            String::new()
        };
        let name_w = width.saturating_sub(count.width() + 2);
        let name = truncate(&format!("{}{lock}", r.label()), name_w);
        let pad = width.saturating_sub(1 + name.width() + count.width() + 1);
        let mut style = Style::default();
        if r.unread > 0 {
            style = style.add_modifier(Modifier::BOLD);
        }
        if Some(r.room.id) == state.active {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let count_style = if r.mentions > 0 {
            style.fg(Color::Red)
        } else {
            style.fg(Color::Yellow)
        };
        lines.push(Line::from(vec![
            Span::styled(dot, Style::default().fg(Color::Green)),
            Span::styled(format!("{name}{}", " ".repeat(pad)), style),
            Span::styled(count, count_style),
            Span::styled(" ", style),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// A named room only members see (a direct conversation is private by
/// nature and marked `@` already).
fn is_private(r: &RoomState) -> bool {
    !r.is_direct() && r.room.visibility == Visibility::Private
}

/// The vertical line between the room list and the timeline.
pub fn separator(f: &mut Frame, a: Areas) {
    let x = a.sidebar.right();
    let lines: Vec<Line> = (0..a.sidebar.height).map(|_| Line::raw("│")).collect();
    let r = Rect {
        x,
        width: 1,
        ..a.sidebar
    };
    f.render_widget(
        Paragraph::new(lines).style(Style::default().fg(Color::DarkGray)),
        r,
    );
}

/// "editing…" or "replying to…" above the input.
pub fn banner(f: &mut Frame, area: Rect, state: &State) {
    let text = match state.compose {
        Compose::Plain => return,
        Compose::Editing { .. } => strings::editing_banner().to_owned(),
        Compose::Replying { room, id } => {
            let m = state.room(room).and_then(|r| r.find(id));
            let who = m.map_or("…", |m| display_name(&m.author));
            let body = m.and_then(|m| m.body.as_deref()).unwrap_or("");
            strings::replying_banner(who, &body.replace('\n', " "))
        }
        Compose::Acting { room, id } => {
            let m = state.room(room).and_then(|r| r.find(id));
            let who = m.map_or("…", |m| display_name(&m.author));
            let body = m.and_then(|m| m.body.as_deref()).unwrap_or("");
            strings::acting_banner(who, &body.replace('\n', " "))
        }
    };
    let style = Style::default().fg(Color::Cyan);
    f.render_widget(
        Paragraph::new(truncate(&text, area.width as usize)).style(style),
        area,
    );
}

/// The editor, scrolled so the cursor row is visible, with the cursor.
pub fn input(f: &mut Frame, area: Rect, state: &State) {
    let width = area.width.saturating_sub(PROMPT.len() as u16) as usize;
    let (rows, (crow, ccol)) = input_rows(state.editor.text(), state.editor.cursor(), width);
    let height = area.height as usize;
    let first = (crow + 1).saturating_sub(height);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, r)| {
            let prompt = if i == 0 { PROMPT } else { "  " };
            Line::from(vec![
                Span::styled(prompt, Style::default().fg(Color::Cyan)),
                Span::raw(r.clone()),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines), area);
    if matches!(state.overlay, Overlay::None) {
        let x = area.x + PROMPT.len() as u16 + ccol as u16;
        let y = area.y + (crow - first) as u16;
        f.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), y));
    }
}

/// Connection state, who I am, who is typing, the last notice.
pub fn status(f: &mut Frame, area: Rect, state: &State) {
    let (conn, color) = match state.conn {
        Conn::Connected => (strings::CONNECTED.to_owned(), Color::Green),
        Conn::Connecting => (strings::CONNECTING.to_owned(), Color::Yellow),
        Conn::Offline => (strings::OFFLINE.to_owned(), Color::Red),
        Conn::Reconnecting { at } => {
            let secs = at.saturating_sub(state.clock).as_secs_f64().ceil() as u64;
            (strings::reconnecting(secs), Color::Yellow)
        }
    };
    let mut spans = vec![
        Span::styled(
            format!("[{conn}]"),
            Style::default().fg(color).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" {}", state.my_name())),
    ];
    let unsent = state.outbox.len();
    if unsent > 0 {
        spans.push(Span::styled(
            format!(" · {unsent} unsent"),
            Style::default().fg(Color::Yellow),
        ));
    }
    for up in &state.uploads {
        spans.push(Span::styled(
            format!(" · {}", strings::uploading(&up.name, up.percent())),
            Style::default().fg(Color::LightBlue),
        ));
    }
    if let Some(r) = state.active_room() {
        // Named as the timeline names them.
        let names: Vec<String> = r
            .typing
            .iter()
            .map(|(n, _)| state.shown_name(n).to_owned())
            .collect();
        if !names.is_empty() {
            spans.push(Span::styled(
                format!(" · {}", strings::typing(&names)),
                Style::default().fg(Color::Cyan),
            ));
        }
    }
    if let Some(n) = &state.notice {
        spans.push(Span::styled(
            format!(" · {}", n.replace('\n', " ")),
            Style::default().fg(Color::Magenta),
        ));
    }
    let hint = match state.overlay {
        Overlay::Select(_) => format!("  {}", strings::SELECT_HINT),
        _ => "  F1 help".to_owned(),
    };
    spans.push(Span::styled(hint, Style::default().fg(Color::DarkGray)));
    let line = Line::from(spans);
    f.render_widget(
        Paragraph::new(line).style(Style::default().bg(Color::Black)),
        area,
    );
}
