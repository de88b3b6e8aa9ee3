//! `chatctl report ...` and `chatctl audit list`: reports read and
//! resolved from the shell with JSON and honest exit codes, and every
//! administrative command of chatctl's in the audit log.

use chat_store::{messages, reports};
use chat_testkit::TestDb;
use serde_json::{Value, json};

use super::{chatctl, json};

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

async fn connect(db: &TestDb) -> chat_store::Client {
    let pool = chat_store::create_pool(&db.url, &Default::default()).unwrap();
    pool.get().await.unwrap()
}

/// A room owned by alice with bob in it, a message of alice's, and bob's
/// report of it: (room id, message id, report id).
async fn reported(db: &TestDb, text: &str) -> (i64, i64, i64) {
    let alice = add_user(db, "alice");
    let bob = add_user(db, "bob");
    let room = ok_json(chatctl(db).args(["room", "create", "lobby", "--owner", "alice", "--json"]));
    let room_id = room["id"].as_i64().unwrap();
    ok_json(chatctl(db).args(["room", "add-member", &room_id.to_string(), "bob", "--json"]));
    let client = connect(db).await;
    let _ = messages::send(&client, room_id, alice, text, None, None)
        .await
        .unwrap();
    let message_id: i64 = client
        .query_one("SELECT id FROM messages WHERE body = $1", &[&text])
        .await
        .unwrap()
        .get(0);
    let report = reports::create(&client, bob, message_id, "rude")
        .await
        .unwrap();
    (room_id, message_id, report)
}

#[tokio::test]
async fn reports_are_listed_shown_and_resolved() {
    let db = TestDb::create().await;
    let (room_id, message_id, id) = reported(&db, "you are all fools").await;
    let id_arg = id.to_string();

    let open = ok_json(chatctl(&db).args(["report", "list", "--json"]));
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["id"], id);
    assert_eq!(open[0]["reporter"]["username"], "bob");
    assert_eq!(open[0]["message"]["body"], "you are all fools");

    let out = chatctl(&db)
        .args(["report", "show", &id_arg])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("you are all fools") && text.contains("reason: rude"),
        "{text}"
    );
    chatctl(&db)
        .args(["report", "show", "999999"])
        .assert()
        .code(3);

    let done = ok_json(chatctl(&db).args([
        "report",
        "resolve",
        &id_arg,
        "--note",
        "deleted it",
        "--delete-message",
        "--json",
    ]));
    assert_eq!(done["resolution"]["by"], "chatctl");
    assert_eq!(done["resolution"]["note"], "deleted it");
    assert_eq!(done["message"]["deleted"], true);
    assert_eq!(done["message"]["body"], "");
    // Resolving twice is a refusal; an unknown report is "not found".
    chatctl(&db)
        .args(["report", "resolve", &id_arg])
        .assert()
        .code(2);
    chatctl(&db)
        .args(["report", "resolve", "999999"])
        .assert()
        .code(3);

    let open = ok_json(chatctl(&db).args(["report", "list", "--json"]));
    assert_eq!(open, json!([]));
    let all = ok_json(chatctl(&db).args(["report", "list", "--status", "all", "--json"]));
    assert_eq!(all[0]["id"], id);

    let client = connect(&db).await;
    let deleted: bool = client
        .query_one(
            "SELECT deleted_at IS NOT NULL FROM messages WHERE room_id = $1 AND id = $2",
            &[&room_id, &message_id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(deleted);
}

#[tokio::test]
async fn chatctl_commands_are_audited_and_listed() {
    let db = TestDb::create().await;
    let (room_id, _, id) = reported(&db, "hello").await;
    let room = room_id.to_string();
    ok_json(chatctl(&db).args(["user", "role", "bob", "admin", "--json"]));
    chatctl(&db)
        .args(["user", "disable", "bob"])
        .assert()
        .success();
    chatctl(&db)
        .args(["room", "ban", &room, "bob", "--reason", "spam", "--yes"])
        .assert()
        .success();
    chatctl(&db)
        .args(["room", "unban", &room, "bob"])
        .assert()
        .success();
    chatctl(&db)
        .args(["report", "resolve", &id.to_string(), "--note", "fine"])
        .assert()
        .success();
    // A refused command leaves no record.
    chatctl(&db)
        .args(["user", "role", "nobody", "admin"])
        .assert()
        .code(3);

    let log = ok_json(chatctl(&db).args(["audit", "list", "--json"]));
    let actions: Vec<(&str, &str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["actor_name"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["target"].as_str().unwrap(),
            )
        })
        .collect();
    let in_room = format!("room:{room_id} user:bob");
    let report_target = format!("report:{id} room:{room_id}");
    assert_eq!(
        actions[..3],
        [
            ("chatctl", "user.add", "user:alice"),
            ("chatctl", "user.add", "user:bob"),
            ("chatctl", "room.create", &*format!("room:{room_id}")),
        ]
    );
    assert_eq!(
        actions[3..7],
        [
            ("chatctl", "room.add_member", &*in_room),
            ("chatctl", "user.role", "user:bob"),
            ("chatctl", "user.disable", "user:bob"),
            ("chatctl", "room.ban", &*in_room),
        ]
    );
    assert_eq!(actions[7], ("chatctl", "room.unban", &*in_room));
    assert_eq!(actions[8].1, "report.resolve");
    assert!(actions[8].2.starts_with(&report_target), "{:?}", actions[8]);
    assert_eq!(actions.len(), 9);
    assert_eq!(
        log[6]["details"],
        json!({ "reason": "spam", "was_member": true })
    );

    let by_nobody = ok_json(chatctl(&db).args(["audit", "list", "--actor", "alice", "--json"]));
    assert_eq!(by_nobody, json!([]));
    let future = ok_json(chatctl(&db).args(["audit", "list", "--since", "2999-01-01", "--json"]));
    assert_eq!(future, json!([]));
    let recent = ok_json(chatctl(&db).args([
        "audit", "list", "--since", "1h", "--actor", "CHATCTL", "--limit", "2", "--json",
    ]));
    let last: Vec<&str> = recent
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(last, ["room.unban", "report.resolve"]);
    chatctl(&db)
        .args(["audit", "list", "--since", "last tuesday"])
        .assert()
        .code(2);
    chatctl(&db)
        .args(["session", "revoke", "alice", "--all"])
        .assert()
        .success();
    let last = ok_json(chatctl(&db).args(["audit", "list", "--limit", "1", "--json"]));
    assert_eq!(last[0]["action"], "session.revoke");
    assert_eq!(last[0]["target"], "user:alice");

    let out = chatctl(&db).args(["audit", "list"]).assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        table.starts_with("ID") && table.contains("room.ban"),
        "{table}"
    );
}
