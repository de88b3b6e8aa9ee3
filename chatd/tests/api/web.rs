//! The web client's server side: the embedded page and its files, and the
//! browser session (`chat_session` cookie) with its cross-site checks.

use futures_util::StreamExt as _;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::helpers::{TestApp, TestUser};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A client that sends what a browser would, and nothing more.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// How the page is cached, and the files it loads (under this build's
/// `/v/<version>/`).
const REVALIDATE: &str = "no-cache";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The web client's headers on an answer, cached as `cache`.
#[track_caller]
fn assert_web_headers(headers: &HeaderMap, what: &str, cache: &str) {
    assert_eq!(headers["content-security-policy"], CSP, "{what}");
    assert_eq!(headers["cache-control"], cache, "{what}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
    for name in ["content-security-policy", "cache-control"] {
        assert_eq!(headers.get_all(name).iter().count(), 1, "{what}: {name}");
    }
}

#[tokio::test]
async fn the_page_and_its_files_are_served_with_etags_and_the_csp() {
    let app = TestApp::spawn().await;
    let http = browser();
    let page = http.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_web_headers(&headers, "/", REVALIDATE);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let html = page.text().await.unwrap();
    assert!(
        html.to_ascii_lowercase().starts_with("<!doctype html>"),
        "{html}"
    );
    // /index.html is the same file.
    let same = http
        .get(format!("{}/index.html", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(same.headers()["etag"].to_str().unwrap(), etag);

    // Revalidation: the same ETag is a 304 without a body, under the CSP.
    let again = http
        .get(format!("{}/", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_web_headers(again.headers(), "304", REVALIDATE);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = http
        .get(format!("{}/", app.base))
        .header("if-none-match", "\"not-it\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);

    // The script the page loads, as JavaScript, immutable under the build's
    // version; the same file without it (or under another version) is
    // revalidated.
    let script = html
        .split("<script")
        .nth(1)
        .and_then(|tag| tag.split("src=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script file");
    let js = http
        .get(format!("{}{script}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200, "{script}");
    assert_eq!(js.headers()["content-type"], "text/javascript");
    assert_web_headers(js.headers(), script, IMMUTABLE);
    assert_ne!(js.headers()["etag"].to_str().unwrap(), etag);
    let (version, _) = script
        .strip_prefix("/v/")
        .and_then(|rest| rest.split_once('/'))
        .expect("the page loads its scripts from /v/<version>/");
    let mut main_etag = None;
    for (path, cache) in [
        (format!("/v/{version}/js/main.js"), IMMUTABLE),
        ("/js/main.js".to_owned(), REVALIDATE),
        ("/v/0000000000000000/js/main.js".to_owned(), REVALIDATE),
    ] {
        let file = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200, "{path}");
        assert_web_headers(file.headers(), &path, cache);
        let tag = file.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(main_etag.get_or_insert_with(|| tag.clone()), &tag, "{path}");
    }

    // HEAD: the headers without the body.
    let head = http.head(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"].to_str().unwrap(), etag);
    assert!(head.bytes().await.unwrap().is_empty());
    // Any other method is refused, saying which ones work.
    let post = app.call(Method::POST, "/", None, Value::Null).await;
    assert_eq!(post.headers["allow"], "GET, HEAD");
    post.expect_error(405, "method_not_allowed");

    // Unknown paths and the API are not the page's: JSON 404 as ever.
    app.call(Method::GET, "/no/such/file.js", None, Value::Null)
        .await
        .expect_error(404, "not_found");
    let api = app
        .call(Method::GET, "/api/v1/nothing", None, Value::Null)
        .await;
    assert_eq!(
        api.headers["content-security-policy"],
        "frame-ancestors 'none'"
    );
    api.expect_error(404, "not_found");
    app.call(Method::GET, "/healthz", None, Value::Null)
        .await
        .expect(200);
}

/// Logs in for a browser from the server's own page; returns the
/// `Set-Cookie` value and the `name=value` pair to send back.
async fn cookie_login(app: &TestApp, user: &TestUser) -> (String, String) {
    let res = browser()
        .post(format!("{}/api/v1/auth/session", app.base))
        .header("origin", &app.base)
        .json(
            &json!({"username": user.username, "password": format!("{}-password", user.username)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["username"], user.username.as_str(), "{body}");
    assert!(body.get("token").is_none(), "the token leaked: {body}");
    assert!(
        !body.to_string().contains(cookie_value(&set_cookie)),
        "{body}"
    );
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    (set_cookie, pair)
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("chat_session="))
        .unwrap()
}

/// A request with the cookie and these extra headers.
async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> StatusCode {
    let mut req = browser()
        .request(method, format!("{}{path}", app.base))
        .header("cookie", cookie);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if !body.is_null() {
        req = req.json(&body);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn a_cookie_session_is_http_only_and_works_from_the_own_origin_only() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let (set_cookie, cookie) = cookie_login(&app, &alice).await;
    for part in [
        "; HttpOnly",
        "; SameSite=Strict",
        "; Path=/",
        "; Max-Age=2592000",
    ] {
        assert!(set_cookie.contains(part), "{set_cookie}: {part}");
    }
    // Plain HTTP, no proxy: not Secure (the browser would drop it).
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");

    // A bad pair is the login's 401, and sets nothing.
    let bad = browser()
        .post(format!("{}/api/v1/auth/session", app.base))
        .json(&json!({"username": "alice", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers().get("set-cookie").is_none());
    // Another site's page cannot log the browser in.
    let foreign = browser()
        .post(format!("{}/api/v1/auth/session", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"username": "alice", "password": "alice-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);

    let own = app.base.as_str();
    let evil = "https://evil.example";
    // Reading: without an Origin (an <img>, a navigation) or from the own page.
    let get = Method::GET;
    let me = "/api/v1/me";
    for (headers, expected) in [
        (&[][..], 200),
        (&[("origin", own)][..], 200),
        (&[("origin", evil)][..], 403),
        (&[("origin", "null")][..], 403),
        (&[("sec-fetch-site", "cross-site")][..], 403),
    ] {
        let status = with_cookie(&app, get.clone(), me, &cookie, headers, Value::Null).await;
        assert_eq!(status, expected, "GET {headers:?}");
    }

    // Writing: only with the server's own Origin.
    let room = json!({"name": "by cookie", "visibility": "public"});
    for (headers, expected) in [
        (&[("origin", evil)][..], 403),
        (&[][..], 403),
        (
            &[("origin", own), ("sec-fetch-site", "cross-site")][..],
            403,
        ),
        (&[("origin", own)][..], 201),
    ] {
        let status = with_cookie(
            &app,
            Method::POST,
            "/api/v1/rooms",
            &cookie,
            headers,
            room.clone(),
        )
        .await;
        assert_eq!(status, expected, "POST {headers:?}");
    }
    // The refusals are the API's 403 `forbidden`.
    let refused = browser()
        .post(format!("{}/api/v1/rooms", app.base))
        .header("cookie", &cookie)
        .json(&room)
        .send()
        .await
        .unwrap();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden", "{body}");

    // A Bearer header wins over the cookie and cares for no Origin.
    let bearer = browser()
        .post(format!("{}/api/v1/rooms", app.base))
        .bearer_auth(&alice.token)
        .header("cookie", "chat_session=not-a-session")
        .header("origin", evil)
        .json(&json!({"name": "by bearer", "visibility": "public"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 201);

    // Logging out clears the cookie and ends the session.
    let out = browser()
        .delete(format!("{}/api/v1/auth/session", app.base))
        .header("cookie", &cookie)
        .header("origin", own)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("chat_session=;"), "{cleared}");
    assert!(cleared.contains("; Max-Age=0"), "{cleared}");
    let after = with_cookie(&app, get, me, &cookie, &[], Value::Null).await;
    assert_eq!(after, 401);
    // The Bearer session of the same user is another session: still fine.
    app.get("/api/v1/me", &alice.token).await.expect(200);
}

#[tokio::test]
async fn logging_out_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let (_, cookie) = cookie_login(&app, &alice).await;
    for headers in [&[("origin", "https://evil.example")][..], &[]] {
        let status = with_cookie(
            &app,
            Method::DELETE,
            "/api/v1/auth/session",
            &cookie,
            headers,
            Value::Null,
        )
        .await;
        assert_eq!(status, 403, "{headers:?}");
    }
    let status = with_cookie(&app, Method::GET, "/api/v1/me", &cookie, &[], Value::Null).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_cookie_is_secure_behind_a_trusted_proxy_saying_https() {
    let app = TestApp::spawn_with(|c| c.trusted_proxies = "127.0.0.1".parse().unwrap()).await;
    let alice = app.user("alice").await;
    let login = |proto: &'static str| {
        browser()
            .post(format!("{}/api/v1/auth/session", app.base))
            .header("x-forwarded-proto", proto)
            .json(&json!({"username": "alice", "password": "alice-password"}))
            .send()
    };
    let res = login("https").await.unwrap();
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");
    let res = login("http").await.unwrap();
    assert!(
        !res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
    drop(alice);

    // From anyone but a trusted proxy, the header is not believed.
    let direct = TestApp::spawn().await;
    direct.user("bob").await;
    let res = browser()
        .post(format!("{}/api/v1/auth/session", direct.base))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": "bob", "password": "bob-password"}))
        .send()
        .await
        .unwrap();
    assert!(
        !res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}

/// Opens a WebSocket as a browser page would: the cookie and an Origin.
async fn ws_with_cookie(
    app: &TestApp,
    cookie: &str,
    origin: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    WsError,
> {
    let url = format!("{}/api/v1/ws", app.base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(stream, _)| stream)
}

#[tokio::test]
async fn the_websocket_upgrade_authenticates_by_cookie_from_the_own_origin() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let (_, cookie) = cookie_login(&app, &alice).await;
    let mut ws = ws_with_cookie(&app, &cookie, &app.base)
        .await
        .expect("the upgrade succeeds");
    let ready = loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("valid");
        if let Message::Text(text) = frame {
            break serde_json::from_str::<Value>(text.as_str()).unwrap();
        }
    };
    assert_eq!(ready["type"], "ready", "{ready}");
    assert_eq!(ready["user"]["username"], "alice", "{ready}");

    // Another site's page is refused at the handshake, never a 101.
    let status = |e: WsError| match e {
        WsError::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal: {other}"),
    };
    let foreign = ws_with_cookie(&app, &cookie, "https://evil.example").await;
    assert_eq!(status(foreign.expect_err("refused")), 403);
    // A cookie that names no session is a 401 at the handshake.
    let stale = ws_with_cookie(&app, "chat_session=00ff", &app.base).await;
    assert_eq!(status(stale.expect_err("refused")), 401);
}
