//! Where each part of the chat screen goes, and which rows of the input
//! and the room list are in view.

use ratatui::layout::Rect;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Below this the chat screen is replaced by a notice.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// The input grows up to this many rows.
const MAX_INPUT_ROWS: usize = 5;
/// The input prompt, `> `.
pub const PROMPT: &str = "> ";

/// The chat screen's areas.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub title: Rect,
    pub sidebar: Rect,
    pub timeline: Rect,
    /// The editing/replying line above the input, when there is one.
    pub banner: Option<Rect>,
    pub input: Rect,
    pub status: Rect,
}

/// Is the terminal big enough for the chat screen?
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// The input's text broken into rows of `width` columns, and the cursor's
/// (row, column). Breaks fall between graphemes, so the cursor maps exactly.
pub fn input_rows(text: &str, cursor: usize, width: usize) -> (Vec<String>, (usize, usize)) {
    let width = width.max(1);
    let mut rows = vec![String::new()];
    let mut col = 0;
    let mut pos = (0, 0);
    for (i, g) in text.grapheme_indices(true) {
        if i == cursor {
            pos = (rows.len() - 1, col);
        }
        if g == "\n" {
            rows.push(String::new());
            col = 0;
            continue;
        }
        let w = g.width();
        if col + w > width {
            rows.push(String::new());
            col = 0;
            if i == cursor {
                pos = (rows.len() - 1, 0);
            }
        }
        if let Some(r) = rows.last_mut() {
            r.push_str(g);
        }
        col += w;
    }
    if cursor >= text.len() {
        if col >= width {
            rows.push(String::new());
            col = 0;
        }
        pos = (rows.len() - 1, col);
    }
    (rows, pos)
}

/// Lays out the chat screen in `area`. The input grows with its text
/// (`input`, the cursor at byte `cursor`); `banner` adds the
/// editing/replying line above it.
pub fn areas(area: Rect, input: &str, cursor: usize, banner: bool) -> Areas {
    let side_w = (area.width / 4).clamp(12, 24);
    let input_w = area.width.saturating_sub(PROMPT.len() as u16) as usize;
    let (rows, _) = input_rows(input, cursor, input_w);
    let input_h = rows.len().clamp(1, MAX_INPUT_ROWS) as u16;
    let banner_h = u16::from(banner);
    let mid_h = area.height.saturating_sub(2 + input_h + banner_h);
    let mid_y = area.y + 1;
    let below = mid_y + mid_h;
    Areas {
        title: Rect { height: 1, ..area },
        sidebar: Rect {
            x: area.x,
            y: mid_y,
            width: side_w,
            height: mid_h,
        },
        timeline: Rect {
            x: area.x + side_w + 1,
            y: mid_y,
            width: area.width.saturating_sub(side_w + 1),
            height: mid_h,
        },
        banner: (banner_h > 0).then_some(Rect {
            x: area.x,
            y: below,
            width: area.width,
            height: 1,
        }),
        input: Rect {
            x: area.x,
            y: below + banner_h,
            width: area.width,
            height: input_h,
        },
        status: Rect {
            x: area.x,
            y: area.bottom().saturating_sub(1),
            width: area.width,
            height: 1,
        },
    }
}

/// The first row shown of a list `height` rows tall: a long list scrolls
/// so the `selected` row stays in view.
pub fn first_visible(selected: Option<usize>, height: usize) -> usize {
    selected.map_or(0, |i| (i + 1).saturating_sub(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_rows_wrap_and_place_the_cursor() {
        let (rows, pos) = input_rows("abcdef", 6, 4);
        assert_eq!(rows, ["abcd", "ef"]);
        assert_eq!(pos, (1, 2));
        let (rows, pos) = input_rows("ab\n日本", 3, 4);
        assert_eq!(rows, ["ab", "日本"]);
        assert_eq!(pos, (1, 0));
        let (rows, pos) = input_rows("abcd", 4, 4);
        assert_eq!(rows, ["abcd", ""]);
        assert_eq!(pos, (1, 0));
    }
}
