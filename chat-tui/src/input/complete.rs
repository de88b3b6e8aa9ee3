//! Tab completion: commands after `/`, rooms after `#`, names otherwise.

/// Completes `word` against `candidates`: the single match plus a space,
/// or the longest common prefix of several. Also returns the matches so
/// the caller can show them.
pub fn complete(word: &str, candidates: &[String]) -> (Option<String>, Vec<String>) {
    if word.is_empty() {
        return (None, Vec::new());
    }
    let lower = word.to_lowercase();
    let mut matches: Vec<String> = candidates
        .iter()
        .filter(|c| c.to_lowercase().starts_with(&lower))
        .cloned()
        .collect();
    matches.sort();
    matches.dedup();
    match matches.as_slice() {
        [] => (None, matches),
        [one] => (Some(format!("{one} ")), matches),
        [first, rest @ ..] => {
            let mut prefix = first.clone();
            for m in rest {
                while !m.starts_with(&prefix) {
                    prefix.pop();
                }
            }
            let better = (prefix.chars().count() > word.chars().count()).then_some(prefix);
            (better, matches)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unique_prefix_and_ambiguity() {
        let c = v(&["/join", "/leave", "/logout", "/me"]);
        assert_eq!(complete("/j", &c).0.as_deref(), Some("/join "));
        let (done, all) = complete("/l", &c);
        assert_eq!(done, None);
        assert_eq!(all.len(), 2);
        let c = v(&["alice", "alicia"]);
        assert_eq!(complete("al", &c).0.as_deref(), Some("alic"));
        assert_eq!(complete("zz", &c).0, None);
    }
}
