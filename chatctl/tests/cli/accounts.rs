//! `chatctl user ...` and `chatctl session ...` beyond add/list: details,
//! lock-outs, deletion, bulk import and sessions.

use std::time::Duration;

use chat_store::{Pool, members, messages, rooms, sessions, users};
use chat_testkit::TestDb;
use chat_wire::{MemberRole, Visibility};
use serde_json::Value;

use super::{chatctl, json};

fn pool(db: &TestDb) -> Pool {
    chat_store::create_pool(&db.url, &Default::default()).unwrap()
}

async fn add_user(db: &TestDb, name: &str) -> i64 {
    let out = chatctl(db)
        .args(["user", "add", name, "--password-stdin", "--json"])
        .write_stdin("correct horse battery\n")
        .assert()
        .success();
    json(&out.get_output().stdout)["id"].as_i64().unwrap()
}

async fn login(pool: &Pool, user_id: i64) -> i64 {
    let (_, hash) = sessions::new_token().unwrap();
    sessions::create(
        &pool.get().await.unwrap(),
        user_id,
        &hash,
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    pool.get()
        .await
        .unwrap()
        .query_one(
            "SELECT id FROM sessions WHERE token_hash = $1",
            &[&hash.as_slice()],
        )
        .await
        .unwrap()
        .get(0)
}

fn stdout_json(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.assert().success();
    json(&out.get_output().stdout)
}

#[tokio::test]
async fn show_filters_role_and_password_reset() {
    let db = TestDb::create().await;
    let pool = pool(&db);
    let alice = add_user(&db, "alice").await;
    add_user(&db, "bob").await;
    login(&pool, alice).await;

    let shown = stdout_json(chatctl(&db).args(["user", "show", "ALICE", "--json"]));
    assert_eq!(shown["username"], "alice");
    assert_eq!(shown["state"], "active");
    assert_eq!(shown["live_sessions"], 1);
    chatctl(&db)
        .args(["user", "show", "nobody"])
        .assert()
        .code(3);

    let admin = stdout_json(chatctl(&db).args(["user", "role", "bob", "admin", "--json"]));
    assert_eq!(admin["role"], "admin");
    let admins = stdout_json(chatctl(&db).args(["user", "list", "--role", "admin", "--json"]));
    assert_eq!(admins.as_array().unwrap().len(), 1);
    assert_eq!(admins[0]["username"], "bob");
    let found = stdout_json(chatctl(&db).args(["user", "list", "--search", "LIC", "--json"]));
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["username"], "alice");

    // A reset ends every session and the new password is the one that works.
    let reset = stdout_json(
        chatctl(&db)
            .args(["user", "passwd", "alice", "--password-stdin", "--json"])
            .write_stdin("a brand new secret\n"),
    );
    assert_eq!(reset["sessions_ended"], 1);
    let creds = users::credentials(&pool.get().await.unwrap(), "alice")
        .await
        .unwrap()
        .unwrap();
    let hasher = chat_store::password::PasswordHasher::new(Default::default());
    assert!(
        hasher
            .verify("a brand new secret", Some(&creds.password_hash))
            .await
            .unwrap()
    );
    let live = stdout_json(chatctl(&db).args(["session", "list", "alice", "--json"]));
    assert_eq!(live, serde_json::json!([]));
    chatctl(&db)
        .args(["user", "passwd", "alice", "--password-stdin"])
        .write_stdin("short\n")
        .assert()
        .code(2);

    chatctl(&db)
        .args(["user", "disable", "alice"])
        .assert()
        .success();
    let disabled =
        stdout_json(chatctl(&db).args(["user", "list", "--state", "disabled", "--json"]));
    assert_eq!(disabled.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_one_or_all() {
    let db = TestDb::create().await;
    let pool = pool(&db);
    let alice = add_user(&db, "alice").await;
    let first = login(&pool, alice).await;
    let second = login(&pool, alice).await;
    let list = stdout_json(chatctl(&db).args(["session", "list", "alice", "--json"]));
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![second, first]);
    assert!(list[0].get("token").is_none() && list[0].get("token_hash").is_none());

    let ended = stdout_json(chatctl(&db).args([
        "session",
        "revoke",
        "alice",
        "--id",
        &first.to_string(),
        "--json",
    ]));
    assert_eq!(ended["sessions_ended"], 1);
    let live = stdout_json(chatctl(&db).args(["session", "list", "alice", "--json"]));
    assert_eq!(live.as_array().unwrap().len(), 1);
    let all = stdout_json(chatctl(&db).args(["session", "list", "alice", "--all", "--json"]));
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[1]["live"], false);

    // Someone else's session id is not found, and neither --id nor --all
    // is a usage error.
    add_user(&db, "bob").await;
    chatctl(&db)
        .args(["session", "revoke", "bob", "--id", &second.to_string()])
        .assert()
        .code(3);
    chatctl(&db)
        .args(["session", "revoke", "alice"])
        .assert()
        .code(2);
    let ended = stdout_json(chatctl(&db).args(["session", "revoke", "alice", "--all", "--json"]));
    assert_eq!(ended["sessions_ended"], 1);
    chatctl(&db)
        .args(["session", "list", "nobody"])
        .assert()
        .code(3);
}

/// Alice in a room with Bob, with two messages of her own and one of his.
async fn alice_and_bob_talk(db: &TestDb, pool: &Pool) -> (i64, i64, i64) {
    let alice = add_user(db, "alice").await;
    let bob = add_user(db, "bob").await;
    let mut client = pool.get().await.unwrap();
    let (room, _) = rooms::create(&mut client, alice, "general", Visibility::Public, "")
        .await
        .unwrap();
    let _ = members::add(&mut client, room.id, bob, MemberRole::Member)
        .await
        .unwrap();
    for (author, body) in [(alice, "hello"), (bob, "hi alice"), (alice, "bye")] {
        let _ = messages::send(&client, room.id, author, body, None, None)
            .await
            .unwrap();
    }
    (alice, bob, room.id)
}

async fn bodies(pool: &Pool, room: i64) -> Vec<(String, Option<String>)> {
    let client = pool.get().await.unwrap();
    let page = messages::Page {
        before: None,
        after: None,
        limit: 50,
    };
    messages::page(&client, room, page)
        .await
        .unwrap()
        .0
        .into_iter()
        .map(|m| (m.author.display_name, m.body))
        .collect()
}

#[tokio::test]
async fn deleting_a_user_keeps_or_erases_their_messages() {
    let db = TestDb::create().await;
    let pool = pool(&db);
    let (alice, _bob, room) = alice_and_bob_talk(&db, &pool).await;
    login(&pool, alice).await;

    // Not on a terminal and no --yes: refused, nothing changed.
    chatctl(&db)
        .args(["user", "delete", "alice", "--messages", "keep"])
        .assert()
        .code(2);
    assert_eq!(bodies(&pool, room).await[0].0, "alice");

    let deleted = stdout_json(chatctl(&db).args([
        "user",
        "delete",
        "alice",
        "--messages",
        "keep",
        "--yes",
        "--json",
    ]));
    assert_eq!(deleted["rooms_left"], 1);
    assert_eq!(deleted["messages_erased"], 0);
    let kept = bodies(&pool, room).await;
    assert_eq!(kept[0], ("Deleted user".into(), Some("hello".into())));
    assert_eq!(kept[1], ("bob".into(), Some("hi alice".into())));
    let client = pool.get().await.unwrap();
    // Her membership is gone (ownership passed to Bob), as are her sessions.
    let members = members::list(&client, room).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user.username, "bob");
    assert_eq!(members[0].role, MemberRole::Owner);
    let sessions: i64 = client
        .query_one(
            "SELECT count(*) FROM sessions WHERE user_id = $1",
            &[&alice],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(sessions, 0);
    // She cannot be found or deleted again; her name is free.
    chatctl(&db)
        .args(["user", "delete", "alice", "--messages", "keep", "-y"])
        .assert()
        .code(3);
    let listed = stdout_json(chatctl(&db).args(["user", "list", "--state", "deleted", "--json"]));
    assert_eq!(listed[0]["username"], format!("~deleted-{alice}"));
    add_user(&db, "alice").await;

    // Erasing: Bob's messages become tombstones, each with an event.
    let before: i64 = client
        .query_one("SELECT latest_seq FROM rooms WHERE id = $1", &[&room])
        .await
        .unwrap()
        .get(0);
    let deleted = stdout_json(chatctl(&db).args([
        "user",
        "delete",
        "bob",
        "--messages",
        "erase",
        "-y",
        "--json",
    ]));
    assert_eq!(deleted["messages_erased"], 1);
    let erased = bodies(&pool, room).await;
    assert_eq!(erased[1], ("Deleted user".into(), None));
    assert_eq!(erased[0].1.as_deref(), Some("hello"));
    let events = chat_store::events::list_after(&client, room, before, 10)
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["member.left", "message.deleted"]);
}

#[tokio::test]
async fn import_is_all_or_nothing_unless_told() {
    let db = TestDb::create().await;
    add_user(&db, "taken").await;
    let dir = std::env::temp_dir().join(format!("chatctl-import-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("users.csv");
    std::fs::write(
        &csv,
        "username,password,display_name,role\n\
         carol,carols password,Carol C,admin\n\
         bad name!,whatever long,,\n\
         dave,short,,\n\
         taken,long enough pw,,\n\
         erin,erins password,,user\n\
         ERIN,erins password,,\n\
         frank,franks password,,superuser\n",
    )
    .unwrap();
    let out = chatctl(&db)
        .args(["user", "import", csv.to_str().unwrap(), "--json"])
        .assert()
        .code(1);
    let report = json(&out.get_output().stdout);
    assert_eq!(report["imported"], false);
    assert_eq!(report["created"], serde_json::json!([]));
    let lines: Vec<i64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 7, 8]);
    assert_eq!(report["rejected"][2]["reason"], "username is taken");
    let all = stdout_json(chatctl(&db).args(["user", "list", "--json"]));
    assert_eq!(all.as_array().unwrap().len(), 1, "nothing half-imported");

    let out = chatctl(&db)
        .args([
            "user",
            "import",
            csv.to_str().unwrap(),
            "--skip-invalid",
            "--json",
        ])
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    let created: Vec<&str> = report["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["username"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["carol", "erin"]);
    let carol = stdout_json(chatctl(&db).args(["user", "show", "carol", "--json"]));
    assert_eq!(carol["role"], "admin");
    assert_eq!(carol["display_name"], "Carol C");

    // JSON lines from stdin, with an existing argon2id hash.
    let hash = chat_store::password::PasswordHasher::new(Default::default())
        .hash("imported secret")
        .await
        .unwrap();
    let lines = format!(
        "{{\"username\":\"gina\",\"password_hash\":\"{hash}\"}}\n\n\
         {{\"username\":\"hank\",\"password\":\"hanks password\"}}\n"
    );
    let report = stdout_json(
        chatctl(&db)
            .args(["user", "import", "-", "--format", "jsonl", "--json"])
            .write_stdin(lines),
    );
    assert_eq!(report["created"].as_array().unwrap().len(), 2);
    chatctl(&db)
        .args(["user", "import", "-", "--format", "jsonl"])
        .write_stdin("{\"username\":\"ivan\",\"password_hash\":\"plain\"}\n")
        .assert()
        .code(1);
    chatctl(&db)
        .args(["user", "import", "users.txt"])
        .assert()
        .code(2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn migrate_status_tells_scripts_whether_work_is_pending() {
    let empty = TestDb::empty().await;
    let out = chatctl(&empty)
        .args(["migrate", "status", "--json"])
        .assert()
        .code(4);
    let status = json(&out.get_output().stdout);
    assert_eq!(status["applied"], serde_json::json!([]));
    assert!(!status["pending"].as_array().unwrap().is_empty());
    let current = TestDb::create().await;
    let status = stdout_json(chatctl(&current).args(["migrate", "status", "--json"]));
    assert_eq!(status["pending"], serde_json::json!([]));
    assert_eq!(
        status["applied"].as_array().unwrap().len() as i64,
        status["latest"].as_i64().unwrap()
    );
}

#[test]
fn help_completions_and_man_pages_are_generated() {
    let mut bin = assert_cmd::Command::cargo_bin("chatctl").unwrap();
    let out = bin.args(["completions", "bash"]).assert().success();
    let script = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        script.contains("chatctl") && script.contains("backup"),
        "{script}"
    );
    let out = assert_cmd::Command::cargo_bin("chatctl")
        .unwrap()
        .arg("man")
        .assert()
        .success();
    let page = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(page.contains(".TH chatctl"), "{page}");
    let dir = std::env::temp_dir().join(format!("chatctl-man-{}", std::process::id()));
    assert_cmd::Command::cargo_bin("chatctl")
        .unwrap()
        .args(["man", "--dir", dir.to_str().unwrap()])
        .assert()
        .success();
    assert!(dir.join("chatctl-user-delete.1").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
    // Every command has help that renders.
    for path in [
        &["user", "delete"][..],
        &["user", "import"],
        &["session", "revoke"],
        &["room", "archive"],
        &["backup"],
        &["restore"],
        &["stats"],
    ] {
        let mut cmd = assert_cmd::Command::cargo_bin("chatctl").unwrap();
        let out = cmd.args(path).arg("--help").assert().success();
        let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(help.contains("Usage: chatctl"), "{help}");
    }
}
