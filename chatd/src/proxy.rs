//! The client's address behind a reverse proxy.
//!
//! A proxy such as Apache connects to chatd itself and names the real
//! client in `X-Forwarded-For`, appending the address it saw to whatever the
//! client sent. So only the right-most entry is the proxy's own word; the
//! rest can be forged by anyone. chatd believes that entry only when the TCP
//! peer is one of the configured trusted proxies, and otherwise ignores the
//! header altogether.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;
use warp::http::HeaderMap;

/// The networks whose `X-Forwarded-For` chatd believes (empty: nobody's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// True if `peer` is one of the trusted proxies.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|net| net.contains(&peer))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The address a request came from: the right-most `X-Forwarded-For`
    /// entry when `peer` is a trusted proxy and that entry is an address,
    /// else the peer itself.
    pub fn client_addr(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer_ip = peer.ip().to_canonical();
        if !self.trusts(peer_ip) {
            return peer_ip;
        }
        rightmost_forwarded(headers).unwrap_or(peer_ip)
    }
}

/// The last entry of the last `X-Forwarded-For` header, if it is an IP
/// address (optionally with a port, which is dropped).
fn rightmost_forwarded(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let entry = last.to_str().ok()?.rsplit(',').next()?.trim();
    parse_entry(entry).map(|ip| ip.to_canonical())
}

/// `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// A comma-separated list of addresses (`192.0.2.1`, `::1`) and networks
/// (`10.0.0.0/8`); an empty string is an empty list.
impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(parse_net)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

fn parse_net(entry: &str) -> Result<IpNet, String> {
    let net = if entry.contains('/') {
        entry.parse::<IpNet>().ok().map(|net| net.trunc())
    } else {
        entry.parse::<IpAddr>().ok().map(IpNet::from)
    };
    net.ok_or_else(|| format!("not an IP address or CIDR network: {entry:?}"))
}

/// The file form: a list of the same entries.
impl<'de> serde::Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Vec::<String>::deserialize(d)?;
        entries
            .iter()
            .map(|entry| parse_net(entry.trim()))
            .collect::<Result<_, _>>()
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    fn peer(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn lists_of_addresses_and_networks_parse() {
        let t: TrustedProxies = " 127.0.0.1, 10.1.2.3/8 ,::1,fd00::/8".parse().unwrap();
        assert_eq!(t.to_string(), "127.0.0.1/32,10.0.0.0/8,::1/128,fd00::/8");
        assert!(t.trusts(ip("10.200.0.1")));
        assert!(t.trusts(ip("fd12::5")));
        assert!(!t.trusts(ip("11.0.0.1")));
        assert!(!t.trusts(ip("127.0.0.2")));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert!("127.0.0.1,apache".parse::<TrustedProxies>().is_err());
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let t: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let got = t.client_addr(peer("192.0.2.7:5000"), &headers(&["203.0.113.9"]));
        assert_eq!(got, ip("192.0.2.7"));
        // Nobody is trusted by default.
        let none = TrustedProxies::default();
        let got = none.client_addr(peer("127.0.0.1:5000"), &headers(&["203.0.113.9"]));
        assert_eq!(got, ip("127.0.0.1"));
    }

    #[test]
    fn a_trusted_peer_is_believed_for_the_rightmost_entry_only() {
        let t: TrustedProxies = "127.0.0.1".parse().unwrap();
        let p = peer("127.0.0.1:40000");
        // The client forged the first entry; the proxy appended the second.
        let got = t.client_addr(p, &headers(&["198.51.100.1, 203.0.113.9"]));
        assert_eq!(got, ip("203.0.113.9"));
        // Several headers count as one list, in order.
        let got = t.client_addr(p, &headers(&["198.51.100.1", "203.0.113.10"]));
        assert_eq!(got, ip("203.0.113.10"));
        // Ports and brackets are tolerated; IPv4-mapped addresses unwrapped.
        let got = t.client_addr(p, &headers(&["[2001:db8::1]:443"]));
        assert_eq!(got, ip("2001:db8::1"));
        let got = t.client_addr(p, &headers(&["203.0.113.9:1234"]));
        assert_eq!(got, ip("203.0.113.9"));
        let got = t.client_addr(p, &headers(&["::ffff:203.0.113.9"]));
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn a_missing_or_garbled_entry_falls_back_to_the_peer() {
        let t: TrustedProxies = "127.0.0.1".parse().unwrap();
        let p = peer("127.0.0.1:40000");
        assert_eq!(t.client_addr(p, &headers(&[])), ip("127.0.0.1"));
        assert_eq!(
            t.client_addr(p, &headers(&["203.0.113.9, unknown"])),
            ip("127.0.0.1")
        );
        assert_eq!(t.client_addr(p, &headers(&[""])), ip("127.0.0.1"));
    }

    #[test]
    fn a_mapped_peer_matches_its_ipv4_network() {
        let t: TrustedProxies = "127.0.0.0/8".parse().unwrap();
        let got = t.client_addr(peer("[::ffff:127.0.0.1]:40000"), &headers(&["192.0.2.1"]));
        assert_eq!(got, ip("192.0.2.1"));
    }

    #[test]
    fn the_file_form_is_a_list() {
        #[derive(serde::Deserialize)]
        struct F {
            trusted_proxies: TrustedProxies,
        }
        let f: F = toml::from_str("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]").unwrap();
        assert!(f.trusted_proxies.trusts(ip("10.9.9.9")));
        assert!(toml::from_str::<F>("trusted_proxies = [\"nope\"]").is_err());
    }
}
