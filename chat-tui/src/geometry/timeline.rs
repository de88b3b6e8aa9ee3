//! How a timeline item is laid out: the one-row rules and quote above it
//! and the text that wraps below them. The update function counts the
//! rows to scroll by lines; the view styles the same pieces to draw them.

use chat_wire::{Message, MessageId, UserRef};
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use super::wrap::{Row, wrap};
use crate::strings;

/// Width of `HH:MM `: continuation lines hang under the name.
pub const TIME_COLS: usize = 6;

/// What a piece of an item's text is, for the view to pick its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `HH:MM ` before a message.
    Time,
    /// The author's name (and the `: ` after it outside an action).
    Author,
    /// The `* ` and the space around an action's author.
    Plain,
    /// A word of the body, or the space between two; `action` in a `/me`.
    Body { action: bool },
    /// The tombstone of a deleted message.
    Deleted,
    /// The `(edited)` mark.
    Edited,
    /// A whole notice: its time, an arrow and the text.
    Notice,
}

/// A timeline item, as much of it as its layout depends on.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Message(&'a Message),
    Notice { at: OffsetDateTime, text: &'a str },
}

/// The rows of one timeline item, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRows {
    /// A day separator for this date comes first.
    pub day: Option<Date>,
    /// Then the "new messages" rule.
    pub new_marker: bool,
    /// Then one row quoting the message this one replies to.
    pub quote: Option<MessageId>,
    /// Then the text, wrapped with a hanging indent of [`TIME_COLS`].
    pub text: Vec<(String, Part)>,
    /// Then one row per attached file (`📎 name (size)`), indented like
    /// the text.
    pub attachments: Vec<String>,
    /// Then one row of reactions (`👍 2  🎉 1`), indented like the text.
    pub reactions: Option<String>,
    /// Then, under a thread's root, one row with its reply count.
    pub thread: Option<String>,
}

impl ItemRows {
    /// How many rows the item takes at `width` columns.
    pub fn height(&self, width: usize) -> usize {
        let above = usize::from(self.day.is_some())
            + usize::from(self.new_marker)
            + usize::from(self.quote.is_some());
        let files = if width > 0 { self.attachments.len() } else { 0 };
        let below = files
            + usize::from(self.reactions.is_some() && width > 0)
            + usize::from(self.thread.is_some() && width > 0);
        above + self.wrap_text(width, |_, _| ()).len() + below
    }

    /// The text wrapped to `width` columns, each piece tagged by `tag`
    /// (given the piece and its part) before wrapping.
    pub fn wrap_text<S: Copy + PartialEq + Default>(
        &self,
        width: usize,
        tag: impl Fn(&str, Part) -> S,
    ) -> Vec<Row<S>> {
        let segs: Vec<(&str, S)> = self
            .text
            .iter()
            .map(|(text, part)| (text.as_str(), tag(text, *part)))
            .collect();
        wrap(&segs, width, TIME_COLS)
    }
}

/// Lays out an item. `prev_at` is when the item above it happened (none
/// for the first); `new_marker` puts the "new messages" rule above it.
pub fn item_rows(
    entry: Entry<'_>,
    prev_at: Option<OffsetDateTime>,
    new_marker: bool,
    offset: UtcOffset,
) -> ItemRows {
    let at = match entry {
        Entry::Message(m) => m.created_at,
        Entry::Notice { at, .. } => at,
    };
    let day = at.to_offset(offset).date();
    let new_day = prev_at.is_none_or(|p| p.to_offset(offset).date() != day);
    let (quote, text) = match entry {
        Entry::Message(m) => (m.reply_to, message_text(m, offset)),
        Entry::Notice { at, text } => {
            let line = format!("{}→ {text}", clock(at, offset));
            (None, vec![(line, Part::Notice)])
        }
    };
    let (attachments, reactions, thread) = match entry {
        Entry::Message(m) => (attachment_rows(m), reaction_row(m), thread_row(m)),
        Entry::Notice { .. } => (Vec::new(), None, None),
    };
    ItemRows {
        day: new_day.then_some(day),
        new_marker,
        quote,
        text,
        attachments,
        reactions,
        thread,
    }
}

/// `[3 replies]` under a thread's root (deleted or not: the thread stays
/// readable under a tombstone).
fn thread_row(m: &Message) -> Option<String> {
    let n = m.thread.as_ref()?.reply_count;
    (n > 0).then(|| format!("{}{}", " ".repeat(TIME_COLS), strings::replies(n)))
}

/// `📎 name (size)` for each file a message carries (a tombstone has
/// none), indented like its text.
fn attachment_rows(m: &Message) -> Vec<String> {
    m.attachments
        .iter()
        .map(|f| {
            format!(
                "{}{}",
                " ".repeat(TIME_COLS),
                strings::attachment(&f.name, f.size)
            )
        })
        .collect()
}

/// `👍 2  🎉 1` under a message with reactions, indented like its text.
fn reaction_row(m: &Message) -> Option<String> {
    if m.deleted || m.reactions.is_empty() {
        return None;
    }
    let chips: Vec<String> = m
        .reactions
        .iter()
        .map(|r| format!("{} {}", r.emoji, r.count))
        .collect();
    Some(format!("{}{}", " ".repeat(TIME_COLS), chips.join("  ")))
}

/// The name shown for a user: the display name, else the username.
pub fn display_name(u: &UserRef) -> &str {
    if u.display_name.trim().is_empty() {
        &u.username
    } else {
        &u.display_name
    }
}

/// A body as its words and the single spaces between them, in order: the
/// view highlights mentions word by word.
pub fn body_words(body: &str) -> impl Iterator<Item = &str> {
    body.split(' ')
        .enumerate()
        .flat_map(|(i, word)| (i > 0).then_some(" ").into_iter().chain([word]))
}

/// `HH:MM ` in the local time zone.
fn clock(at: OffsetDateTime, offset: UtcOffset) -> String {
    let fmt = format_description!("[hour]:[minute] ");
    at.to_offset(offset).format(&fmt).unwrap_or_default()
}

/// A message's text: time, author, body (or tombstone), edited mark.
fn message_text(m: &Message, offset: UtcOffset) -> Vec<(String, Part)> {
    let name = display_name(&m.author);
    let mut text = vec![(clock(m.created_at, offset), Part::Time)];
    let body = |body: &str, action: bool| {
        body_words(body)
            .map(move |w| (w.to_owned(), Part::Body { action }))
            .collect::<Vec<_>>()
    };
    match m.body.as_deref() {
        _ if m.deleted => {
            text.push((format!("{name}: "), Part::Author));
            text.push((strings::DELETED.into(), Part::Deleted));
        }
        Some(action) if action.starts_with("/me ") => {
            text.push(("* ".into(), Part::Plain));
            text.push((name.to_owned(), Part::Author));
            text.push((" ".into(), Part::Plain));
            text.extend(body(&action[4..], true));
        }
        plain => {
            text.push((format!("{name}: "), Part::Author));
            text.extend(body(plain.unwrap_or_default(), false));
        }
    }
    if m.edited_at.is_some() && !m.deleted {
        text.push((format!(" {}", strings::EDITED), Part::Edited));
    }
    if m.pinned && !m.deleted {
        text.push((format!(" {}", strings::PINNED), Part::Edited));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_790_000_000;

    fn message(body: &str, reply_to: Option<MessageId>) -> Message {
        Message {
            id: 7,
            room_id: 1,
            seq: 7,
            author: UserRef {
                id: 2,
                username: "bob".into(),
                display_name: String::new(),
                avatar_id: None,
            },
            body: Some(body.into()),
            client_id: None,
            reply_to,
            created_at: OffsetDateTime::from_unix_timestamp(T0).unwrap(),
            edited_at: None,
            deleted: false,
            reactions: Vec::new(),
            pinned: false,
            mentions: Vec::new(),
            mentions_room: false,
            thread_root: None,
            thread: None,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn rules_and_the_quote_each_take_one_row_above_the_text() {
        let m = message("the quick brown fox jumps", Some(3));
        let same_day = OffsetDateTime::from_unix_timestamp(T0 - 60).unwrap();
        let alone = item_rows(Entry::Message(&m), Some(same_day), false, UtcOffset::UTC);
        assert_eq!(alone.day, None);
        // "HH:MM bob: the quick " / "      brown fox " / "      jumps"
        assert_eq!(alone.height(20), 1 + 3);
        let first = item_rows(Entry::Message(&m), None, true, UtcOffset::UTC);
        assert!(first.day.is_some());
        assert_eq!(first.height(20), 3 + 3);
        assert_eq!(first.height(0), 3, "no columns, no text");
    }

    #[test]
    fn reactions_take_one_row_below_the_text() {
        let mut m = message("hi", None);
        let plain = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        m.reactions = vec![
            chat_wire::Reaction {
                emoji: "👍".into(),
                count: 2,
                user_ids: vec![1, 2],
            },
            chat_wire::Reaction {
                emoji: ":tada:".into(),
                count: 1,
                user_ids: vec![2],
            },
        ];
        m.pinned = true;
        let rows = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        assert_eq!(rows.reactions.as_deref(), Some("      👍 2  :tada: 1"));
        assert_eq!(rows.height(40), plain.height(40) + 1);
        assert_eq!(rows.text.last().unwrap().0, " (pinned)");
        m.deleted = true;
        let gone = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        assert_eq!(gone.reactions, None);
    }

    #[test]
    fn each_attachment_takes_one_row_below_the_text() {
        let mut m = message("", None);
        let plain = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        let at = m.created_at;
        let file = |id, name: &str, size| chat_wire::files::FileInfo {
            id,
            name: name.into(),
            content_type: "application/pdf".into(),
            size,
            sha256: String::new(),
            width: None,
            height: None,
            has_thumbnail: false,
            created_at: at,
        };
        m.attachments = vec![file(1, "notes.pdf", 2_500_000), file(2, "a.txt", 12)];
        let rows = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        assert_eq!(
            rows.attachments,
            ["      📎 notes.pdf (2.4 MiB)", "      📎 a.txt (12 B)"]
        );
        assert_eq!(rows.height(40), plain.height(40) + 2);
        assert_eq!(rows.height(0), plain.height(0), "no columns, no rows");
    }

    #[test]
    fn a_thread_root_takes_one_row_for_its_replies() {
        let mut m = message("a question", None);
        let plain = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        assert_eq!(plain.thread, None);
        m.thread = Some(chat_wire::ThreadSummary {
            reply_count: 3,
            last_reply_at: None,
            last_reply_seq: 0,
            participant_ids: vec![1, 2],
        });
        let rows = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        assert_eq!(rows.thread.as_deref(), Some("      [3 replies]"));
        assert_eq!(rows.height(40), plain.height(40) + 1);
        // Deleting the root leaves its thread reachable.
        m.deleted = true;
        let gone = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        assert_eq!(gone.thread.as_deref(), Some("      [3 replies]"));
    }

    #[test]
    fn the_text_names_the_author_and_splits_the_body_into_words() {
        let mut m = message("/me waves  hi", None);
        m.edited_at = Some(m.created_at);
        let rows = item_rows(Entry::Message(&m), None, false, UtcOffset::UTC);
        let parts: Vec<(&str, Part)> = rows.text.iter().map(|(t, p)| (t.as_str(), *p)).collect();
        let action = Part::Body { action: true };
        assert_eq!(
            parts[1..],
            [
                ("* ", Part::Plain),
                ("bob", Part::Author),
                (" ", Part::Plain),
                ("waves", action),
                (" ", action),
                ("", action),
                (" ", action),
                ("hi", action),
                (" (edited)", Part::Edited),
            ]
        );
    }
}
