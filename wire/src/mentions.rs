//! Finding `@username` and `@room` in a message body.
//!
//! The server stores what this finds (only names of the room's members
//! count); clients use the same rules to highlight. A name starts after
//! `@` at the start of the text or after a character that cannot be part
//! of a username or an e-mail address's local part, so `bob@example.org`
//! mentions nobody.

use crate::limits::{USERNAME_MAX, USERNAME_MIN};

/// The word that mentions every member of a room.
pub const ROOM_MENTION: &str = "room";
/// Most distinct names one message can mention; later ones are ignored.
pub const MAX_MENTIONS: usize = 50;

/// What a body mentions: lowercased candidate usernames (each at most once,
/// in order of appearance) and whether `@room` was written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mentions {
    pub usernames: Vec<String>,
    pub room: bool,
}

impl Mentions {
    pub fn is_empty(&self) -> bool {
        self.usernames.is_empty() && !self.room
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Finds the mentions in `body`. A name followed by sentence punctuation
/// (`@alice.` or `@bob-`) is also tried without it, since usernames may
/// contain `.` and `-`; only names that exist in the room will match.
pub fn parse(body: &str) -> Mentions {
    let mut found = Mentions::default();
    let mut prev: Option<char> = None;
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let starts = c == '@' && prev.is_none_or(|p| !(name_char(p) || p == '@'));
        prev = Some(c);
        if !starts {
            continue;
        }
        let rest = &body[i + 1..];
        let len = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        let word = rest[..len].to_ascii_lowercase();
        let trimmed = word.trim_end_matches(['.', '-']);
        for name in [word.as_str(), trimmed] {
            if name == ROOM_MENTION {
                found.room = true;
            } else if (USERNAME_MIN..=USERNAME_MAX).contains(&name.len())
                && found.usernames.len() < MAX_MENTIONS
                && !found.usernames.iter().any(|n| n == name)
            {
                found.usernames.push(name.to_owned());
            }
        }
        // Skip the name itself so `@a@b` does not mention b.
        for _ in 0..rest[..len].chars().count() {
            prev = chars.next().map(|(_, c)| c);
        }
    }
    found
}

/// Whether `body` mentions `username` (any case) or the whole room.
pub fn mentions_user(body: &str, username: &str) -> bool {
    let found = parse(body);
    found.room
        || found
            .usernames
            .iter()
            .any(|n| n.eq_ignore_ascii_case(username))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> Vec<String> {
        parse(body).usernames
    }

    #[test]
    fn finds_names_case_insensitively_once_each() {
        assert_eq!(names("hi @Alice and @bob, @ALICE"), ["alice", "bob"]);
    }

    #[test]
    fn room_is_a_mention_of_everyone() {
        let m = parse("@room standup in 5");
        assert!(m.room);
        assert!(m.usernames.is_empty());
        assert!(!parse("@roomy").room);
    }

    #[test]
    fn trailing_punctuation_is_also_tried_without() {
        assert_eq!(names("thanks @bob."), ["bob.", "bob"]);
        assert_eq!(names("@j.doe: look"), ["j.doe"]);
    }

    #[test]
    fn email_addresses_and_short_names_mention_nobody() {
        assert!(names("mail bob@example.org").is_empty());
        assert!(names("@a @ab").is_empty());
        assert!(names("@@bob").is_empty());
        assert!(names("@").is_empty());
    }

    #[test]
    fn names_after_punctuation_and_unicode_count() {
        assert_eq!(names("(@carol) «@dave»"), ["carol", "dave"]);
    }

    #[test]
    fn too_long_names_are_ignored_and_the_count_is_capped() {
        assert!(names(&format!("@{}", "x".repeat(33))).is_empty());
        let many: String = (0..80).map(|i| format!("@user{i:03} ")).collect();
        assert_eq!(names(&many).len(), MAX_MENTIONS);
    }

    #[test]
    fn mentions_user_checks_one_name() {
        assert!(mentions_user("hey @Bob", "bob"));
        assert!(mentions_user("@room", "bob"));
        assert!(!mentions_user("bob@x.org", "bob"));
    }
}
