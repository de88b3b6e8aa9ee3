//! Word wrapping by display width: graphemes are never split, CJK and
//! emoji count two columns, and continuation lines hang under an indent.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// A run of text in one style.
pub type Seg = (String, Style);

/// Builds lines one grapheme at a time, merging runs of the same style.
struct Builder {
    lines: Vec<Line<'static>>,
    spans: Vec<Span<'static>>,
    col: usize,
    indent: usize,
}

impl Builder {
    fn push(&mut self, g: &str, style: Style, w: usize) {
        match self.spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(g),
            _ => self.spans.push(Span::styled(g.to_owned(), style)),
        }
        self.col += w;
    }

    fn break_line(&mut self) {
        self.lines.push(Line::from(std::mem::take(&mut self.spans)));
        self.col = 0;
        if self.indent > 0 {
            self.spans.push(Span::raw(" ".repeat(self.indent)));
            self.col = self.indent;
        }
    }
}

/// Wraps styled text to `width` columns; lines after the first start with
/// `indent` spaces. Explicit newlines are kept.
pub fn wrap(segs: &[Seg], width: usize, indent: usize) -> Vec<Line<'static>> {
    if width == 0 {
        return Vec::new();
    }
    // A hanging indent never eats more than half the width.
    let indent = indent.min(width / 2);
    // Tokens: (graphemes with widths and style, is_space, is_newline).
    let mut words: Vec<Vec<(&str, usize, Style)>> = Vec::new();
    let mut cur: Vec<(&str, usize, Style)> = Vec::new();
    let mut cur_space = false;
    for (text, style) in segs {
        for g in text.graphemes(true) {
            let is_space = g == " " || g == "\n";
            if g == "\n" || is_space != cur_space {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                cur_space = is_space && g != "\n";
            }
            let w = if g == "\n" { 0 } else { g.width() };
            cur.push((g, w, *style));
            if g == "\n" {
                words.push(std::mem::take(&mut cur));
                cur_space = false;
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut b = Builder {
        lines: Vec::new(),
        spans: Vec::new(),
        col: 0,
        indent: 0,
    };
    let mut at_line_start = true;
    for word in words {
        if word[0].0 == "\n" {
            b.indent = indent;
            b.break_line();
            at_line_start = true;
            continue;
        }
        let w: usize = word.iter().map(|g| g.1).sum();
        let space = word[0].0 == " ";
        if b.col + w <= width {
            for (g, gw, s) in word {
                b.push(g, s, gw);
            }
            at_line_start = false;
            continue;
        }
        b.indent = indent;
        if space {
            // Spaces at a break vanish.
            b.break_line();
            at_line_start = true;
            continue;
        }
        if !at_line_start && w <= width - indent {
            b.break_line();
        }
        for (g, gw, s) in word {
            if b.col + gw > width && b.col > b.indent {
                b.break_line();
            }
            b.push(g, s, gw);
        }
        at_line_start = false;
    }
    if !b.spans.is_empty() || b.lines.is_empty() {
        b.lines.push(Line::from(b.spans));
    }
    b.lines
}

/// Cuts text to at most `width` columns, adding `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut col = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if col + w + 1 > width {
            break;
        }
        out.push_str(g);
        col += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn seg(s: &str) -> Vec<Seg> {
        vec![(s.to_owned(), Style::default())]
    }

    #[test]
    fn words_wrap_with_a_hanging_indent() {
        let l = wrap(&seg("12:00 alice: the quick brown fox jumps"), 20, 6);
        assert_eq!(
            plain(&l),
            ["12:00 alice: the ", "      quick brown ", "      fox jumps"]
        );
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let l = wrap(&seg("日本語のテキスト"), 6, 0);
        assert_eq!(plain(&l), ["日本語", "のテキ", "スト"]);
        for line in &l {
            assert!(line.width() <= 6);
        }
        let l = wrap(&seg("ok 👍👍👍"), 5, 0);
        assert_eq!(plain(&l), ["ok 👍", "👍👍"]);
    }

    #[test]
    fn long_words_break_and_newlines_stay() {
        let l = wrap(&seg("abcdefghij\nxy"), 4, 0);
        assert_eq!(plain(&l), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("hi", 6), "hi");
    }
}
