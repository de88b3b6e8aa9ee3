//! Rate limits against password guessing, sign-up floods, message floods,
//! floods of other changes (edits, reactions, joins, ...) and connection
//! storms, keyed by user or client address.
//!
//! Each limit is a token bucket (governor's GCRA): `N/PERIOD` allows a
//! burst of N and refills N over PERIOD. A refused request gets 429 with
//! `Retry-After` (or an `error` frame on a WebSocket). Accounts marked
//! exempt (`chatctl user ratelimit-exempt NAME on`, for bots) skip the
//! per-user send, write and connection limits; the per-address login and sign-up
//! limits apply to everyone. Buckets of keys not seen for a while are
//! dropped every minute, so memory stays bounded.

use std::fmt;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use chat_wire::ErrorCode;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;

use crate::error::ApiError;

/// `N/PERIOD` (e.g. `10/5m`): bursts of N, refilled evenly over PERIOD;
/// or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Limit(Option<(NonZeroU32, Duration)>);

impl Limit {
    pub const OFF: Self = Self(None);

    const fn per(n: u32, period: Duration) -> Self {
        match NonZeroU32::new(n) {
            Some(n) => Self(Some((n, period))),
            None => Self::OFF,
        }
    }

    fn quota(self) -> Option<Quota> {
        let (burst, period) = self.0?;
        Quota::with_period(period / burst.get()).map(|q| q.allow_burst(burst))
    }
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(Self::OFF);
        }
        let bad = || format!("invalid rate {text:?}: expected N/PERIOD such as 10/5m, or off");
        let (n, period) = text.split_once('/').ok_or_else(bad)?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        // The unit is the last character, which need not be one byte.
        let unit_at = period.char_indices().last().map_or(0, |(i, _)| i);
        let (amount, unit) = period.split_at(unit_at);
        let amount: u64 = if amount.is_empty() {
            1
        } else {
            amount.parse().map_err(|_| bad())?
        };
        let unit_seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return Err(bad()),
        };
        // Periods beyond a year make no sense, and must not overflow.
        let seconds = amount
            .checked_mul(unit_seconds)
            .filter(|s| *s <= 366 * 86_400)
            .ok_or_else(bad)?;
        if n == 0 || seconds == 0 {
            return Err(bad());
        }
        Ok(Self::per(n, Duration::from_secs(seconds)))
    }
}

impl TryFrom<String> for Limit {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("off"),
            Some((n, period)) => write!(f, "{n}/{}s", period.as_secs()),
        }
    }
}

/// Every limit chatd enforces (see docs/security.md for the reasoning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Login attempts per username (slows guessing one account's password).
    pub login_per_user: Limit,
    /// Login attempts per client address (slows trying many accounts).
    pub login_per_addr: Limit,
    /// Registrations per client address.
    pub register_per_addr: Limit,
    /// Messages sent per user, REST and WebSocket together.
    pub sends_per_user: Limit,
    /// Every other change per user that appends to a room's log (edits,
    /// deletes, reactions, pins, joins, leaves, adds, room and direct
    /// conversation creation, room changes, moderation), and uploads: one
    /// budget, so that no kind of change floods the rooms' members.
    pub writes_per_user: Limit,
    /// WebSocket connections opened per user.
    pub ws_per_user: Limit,
    /// WebSocket connections opened per client address (generous: many
    /// people may share one address behind NAT, and all reconnect at once
    /// when chatd restarts).
    pub ws_per_addr: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            login_per_user: Limit::per(10, 5 * MINUTE),
            login_per_addr: Limit::per(60, MINUTE),
            register_per_addr: Limit::per(20, 60 * MINUTE),
            sends_per_user: Limit::per(30, Duration::from_secs(10)),
            writes_per_user: Limit::per(30, Duration::from_secs(10)),
            ws_per_user: Limit::per(30, MINUTE),
            ws_per_addr: Limit::per(1000, MINUTE),
        }
    }
}

impl RateLimits {
    /// No limits at all (benchmarks).
    pub const OFF: Self = Self {
        login_per_user: Limit::OFF,
        login_per_addr: Limit::OFF,
        register_per_addr: Limit::OFF,
        sends_per_user: Limit::OFF,
        writes_per_user: Limit::OFF,
        ws_per_user: Limit::OFF,
        ws_per_addr: Limit::OFF,
    };
}

/// One keyed limit; `None` when it is off.
struct Keyed<K: Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>);

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(limit: Limit) -> Self {
        Self(limit.quota().map(governor::RateLimiter::keyed))
    }

    /// Takes a token for `key`, or says how long until one is free.
    fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The limiters of one chatd process.
pub struct RateLimiter {
    login_per_user: Keyed<String>,
    login_per_addr: Keyed<IpAddr>,
    register_per_addr: Keyed<IpAddr>,
    sends_per_user: Keyed<i64>,
    writes_per_user: Keyed<i64>,
    ws_per_user: Keyed<i64>,
    ws_per_addr: Keyed<IpAddr>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(limits: &RateLimits) -> Self {
        Self {
            login_per_user: Keyed::new(limits.login_per_user),
            login_per_addr: Keyed::new(limits.login_per_addr),
            register_per_addr: Keyed::new(limits.register_per_addr),
            sends_per_user: Keyed::new(limits.sends_per_user),
            writes_per_user: Keyed::new(limits.writes_per_user),
            ws_per_user: Keyed::new(limits.ws_per_user),
            ws_per_addr: Keyed::new(limits.ws_per_addr),
        }
    }

    /// Before a password is checked. The username is keyed as typed
    /// (lowercased, trimmed, at most 64 characters) so guesses at a name
    /// that does not exist are limited the same way.
    pub fn login(&self, username: &str, addr: IpAddr) -> Result<(), ApiError> {
        let key: String = username.trim().to_lowercase().chars().take(64).collect();
        self.login_per_addr
            .check(&addr)
            .and_then(|()| self.login_per_user.check(&key))
            .map_err(|wait| limited(wait, "too many login attempts"))
    }

    pub fn register(&self, addr: IpAddr) -> Result<(), ApiError> {
        self.register_per_addr
            .check(&addr)
            .map_err(|wait| limited(wait, "too many accounts registered from this address"))
    }

    pub fn send(&self, user_id: i64, exempt: bool) -> Result<(), ApiError> {
        if exempt {
            return Ok(());
        }
        self.sends_per_user
            .check(&user_id)
            .map_err(|wait| limited(wait, "sending too fast"))
    }

    /// A change other than a send (see [`RateLimits::writes_per_user`]),
    /// counted whether or not it turns out to change anything.
    pub fn write(&self, user_id: i64, exempt: bool) -> Result<(), ApiError> {
        if exempt {
            return Ok(());
        }
        self.writes_per_user
            .check(&user_id)
            .map_err(|wait| limited(wait, "making changes too fast"))
    }

    /// A new WebSocket from `addr`, before authentication.
    pub fn ws_from(&self, addr: IpAddr) -> Result<(), ApiError> {
        self.ws_per_addr
            .check(&addr)
            .map_err(|wait| limited(wait, "too many connections from this address"))
    }

    /// A new WebSocket of `user_id`, once authenticated.
    pub fn ws_of(&self, user_id: i64, exempt: bool) -> Result<(), ApiError> {
        if exempt {
            return Ok(());
        }
        self.ws_per_user
            .check(&user_id)
            .map_err(|wait| limited(wait, "too many connections for this account"))
    }

    /// Drops the buckets of keys that are full again (idle), once a minute,
    /// until `shutdown`.
    pub async fn forget_idle_keys(&self, shutdown: tokio_util::sync::CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.cancelled() => return,
            }
            self.login_per_user.forget_idle();
            self.login_per_addr.forget_idle();
            self.register_per_addr.forget_idle();
            self.sends_per_user.forget_idle();
            self.writes_per_user.forget_idle();
            self.ws_per_user.forget_idle();
            self.ws_per_addr.forget_idle();
        }
    }
}

/// 429 with the whole seconds to wait (at least 1).
fn limited(wait: Duration, what: &'static str) -> ApiError {
    let mut error = ApiError::new(ErrorCode::RateLimited, what);
    error.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_from_rates_and_off() {
        assert_eq!(
            "10/5m".parse::<Limit>().unwrap(),
            Limit::per(10, Duration::from_secs(300))
        );
        assert_eq!(
            "30/s".parse::<Limit>().unwrap(),
            Limit::per(30, Duration::from_secs(1))
        );
        assert_eq!("OFF".parse::<Limit>().unwrap(), Limit::OFF);
        // The last four came from the fuzzer: a multi-byte unit and an
        // overflowing period once panicked instead of being refused.
        for bad in [
            "",
            "10",
            "0/1m",
            "10/0s",
            "10/5d",
            "x/1m",
            "-1/1m",
            "1/5\u{82}",
            "1/é",
            "10/111111111111311111115m",
            "1/9000h",
        ] {
            assert!(bad.parse::<Limit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limits = RateLimits {
            login_per_user: "3/1h".parse().unwrap(),
            ..RateLimits::OFF
        };
        let limiter = RateLimiter::new(&limits);
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            limiter.login("Alice", addr).unwrap();
        }
        let refused = limiter.login(" alice ", addr).unwrap_err();
        assert_eq!(refused.code, ErrorCode::RateLimited);
        // One token comes back every 20 minutes.
        let wait = refused.retry_after.unwrap();
        assert!((1..=1200).contains(&wait), "{wait}");
        // Another account is not affected.
        limiter.login("bob", addr).unwrap();
    }

    #[test]
    fn exempt_accounts_skip_per_user_limits() {
        let limits = RateLimits {
            sends_per_user: "1/1h".parse().unwrap(),
            writes_per_user: "1/1h".parse().unwrap(),
            ..RateLimits::OFF
        };
        let limiter = RateLimiter::new(&limits);
        limiter.send(7, false).unwrap();
        assert!(limiter.send(7, false).is_err());
        limiter.write(7, false).unwrap();
        assert!(limiter.write(7, false).is_err());
        for _ in 0..100 {
            limiter.send(7, true).unwrap();
            limiter.write(7, true).unwrap();
        }
    }

    #[test]
    fn writes_and_sends_have_budgets_of_their_own() {
        let limits = RateLimits {
            sends_per_user: "2/1h".parse().unwrap(),
            writes_per_user: "2/1h".parse().unwrap(),
            ..RateLimits::OFF
        };
        let limiter = RateLimiter::new(&limits);
        limiter.write(7, false).unwrap();
        limiter.write(7, false).unwrap();
        let refused = limiter.write(7, false).unwrap_err();
        assert_eq!(refused.code, ErrorCode::RateLimited);
        assert!(refused.retry_after.is_some_and(|s| s >= 1));
        // Spent writes leave sends, and other users, alone.
        limiter.send(7, false).unwrap();
        limiter.write(8, false).unwrap();
    }
}
