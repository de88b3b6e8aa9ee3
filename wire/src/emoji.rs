//! The emoji of a reaction: one emoji or a `:short_name:`.
//!
//! An emoji is exactly one extended grapheme cluster, normalised to NFC, made
//! only of emoji characters and the pieces that build emoji sequences (skin
//! tones, ZWJ, variation selectors, tags, keycaps), and shown as an emoji:
//! it holds a character that is an emoji by default or asks for emoji
//! presentation (U+FE0F). So `👍`, `👍🏽`, `👨‍👩‍👧`, `🇫🇷` and `❤️` pass, while
//! `a`, `1`, `©` (text by default), `👍👍` and `1F44D` do not.

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::emoji::{EmojiStatus, UnicodeEmoji as _};
use unicode_segmentation::UnicodeSegmentation as _;

/// Longest short name, between the colons.
pub const SHORT_NAME_MAX: usize = 32;
/// Most code points one emoji may take (the longest standard sequences,
/// families with skin tones, take ten).
const EMOJI_MAX_CHARS: usize = 16;

/// A valid reaction emoji.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Emoji(String);

impl Emoji {
    /// Parses what a client sent (already percent-decoded); the error is
    /// the message the API answers with.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(name) = raw.strip_prefix(':').and_then(|r| r.strip_suffix(':')) {
            return short_name(name).map(|()| Self(raw.to_owned()));
        }
        let nfc: String = raw.nfc().collect();
        if nfc.graphemes(true).count() != 1 {
            return Err(format!(
                "emoji must be one emoji or a :short_name: of 1-{SHORT_NAME_MAX} of a-z, 0-9, _, + and -"
            ));
        }
        if nfc.chars().count() > EMOJI_MAX_CHARS || !is_emoji(&nfc) {
            return Err("emoji must be an emoji (a single emoji character or sequence)".into());
        }
        Ok(Self(nfc))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn short_name(name: &str) -> Result<(), String> {
    let ok = (1..=SHORT_NAME_MAX).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'+' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a :short_name: must be 1-{SHORT_NAME_MAX} of a-z, 0-9, _, + and -"
        ))
    }
}

/// One grapheme cluster: built of emoji pieces only, and shown as an emoji.
fn is_emoji(cluster: &str) -> bool {
    let mut chars = cluster.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    // A sequence starts with an emoji character (a keycap's digit or a
    // flag's regional indicator count), never with a modifier or joiner.
    let modifier = matches!(first, '\u{1F3FB}'..='\u{1F3FF}');
    if modifier || !(first.is_emoji_char() || is_regional_indicator(first)) {
        return false;
    }
    let all_pieces = cluster
        .chars()
        .all(|c| c.is_emoji_char_or_emoji_component() || c == '\u{20E3}');
    let shown_as_emoji = cluster.chars().any(|c| {
        c == '\u{FE0F}'
            || matches!(
                c.emoji_status(),
                EmojiStatus::EmojiPresentation
                    | EmojiStatus::EmojiPresentationAndModifierBase
                    | EmojiStatus::EmojiPresentationAndEmojiComponent
                    | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent
            )
    });
    all_pieces && shown_as_emoji && !cluster.contains('\u{FE0E}')
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_and_sequences_pass() {
        for ok in [
            "👍",
            "👍🏽",
            "👨\u{200D}👩\u{200D}👧",
            "🇫🇷",
            "❤\u{FE0F}",
            "1\u{FE0F}\u{20E3}",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            ":+1:",
            ":thumbs_up:",
            ":a-b:",
        ] {
            assert_eq!(Emoji::parse(ok).unwrap().as_str(), ok, "{ok:?}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "a",
            "1",
            "#",
            "©",
            "❤\u{FE0E}",
            "👍👍",
            "👍 ",
            "ok",
            "1F44D",
            "\u{1F3FD}",
            "\u{200D}",
            "e\u{301}",
            "::",
            ":Thumbs:",
            ":a b:",
            ":thumbs_up",
            &format!(":{}:", "a".repeat(33)),
            "<script>",
        ] {
            assert!(Emoji::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Emoji::parse(&format!(":{}:", "a".repeat(32))).is_ok());
    }

    #[test]
    fn emoji_are_normalised_to_nfc() {
        // No emoji has a decomposition, but a sequence that normalises
        // must compare equal to its NFC form.
        let parsed = Emoji::parse("👍").unwrap();
        assert_eq!(parsed.as_str().nfc().collect::<String>(), parsed.as_str());
    }
}
