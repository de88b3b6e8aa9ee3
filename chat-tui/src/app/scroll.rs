//! Scrolling the timeline by lines. The position is an anchor (the item at
//! the bottom of the view), so new messages and resizes leave it in place;
//! scrolling near the top asks for an older page.

use super::room::{Anchor, RoomState};
use super::{Effect, State, chat};

/// The timeline's height in rows for the current terminal size.
pub fn timeline_height(state: &State) -> usize {
    state.screen_areas().timeline.height as usize
}

/// Each item's seq and height in lines, oldest first, at the width the
/// view draws them.
fn heights(state: &State, room: &RoomState) -> Vec<(i64, usize)> {
    let width = state.screen_areas().timeline.width as usize;
    let offset = state.settings.offset;
    room.items
        .iter()
        .map(|(seq, item)| (*seq, room.item_rows(*seq, item, offset).height(width)))
        .collect()
}

/// Lines below the view's bottom edge for an anchor.
fn offset_of(hs: &[(i64, usize)], anchor: Option<Anchor>) -> usize {
    let Some(a) = anchor else { return 0 };
    hs.iter()
        .filter(|(s, _)| *s > a.seq)
        .map(|(_, n)| n)
        .sum::<usize>()
        + a.skip
}

/// The anchor for `offset` lines below the view's bottom edge.
fn anchor_at(hs: &[(i64, usize)], offset: usize) -> Option<Anchor> {
    if offset == 0 {
        return None;
    }
    let mut below = 0;
    for (seq, n) in hs.iter().rev() {
        if below + n > offset {
            return Some(Anchor {
                seq: *seq,
                skip: offset - below,
            });
        }
        below += n;
    }
    hs.first().map(|(seq, n)| Anchor {
        seq: *seq,
        skip: (*n).saturating_sub(1),
    })
}

/// Lines of loaded history above the top of the view.
pub fn lines_above(state: &State) -> usize {
    let Some(room) = state.active_room() else {
        return 0;
    };
    let hs = heights(state, room);
    let total: usize = hs.iter().map(|(_, n)| n).sum();
    total.saturating_sub(offset_of(&hs, room.scroll) + timeline_height(state))
}

/// Scrolls up (positive) or down (negative) by `lines`.
pub fn by(state: &mut State, lines: isize) -> Vec<Effect> {
    let Some(id) = state.active else {
        return Vec::new();
    };
    let height = timeline_height(state);
    let Some(room) = state.room(id) else {
        return Vec::new();
    };
    let hs = heights(state, room);
    let total: usize = hs.iter().map(|(_, n)| n).sum();
    let max = total.saturating_sub(height.min(total).max(1));
    let now = offset_of(&hs, room.scroll);
    let next = now.saturating_add_signed(lines).min(max);
    let anchor = anchor_at(&hs, next);
    if let Some(r) = state.room_mut(id) {
        r.scroll = anchor;
    }
    let mut fx = chat::prefetch(state);
    if anchor.is_none() {
        fx.extend(chat::mark_read(state));
    }
    fx
}

/// PgUp / PgDn: a screen less two lines of context.
pub fn page(state: &mut State, up: bool) -> Vec<Effect> {
    let step = timeline_height(state).saturating_sub(2).max(1) as isize;
    by(state, if up { step } else { -step })
}
