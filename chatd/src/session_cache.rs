//! Recently checked tokens, so most REST requests authenticate without a
//! database round trip.
//!
//! Under load the lookup (a pool checkout and a query per request) was a
//! quarter of a REST send's latency (docs/benchmarks.md). An entry lives at
//! most `--session-cache` seconds (10 by default), never past its session's
//! expiry or idle limit, and goes as soon as the database announces a change
//! to its user's logins: migration V5's triggers notify on every revoke,
//! disable, rename, role change or delete, whoever makes it, and the
//! gateway's listener passes the notice on. The cache serves only while that
//! listener is connected and answering; when it drops or goes silent,
//! everything cached is forgotten, since changes may go unheard.
//!
//! A lookup that misses reads the database and stores the answer only if no
//! change was announced meanwhile (the generation count), so a notice that
//! overtakes a slow read cannot be undone by it.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chat_store::notify::SessionChange;
use chat_store::sessions::SessionUser;
use tokio::sync::watch;

/// Checked tokens, by token hash.
#[derive(Debug)]
pub struct SessionCache {
    /// Longest an entry is served without asking the database. It bounds
    /// staleness only for changes no notice announces (a restore, say), and
    /// it keeps `last_seen_at` refreshed for busy tokens. Zero: no caching.
    ttl: Duration,
    inner: Mutex<Inner>,
    /// Whether changes are heard, for whoever waits for that (startup).
    heard: watch::Sender<bool>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Vec<u8>, Entry>,
    /// Bumped by every change: a read that began before it may be stale.
    generation: u64,
    /// Whether changes are heard; without that nothing is served or stored.
    listening: bool,
}

#[derive(Debug)]
struct Entry {
    user: SessionUser,
    until: Instant,
}

/// A lookup that missed; its answer may be stored if nothing changed since.
#[derive(Debug)]
pub struct Miss {
    generation: u64,
    /// Before the database was asked: the answer's lifetime counts from here.
    at: Instant,
}

impl SessionCache {
    /// Most entries held; a full cache drops its expired entries, or all.
    const CAPACITY: usize = 100_000;

    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::default(),
            heard: watch::Sender::new(false),
        }
    }

    /// The session behind a token hash, if checked recently enough.
    pub fn lookup(&self, token_hash: &[u8]) -> Result<SessionUser, Miss> {
        let mut inner = self.lock();
        let now = Instant::now();
        if inner.listening
            && let Some(entry) = inner.entries.get(token_hash)
        {
            if entry.until > now {
                return Ok(entry.user.clone());
            }
            inner.entries.remove(token_hash);
        }
        Err(Miss {
            generation: inner.generation,
            at: now,
        })
    }

    /// Keeps what the database said after `miss`, unless a change was
    /// announced in between.
    pub fn store(&self, miss: Miss, token_hash: Vec<u8>, user: &SessionUser) {
        let mut inner = self.lock();
        if self.ttl.is_zero() || !inner.listening || inner.generation != miss.generation {
            return;
        }
        let now = Instant::now();
        if inner.entries.len() >= Self::CAPACITY {
            inner.entries.retain(|_, e| e.until > now);
            if inner.entries.len() >= Self::CAPACITY {
                inner.entries.clear();
            }
        }
        let until = miss.at + self.ttl.min(user.valid_for);
        inner.entries.insert(
            token_hash,
            Entry {
                user: user.clone(),
                until,
            },
        );
    }

    /// Forgets the sessions some changes are about, in one pass however
    /// many there are (a bulk revoke sends a notice per user).
    pub fn forget(&self, changes: impl IntoIterator<Item = SessionChange>) {
        let mut users = HashSet::new();
        let mut everyone = false;
        for change in changes {
            match change {
                SessionChange::User(id) => {
                    users.insert(id);
                }
                SessionChange::Everyone => everyone = true,
            }
        }
        let mut inner = self.lock();
        inner.generation += 1;
        if everyone {
            inner.entries.clear();
        } else {
            inner
                .entries
                .retain(|_, e| !users.contains(&e.user.user_id));
        }
    }

    /// Whether changes are heard from now on. Either way, whatever was
    /// cached or is being read right now is forgotten.
    pub fn set_listening(&self, listening: bool) {
        {
            let mut inner = self.lock();
            inner.listening = listening;
            inner.generation += 1;
            inner.entries.clear();
        }
        self.heard.send_replace(listening);
    }

    /// Waits until changes are heard (at most `limit`); false if they are not.
    pub async fn until_listening(&self, limit: Duration) -> bool {
        let mut heard = self.heard.subscribe();
        tokio::time::timeout(limit, heard.wait_for(|listening| *listening))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every critical section leaves the map consistent, so a panic
        // elsewhere cannot have left it half-changed.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(user_id: i64, valid_for: Duration) -> SessionUser {
        SessionUser {
            session_id: user_id * 10,
            user_id,
            username: format!("u{user_id}"),
            is_admin: false,
            rate_limit_exempt: false,
            valid_for,
        }
    }

    fn listening() -> SessionCache {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.set_listening(true);
        cache
    }

    fn remember(cache: &SessionCache, token: &[u8], who: &SessionUser) {
        let miss = cache.lookup(token).unwrap_err();
        cache.store(miss, token.to_vec(), who);
    }

    #[test]
    fn a_stored_answer_is_served_until_its_user_changes() {
        let cache = listening();
        remember(&cache, b"a", &user(1, Duration::from_secs(60)));
        remember(&cache, b"b", &user(2, Duration::from_secs(60)));
        assert_eq!(cache.lookup(b"a").unwrap().user_id, 1);
        remember(&cache, b"c", &user(3, Duration::from_secs(60)));
        cache.forget([SessionChange::User(1), SessionChange::User(3)]);
        assert!(cache.lookup(b"a").is_err());
        assert!(cache.lookup(b"c").is_err());
        assert_eq!(cache.lookup(b"b").unwrap().user_id, 2);
        cache.forget([SessionChange::Everyone]);
        assert!(cache.lookup(b"b").is_err());
    }

    #[test]
    fn a_read_overtaken_by_a_change_is_not_stored() {
        let cache = listening();
        let miss = cache.lookup(b"a").unwrap_err();
        // The revoke commits and is announced while the read is in flight.
        cache.forget([SessionChange::User(1)]);
        cache.store(miss, b"a".to_vec(), &user(1, Duration::from_secs(60)));
        assert!(cache.lookup(b"a").is_err());
    }

    #[test]
    fn nothing_is_served_or_kept_while_changes_go_unheard() {
        let cache = SessionCache::new(Duration::from_secs(60));
        remember(&cache, b"a", &user(1, Duration::from_secs(60)));
        assert!(cache.lookup(b"a").is_err());

        cache.set_listening(true);
        let miss = cache.lookup(b"a").unwrap_err();
        remember(&cache, b"b", &user(2, Duration::from_secs(60)));
        cache.set_listening(false);
        cache.set_listening(true);
        // Both the entry and the read that began before the gap are gone.
        assert!(cache.lookup(b"b").is_err());
        cache.store(miss, b"a".to_vec(), &user(1, Duration::from_secs(60)));
        assert!(cache.lookup(b"a").is_err());
    }

    #[test]
    fn an_entry_never_outlives_its_session() {
        let cache = listening();
        remember(&cache, b"a", &user(1, Duration::ZERO));
        assert!(cache.lookup(b"a").is_err());
    }

    #[test]
    fn a_zero_lifetime_turns_the_cache_off() {
        let cache = SessionCache::new(Duration::ZERO);
        cache.set_listening(true);
        remember(&cache, b"a", &user(1, Duration::from_secs(60)));
        assert!(cache.lookup(b"a").is_err());
    }
}
