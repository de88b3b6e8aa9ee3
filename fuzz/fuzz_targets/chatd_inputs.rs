//! The parsers of untrusted input that live in chatd rather than chat-wire:
//! the client address taken from `X-Forwarded-For` (any client can send
//! one; behind a trusted proxy its right-most entry is believed), and the
//! settings an admin types (`--limit-*` rates, `--trusted-proxies` lists).
//!
//! Properties: never panics; the client address is the TCP peer or the
//! right-most entry of the last header; a rate that parses prints as text
//! that parses back to the same rate.
#![no_main]

use std::net::{IpAddr, SocketAddr};

use chatd::proxy::TrustedProxies;
use chatd::ratelimit::Limit;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Each line is one X-Forwarded-For header, as a client may repeat it.
    let mut headers = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append("x-forwarded-for", value);
        }
    }
    let peer: SocketAddr = "192.0.2.1:40000".parse().expect("a socket address");
    let everyone: TrustedProxies = "0.0.0.0/0, ::/0".parse().expect("a proxy list");
    let client = everyone.client_addr(peer, &headers);
    if client != peer.ip() {
        // Then it is exactly the right-most entry of the last header.
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .expect("an address came from a readable header");
        let entry = last.rsplit(',').next().unwrap_or_default().trim();
        let named = entry
            .parse::<IpAddr>()
            .ok()
            .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
            .map(|ip| ip.to_canonical());
        assert_eq!(named, Some(client), "header {last:?}");
    }
    // Nobody trusted: the peer, whatever the header says.
    assert_eq!(
        TrustedProxies::default().client_addr(peer, &headers),
        peer.ip()
    );

    let text = String::from_utf8_lossy(data);
    let _ = text.parse::<TrustedProxies>();
    if let Ok(limit) = text.parse::<Limit>() {
        let printed = limit.to_string();
        let again: Limit = printed
            .parse()
            .unwrap_or_else(|e| panic!("{printed:?} does not parse back: {e}"));
        assert_eq!(again, limit, "{text:?} printed as {printed:?}");
    }
});
