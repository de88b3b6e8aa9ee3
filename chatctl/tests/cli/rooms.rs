//! `chatctl room ...` and `chatctl stats`: rooms are changed the way chat
//! changes them (events logged, chatd told), and scripts get JSON.

use std::time::Duration;

use chat_store::{Refusal, StoreError, messages};
use chat_testkit::TestDb;
use futures_util::StreamExt as _;
use serde_json::Value;

use super::{chatctl, json};

async fn connect(db: &TestDb) -> chat_store::Client {
    let pool = chat_store::create_pool(&db.url, &Default::default()).unwrap();
    pool.get().await.unwrap()
}

fn ok_json(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.assert().success();
    json(&out.get_output().stdout)
}

fn add_user(db: &TestDb, name: &str) -> i64 {
    ok_json(
        chatctl(db)
            .args(["user", "add", name, "--password-stdin", "--json"])
            .write_stdin("correct horse battery\n"),
    )["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn rooms_are_created_shown_and_their_members_managed() {
    let db = TestDb::create().await;
    add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let room = ok_json(chatctl(&db).args([
        "room",
        "create",
        "ops",
        "--owner",
        "alice",
        "--private",
        "--topic",
        "on call",
        "--json",
    ]));
    let id = room["id"].as_i64().unwrap().to_string();
    assert_eq!(room["visibility"], "private");

    ok_json(chatctl(&db).args(["room", "add-member", &id, "bob", "--json"]));
    chatctl(&db)
        .args(["room", "add-member", &id, "bob"])
        .assert()
        .code(2);
    chatctl(&db)
        .args(["room", "add-member", &id, "nobody"])
        .assert()
        .code(3);
    chatctl(&db)
        .args(["room", "add-member", "999999", "bob"])
        .assert()
        .code(3);
    ok_json(chatctl(&db).args(["room", "set-role", &id, "bob", "admin", "--json"]));

    let shown = ok_json(chatctl(&db).args(["room", "show", &id, "--json"]));
    assert_eq!(shown["topic"], "on call");
    assert_eq!(shown["members"], 2);
    let roles: Vec<(&str, &str)> = shown["member_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["username"].as_str().unwrap(),
                m["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(roles, [("alice", "owner"), ("bob", "admin")]);

    // Removing asks first; the owner leaving hands the room to Bob.
    chatctl(&db)
        .args(["room", "remove-member", &id, "alice"])
        .assert()
        .code(2);
    ok_json(chatctl(&db).args(["room", "remove-member", &id, "alice", "-y", "--json"]));
    let shown = ok_json(chatctl(&db).args(["room", "show", &id, "--json"]));
    assert_eq!(shown["member_list"][0]["user"]["id"], bob);
    assert_eq!(shown["member_list"][0]["role"], "owner");
    chatctl(&db)
        .args(["room", "set-role", &id, "alice", "member"])
        .assert()
        .code(3);

    // Every change is in the room's log, like a change made in chat.
    let client = connect(&db).await;
    let kinds: Vec<String> = client
        .query(
            "SELECT kind FROM room_events WHERE room_id = $1 ORDER BY seq",
            &[&room["id"].as_i64().unwrap()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        kinds,
        [
            "member.joined",
            "member.joined",
            "member.updated",
            "member.left",
            "member.updated"
        ]
    );

    let list = ok_json(chatctl(&db).args(["room", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["members"], 1);
    let out = chatctl(&db).args(["room", "list"]).assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(table.starts_with("ID") && table.contains("ops"), "{table}");
}

#[tokio::test]
async fn archived_rooms_take_no_messages_and_leave_the_list() {
    let db = TestDb::create().await;
    let alice = add_user(&db, "alice");
    let room = ok_json(chatctl(&db).args(["room", "create", "old", "--owner", "alice", "--json"]));
    let room_id = room["id"].as_i64().unwrap();
    let id = room_id.to_string();
    let client = connect(&db).await;
    let _ = messages::send(&client, room_id, alice, "before", None, None)
        .await
        .unwrap();

    chatctl(&db).args(["room", "archive", &id]).assert().code(2);
    let archived = ok_json(chatctl(&db).args(["room", "archive", &id, "--yes", "--json"]));
    assert_eq!(archived["changed"], true);
    let again = ok_json(chatctl(&db).args(["room", "archive", &id, "--yes", "--json"]));
    assert_eq!(again["changed"], false);

    let refused = messages::send(&client, room_id, alice, "after", None, None).await;
    assert!(
        matches!(refused, Err(StoreError::Refused(Refusal::Archived))),
        "{refused:?}"
    );
    let list = ok_json(chatctl(&db).args(["room", "list", "--json"]));
    assert_eq!(list, serde_json::json!([]));
    let list = ok_json(chatctl(&db).args(["room", "list", "--archived", "--json"]));
    assert_eq!(list[0]["archived"], true);
    assert_eq!(list[0]["messages"], 1);
    let events = chat_store::events::list_after(&client, room_id, 0, 10)
        .await
        .unwrap();
    let last = events.last().unwrap();
    assert!(last.room.as_ref().is_some_and(|r| r.archived), "{last:?}");
    chatctl(&db)
        .args(["room", "add-member", &id, "alice"])
        .assert()
        .code(2);
}

#[tokio::test]
async fn changes_are_announced_to_running_chatd_instances() {
    let db = TestDb::create().await;
    add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let room = ok_json(chatctl(&db).args(["room", "create", "news", "--owner", "alice", "--json"]));
    let room_id = room["id"].as_i64().unwrap();

    // Listen the way chatd does.
    let (client, mut connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(msg)) = stream.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = msg {
                let _ = tx.send(n.payload().to_owned());
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {}", chat_store::notify::CHANNEL))
        .await
        .unwrap();

    chatctl(&db)
        .args(["room", "add-member", &room_id.to_string(), "bob"])
        .assert()
        .success();
    let payload = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a notification")
        .unwrap();
    let hints = chat_store::notify::parse("chatd-under-test", &payload).unwrap();
    assert!(
        hints
            .iter()
            .any(|h| h.room_id == room_id && h.seq == 2 && h.joined == Some(bob)),
        "{payload}"
    );
}

#[tokio::test]
async fn stats_count_what_is_there() {
    let db = TestDb::create().await;
    let alice = add_user(&db, "alice");
    add_user(&db, "bob");
    chatctl(&db)
        .args(["user", "disable", "bob"])
        .assert()
        .success();
    let room = ok_json(chatctl(&db).args(["room", "create", "r", "--owner", "alice", "--json"]));
    let client = connect(&db).await;
    for body in ["one", "two"] {
        let _ = messages::send(
            &client,
            room["id"].as_i64().unwrap(),
            alice,
            body,
            None,
            None,
        )
        .await
        .unwrap();
    }
    let stats = ok_json(chatctl(&db).args(["stats", "--json"]));
    assert_eq!(stats["users"], 2);
    assert_eq!(stats["users_disabled"], 1);
    assert_eq!(stats["rooms"], 1);
    assert_eq!(stats["messages"], 2);
    assert_eq!(stats["events"], 3);
    assert!(stats["database_bytes"].as_i64().unwrap() > 0);
    // This test's own connection is one of those listed.
    assert!(!stats["connections"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn rooms_are_named_by_id_or_name() {
    let db = TestDb::create().await;
    add_user(&db, "alice");
    add_user(&db, "bob");
    let general =
        ok_json(chatctl(&db).args(["room", "create", "general", "--owner", "alice", "--json"]));
    // A public name names one room: a second `general` is a usage error.
    chatctl(&db)
        .args(["room", "create", "GENERAL", "--owner", "bob"])
        .assert()
        .code(2);
    let shown = ok_json(chatctl(&db).args(["room", "show", "General", "--json"]));
    assert_eq!(shown["id"], general["id"]);
    ok_json(chatctl(&db).args(["room", "add-member", "general", "bob", "--json"]));
    let shown = ok_json(chatctl(&db).args(["room", "show", "general", "--json"]));
    assert_eq!(shown["member_list"].as_array().unwrap().len(), 2);
    // Private rooms may share a name; then only the id says which.
    for owner in ["alice", "bob"] {
        ok_json(chatctl(&db).args([
            "room",
            "create",
            "ops",
            "--owner",
            owner,
            "--private",
            "--json",
        ]));
    }
    let ambiguous = chatctl(&db).args(["room", "show", "ops"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&ambiguous.get_output().stderr).into_owned();
    assert!(stderr.contains("give the id"), "{stderr}");
    chatctl(&db)
        .args(["room", "show", "nowhere"])
        .assert()
        .code(3);
}

/// chatctl's set-role and remove-member apply the room's rules as the API
/// does (chat_store::roles), acting as a server admin: an owner's powers.
#[tokio::test]
async fn room_commands_follow_the_rooms_rules() {
    let db = TestDb::create().await;
    add_user(&db, "alice");
    add_user(&db, "bob");
    let room = ok_json(chatctl(&db).args(["room", "create", "ops", "--owner", "alice", "--json"]));
    let id = room["id"].as_i64().unwrap().to_string();
    ok_json(chatctl(&db).args(["room", "add-member", &id, "bob", "--json"]));
    let roles = |shown: &Value| -> Vec<(String, String)> {
        let mut roles: Vec<(String, String)> = shown["member_list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["user"]["username"].as_str().unwrap().to_owned(),
                    m["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        roles.sort();
        roles
    };

    // The last owner is not demoted without a successor.
    let out = chatctl(&db)
        .args(["room", "set-role", &id, "alice", "member"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("last owner"), "{stderr}");

    // Making someone owner hands the room over: the old owner is an admin.
    let changed = ok_json(chatctl(&db).args(["room", "set-role", &id, "bob", "owner", "--json"]));
    assert_eq!(changed["role"], "owner");
    let shown = ok_json(chatctl(&db).args(["room", "show", &id, "--json"]));
    assert_eq!(
        roles(&shown),
        [
            ("alice".into(), "admin".into()),
            ("bob".into(), "owner".into())
        ]
    );

    // Both changes are logged as member.updated, by no user (the server).
    let client = connect(&db).await;
    let events = chat_store::events::list_after(&client, room["id"].as_i64().unwrap(), 0, 100)
        .await
        .unwrap();
    let updates: Vec<(String, Option<chat_wire::MemberRole>, bool)> = events
        .iter()
        .filter(|e| e.kind == chat_wire::EventType::MemberUpdated)
        .map(|e| {
            (
                e.user.as_ref().unwrap().username.clone(),
                e.role,
                e.by.is_some(),
            )
        })
        .collect();
    assert_eq!(
        updates,
        [
            ("bob".into(), Some(chat_wire::MemberRole::Owner), false),
            ("alice".into(), Some(chat_wire::MemberRole::Admin), false),
        ]
    );

    // A server admin may remove the owner; the admin inherits the room.
    ok_json(chatctl(&db).args(["room", "remove-member", &id, "bob", "-y", "--json"]));
    let shown = ok_json(chatctl(&db).args(["room", "show", &id, "--json"]));
    assert_eq!(roles(&shown), [("alice".into(), "owner".into())]);
}

/// `room ban`, `room bans` and `room unban`: the API's bans, logged and
/// kept the same way.
#[tokio::test]
async fn bans_keep_a_user_out_until_lifted() {
    let db = TestDb::create().await;
    add_user(&db, "alice");
    add_user(&db, "bob");
    let room = ok_json(chatctl(&db).args(["room", "create", "ops", "--owner", "alice", "--json"]));
    let id = room["id"].as_i64().unwrap().to_string();
    ok_json(chatctl(&db).args(["room", "add-member", &id, "bob", "--json"]));

    // Asks first; then bob is removed (member.left) and kept out.
    chatctl(&db)
        .args(["room", "ban", &id, "bob"])
        .assert()
        .code(2);
    ok_json(chatctl(&db).args([
        "room", "ban", &id, "bob", "--reason", "spam", "-y", "--json",
    ]));
    let shown = ok_json(chatctl(&db).args(["room", "show", &id, "--json"]));
    assert_eq!(shown["members"], 1);
    let out = chatctl(&db)
        .args(["room", "add-member", &id, "bob"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("banned"), "{stderr}");
    let bans = ok_json(chatctl(&db).args(["room", "bans", &id, "--json"]));
    assert_eq!(bans[0]["user"]["username"], "bob");
    assert_eq!(bans[0]["reason"], "spam");
    assert_eq!(bans[0]["by"], Value::Null);

    ok_json(chatctl(&db).args(["room", "unban", &id, "bob", "--json"]));
    chatctl(&db)
        .args(["room", "unban", &id, "bob"])
        .assert()
        .code(3);
    ok_json(chatctl(&db).args(["room", "add-member", &id, "bob", "--json"]));
    let bans = ok_json(chatctl(&db).args(["room", "bans", &id, "--json"]));
    assert_eq!(bans, serde_json::json!([]));
}
