//! Every validator in `chat_wire::validate`, on arbitrary text.
//!
//! Input: two bytes (little-endian) pick the message-body maximum, the rest
//! is the text (invalid UTF-8 replaced, as the validators only ever see
//! `&str`). Properties: no panic, and what a validator accepts holds its
//! promise:
//! - a username is 3–32 characters of `[a-z0-9_.-]` and parses to itself;
//! - a password is 8–1024 characters;
//! - a name / text / message body is the input trimmed, has no surrounding
//!   whitespace left, and no control characters (names: none at all; text
//!   and bodies: only `\n` and `\t`); a name is 1–64 characters, a text at
//!   most 1000, a body 1..=max;
//! - a client_id is the input unchanged, 1–64 visible ASCII characters.
//!
//! And every validator is idempotent: its output passes again, unchanged.
#![no_main]

use chat_wire::limits;
use chat_wire::validate::{self, Username};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (max, raw) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])) % 5000, rest),
        _ => (limits::MAX_MESSAGE_CHARS, data),
    };
    let raw = String::from_utf8_lossy(raw);
    let raw = raw.as_ref();

    if let Ok(user) = Username::parse(raw) {
        let s = user.as_str();
        let len = s.chars().count();
        assert!(
            (3..=32).contains(&len),
            "username {s:?} has {len} characters"
        );
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)),
            "username {s:?} has a character outside [a-z0-9_.-]"
        );
        assert_eq!(
            Username::parse(s).as_ref(),
            Ok(&user),
            "username not idempotent"
        );
    }

    if validate::password(raw).is_ok() {
        let len = raw.chars().count();
        assert!(
            (8..=1024).contains(&len),
            "password of {len} characters accepted"
        );
    }

    if let Ok(v) = validate::name("name", raw) {
        check_trimmed(raw, &v);
        let len = v.chars().count();
        assert!(
            (1..=limits::NAME_MAX).contains(&len),
            "name of {len} characters"
        );
        assert!(
            !v.chars().any(char::is_control),
            "name {v:?} holds a control character"
        );
        assert_eq!(validate::name("name", &v), Ok(v.clone()));
    }

    if let Ok(v) = validate::text("bio", raw) {
        check_trimmed(raw, &v);
        assert!(v.chars().count() <= limits::TEXT_MAX);
        check_controls(&v);
        assert_eq!(validate::text("bio", &v), Ok(v.clone()));
    }

    for max in [max, limits::MAX_MESSAGE_CHARS] {
        if let Ok(v) = validate::message_body(raw, max) {
            check_trimmed(raw, &v);
            let len = v.chars().count();
            assert!(
                (1..=max).contains(&len),
                "body of {len} characters, max {max}"
            );
            check_controls(&v);
            assert_eq!(validate::message_body(&v, max), Ok(v.clone()));
        }
    }

    if let Ok(v) = validate::client_id(raw) {
        assert_eq!(v, raw, "client_id changed");
        assert!((1..=limits::CLIENT_ID_MAX).contains(&v.len()));
        assert!(v.bytes().all(|b| b.is_ascii_graphic()), "client_id {v:?}");
    }
});

/// The output is the input trimmed, with nothing left to trim.
fn check_trimmed(raw: &str, v: &str) {
    assert_eq!(v, raw.trim(), "output is not the trimmed input");
    assert_eq!(v, v.trim(), "output {v:?} is not trimmed");
}

/// No control characters but newline and tab.
fn check_controls(v: &str) {
    assert!(
        !v.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{v:?} holds a disallowed control character"
    );
}
