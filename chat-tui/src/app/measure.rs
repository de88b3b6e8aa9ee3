//! The state measured with [`crate::geometry`]: the chat screen's areas
//! for the current input, and which part of the room list is in view.
//! The view draws with the same answers, so a click or a scroll here
//! lands on what the user sees.

use ratatui::layout::Rect;

use super::{Compose, State};
use crate::geometry::layout::{self, Areas};

impl State {
    /// The chat screen laid out in `area`: the input grows with the
    /// editor's text, and editing or replying adds a banner above it.
    pub fn chat_areas(&self, area: Rect) -> Areas {
        layout::areas(
            area,
            self.editor.text(),
            self.editor.cursor(),
            self.compose != Compose::Plain,
        )
    }

    /// The chat screen laid out in the terminal as last resized.
    pub fn screen_areas(&self) -> Areas {
        let (w, h) = self.size;
        self.chat_areas(Rect::new(0, 0, w, h))
    }

    /// Where the open room is in the room list.
    pub fn active_index(&self) -> Option<usize> {
        self.rooms
            .iter()
            .position(|r| Some(r.room.id) == self.active)
    }

    /// The first room shown in a room list `height` rows tall: a long
    /// list scrolls so the open room stays in view.
    pub fn first_listed_room(&self, height: usize) -> usize {
        layout::first_visible(self.active_index(), height)
    }
}
