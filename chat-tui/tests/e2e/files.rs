//! Two terminals again: a new user finds the room with `/list` and joins
//! it with Enter, then uploads a file; the other terminal shows the
//! attachment and saves it twice without overwriting the first copy.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use super::harness::{self, Chatd, Tmux, free_port};
use super::{Api, log_in, say};

/// Waits until `path` exists with `text` in it.
fn wait_for_file(path: &std::path::Path, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        assert!(
            Instant::now() < deadline,
            "{} never held the upload",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_found_with_list_and_a_file_sent_and_saved() {
    let db = chat_testkit::TestDb::create().await;
    let chatd = Chatd::start(&db.url, free_port()).await;
    let api = Api {
        http: reqwest::Client::new(),
        base: chatd.base.clone(),
    };
    let bob = api.user("bob").await;
    api.user("alice").await;
    let body = json!({"name": "lobby", "visibility": "public", "topic": "say hi"});
    api.call(Method::POST, "/rooms", Some(&bob), Some(body))
        .await;

    let alice_home = harness::TempDir::new("e2e-files-alice");
    let bob_home = harness::TempDir::new("e2e-files-bob");
    let a = Tmux::start("files-alice", &alice_home, &chatd.base);
    let b = Tmux::start("files-bob", &bob_home, &chatd.base);
    log_in(&a, "alice");
    log_in(&b, "bob");

    // alice has no rooms: /list shows the public one, Enter joins it.
    a.wait_for("the hint for a new account", |s| s.contains("/list shows"));
    say(&a, "/list");
    a.wait_for("the room browser", |s| {
        s.contains("public rooms (") && s.contains("#lobby — say hi")
    });
    a.keys(&["Enter"]);
    a.wait_for("the joined room", |s| {
        s.lines()
            .next()
            .unwrap_or_default()
            .contains("#lobby — say hi")
            && !s.contains("public rooms (")
    });
    b.wait_for("alice joining", |s| s.contains("alice joined"));

    // alice uploads a file: bob sees it under her message.
    let notes = alice_home.path.join("notes.txt");
    std::fs::write(&notes, "the minutes of the meeting\n").unwrap();
    say(&a, &format!("/upload {}", notes.display()));
    a.wait_for("the file sent", |s| {
        s.contains("📎 notes.txt (27 B)") && !s.contains("sending…") && !s.contains("uploading")
    });
    b.wait_for("the file at bob's", |s| s.contains("📎 notes.txt (27 B)"));

    // bob selects it and saves it, twice: the second copy gets a number.
    b.keys(&["M-s"]);
    b.type_text("o");
    let downloads = bob_home.path.join("downloads");
    wait_for_file(&downloads.join("notes.txt"), "the minutes of the meeting\n");
    b.type_text("o");
    wait_for_file(
        &downloads.join("notes (1).txt"),
        "the minutes of the meeting\n",
    );
    b.wait_for("where it went", |s| s.contains("saved to"));

    // A file that is not there is refused with its name.
    say(&a, "/upload /nonexistent/plans.pdf");
    a.wait_for("the refusal", |s| {
        s.contains("upload of plans.pdf failed: no such file: /nonexistent/plans.pdf")
    });
}
