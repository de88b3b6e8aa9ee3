//! End to end: the real chat-tui binary, driven through tmux, against a
//! real chatd on a fresh PostgreSQL database.
//!
//! chatd is not a dependency of this crate, so its binary is found next to
//! this test's own target directory (`target/debug/chatd`); `scripts/dev
//! test` builds the whole workspace first, and `cargo build -p chatd` does
//! it by hand.

mod conversations;
mod files;
mod harness;

use std::time::Duration;

use serde_json::{Value, json};

use harness::{Chatd, Tmux, free_port};

const PASSWORD: &str = "long enough pw";

/// A REST helper for the second user and for checking the server's view.
struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut req = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("chatd answers");
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn user(&self, name: &str) -> String {
        let creds = json!({"username": name, "password": PASSWORD});
        self.call(
            reqwest::Method::POST,
            "/auth/register",
            None,
            Some(creds.clone()),
        )
        .await;
        let session = self
            .call(reqwest::Method::POST, "/auth/login", None, Some(creds))
            .await;
        session["token"].as_str().unwrap().to_owned()
    }

    async fn bodies(&self, token: &str, room: i64) -> Vec<String> {
        let page = self
            .call(
                reqwest::Method::GET,
                &format!("/rooms/{room}/messages?limit=200"),
                Some(token),
                None,
            )
            .await;
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// Logs in through the form and waits for the socket.
fn log_in(tui: &Tmux, name: &str) {
    tui.wait_for("the login form", |s| s.contains("Username:"));
    tui.type_text(name);
    tui.keys(&["Enter"]);
    tui.type_text(PASSWORD);
    tui.keys(&["Enter"]);
    tui.wait_for("the connected status", |s| {
        s.contains(&format!("[connected] {name}"))
    });
}

/// Types a line and presses Enter.
fn say(tui: &Tmux, line: &str) {
    tui.type_text(line);
    tui.keys(&["Enter"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_through_the_real_binary_across_a_server_restart() {
    let db = chat_testkit::TestDb::create().await;
    let port = free_port();
    let mut chatd = Chatd::start(&db.url, port).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: chatd.base.clone(),
    };

    // bob (over REST) owns a public room; alice exists but has never run the client.
    let bob = api.user("bob").await;
    api.user("alice").await;
    let room = api
        .call(
            reqwest::Method::POST,
            "/rooms",
            Some(&bob),
            Some(json!({"name": "lobby", "visibility": "public", "topic": "all welcome"})),
        )
        .await;
    let room_id = room["room"]["id"].as_i64().unwrap();

    let home = harness::TempDir::new("e2e");
    let tui = Tmux::start("main", &home, &chatd.base);

    // Log in through the form.
    log_in(&tui, "alice");
    let token_file = home.path.join("state/chat-tui/session.json");
    harness::assert_private(&token_file);

    // Join the room and talk.
    tui.type_text("/join lobby");
    tui.keys(&["Enter"]);
    tui.wait_for("the room's title", |s| s.contains("#lobby — all welcome"));
    tui.type_text("hello from the terminal");
    tui.keys(&["Enter"]);
    tui.wait_for("the sent message, acknowledged", |s| {
        s.contains("alice: hello from the terminal") && !s.contains("sending…")
    });
    assert!(
        api.bodies(&bob, room_id)
            .await
            .contains(&"hello from the terminal".to_owned())
    );

    // A message from bob shows up live.
    let body = json!({"body": "hi alice, welcome"});
    api.call(
        reqwest::Method::POST,
        &format!("/rooms/{room_id}/messages"),
        Some(&bob),
        Some(body),
    )
    .await;
    tui.wait_for("bob's message", |s| s.contains("bob: hi alice, welcome"));

    // The server dies: the client says so, and keeps what we type.
    chatd.kill();
    tui.wait_for("the reconnecting status", |s| s.contains("reconnecting in"));
    tui.type_text("sent while the server was down");
    tui.keys(&["Enter"]);
    tui.wait_for("the queued message", |s| {
        s.contains("sent while the server was down sending…")
    });

    // It comes back on the same port: the queued message goes out once.
    let chatd = Chatd::start(&db.url, port).await;
    tui.wait_for("the queued message delivered", |s| {
        s.contains("[connected] alice")
            && s.contains("alice: sent while the server was down")
            && !s.contains("sending…")
    });
    // A later message goes out on the same socket after anything the
    // client still had to send, and chatd handles a socket's frames in
    // order: once it is acknowledged, any second copy would be stored.
    say(&tui, "and one more");
    tui.wait_for("the later message delivered", |s| {
        s.contains("alice: and one more") && !s.contains("sending…")
    });
    let bodies = api.bodies(&bob, room_id).await;
    let copies = bodies
        .iter()
        .filter(|b| *b == "sent while the server was down")
        .count();
    assert_eq!(copies, 1, "delivered exactly once: {bodies:?}");
    let screen = tui.capture();
    assert_eq!(
        screen.matches("sent while the server was down").count(),
        1,
        "{screen}"
    );

    // /quit exits and gives the terminal back; the next start skips the form.
    tui.type_text("/quit");
    tui.keys(&["Enter"]);
    tui.wait_gone();
    let again = Tmux::start("again", &home, &chatd.base);
    again.wait_for("a resumed session", |s| {
        s.contains("[connected] alice") && s.contains("#lobby")
    });
    again.wait_for("the history", |s| s.contains("bob: hi alice, welcome"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_deletes_direct_messages_and_search_against_the_real_server() {
    use reqwest::Method;
    let db = chat_testkit::TestDb::create().await;
    let chatd = Chatd::start(&db.url, free_port()).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: chatd.base.clone(),
    };
    let bob = api.user("bob").await;
    api.user("alice").await;
    let body = json!({"name": "lobby", "visibility": "public"});
    let room = api
        .call(Method::POST, "/rooms", Some(&bob), Some(body))
        .await;
    let room_id = room["room"]["id"].as_i64().unwrap();
    let first = api
        .call(
            Method::POST,
            &format!("/rooms/{room_id}/messages"),
            Some(&bob),
            Some(json!({"body": "first words"})),
        )
        .await;
    let first_id = first["message"]["id"].as_i64().unwrap();

    let home = harness::TempDir::new("e2e-edits");
    let tui = Tmux::start("edits", &home, &chatd.base);
    log_in(&tui, "alice");
    say(&tui, "/join lobby");
    tui.wait_for("the history", |s| s.contains("bob: first words"));

    // Someone else's edit arrives live and is marked.
    let path = format!("/rooms/{room_id}/messages/{first_id}");
    api.call(
        Method::PATCH,
        &path,
        Some(&bob),
        Some(json!({"body": "first words, revised"})),
    )
    .await;
    tui.wait_for("bob's edit", |s| {
        s.contains("bob: first words, revised (edited)")
    });

    // Up on an empty line edits my last message.
    say(&tui, "tpyo");
    tui.wait_for("my message", |s| {
        s.contains("alice: tpyo") && !s.contains("sending…")
    });
    tui.keys(&["Up"]);
    tui.wait_for("the message in the editor", |s| {
        s.contains("editing your message")
    });
    tui.keys(&["C-u"]);
    say(&tui, "typo fixed");
    tui.wait_for("my edit", |s| s.contains("alice: typo fixed (edited)"));
    assert!(
        api.bodies(&bob, room_id)
            .await
            .contains(&"typo fixed".to_owned())
    );

    // /delete leaves a tombstone.
    say(&tui, "/delete");
    tui.wait_for("the tombstone", |s| s.contains("alice: (message deleted)"));
    assert!(
        !api.bodies(&bob, room_id)
            .await
            .contains(&"typo fixed".to_owned())
    );

    // /msg opens a direct conversation and sends into it.
    say(&tui, "/msg bob psst, over here");
    tui.wait_for("the direct conversation", |s| {
        // Acknowledged, not just shown as sending.
        s.contains(" @bob") && s.contains("alice: psst, over here") && !s.contains("sending…")
    });
    let rooms = api.call(Method::GET, "/rooms", Some(&bob), None).await;
    let dm = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "direct")
        .expect("a direct room");
    let dm_id = dm["id"].as_i64().unwrap();
    assert_eq!(api.bodies(&bob, dm_id).await, ["psst, over here"]);

    // /search finds bob's revised words; Enter opens the room.
    say(&tui, "/search revised");
    tui.wait_for("the results", |s| {
        s.contains("search results") && s.contains("#lobby bob: first words, revised")
    });
    tui.keys(&["Enter"]);
    tui.wait_for("the lobby again", |s| {
        s.contains(" #lobby") && !s.contains("search results")
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_and_presence_travel_both_ways() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let db = chat_testkit::TestDb::create().await;
    let chatd = Chatd::start(&db.url, free_port()).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: chatd.base.clone(),
    };
    let bob = api.user("bob").await;
    api.user("alice").await;
    let body = json!({"name": "lobby", "visibility": "public"});
    let room = api
        .call(reqwest::Method::POST, "/rooms", Some(&bob), Some(body))
        .await;
    let room_id = room["room"]["id"].as_i64().unwrap();

    let home = harness::TempDir::new("e2e-typing");
    let tui = Tmux::start("typing", &home, &chatd.base);
    log_in(&tui, "alice");
    say(&tui, "/join lobby");
    // One command at a time, as a person would: the server only lets alice
    // message bob once they share a room.
    tui.wait_for("the lobby", |s| {
        s.contains(" #lobby") && s.contains("[connected]")
    });
    say(&tui, "/msg bob hello");
    tui.wait_for("the direct conversation", |s| {
        s.contains("alice: hello") && !s.contains("sending…")
    });

    // bob comes online over a socket of his own: alice sees the dot.
    let url = chatd.base.replace("http://", "ws://") + "/api/v1/ws";
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {bob}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("bob connects");
    ws.send(WsMessage::text(r#"{"type":"resume","rooms":{}}"#))
        .await
        .unwrap();
    tui.wait_for("bob online", |s| {
        s.contains("●@bob") && s.contains(" @bob — online")
    });

    // bob types in the lobby: alice's status line says so.
    let typing = json!({"type": "typing", "room_id": room_id}).to_string();
    ws.send(WsMessage::text(typing)).await.unwrap();
    tui.keys(&["C-p"]);
    tui.wait_for("bob typing", |s| {
        s.contains(" #lobby") && s.contains("bob is typing…")
    });

    // alice types (without sending): bob gets a typing frame from her.
    tui.type_text("thinking about it");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let frame = tokio::time::timeout(remaining, ws.next())
            .await
            .expect("a typing frame from alice within 20 s")
            .expect("the socket stays open")
            .unwrap();
        let WsMessage::Text(text) = frame else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["type"] == "typing" && v["user"]["username"] == "alice" {
            assert_eq!(v["room_id"], room_id);
            break;
        }
    }
    // Typing never sends: clear the draft and send a marker instead; the
    // draft, had it gone out, went out on the same socket before it.
    tui.keys(&["C-u"]);
    say(&tui, "a marker");
    tui.wait_for("the marker delivered", |s| {
        s.contains("alice: a marker") && !s.contains("sending…")
    });
    let bodies = api.bodies(&bob, room_id).await;
    assert!(bodies.contains(&"a marker".to_owned()), "{bodies:?}");
    assert!(
        !bodies.contains(&"thinking about it".to_owned()),
        "typing never sends: {bodies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminal_is_restored_on_sigterm_and_ctrl_c() {
    let db = chat_testkit::TestDb::create().await;
    let chatd = Chatd::start(&db.url, free_port()).await;
    let home = harness::TempDir::new("e2e-restore");
    let shell = Tmux::shell("restore", &home);
    let run = format!(
        "{} --server {}; echo \"exited $?\"",
        env!("CARGO_BIN_EXE_chat-tui"),
        chatd.base
    );

    for (how, expected) in [("SIGTERM", "exited 0"), ("Ctrl+C", "exited 0")] {
        shell.keys(&["C-l"]);
        say(&shell, &run);
        shell.wait_for("the login form", |s| s.contains("Username:"));
        if how == "SIGTERM" {
            let pid = shell.child_pid();
            assert!(
                std::process::Command::new("kill")
                    .args(["-TERM", &pid])
                    .status()
                    .unwrap()
                    .success()
            );
        } else {
            shell.keys(&["C-c"]);
        }
        // Back in the shell: the form is gone, and typing echoes again.
        shell.wait_for(&format!("the shell after {how}"), |s| {
            s.contains(expected) && !s.contains("Username:")
        });
        say(&shell, "echo still-cooked");
        shell.wait_for("an echoed command", |s| {
            s.contains("$ echo still-cooked") && s.contains("\nstill-cooked")
        });
    }
}
