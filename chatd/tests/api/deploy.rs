//! The deployment as shipped: Apache in front of the real chatd binary on
//! a fresh database (see [`crate::apache`]). Everything goes through Apache:
//! the web client, a cookie session, REST over HTTPS, a WebSocket over `wss://`, a forged
//! X-Forwarded-For, the security headers and the private endpoints.

use std::time::Duration;

use futures_util::SinkExt as _;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::apache::{Apache, CLIENT_IP};
use crate::daemon::Daemon;
use crate::helpers::TestDb;

/// The web client's policy, which Apache sends on every answer.
const WEB_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Each security header Apache promises, exactly once.
#[track_caller]
fn assert_security_headers(headers: &HeaderMap, what: &str) {
    for (name, expected) in [
        ("strict-transport-security", "max-age="),
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
    ] {
        let values: Vec<_> = headers.get_all(name).iter().collect();
        assert_eq!(
            values.len(),
            1,
            "{what}: {name} should appear once: {values:?}"
        );
        let value = values[0].to_str().unwrap();
        assert!(value.contains(expected), "{what}: {name}: {value}");
    }
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("Apache answers");
    assert!(res.status().is_success(), "{}", res.status());
    assert_security_headers(res.headers(), "API answer");
    res.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn apache_in_front_of_chatd_serves_the_site_the_api_and_websockets() {
    let db = TestDb::create().await;
    let chatd = Daemon::start(&db.url, &["--trusted-proxies", "127.0.0.1"]).await;
    let apache = Apache::start(chatd.port);
    let http = apache.client();
    let base = apache.base();
    let api = format!("{base}/api/v1");

    // The web client, from chatd, under its strict CSP exactly once.
    let site = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(site.status(), 200);
    assert_security_headers(site.headers(), "web client");
    let headers = site.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["content-security-policy"], WEB_CSP);
    assert_eq!(headers["cache-control"], "no-cache");
    let page = site.text().await.unwrap();
    // The CSP would block inline styles and scripts: every script is a file.
    assert!(!page.contains("<style"), "{page}");
    let inline = page
        .split("<script")
        .skip(1)
        .any(|tag| !tag.split('>').next().unwrap_or_default().contains("src="));
    assert!(!inline, "{page}");
    // Revalidation passes through: an unchanged page is a 304.
    let etag = headers["etag"].clone();
    let again = http
        .get(format!("{base}/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["content-security-policy"], WEB_CSP);
    // A script the page loads.
    let script = page
        .split("<script")
        .nth(1)
        .and_then(|tag| tag.split("src=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script");
    let js = http.get(format!("{base}{script}")).send().await.unwrap();
    assert_eq!(js.status(), 200, "{script}");
    assert_eq!(js.headers()["content-type"], "text/javascript");
    assert_security_headers(js.headers(), script);

    // Plain HTTP only redirects to HTTPS.
    let plain = http
        .get(format!("http://127.0.0.1:{}/api/v1/me", apache.http_port))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    let location = plain.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("https://localhost:{}/", apache.https_port)),
        "{location}"
    );

    // REST over HTTPS: accounts, a room, a member.
    for name in ["alice", "bob"] {
        post(
            &http,
            format!("{api}/auth/register"),
            None,
            json!({"username": name, "password": "long enough pw"}),
        )
        .await;
    }
    let login = |name: &'static str| {
        post(
            &http,
            format!("{api}/auth/login"),
            None,
            json!({"username": name, "password": "long enough pw"}),
        )
    };
    let alice = login("alice").await["token"].as_str().unwrap().to_owned();
    // The web client's cookie session: Secure, since Apache says https.
    let session = http
        .post(format!("{api}/auth/session"))
        .header("origin", &base)
        .json(&json!({"username": "alice", "password": "long enough pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);
    let cookie = session.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("; HttpOnly") && cookie.contains("; Secure"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let me = http
        .get(format!("{api}/me"))
        .header("cookie", &pair)
        .header("origin", &base)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let bob = login("bob").await["token"].as_str().unwrap().to_owned();
    let room = post(
        &http,
        format!("{api}/rooms"),
        Some(&alice),
        json!({"name": "through apache", "visibility": "public"}),
    )
    .await["room"]["id"]
        .as_i64()
        .unwrap();
    post(
        &http,
        format!("{api}/rooms/{room}/join"),
        Some(&bob),
        Value::Null,
    )
    .await;

    // A WebSocket over wss:// gets a live message sent over REST, and
    // sends one itself.
    let mut ws = apache.wss(&bob).await;
    let ready = ws.next_json().await;
    assert_eq!(ready["type"], "ready", "{ready}");
    post(
        &http,
        format!("{api}/rooms/{room}/messages"),
        Some(&alice),
        json!({"body": "hello through apache"}),
    )
    .await;
    let event = loop {
        let frame = ws.next_event().await;
        if frame["type"] == "message.created" {
            break frame;
        }
    };
    assert_eq!(event["message"]["body"], "hello through apache");
    ws.0.send(Message::Text(
        json!({"type": "send", "room_id": room, "body": "and back", "client_id": "b-1"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let ack = loop {
        let frame = ws.next_event().await;
        if frame["type"] == "ack" {
            break frame;
        }
    };
    assert_eq!(ack["message"]["body"], "and back");

    // A forged X-Forwarded-For never reaches chatd: it sees the client's
    // real address, which only Apache could have told it.
    let probe = http
        .get(format!("{api}/users/forged-xff"))
        .header("x-forwarded-for", "203.0.113.9")
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 404);
    assert_eq!(
        chatd.logged_client("/api/v1/users/forged-xff").await,
        CLIENT_IP.to_string()
    );
    assert_eq!(
        chatd.logged_client("/api/v1/ws").await,
        CLIENT_IP.to_string()
    );

    // Metrics and health endpoints are not published.
    for path in [
        "/metrics",
        "/metrics/",
        "/healthz",
        "/readyz",
        "/readyz?x=1",
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        let status = res.status().as_u16();
        assert!(status == 403 || status == 404, "{path}: {status}");
        assert_security_headers(res.headers(), path);
        let body = res.text().await.unwrap();
        assert!(!body.contains("# TYPE"), "{path} leaked metrics");
    }
    // ...while chatd itself still serves them to the machine.
    let direct = reqwest::get(format!("{}/metrics", chatd.base))
        .await
        .unwrap();
    assert_eq!(direct.status(), 200);
    drop(ws);
}

/// What Apache itself sends upstream, seen by a stand-in for chatd that
/// records the request head: no client-supplied forwarding headers, the
/// client's address appended by Apache, the scheme, and the original Host.
#[tokio::test]
async fn apache_forwards_the_client_it_saw_and_nothing_the_client_claimed() {
    let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = upstream.local_addr().unwrap().port();
    let recorded = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (mut socket, _) = upstream.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "Apache closed before sending a request head");
            head.extend_from_slice(&buf[..n]);
        }
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .await
            .unwrap();
        String::from_utf8(head).unwrap().to_ascii_lowercase()
    });
    let apache = Apache::start(port);
    let res = apache
        .client()
        .get(format!("{}/api/v1/echo", apache.base()))
        .header("x-forwarded-for", "203.0.113.9")
        .header("forwarded", "for=203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_security_headers(res.headers(), "proxied answer");
    let head = tokio::time::timeout(Duration::from_secs(10), recorded)
        .await
        .expect("Apache forwarded the request")
        .unwrap();
    let values = |name: &str| -> Vec<String> {
        head.lines()
            .filter_map(|line| line.strip_prefix(&format!("{name}: ")))
            .map(str::to_owned)
            .collect()
    };
    assert!(head.starts_with("get /api/v1/echo http/1.1\r\n"), "{head}");
    assert_eq!(values("x-forwarded-for"), [CLIENT_IP.to_string()], "{head}");
    assert!(values("forwarded").is_empty(), "{head}");
    assert_eq!(values("x-forwarded-proto"), ["https"], "{head}");
    assert_eq!(
        values("host"),
        [format!("localhost:{}", apache.https_port)],
        "{head}"
    );
}
