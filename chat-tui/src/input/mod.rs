//! The message editor: a multi-line buffer with readline keys, moving by
//! grapheme so emoji and combining marks are one step.

/// Tab completion.
pub mod complete;
/// Input history.
pub mod history;

use unicode_segmentation::UnicodeSegmentation;

use crate::keys::EditOp;

/// A text buffer with a cursor (a byte offset on a grapheme boundary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Editor {
    text: String,
    cursor: usize,
    /// The last deleted run of text, for Ctrl+Y.
    kill: String,
}

impl Editor {
    /// An editor holding `text` with the cursor at its end.
    pub fn with_text(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            cursor: text.len(),
            kill: String::new(),
        }
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor as a byte offset into the text.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Nothing typed.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replaces the text, cursor at the end.
    pub fn set(&mut self, text: &str) {
        self.text = text.to_owned();
        self.cursor = self.text.len();
    }

    /// Empties the buffer and returns what it held.
    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.text)
    }

    /// Inserts text at the cursor.
    pub fn insert(&mut self, s: &str) {
        self.text.insert_str(self.cursor, s);
        self.cursor += s.len();
    }

    fn prev_boundary(&self, at: usize) -> usize {
        self.text[..at]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self, at: usize) -> usize {
        self.text[at..]
            .graphemes(true)
            .next()
            .map_or(at, |g| at + g.len())
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    /// Start of the word before the cursor (skipping spaces first).
    fn word_back(&self) -> usize {
        let mut at = self.cursor;
        let before = &self.text[..at];
        let trimmed = before.trim_end();
        at = trimmed.len();
        trimmed
            .rfind(char::is_whitespace)
            .map_or(0, |i| {
                i + trimmed[i..].chars().next().map_or(1, char::len_utf8)
            })
            .min(at)
    }

    fn word_forward(&self) -> usize {
        let rest = &self.text[self.cursor..];
        let skip = rest.len() - rest.trim_start().len();
        let after = &rest[skip..];
        let word = after.find(char::is_whitespace).unwrap_or(after.len());
        self.cursor + skip + word
    }

    fn kill_range(&mut self, from: usize, to: usize) {
        if from < to {
            self.kill = self.text[from..to].to_owned();
            self.text.replace_range(from..to, "");
            self.cursor = from;
        }
    }

    /// Cursor position as (line, column in characters of the line).
    pub fn line_col(&self) -> (usize, usize) {
        let before = &self.text[..self.cursor];
        let line = before.matches('\n').count();
        (line, before[self.line_start()..].chars().count())
    }

    /// Moves to the line above or below keeping the column; false when
    /// there is no such line (the caller then walks the history).
    fn vertical(&mut self, down: bool) -> bool {
        let (line, col) = self.line_col();
        let lines: Vec<&str> = self.text.split('\n').collect();
        let target = if down { line + 1 } else { line.wrapping_sub(1) };
        let Some(target_text) = lines.get(target) else {
            return false;
        };
        let start: usize = lines[..target].iter().map(|l| l.len() + 1).sum();
        let offset = target_text
            .char_indices()
            .nth(col)
            .map_or(target_text.len(), |(i, _)| i);
        self.cursor = start + offset;
        true
    }

    /// Applies an editing key; returns false when Up/Down had nowhere to go.
    pub fn apply(&mut self, op: EditOp) -> bool {
        match op {
            EditOp::Left => self.cursor = self.prev_boundary(self.cursor),
            EditOp::Right => self.cursor = self.next_boundary(self.cursor),
            EditOp::WordLeft => self.cursor = self.word_back(),
            EditOp::WordRight => self.cursor = self.word_forward(),
            EditOp::Home => self.cursor = self.line_start(),
            EditOp::End => self.cursor = self.line_end(),
            EditOp::Backspace => {
                let from = self.prev_boundary(self.cursor);
                self.text.replace_range(from..self.cursor, "");
                self.cursor = from;
            }
            EditOp::Delete => {
                let to = self.next_boundary(self.cursor);
                self.text.replace_range(self.cursor..to, "");
            }
            EditOp::KillWordBack => self.kill_range(self.word_back(), self.cursor),
            EditOp::KillToEnd => {
                // At the end of a line, join the next one (as readline does).
                let end = self.line_end();
                let end = if end == self.cursor {
                    self.next_boundary(end)
                } else {
                    end
                };
                self.kill_range(self.cursor, end);
            }
            EditOp::KillToStart => self.kill_range(self.line_start(), self.cursor),
            EditOp::Yank => {
                let k = self.kill.clone();
                self.insert(&k);
            }
            EditOp::Up => return self.vertical(false),
            EditOp::Down => return self.vertical(true),
        }
        true
    }

    /// The word being typed before the cursor, and where it starts.
    pub fn current_word(&self) -> (usize, &str) {
        let before = &self.text[..self.cursor];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        (start, &before[start..])
    }

    /// Replaces `start..cursor` with `with`.
    pub fn replace_word(&mut self, start: usize, with: &str) {
        self.text.replace_range(start..self.cursor, with);
        self.cursor = start + with.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readline_keys() {
        let mut e = Editor::with_text("hello big world");
        e.apply(EditOp::KillWordBack);
        assert_eq!(e.text(), "hello big ");
        e.apply(EditOp::Yank);
        assert_eq!(e.text(), "hello big world");
        e.apply(EditOp::Home);
        e.apply(EditOp::WordRight);
        assert_eq!(e.cursor(), 5);
        e.apply(EditOp::KillToEnd);
        assert_eq!(e.text(), "hello");
        e.apply(EditOp::End);
        e.insert(" there");
        e.apply(EditOp::WordLeft);
        e.apply(EditOp::KillToStart);
        assert_eq!(e.text(), "there");
        assert_eq!(e.cursor(), 0);
    }

    #[test]
    fn graphemes_are_one_step() {
        let mut e = Editor::with_text("a👍🏽é");
        e.apply(EditOp::Backspace);
        assert_eq!(e.text(), "a👍🏽");
        e.apply(EditOp::Left);
        assert_eq!(e.cursor(), 1);
        e.apply(EditOp::Delete);
        assert_eq!(e.text(), "a");
    }

    #[test]
    fn lines_move_vertically_and_report_the_edges() {
        let mut e = Editor::with_text("first line\nsecond");
        assert!(e.apply(EditOp::Up));
        assert_eq!(e.line_col(), (0, 6));
        assert!(!e.apply(EditOp::Up));
        assert!(e.apply(EditOp::Down));
        assert!(!e.apply(EditOp::Down));
        e.apply(EditOp::Home);
        assert_eq!(e.line_col(), (1, 0));
    }
}
