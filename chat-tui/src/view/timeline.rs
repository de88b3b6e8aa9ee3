//! The timeline: messages laid out as lines (times, day separators,
//! author colours, mentions, edits, tombstones, reply quotes), drawn from
//! the bottom up so only what fits is laid out.

use chat_wire::{Message, Seq};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use time::UtcOffset;
use time::macros::format_description;

use super::wrap::{Seg, truncate, wrap};
use crate::app::outbox::{Outgoing, SendStatus};
use crate::app::room::{Item, RoomState, mentions};
use crate::app::{Overlay, State};
use crate::strings;

/// What laying out a message needs besides the message.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// My username (mentions, my own name).
    pub me: &'a str,
    /// My display name, for messages still sending.
    pub me_shown: &'a str,
    pub offset: UtcOffset,
    pub width: usize,
}

/// Width of `HH:MM `: continuation lines hang under the name.
const TIME_COLS: usize = 6;

const PALETTE: [Color; 8] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::LightRed,
    Color::LightCyan,
    Color::LightGreen,
];

/// The name shown for a user: the display name, else the username.
pub fn display(u: &chat_wire::UserRef) -> &str {
    if u.display_name.trim().is_empty() {
        &u.username
    } else {
        &u.display_name
    }
}

/// A colour per author that never changes between runs (FNV-1a of the name).
pub fn author_color(name: &str) -> Color {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    PALETTE[(h % PALETTE.len() as u32) as usize]
}

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

fn rule(text: &str, width: usize, style: Style) -> Line<'static> {
    let label = format!(" {text} ");
    let w = unicode_width::UnicodeWidthStr::width(label.as_str());
    let side = width.saturating_sub(w) / 2;
    let line = format!(
        "{}{label}{}",
        "─".repeat(side),
        "─".repeat(width.saturating_sub(w + side))
    );
    Line::styled(truncate(&line, width), style)
}

/// The body split into segments, mentions of me highlighted.
fn body_segs(body: &str, me: &str, base: Style) -> Vec<Seg> {
    let hl = Style::default().fg(Color::Black).bg(Color::Yellow);
    let mut out: Vec<Seg> = Vec::new();
    for (i, word) in body.split(' ').enumerate() {
        if i > 0 {
            out.push((" ".into(), base));
        }
        let style = if mentions(word, me) { hl } else { base };
        out.push((word.to_owned(), style));
    }
    out
}

fn message_segs(ctx: &Ctx, m: &Message) -> Vec<Seg> {
    let fmt = format_description!("[hour]:[minute] ");
    let time = m
        .created_at
        .to_offset(ctx.offset)
        .format(&fmt)
        .unwrap_or_default();
    let name = display(&m.author).to_owned();
    let mut name_style = Style::default()
        .fg(author_color(&m.author.username))
        .add_modifier(Modifier::BOLD);
    if m.author.username == ctx.me {
        name_style = name_style.add_modifier(Modifier::UNDERLINED);
    }
    let mut segs: Vec<Seg> = vec![(time, dim())];
    match m.body.as_deref() {
        _ if m.deleted => {
            segs.push((format!("{name}: "), name_style));
            segs.push((
                strings::DELETED.into(),
                dim().add_modifier(Modifier::ITALIC),
            ));
        }
        Some(body) if body.starts_with("/me ") => {
            segs.push(("* ".into(), Style::default()));
            segs.push((name, name_style));
            segs.push((" ".into(), Style::default()));
            segs.extend(body_segs(
                &body[4..],
                ctx.me,
                Style::default().add_modifier(Modifier::ITALIC),
            ));
        }
        body => {
            segs.push((format!("{name}: "), name_style));
            segs.extend(body_segs(
                body.unwrap_or_default(),
                ctx.me,
                Style::default(),
            ));
        }
    }
    if m.edited_at.is_some() && !m.deleted {
        segs.push((format!(" {}", strings::EDITED), dim()));
    }
    segs
}

/// The lines of one timeline item, with the day separator and unread
/// marker that go before it.
pub fn item_lines(
    ctx: &Ctx,
    room: &RoomState,
    seq: Seq,
    prev: Option<&Item>,
    item: &Item,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let day = item.at().to_offset(ctx.offset).date();
    if prev.is_none_or(|p| p.at().to_offset(ctx.offset).date() != day) {
        let fmt = format_description!("[weekday repr:short] [day] [month repr:short] [year]");
        out.push(rule(
            &day.format(&fmt).unwrap_or_default(),
            ctx.width,
            dim(),
        ));
    }
    if let Some(marker) = room.marker {
        let prev_seq = room
            .items
            .range(..seq)
            .next_back()
            .map_or(Seq::MIN, |(s, _)| *s);
        if seq > marker && prev_seq <= marker {
            out.push(rule(
                strings::NEW_MARKER,
                ctx.width,
                Style::default().fg(Color::Red),
            ));
        }
    }
    match item {
        Item::Notice { at, text } => {
            let fmt = format_description!("[hour]:[minute] ");
            let time = at.to_offset(ctx.offset).format(&fmt).unwrap_or_default();
            out.extend(wrap(
                &[(format!("{time}→ {text}"), dim())],
                ctx.width,
                TIME_COLS,
            ));
        }
        Item::Message(m) => {
            if let Some(reply) = m.reply_to {
                let quote = match room.find(reply) {
                    Some(q) => format!(
                        "{}: {}",
                        display(&q.author),
                        q.body.as_deref().unwrap_or(strings::DELETED)
                    ),
                    None => "…".into(),
                };
                let quote = quote.replace('\n', " ");
                let text = format!("{}↳ {quote}", " ".repeat(TIME_COLS));
                out.push(Line::styled(truncate(&text, ctx.width), dim()));
            }
            out.extend(wrap(&message_segs(ctx, m), ctx.width, TIME_COLS));
        }
    }
    out
}

/// The lines of a message still on its way.
pub fn pending_lines(ctx: &Ctx, o: &Outgoing) -> Vec<Line<'static>> {
    let name_style = Style::default()
        .fg(author_color(ctx.me))
        .add_modifier(Modifier::BOLD);
    let mut segs: Vec<Seg> = vec![
        (" ".repeat(TIME_COLS), dim()),
        (format!("{}: ", ctx.me_shown), name_style),
    ];
    segs.extend(body_segs(&o.body, ctx.me, dim()));
    match &o.status {
        SendStatus::Pending => segs.push((format!(" {}", strings::SENDING), dim())),
        SendStatus::Failed(why) => segs.push((
            format!(" {} — {why}", strings::FAILED),
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        )),
    }
    wrap(&segs, ctx.width, TIME_COLS)
}

/// Draws the open room's timeline into `area`.
pub fn draw(f: &mut Frame, area: Rect, state: &State) {
    let Some(room) = state.active_room() else {
        f.render_widget(Paragraph::new(strings::NO_ROOMS).style(dim()), area);
        return;
    };
    let ctx = Ctx {
        me: state.my_name(),
        me_shown: state.my_display_name(),
        offset: state.settings.offset,
        width: area.width as usize,
    };
    let height = area.height as usize;
    let mut lines: Vec<Line<'static>> = Vec::new();
    let upto = match room.scroll {
        None => {
            for o in state.outbox.in_room(room.room.id) {
                lines.extend(pending_lines(&ctx, o));
            }
            Seq::MAX
        }
        Some(a) => a.seq,
    };
    // Lines of the anchor item hidden below the view. At least its first
    // line stays visible, so after a resize (which changes how many lines
    // it has) the same message is still at the bottom.
    let mut skip = room.scroll.map_or(0, |a| a.skip);
    let selected = match state.overlay {
        Overlay::Select(seq) => Some(seq),
        _ => None,
    };
    let mut iter = room.items.range(..=upto).rev().peekable();
    while lines.len() < height {
        let Some((seq, item)) = iter.next() else {
            break;
        };
        let prev = iter.peek().map(|(_, p)| *p);
        let mut block = item_lines(&ctx, room, *seq, prev, item);
        if selected == Some(*seq) {
            let reversed = Style::default().add_modifier(Modifier::REVERSED);
            block = block.into_iter().map(|l| l.patch_style(reversed)).collect();
        }
        let cut = skip.min(block.len().saturating_sub(1));
        block.truncate(block.len() - cut);
        skip = 0;
        block.append(&mut lines);
        lines = block;
    }
    if lines.len() < height {
        let top = if room.loading {
            Some(strings::LOADING)
        } else if room.history_done {
            Some(strings::HISTORY_START)
        } else {
            None
        };
        if let Some(t) = top {
            lines.insert(0, rule(t, ctx.width, dim()));
        }
    }
    let start = lines.len().saturating_sub(height);
    let shown: Vec<Line> = lines.split_off(start);
    let y = area.y + (height - shown.len()) as u16;
    let body = Rect {
        y,
        height: shown.len() as u16,
        ..area
    };
    f.render_widget(Paragraph::new(shown), body);
    if let Some(a) = room.scroll {
        let n = room
            .items
            .range(a.seq + 1..)
            .filter(|(_, i)| matches!(i, Item::Message(_)))
            .count();
        if n > 0 {
            let label = strings::new_below(n);
            let w = (label.chars().count() as u16).min(area.width);
            let r = Rect {
                x: area.right() - w,
                y: area.bottom() - 1,
                width: w,
                height: 1,
            };
            let style = Style::default().fg(Color::Black).bg(Color::Yellow);
            f.render_widget(Paragraph::new(Span::styled(label, style)), r);
        }
    }
}
