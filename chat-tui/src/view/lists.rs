//! The list overlays: pinned messages, a message's edit history, the
//! people directory, my sessions and the public rooms.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::overlay::{boxed, centered};
use crate::app::{Overlay, State};
use crate::geometry::layout::first_visible;
use crate::geometry::timeline::display_name;
use crate::geometry::wrap::truncate;
use crate::strings;

/// `21 Sep 14:20` in the local time zone.
pub(super) fn when(at: OffsetDateTime, offset: UtcOffset) -> String {
    let fmt = format_description!("[day] [month repr:short] [hour]:[minute]");
    at.to_offset(offset).format(&fmt).unwrap_or_default()
}

/// A list's rows with the selected one reversed and kept in view.
fn rows(texts: Vec<String>, selected: usize, r: Rect) -> Vec<Line<'static>> {
    let inner = r.width.saturating_sub(2) as usize;
    let height = r.height.saturating_sub(2) as usize;
    let first = first_visible(Some(selected), height);
    texts
        .into_iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, t)| {
            let style = if i == selected {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            Line::styled(truncate(&t.replace('\n', " "), inner), style)
        })
        .collect()
}

fn empty(text: &str) -> Vec<Line<'static>> {
    vec![Line::styled(
        text.to_owned(),
        Style::default().fg(Color::DarkGray),
    )]
}

/// Draws whichever list overlay is open.
pub fn draw(f: &mut Frame, area: Rect, state: &State) {
    let r = centered(
        area,
        area.width.saturating_sub(4).min(90),
        area.height.saturating_sub(4),
    );
    let offset = state.settings.offset;
    match &state.overlay {
        Overlay::Pins {
            messages, selected, ..
        } => {
            let texts: Vec<String> = messages
                .iter()
                .map(|m| {
                    let body = m.body.as_deref().unwrap_or(strings::DELETED);
                    format!(
                        "{} {}: {body}",
                        when(m.created_at, offset),
                        display_name(&m.author)
                    )
                })
                .collect();
            let lines = if texts.is_empty() {
                empty(strings::NO_PINS)
            } else {
                rows(texts, *selected, r)
            };
            boxed(f, r, strings::PINS_TITLE, lines);
        }
        Overlay::History {
            room,
            id,
            revisions,
            ..
        } => {
            let current = state.room(*room).and_then(|rs| rs.find(*id));
            let mut texts: Vec<String> = revisions
                .iter()
                .map(|rev| format!("{}  {}", when(rev.edited_at, offset), rev.body))
                .collect();
            if let Some(m) = current {
                let body = m.body.as_deref().unwrap_or(strings::DELETED);
                texts.push(format!("{:<12}  {body}", strings::HISTORY_NOW));
            }
            // Nothing is selected: the newest text is at the bottom.
            let n = texts.len().saturating_sub(1);
            let mut lines = rows(texts, n, r);
            if let Some(last) = lines.last_mut() {
                *last = last
                    .clone()
                    .style(Style::default().add_modifier(Modifier::BOLD));
            }
            boxed(f, r, strings::HISTORY_TITLE, lines);
        }
        Overlay::People {
            q, users, selected, ..
        } => {
            let texts: Vec<String> = users
                .iter()
                .map(|u| {
                    if u.display_name.trim().is_empty() || u.display_name == u.username {
                        u.username.clone()
                    } else {
                        format!("{} — {}", u.username, u.display_name)
                    }
                })
                .collect();
            let lines = if texts.is_empty() {
                empty(&format!("{} ({q})", strings::NO_PEOPLE))
            } else {
                rows(texts, *selected, r)
            };
            boxed(f, r, strings::PEOPLE_TITLE, lines);
        }
        Overlay::Rooms { rooms, selected } => {
            let texts: Vec<String> = rooms
                .iter()
                .map(|room| {
                    let mut text = format!("{}{}", strings::ROOM_MARK, room.name);
                    if state.room(room.id).is_some() {
                        text = format!("{text} {}", strings::JOINED);
                    }
                    if !room.topic.is_empty() {
                        text = format!("{text} — {}", room.topic);
                    }
                    text
                })
                .collect();
            let lines = if texts.is_empty() {
                empty(strings::NO_PUBLIC_ROOMS)
            } else {
                rows(texts, *selected, r)
            };
            boxed(f, r, strings::ROOMS_TITLE, lines);
        }
        Overlay::Sessions { sessions, selected } => {
            let texts: Vec<String> = sessions
                .iter()
                .map(|s| {
                    let agent = s.user_agent.as_deref().unwrap_or(strings::UNKNOWN_AGENT);
                    let this = if s.current { strings::THIS_SESSION } else { "" };
                    format!(
                        "{}  seen {}  {agent} {this}",
                        when(s.created_at, offset),
                        when(s.last_seen_at, offset)
                    )
                })
                .collect();
            boxed(f, r, strings::SESSIONS_TITLE, rows(texts, *selected, r));
        }
        _ => {}
    }
}
