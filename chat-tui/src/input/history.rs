//! Input history: Up and Down walk what was sent before, keeping what was
//! being typed so Down past the newest entry brings it back.

/// Sent lines, oldest first, with a browsing position.
#[derive(Debug, Clone, Default)]
pub struct History {
    entries: Vec<String>,
    pos: Option<usize>,
    stash: String,
}

/// How many lines are remembered.
const KEEP: usize = 200;

impl History {
    /// Remembers a sent line and stops browsing.
    pub fn push(&mut self, line: &str) {
        self.pos = None;
        if self.entries.last().map(String::as_str) != Some(line) {
            self.entries.push(line.to_owned());
            if self.entries.len() > KEEP {
                self.entries.remove(0);
            }
        }
    }

    /// One entry older; `current` is what the editor holds now. If it is
    /// no longer the entry we showed (edited, cleared), browsing restarts
    /// from the newest.
    pub fn older(&mut self, current: &str) -> Option<&str> {
        if self.pos.is_some_and(|p| self.entries[p] != current) {
            self.pos = None;
        }
        let next = match self.pos {
            None if self.entries.is_empty() => return None,
            None => {
                self.stash = current.to_owned();
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(p) => p - 1,
        };
        self.pos = Some(next);
        Some(&self.entries[next])
    }

    /// One entry newer, or back to what was being typed.
    pub fn newer(&mut self) -> Option<&str> {
        let p = self.pos?;
        if p + 1 < self.entries.len() {
            self.pos = Some(p + 1);
            Some(&self.entries[p + 1])
        } else {
            self.pos = None;
            Some(&self.stash)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_back_and_restores_the_draft() {
        let mut h = History::default();
        assert_eq!(h.older("x"), None);
        h.push("one");
        h.push("two");
        assert_eq!(h.older("draft"), Some("two"));
        assert_eq!(h.older("two"), Some("one"));
        assert_eq!(h.older("one"), None);
        assert_eq!(h.newer(), Some("two"));
        assert_eq!(h.newer(), Some("draft"));
        assert_eq!(h.newer(), None);
        // Browsing restarts once the shown entry was changed.
        assert_eq!(h.older(""), Some("two"));
        assert_eq!(h.older("edited"), Some("two"));
    }
}
