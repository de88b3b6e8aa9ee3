//! Two terminals, alice's and bob's, on one chatd: a reaction and a
//! thread reply travel from one to the other, the directory opens a
//! conversation, the sessions list names the client, and a kick is seen
//! by both.

use reqwest::Method;
use serde_json::json;

use super::harness::{self, Chatd, Tmux, free_port};
use super::{Api, log_in, say};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reaction_a_thread_reply_and_a_kick_between_two_terminals() {
    let db = chat_testkit::TestDb::create().await;
    let chatd = Chatd::start(&db.url, free_port()).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: chatd.base.clone(),
    };
    let bob = api.user("bob").await;
    let alice = api.user("alice").await;
    let body = json!({"name": "lobby", "visibility": "public"});
    let room = api
        .call(Method::POST, "/rooms", Some(&bob), Some(body))
        .await;
    let room_id = room["room"]["id"].as_i64().unwrap();
    api.call(
        Method::POST,
        &format!("/rooms/{room_id}/join"),
        Some(&alice),
        None,
    )
    .await;

    let alice_home = harness::TempDir::new("e2e-conv-alice");
    let bob_home = harness::TempDir::new("e2e-conv-bob");
    let a = Tmux::start("conv-alice", &alice_home, &chatd.base);
    let b = Tmux::start("conv-bob", &bob_home, &chatd.base);
    log_in(&a, "alice");
    log_in(&b, "bob");
    for tui in [&a, &b] {
        tui.wait_for("the lobby", |s| s.contains(" #lobby"));
    }
    say(&b, "lunch at noon?");
    a.wait_for("bob's question", |s| s.contains("bob: lunch at noon?"));

    // alice selects it and reacts: bob sees the reaction under it.
    a.keys(&["M-s"]);
    a.type_text("+");
    a.wait_for("the command started on bob's message", |s| {
        s.contains("command on bob: lunch at noon?") && s.contains("> /react")
    });
    say(&a, ":tada:");
    b.wait_for("alice's reaction", |s| s.contains("      :tada: 1"));

    // alice opens its thread and replies: bob sees the count, not the
    // reply, in his timeline; opening the thread shows it.
    a.keys(&["M-s"]);
    a.type_text("t");
    a.wait_for("the thread", |s| s.contains("#lobby — thread of bob"));
    say(&a, "count me in");
    a.wait_for("the reply delivered", |s| {
        s.contains("alice: count me in") && !s.contains("sending…")
    });
    b.wait_for("the thread's summary", |s| {
        s.contains("[1 reply]") && !s.contains("count me in")
    });
    b.keys(&["M-s"]);
    b.type_text("t");
    b.wait_for("the thread at bob's", |s| {
        s.contains("thread of bob") && s.contains("alice: count me in")
    });
    // Each Esc is seen before the next key: an Esc followed at once by
    // `/` reads as Alt+/ to a terminal.
    b.keys(&["Escape"]);
    a.keys(&["Escape"]);
    b.wait_for("the room again", |s| {
        s.contains("[1 reply]") && !s.contains("thread of bob")
    });
    a.wait_for("alice's room again", |s| !s.contains("thread of bob"));

    // alice finds bob in the directory and opens a conversation with him;
    // bob's sessions list names this client.
    say(&a, "/people bo");
    a.wait_for("the directory", |s| {
        s.contains("people (") && s.contains("│bob")
    });
    a.keys(&["Enter"]);
    a.wait_for("the direct conversation", |s| {
        s.lines().next().unwrap_or_default().contains(" @bob")
    });
    say(&b, "/sessions");
    b.wait_for("bob's sessions", |s| {
        s.contains("your sessions") && s.contains("chat-tui/") && s.contains("(this one)")
    });
    b.keys(&["Escape"]);
    b.wait_for("the list closed", |s| !s.contains("your sessions"));

    // bob removes alice: both terminals show it.
    say(&b, "/kick alice");
    b.wait_for("the removal", |s| s.contains("alice was removed by bob"));
    a.wait_for("alice told and out of the room", |s| {
        // Only the status line still names the room.
        let naming: Vec<&str> = s.lines().filter(|l| l.contains("#lobby")).collect();
        naming.len() == 1 && naming[0].contains("bob removed you from #lobby")
    });
    let members = api
        .call(
            Method::GET,
            &format!("/rooms/{room_id}/members"),
            Some(&bob),
            None,
        )
        .await;
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["user"]["username"].as_str())
        .collect();
    assert_eq!(names, ["bob"]);
}
