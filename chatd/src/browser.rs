//! Browser sessions: the `chat_session` cookie the web client logs in with,
//! and where a request says it comes from.
//!
//! The cookie is `HttpOnly` (no script, so no XSS, can read the token) and
//! `SameSite=Strict`. Because a browser attaches it by itself, a request it
//! authenticates must also prove it comes from this server's own pages:
//! its `Origin` is this host (or an origin listed in `--ws-allowed-origins`),
//! never `Sec-Fetch-Site: cross-site`, and unsafe methods must name their
//! Origin at all. A Bearer header is never attached by a browser on its own,
//! so Bearer clients are not subject to any of this.

use std::net::IpAddr;
use std::time::Duration;

use warp::http::{HeaderMap, HeaderValue, Method};

use crate::error::ApiError;
use crate::proxy::TrustedProxies;

/// The session cookie's name.
pub const COOKIE: &str = "chat_session";

/// Where the credentials of a request come from.
#[derive(Clone, Debug)]
pub enum Credential {
    /// An `Authorization` header (it wins over a cookie).
    Header(HeaderValue),
    /// The `chat_session` cookie's token.
    Cookie(String),
}

impl Credential {
    /// The Authorization header if there is one, else the session cookie.
    pub fn of(headers: &HeaderMap) -> Option<Self> {
        if let Some(value) = headers.get("authorization") {
            return Some(Self::Header(value.clone()));
        }
        session_cookie(headers).map(|token| Self::Cookie(token.to_owned()))
    }
}

/// What the request's Origin says about the page that sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OriginKind {
    /// No Origin: a native client, a top-level navigation or an `<img>`.
    Absent,
    /// This server (same host as `Host`) or an allowed origin.
    Own,
    /// Any other origin, `null` included.
    Foreign,
}

/// The request's provenance, for the cross-site request checks.
#[derive(Clone, Copy, Debug)]
pub struct Provenance {
    origin: OriginKind,
    /// `Sec-Fetch-Site: cross-site`.
    cross_site: bool,
    /// Anything but GET and HEAD.
    unsafe_method: bool,
}

impl Provenance {
    pub fn of(method: &Method, headers: &HeaderMap, allowed: &[String]) -> Self {
        let origin = match headers.get("origin") {
            None => OriginKind::Absent,
            Some(origin) if origin_allowed(origin, headers, allowed, false) => OriginKind::Own,
            Some(_) => OriginKind::Foreign,
        };
        let cross_site = headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        Self {
            origin,
            cross_site,
            unsafe_method: !(method == Method::GET || method == Method::HEAD),
        }
    }

    /// May the session cookie authenticate this request? Not from another
    /// site, not from a foreign origin, and a request that changes
    /// something must name its origin.
    pub fn check_cookie_use(&self) -> Result<(), ApiError> {
        self.check_not_foreign()?;
        if self.unsafe_method && self.origin == OriginKind::Absent {
            return Err(ApiError::forbidden(
                "a request authenticated by the session cookie must carry an Origin header",
            ));
        }
        Ok(())
    }

    /// Refuses a request another site's page sent (a login there would
    /// log the victim's browser into the attacker's account).
    pub fn check_not_foreign(&self) -> Result<(), ApiError> {
        if self.cross_site || self.origin == OriginKind::Foreign {
            return Err(ApiError::forbidden(
                "this request comes from another site's page",
            ));
        }
        Ok(())
    }
}

/// True if `origin` is this server (the same host and port as the `Host`
/// header) or one of `allowed`; `*` in the list counts only when `wildcard`.
pub fn origin_allowed(
    origin: &HeaderValue,
    headers: &HeaderMap,
    allowed: &[String],
    wildcard: bool,
) -> bool {
    let origin = origin
        .to_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let same_host = origin
        .split_once("://")
        .map(|(_, host)| host)
        .zip(headers.get("host").and_then(|h| h.to_str().ok()))
        .is_some_and(|(origin_host, host)| origin_host.eq_ignore_ascii_case(host));
    same_host
        || allowed
            .iter()
            .any(|a| (wildcard && a == "*") || *a == origin)
}

/// The token of the first `chat_session` cookie, if any.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|token| !token.is_empty())
}

/// True when the client reached us over HTTPS: a trusted proxy says so in
/// `X-Forwarded-Proto` (anyone else's word is ignored, as for
/// `X-Forwarded-For`), or the page that sent it is an `https:` origin.
pub fn is_https(tcp_peer: Option<IpAddr>, trusted: &TrustedProxies, headers: &HeaderMap) -> bool {
    let proxied_https = tcp_peer.is_some_and(|peer| trusted.trusts(peer))
        && headers
            .get_all("x-forwarded-proto")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let https_origin = headers
        .get("origin")
        .is_some_and(|o| o.as_bytes().to_ascii_lowercase().starts_with(b"https://"));
    proxied_https || https_origin
}

/// `Set-Cookie` for a new session that lasts `max_age`.
pub fn set_cookie(token: &str, max_age: Duration, secure: bool) -> HeaderValue {
    cookie(token, max_age.as_secs(), secure)
}

/// `Set-Cookie` that makes the browser forget the session.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).expect("a token is hex, a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_header_wins_over_the_cookie() {
        let h = headers(&[("cookie", "a=1; chat_session=abc; b=2")]);
        assert!(matches!(Credential::of(&h), Some(Credential::Cookie(t)) if t == "abc"));
        let h = headers(&[
            ("cookie", "chat_session=abc"),
            ("authorization", "Bearer x"),
        ]);
        assert!(matches!(Credential::of(&h), Some(Credential::Header(_))));
        let h = headers(&[("cookie", "chat_session=; other=1")]);
        assert!(Credential::of(&h).is_none());
        assert!(Credential::of(&headers(&[("cookie", "xchat_session=1")])).is_none());
    }

    #[test]
    fn cookie_use_needs_the_servers_own_origin() {
        let allowed = ["https://app.example.org".to_owned(), "*".to_owned()];
        let check = |method: Method, pairs: &[(&'static str, &str)]| {
            let mut pairs = pairs.to_vec();
            pairs.push(("host", "chat.example.org"));
            Provenance::of(&method, &headers(&pairs), &allowed).check_cookie_use()
        };
        let own = ("origin", "https://chat.example.org");
        assert!(check(Method::POST, &[own]).is_ok());
        assert!(check(Method::POST, &[("origin", "https://app.example.org")]).is_ok());
        // "*" opens WebSockets to any page, never the cookie.
        assert!(check(Method::POST, &[("origin", "https://evil.example")]).is_err());
        assert!(check(Method::GET, &[("origin", "https://evil.example")]).is_err());
        assert!(check(Method::POST, &[("origin", "null")]).is_err());
        assert!(check(Method::DELETE, &[]).is_err());
        assert!(check(Method::GET, &[]).is_ok());
        assert!(check(Method::GET, &[("sec-fetch-site", "cross-site")]).is_err());
        assert!(check(Method::GET, &[("sec-fetch-site", "same-origin")]).is_ok());
    }

    #[test]
    fn https_is_believed_from_a_trusted_proxy_or_an_https_origin() {
        let trusted: TrustedProxies = "127.0.0.1".parse().unwrap();
        let proxy = Some("127.0.0.1".parse().unwrap());
        let other = Some("192.0.2.1".parse().unwrap());
        let xfp = headers(&[("x-forwarded-proto", "https")]);
        assert!(is_https(proxy, &trusted, &xfp));
        assert!(!is_https(other, &trusted, &xfp));
        assert!(!is_https(proxy, &trusted, &headers(&[])));
        let origin = headers(&[("origin", "https://chat.example.org")]);
        assert!(is_https(other, &trusted, &origin));
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let set = set_cookie("ab12", Duration::from_secs(60), true);
        assert_eq!(
            set,
            "chat_session=ab12; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure"
        );
        assert_eq!(
            clear_cookie(false),
            "chat_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        );
    }
}
