//! Overlays drawn over the chat: help (generated from the key map), the
//! room switcher, search results and the paste confirmation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::app::{Overlay, State, switcher_matches};
use crate::geometry::timeline::display_name;
use crate::geometry::wrap::truncate;
use crate::keys;
use crate::strings;

/// A box centred in `area`, at most `w`×`h`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub(super) fn boxed(f: &mut Frame, r: Rect, title: &str, lines: Vec<Line>) {
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.to_owned());
    f.render_widget(Paragraph::new(lines).block(block), r);
}

/// Draws the current overlay, if any.
pub fn draw(f: &mut Frame, area: Rect, state: &State) {
    match &state.overlay {
        // Selection is drawn in the timeline itself.
        Overlay::None | Overlay::Select(_) => {}
        Overlay::Help(scroll) => help(f, area, *scroll),
        Overlay::Pins { .. }
        | Overlay::History { .. }
        | Overlay::People { .. }
        | Overlay::Sessions { .. }
        | Overlay::Rooms { .. } => super::lists::draw(f, area, state),
        Overlay::Switcher { query, selected } => {
            let r = centered(area, 50, 14);
            let mut lines = vec![
                Line::from(vec![Span::raw("> "), Span::raw(query.clone())]),
                Line::raw(""),
            ];
            for (i, id) in switcher_matches(state)
                .iter()
                .enumerate()
                .take(r.height as usize)
            {
                let label = state.room(*id).map(|r| r.label()).unwrap_or_default();
                let style = if i == *selected {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(label, style));
            }
            boxed(f, r, strings::SWITCHER_TITLE, lines);
        }
        Overlay::Search {
            q,
            results,
            selected,
        } => {
            let r = centered(
                area,
                area.width.saturating_sub(4),
                area.height.saturating_sub(4),
            );
            let inner = r.width.saturating_sub(2) as usize;
            let mut lines = vec![Line::styled(
                format!("\"{q}\""),
                Style::default().add_modifier(Modifier::BOLD),
            )];
            if results.is_empty() {
                lines.push(Line::raw(strings::NO_RESULTS));
            }
            // Keep the selected result in view.
            let rows = r.height.saturating_sub(3) as usize;
            let first = (selected + 1).saturating_sub(rows);
            for (i, m) in results.iter().enumerate().skip(first).take(rows) {
                let room = state.room(m.room_id).map(|r| r.label()).unwrap_or_default();
                let body = m
                    .body
                    .as_deref()
                    .unwrap_or(strings::DELETED)
                    .replace('\n', " ");
                let who = display_name(&m.author);
                let at = super::lists::when(m.created_at, state.settings.offset);
                let text = truncate(&format!("{at}  {room} {who}: {body}"), inner);
                let style = if i == *selected {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(text, style));
            }
            boxed(f, r, strings::SEARCH_TITLE, lines);
        }
        Overlay::Paste(text) => {
            let r = centered(area, 50, 3);
            let line = Line::styled(
                strings::paste_confirm(text.lines().count()),
                Style::default().fg(Color::Yellow),
            );
            boxed(f, r, " paste ", vec![line]);
        }
    }
}

/// Columns of the help's key (or command) column and the gap after it.
const HELP_KEYS: usize = 24 + 2;

/// The help's box width: wide enough for its longest description (plus
/// the key column and the borders), but never wider than the terminal.
fn help_width(area: Rect) -> u16 {
    let widest = keys::help_rows()
        .iter()
        .map(|(_, a)| strings::action_help(*a))
        .chain(
            keys::select_help_rows()
                .iter()
                .map(|(_, a)| strings::select_help(*a)),
        )
        .chain(strings::COMMANDS.iter().map(|(_, what)| *what))
        .map(UnicodeWidthStr::width)
        .max()
        .unwrap_or(0);
    let needed = u16::try_from(HELP_KEYS + widest + 2).unwrap_or(u16::MAX);
    needed.min(area.width.saturating_sub(2))
}

/// The help overlay: the key map, then the commands.
fn help(f: &mut Frame, area: Rect, scroll: usize) {
    let r = centered(area, help_width(area), area.height.saturating_sub(2));
    let inner = r.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    let key_style = Style::default().fg(Color::Cyan);
    for (keys, action) in keys::help_rows() {
        let keys = truncate(&keys, 24);
        let text = truncate(
            strings::action_help(action),
            inner.saturating_sub(HELP_KEYS),
        );
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:<24}  "), key_style),
            Span::raw(text),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        strings::SELECT_TITLE,
        Style::default().add_modifier(Modifier::BOLD),
    ));
    for (keys, action) in keys::select_help_rows() {
        let text = truncate(
            strings::select_help(action),
            inner.saturating_sub(HELP_KEYS),
        );
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<22}  ", truncate(&keys, 22)), key_style),
            Span::raw(text),
        ]));
    }
    lines.push(Line::raw(""));
    for (cmd, what) in strings::COMMANDS {
        let text = truncate(what, inner.saturating_sub(HELP_KEYS));
        lines.push(Line::from(vec![
            Span::styled(format!("{cmd:<24}  "), key_style),
            Span::raw(text),
        ]));
    }
    // Never scroll past the last screenful.
    let visible = r.height.saturating_sub(2) as usize;
    let skip = scroll.min(lines.len().saturating_sub(visible));
    boxed(f, r, strings::HELP_TITLE, lines.split_off(skip));
}
