//! X-Forwarded-For: believed only from a trusted proxy, right-most entry
//! only; seen in the client address chatd logs for each request.

use std::net::{IpAddr, Ipv4Addr};

use crate::daemon::Daemon;
use crate::helpers::TestDb;

/// GET `path` from the loopback address `from`, with these XFF headers.
async fn get_from(daemon: &Daemon, from: Ipv4Addr, path: &str, forwarded: &[&str]) {
    let http = reqwest::Client::builder()
        .local_address(IpAddr::V4(from))
        .build()
        .unwrap();
    let mut req = http.get(format!("{}{path}", daemon.base));
    for value in forwarded {
        req = req.header("x-forwarded-for", *value);
    }
    let res = req.send().await.expect("chatd answers");
    assert_eq!(res.status(), 404, "{path}: no such endpoint");
}

#[tokio::test]
async fn an_untrusted_peer_cannot_choose_its_logged_address() {
    let db = TestDb::create().await;
    // Only 127.0.0.2 is a proxy; the client connects from 127.0.0.1.
    let chatd = Daemon::start(&db.url, &["--trusted-proxies", "127.0.0.2"]).await;
    let local = Ipv4Addr::new(127, 0, 0, 1);
    get_from(&chatd, local, "/probe/spoof-1", &["203.0.113.9"]).await;
    assert_eq!(chatd.logged_client("/probe/spoof-1").await, "127.0.0.1");
    get_from(&chatd, local, "/probe/plain-1", &[]).await;
    assert_eq!(chatd.logged_client("/probe/plain-1").await, "127.0.0.1");

    // By default nobody is trusted.
    let chatd = Daemon::start(&db.url, &[]).await;
    let proxy = Ipv4Addr::new(127, 0, 0, 2);
    get_from(&chatd, proxy, "/probe/spoof-2", &["203.0.113.9"]).await;
    assert_eq!(chatd.logged_client("/probe/spoof-2").await, "127.0.0.2");
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_with_its_rightmost_entry() {
    let db = TestDb::create().await;
    let chatd = Daemon::start(&db.url, &["--trusted-proxies", "127.0.0.2/32,10.0.0.0/8"]).await;
    let proxy = Ipv4Addr::new(127, 0, 0, 2);
    // The client forged the first entry; the proxy appended the real one.
    get_from(
        &chatd,
        proxy,
        "/probe/via-proxy",
        &["198.51.100.1, 203.0.113.9"],
    )
    .await;
    assert_eq!(chatd.logged_client("/probe/via-proxy").await, "203.0.113.9");
    // Two headers are one list; the last entry of the last one counts.
    get_from(
        &chatd,
        proxy,
        "/probe/two-headers",
        &["198.51.100.1", "2001:db8::7"],
    )
    .await;
    assert_eq!(
        chatd.logged_client("/probe/two-headers").await,
        "2001:db8::7"
    );
    // Garbage is not an address: the proxy itself is logged.
    get_from(&chatd, proxy, "/probe/garbage", &["unknown"]).await;
    assert_eq!(chatd.logged_client("/probe/garbage").await, "127.0.0.2");
    // The same proxy list from the environment, as the systemd unit sets it.
    let mut env_chatd = Daemon::spawn(&db.url, &[], &[("CHATD_TRUSTED_PROXIES", "127.0.0.2")]);
    env_chatd.wait_ready().await;
    get_from(&env_chatd, proxy, "/probe/env", &["203.0.113.10"]).await;
    assert_eq!(env_chatd.logged_client("/probe/env").await, "203.0.113.10");
}
