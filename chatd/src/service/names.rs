//! Look-alike names: a word that mixes writing systems, such as "gеneral"
//! with a Cyrillic "е", is how a room or a display name is made to pass for
//! another. Names chosen by people (room names, display names) must keep
//! each word in one writing system, as Unicode's "highly restrictive" level
//! (UTS #39) counts it. Usernames need no such check: they are ASCII.

use unicode_security::mixed_script::AugmentedScriptSet;

use crate::error::ApiError;

/// Refuses `text` (the value of `field`) when one of its words mixes
/// writing systems. Words are runs of letters and digits, so "Анна (Anna)"
/// passes while "pаypal" does not.
pub fn refuse_mixed_scripts(field: &str, text: &str) -> Result<(), ApiError> {
    match text
        .split(|c: char| !c.is_alphanumeric())
        .find(|word| !highly_restrictive(word))
    {
        Some(word) => Err(ApiError::invalid(format!(
            "{field} mixes writing systems within the word {word:?} (such as Latin and \
             Cyrillic letters), as look-alike names do"
        ))),
        None => Ok(()),
    }
}

/// One script (characters common to all, such as digits, go with any; the
/// Japanese, Korean and Chinese combinations of Han count as one), or Latin
/// beside one of those three.
fn highly_restrictive(word: &str) -> bool {
    if !AugmentedScriptSet::for_str(word).is_empty() {
        return true;
    }
    let latin = AugmentedScriptSet::for_char('a');
    let is_latin = |c: &char| {
        let mut set = AugmentedScriptSet::for_char(*c);
        set.intersect_with(latin);
        !set.is_empty()
    };
    let rest: String = word.chars().filter(|c| !is_latin(c)).collect();
    let rest = AugmentedScriptSet::for_str(&rest);
    !rest.is_empty() && (rest.jpan || rest.kore || rest.hanb)
}

#[cfg(test)]
mod tests {
    use super::refuse_mixed_scripts;

    #[test]
    fn words_that_mix_latin_and_cyrillic_are_refused() {
        for mixed in [
            "g\u{435}neral",                  // Cyrillic е
            "\u{430}lice",                    // Cyrillic а
            "team p\u{430}ypal",              // one word of two
            "\u{41c}\u{43e}c\u{43a}\u{432}a", // "Москва" with Latin c and a
            "\u{3b1}lpha",                    // Greek α
        ] {
            assert!(refuse_mixed_scripts("name", mixed).is_err(), "{mixed}");
        }
    }

    #[test]
    fn one_script_per_word_and_east_asian_mixes_pass() {
        for fine in [
            "general",
            "\u{41c}\u{43e}\u{441}\u{43a}\u{432}\u{430} team", // Москва team
            "\u{410}\u{43d}\u{43d}\u{430} (Anna)",             // Анна (Anna)
            "\u{3b1}\u{3b2}\u{3b3} abc",                       // αβγ abc
            "\u{6771}\u{4eac}\u{30bf}\u{30ef}\u{30fc}",        // 東京タワー
            "Tokyo\u{6771}\u{4eac}",                           // Latin with Han
            "\u{c11c}\u{c6b8}\u{5e02} 2024",                   // 서울市 2024
            "release-2.0 \u{1f389}",
            "caf\u{e9} na\u{ef}ve",
        ] {
            assert!(refuse_mixed_scripts("name", fine).is_ok(), "{fine}");
        }
    }
}
