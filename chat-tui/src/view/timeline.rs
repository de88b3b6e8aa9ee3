//! The timeline: messages drawn as lines (times, day separators, author
//! colours, mentions, edits, tombstones, reply quotes), from the bottom up
//! so only what fits is drawn. Which rows an item takes is decided by
//! [`crate::geometry::timeline`]; this module gives them their look.

use chat_wire::{Seq, UserId};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use time::UtcOffset;
use time::macros::format_description;

use crate::app::outbox::{Outgoing, SendStatus};
use crate::app::room::{Item, RoomState, mentions, mentions_me};
use crate::app::{Overlay, State};
use crate::geometry::timeline::{
    Entry, ItemRows, Part, TIME_COLS, body_words, display_name, item_rows,
};
use crate::geometry::wrap::{Row, truncate, wrap};
use crate::strings;

/// What drawing a message needs besides the message.
#[derive(Debug, Clone, Copy)]
struct Ctx<'a> {
    /// My username (mentions, my own name).
    me: &'a str,
    /// My id (messages that mention me).
    me_id: UserId,
    /// My display name, for messages still sending.
    me_shown: &'a str,
    offset: UtcOffset,
    width: usize,
}

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

/// A colour per author that never changes between runs (FNV-1a of the name).
fn author_color(name: &str) -> Color {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    PALETTE[(h % PALETTE.len() as u32) as usize]
}

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

fn file_style() -> Style {
    Style::default().fg(Color::LightBlue)
}

/// Where a reply's quote starts: two columns in from the text.
const QUOTE_COLS: usize = TIME_COLS + 2;

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

/// Wrapped rows of styled runs as ratatui lines.
fn to_lines(rows: Vec<Row<Style>>) -> Vec<Line<'static>> {
    rows.into_iter()
        .map(|row| {
            let spans: Vec<Span<'static>> = row
                .into_iter()
                .map(|(text, style)| Span::styled(text, style))
                .collect();
            Line::from(spans)
        })
        .collect()
}

/// A word of a body: highlighted when it mentions me, else in `base`.
fn word_style(word: &str, me: &str, base: Style) -> Style {
    if mentions(word, me) {
        Style::default().fg(Color::Black).bg(Color::Yellow)
    } else {
        base
    }
}

/// The style of a piece of `item`'s text.
fn part_style(ctx: &Ctx, item: &Item, text: &str, part: Part) -> Style {
    match part {
        // A message that mentions me stands out by its time.
        Part::Time if matches!(item, Item::Message(m) if mentions_me(m, ctx.me_id)) => {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        }
        Part::Time | Part::Edited | Part::Notice => dim(),
        Part::Plain => Style::default(),
        Part::Deleted => dim().add_modifier(Modifier::ITALIC),
        Part::Body { action } => {
            let base = if action {
                Style::default().add_modifier(Modifier::ITALIC)
            } else {
                Style::default()
            };
            word_style(text, ctx.me, base)
        }
        Part::Author => {
            // Only messages have authors.
            let Item::Message(m) = item else {
                return Style::default();
            };
            let style = Style::default()
                .fg(author_color(&m.author.username))
                .add_modifier(Modifier::BOLD);
            if m.author.username == ctx.me {
                style.add_modifier(Modifier::UNDERLINED)
            } else {
                style
            }
        }
    }
}

/// The lines of one timeline item laid out as `rows`, with the day
/// separator and unread marker that go before it.
fn item_lines(ctx: &Ctx, room: &RoomState, item: &Item, rows: &ItemRows) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(day) = rows.day {
        let fmt = format_description!("[weekday repr:short] [day] [month repr:short] [year]");
        out.push(rule(
            &day.format(&fmt).unwrap_or_default(),
            ctx.width,
            dim(),
        ));
    }
    if rows.new_marker {
        out.push(rule(
            strings::NEW_MARKER,
            ctx.width,
            Style::default().fg(Color::Red),
        ));
    }
    if let Some(reply) = rows.quote {
        let quote = match room.find(reply) {
            Some(q) => format!(
                "{}: {}",
                display_name(&q.author),
                q.body.as_deref().unwrap_or(strings::DELETED)
            ),
            None => "…".into(),
        };
        let quote = quote.replace('\n', " ");
        // Deeper than the text of the message above and opening downwards,
        // so it reads as part of the reply below, not of what is above.
        let text = format!("{}{}{quote}", " ".repeat(QUOTE_COLS), strings::QUOTE_MARK);
        out.push(Line::styled(truncate(&text, ctx.width), dim()));
    }
    let text = rows.wrap_text(ctx.width, |text, part| part_style(ctx, item, text, part));
    out.extend(to_lines(text));
    if ctx.width > 0 {
        for file in &rows.attachments {
            out.push(Line::styled(truncate(file, ctx.width), file_style()));
        }
    }
    if let Some(reactions) = &rows.reactions
        && ctx.width > 0
    {
        out.push(Line::styled(truncate(reactions, ctx.width), dim()));
    }
    if let Some(thread) = &rows.thread
        && ctx.width > 0
    {
        let style = Style::default().fg(Color::Cyan);
        out.push(Line::styled(truncate(thread, ctx.width), style));
    }
    out
}

/// The lines of a message still on its way.
fn pending_lines(ctx: &Ctx, o: &Outgoing) -> Vec<Line<'static>> {
    let name_style = Style::default()
        .fg(author_color(ctx.me))
        .add_modifier(Modifier::BOLD);
    let mut segs: Vec<(String, Style)> = vec![
        (" ".repeat(TIME_COLS), dim()),
        (format!("{}: ", ctx.me_shown), name_style),
    ];
    segs.extend(body_words(&o.body).map(|w| (w.to_owned(), word_style(w, ctx.me, dim()))));
    match &o.status {
        SendStatus::Pending => segs.push((format!(" {}", strings::SENDING), dim())),
        SendStatus::Failed(why) => segs.push((
            format!(" {} — {why}", strings::FAILED),
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        )),
    }
    let mut lines = to_lines(wrap(&segs, ctx.width, TIME_COLS));
    for f in &o.attachments {
        let text = format!(
            "{}{}",
            " ".repeat(TIME_COLS),
            strings::attachment(&f.name, f.size)
        );
        lines.push(Line::styled(truncate(&text, ctx.width), dim()));
    }
    lines
}

/// Draws the open room's timeline into `area`.
pub fn draw(f: &mut Frame, area: Rect, state: &State) {
    let Some(room) = state.active_room() else {
        f.render_widget(Paragraph::new(strings::NO_ROOMS).style(dim()), area);
        return;
    };
    let ctx = Ctx {
        me: state.my_name(),
        me_id: state.my_id(),
        me_shown: state.my_display_name(),
        offset: state.settings.offset,
        width: area.width as usize,
    };
    let height = area.height as usize;
    if state
        .thread
        .as_ref()
        .is_some_and(|t| t.room == room.room.id)
    {
        draw_thread(f, area, state, room, &ctx);
        return;
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    let upto = match room.scroll {
        None => {
            let main = state.outbox.in_room(room.room.id);
            for o in main.filter(|o| o.thread_root.is_none()) {
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
    let mut iter = room.items.range(..=upto).rev();
    while lines.len() < height {
        let Some((seq, item)) = iter.next() else {
            break;
        };
        let rows = room.item_rows(*seq, item, ctx.offset);
        let mut block = item_lines(&ctx, room, item, &rows);
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

/// The open thread instead of the timeline: its root, a rule, then the
/// replies and what I am still sending there, the newest at the bottom.
fn draw_thread(f: &mut Frame, area: Rect, state: &State, room: &RoomState, ctx: &Ctx) {
    let Some(t) = &state.thread else { return };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut prev_at = None;
    if let Some(root) = room.find(t.root) {
        let item = Item::Message(root.clone());
        let mut rows = item_rows(Entry::Message(root), None, false, ctx.offset);
        // The view itself is the thread: no summary row above it.
        rows.thread = None;
        lines.extend(item_lines(ctx, room, &item, &rows));
        prev_at = Some(root.created_at);
    }
    lines.push(rule(strings::THREAD_RULE, ctx.width, dim()));
    if t.has_more {
        lines.push(Line::styled(strings::OLDER_REPLIES, dim()));
    }
    for m in t.replies.values() {
        let item = Item::Message(m.clone());
        let rows = item_rows(Entry::Message(m), prev_at, false, ctx.offset);
        lines.extend(item_lines(ctx, room, &item, &rows));
        prev_at = Some(m.created_at);
    }
    let pending = state.outbox.in_room(t.room);
    for o in pending.filter(|o| o.thread_root == Some(t.root)) {
        lines.extend(pending_lines(ctx, o));
    }
    if t.loading && t.replies.is_empty() {
        lines.push(rule(strings::LOADING_REPLIES, ctx.width, dim()));
    } else if t.replies.is_empty() {
        lines.push(Line::styled(strings::NO_REPLIES, dim()));
    }
    let height = area.height as usize;
    // Scrolled up: the view ends `scroll` lines above the bottom.
    let end = lines
        .len()
        .saturating_sub(t.scroll)
        .max(height.min(lines.len()));
    lines.truncate(end);
    let shown = lines.split_off(end.saturating_sub(height));
    f.render_widget(Paragraph::new(shown), area);
}
