//! Word wrapping by display width: graphemes are never split, CJK and
//! emoji count two columns, and continuation lines hang under an indent.
//!
//! Text comes in runs tagged with anything comparable (a style for the
//! view, `()` to count rows), so drawing and measuring share one algorithm.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// One wrapped row: runs of text, neighbouring runs with equal tags merged.
pub type Row<S> = Vec<(String, S)>;

/// Builds rows one grapheme at a time, merging runs of the same tag.
struct Builder<S> {
    rows: Vec<Row<S>>,
    runs: Row<S>,
    col: usize,
    indent: usize,
}

impl<S: Copy + PartialEq + Default> Builder<S> {
    fn push(&mut self, g: &str, tag: S, w: usize) {
        match self.runs.last_mut() {
            Some((text, last)) if *last == tag => text.push_str(g),
            _ => self.runs.push((g.to_owned(), tag)),
        }
        self.col += w;
    }

    fn break_line(&mut self) {
        self.rows.push(std::mem::take(&mut self.runs));
        self.col = 0;
        if self.indent > 0 {
            // The indent is untagged: plain spaces.
            self.runs.push((" ".repeat(self.indent), S::default()));
            self.col = self.indent;
        }
    }
}

/// Wraps tagged text to `width` columns; rows after the first start with
/// `indent` spaces. Explicit newlines are kept.
pub fn wrap<T, S>(segs: &[(T, S)], width: usize, indent: usize) -> Vec<Row<S>>
where
    T: AsRef<str>,
    S: Copy + PartialEq + Default,
{
    if width == 0 {
        return Vec::new();
    }
    // A hanging indent never eats more than half the width.
    let indent = indent.min(width / 2);
    // Tokens: runs of spaces, runs of non-spaces, and single newlines,
    // each grapheme with its width and tag.
    let mut words: Vec<Vec<(&str, usize, S)>> = Vec::new();
    let mut cur: Vec<(&str, usize, S)> = Vec::new();
    let mut cur_space = false;
    for (text, tag) in segs {
        for g in text.as_ref().graphemes(true) {
            let is_space = g == " " || g == "\n";
            if g == "\n" || is_space != cur_space {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                cur_space = is_space && g != "\n";
            }
            let w = if g == "\n" { 0 } else { g.width() };
            cur.push((g, w, *tag));
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
        rows: Vec::new(),
        runs: Vec::new(),
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
    if !b.runs.is_empty() || b.rows.is_empty() {
        b.rows.push(b.runs);
    }
    b.rows
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

    /// Wraps untagged text and returns the rows as plain strings.
    fn rows(text: &str, width: usize, indent: usize) -> Vec<String> {
        wrap(&[(text, ())], width, indent)
            .into_iter()
            .map(|row| row.into_iter().map(|(t, ())| t).collect())
            .collect()
    }

    #[test]
    fn words_wrap_with_a_hanging_indent() {
        assert_eq!(
            rows("12:00 alice: the quick brown fox jumps", 20, 6),
            ["12:00 alice: the ", "      quick brown ", "      fox jumps"]
        );
    }

    #[test]
    fn wide_characters_count_two_columns() {
        let r = rows("日本語のテキスト", 6, 0);
        assert_eq!(r, ["日本語", "のテキ", "スト"]);
        for row in &r {
            assert!(row.width() <= 6);
        }
        assert_eq!(rows("ok 👍👍👍", 5, 0), ["ok 👍", "👍👍"]);
    }

    #[test]
    fn long_words_break_and_newlines_stay() {
        assert_eq!(rows("abcdefghij\nxy", 4, 0), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("hi", 6), "hi");
    }

    #[test]
    fn runs_with_equal_tags_merge_and_the_indent_is_untagged() {
        let segs = [("ab ", 1u8), ("cd", 1), (" ef", 2)];
        assert_eq!(
            wrap(&segs, 6, 2),
            [
                vec![("ab cd".to_owned(), 1), (" ".to_owned(), 2)],
                vec![("  ".to_owned(), 0), ("ef".to_owned(), 2)],
            ]
        );
    }
}
