//! Parse, don't validate: each newtype can only hold a value that passed its
//! checks, and its error text is what the API sends back to the client.

use crate::limits;

/// A lowercase username of 3–32 characters from `[a-z0-9_.-]`.
///
/// Input is case-insensitive: `Alice` parses to `alice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim().to_lowercase();
        let len = name.chars().count();
        if !(limits::USERNAME_MIN..=limits::USERNAME_MAX).contains(&len) {
            return Err(format!(
                "username must be {}-{} characters",
                limits::USERNAME_MIN,
                limits::USERNAME_MAX
            ));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
        {
            return Err("username may only contain a-z, 0-9, '_', '.' and '-'".into());
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a password's length (8–1024 characters) and refuses the ones
/// every password-guessing list starts with. There are no composition
/// rules: length is what makes a password strong.
pub fn password(raw: &str) -> Result<(), String> {
    let len = raw.chars().count();
    if !(limits::PASSWORD_MIN..=limits::PASSWORD_MAX).contains(&len) {
        return Err(format!(
            "password must be {}-{} characters",
            limits::PASSWORD_MIN,
            limits::PASSWORD_MAX
        ));
    }
    if is_common_password(raw) {
        return Err("this password is one of the most common ones; choose another".into());
    }
    Ok(())
}

/// Passwords that top the lists of leaked passwords (8+ characters only:
/// shorter ones fail the length rule anyway).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn is_common_password(raw: &str) -> bool {
    let candidate = raw.trim().to_lowercase();
    COMMON_PASSWORDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l == candidate)
}

/// A one-line name (display name, room name): trimmed, non-empty, no control
/// characters.
pub fn name(field: &str, raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.chars().count() > limits::NAME_MAX {
        return Err(format!(
            "{field} must be at most {} characters",
            limits::NAME_MAX
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    if has_invisible(value) {
        return Err(format!(
            "{field} must not contain direction overrides or invisible characters"
        ));
    }
    Ok(value.to_owned())
}

/// Bidi controls (which reorder what follows them, so "abc\u{202E}gpj.exe"
/// shows as "abcexe.jpg") and characters that draw nothing (zero-width
/// spaces, joiners between letters, fillers, tag characters), with which
/// two names that look the same differ. A zero-width joiner is kept
/// between two symbols: emoji sequences need it.
fn has_invisible(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| match c {
        '\u{200D}' => {
            let symbol = |c: Option<&char>| c.is_some_and(|c| !c.is_alphanumeric());
            !(i > 0 && symbol(chars.get(i - 1)) && symbol(chars.get(i + 1)))
        }
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200C}'
        | '\u{200E}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{2800}'
        | '\u{3164}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E0FFF}' => true,
        _ => false,
    })
}

/// Free text (bio, topic): trimmed, may be empty, may hold newlines and tabs
/// but no other control characters.
pub fn text(field: &str, raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.chars().count() > limits::TEXT_MAX {
        return Err(format!(
            "{field} must be at most {} characters",
            limits::TEXT_MAX
        ));
    }
    if has_bad_control(value) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// A message body: 1 to `max_chars` characters after trimming.
pub fn message_body(raw: &str, max_chars: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err("message body must not be empty".into());
    }
    if value.chars().count() > max_chars {
        return Err(format!(
            "message body must be at most {max_chars} characters"
        ));
    }
    if has_bad_control(value) {
        return Err("message body must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// A client-chosen idempotency key: 1–64 visible ASCII characters.
pub fn client_id(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.len() > limits::CLIENT_ID_MAX {
        return Err(format!(
            "client_id must be 1-{} characters",
            limits::CLIENT_ID_MAX
        ));
    }
    if !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("client_id must be visible ASCII characters".into());
    }
    Ok(raw.to_owned())
}

fn has_bad_control(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(Username::parse("Alice").unwrap().as_str(), "alice");
        assert_eq!(
            Username::parse(" bob.smith-2_x ").unwrap().as_str(),
            "bob.smith-2_x"
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("alïce").is_err());
        assert!(Username::parse("al/ice").is_err());
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(password("1234567").is_err());
        assert!(password("12345679").is_ok());
        assert!(password("éééééééé").is_ok());
        assert!(password(&"x".repeat(1024)).is_ok());
        assert!(password(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn the_most_common_passwords_are_refused_in_any_case() {
        for common in ["12345678", "password123", "Password1", " qwertyuiop "] {
            assert!(password(common).is_err(), "{common}");
        }
        assert!(password("correct horse battery").is_ok());
        let mut entries = COMMON_PASSWORDS.lines().filter(|l| !l.starts_with('#'));
        assert!(entries.all(|l| l == l.trim().to_lowercase() && l.chars().count() >= 8));
    }

    #[test]
    fn names_refuse_control_characters_and_blank() {
        assert_eq!(name("name", "  general ").unwrap(), "general");
        assert!(name("name", "   ").is_err());
        assert!(name("name", "a\u{7}b").is_err());
        assert!(name("name", "a\nb").is_err());
        assert!(name("name", &"n".repeat(65)).is_err());
    }

    #[test]
    fn names_refuse_bidi_controls_and_invisible_characters() {
        for bad in [
            "abc\u{202E}gpj.exe",
            "al\u{200B}ice",
            "al\u{200D}ice",
            "\u{2066}alice\u{2069}",
            "alice\u{FEFF}",
            "\u{3164}",
            "al\u{00AD}ice",
            "alice\u{E0041}",
        ] {
            assert!(name("n", bad).is_err(), "{bad:?}");
        }
        // Emoji sequences keep their joiners; other scripts are names too.
        for good in ["\u{1F469}\u{200D}\u{1F4BB} dev", "Zoë", "محمد", "日本語"] {
            assert_eq!(name("n", good).as_deref(), Ok(good));
        }
    }

    #[test]
    fn message_bodies_are_trimmed_and_bounded() {
        assert_eq!(message_body("  hi\n", 4000).unwrap(), "hi");
        assert_eq!(message_body("line1\nline2", 4000).unwrap(), "line1\nline2");
        assert!(message_body(" \n\t ", 4000).is_err());
        assert!(message_body(&"x".repeat(4001), 4000).is_err());
        assert!(message_body(&"😀".repeat(4000), 4000).is_ok());
        assert!(message_body("bell\u{7}", 4000).is_err());
    }

    #[test]
    fn client_ids_are_visible_ascii() {
        assert!(client_id("abc-123").is_ok());
        assert!(client_id("").is_err());
        assert!(client_id("a b").is_err());
        assert!(client_id(&"x".repeat(65)).is_err());
    }
}
