//! chatctl as admins and scripts use it: the real binary against the real
//! PostgreSQL, checking output, JSON and exit codes.

mod accounts;
mod backup;
mod backup_kit;
mod files;
mod moderation;
mod operator;
mod operator_kit;
mod restore;
mod rooms;
mod verify;

use assert_cmd::Command;
use chat_testkit::TestDb;
use serde_json::Value;

fn chatctl(db: &TestDb) -> Command {
    let mut cmd = Command::cargo_bin("chatctl").unwrap();
    cmd.env("DATABASE_URL", &db.url).env_remove("CHATD_CONFIG");
    cmd
}

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(output)
        )
    })
}

#[tokio::test]
async fn migrate_applies_once_and_is_idempotent() {
    let db = TestDb::empty().await;
    let out = chatctl(&db).args(["migrate", "--json"]).assert().success();
    let first = json(&out.get_output().stdout);
    assert_eq!(first["applied"][0]["version"], 1);
    assert!(first["version"].as_i64().unwrap() >= 1);
    let out = chatctl(&db).args(["migrate", "--json"]).assert().success();
    let again = json(&out.get_output().stdout);
    assert_eq!(again["applied"], serde_json::json!([]));
    assert_eq!(again["version"], first["version"]);
}

#[tokio::test]
async fn concurrent_migrators_do_not_trip_over_each_other() {
    let db = TestDb::empty().await;
    let bin = assert_cmd::cargo::cargo_bin("chatctl");
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(&bin)
                .args(["migrate"])
                .env("DATABASE_URL", &db.url)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let client = chat_store::connect_once(&db.url).await.unwrap();
    let applied: i64 = client
        .query_one("SELECT count(*) FROM refinery_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied, i64::from(chat_store::migrate::latest_version()));
}

#[tokio::test]
async fn migrate_can_create_the_database() {
    let holder = TestDb::empty().await;
    // A name that does not exist yet; dropped with its own guard afterwards.
    let name = format!("{}_new", holder.name);
    let url = chat_testkit::url_for(&name);
    let guard = TestDb {
        name: name.clone(),
        url: url.clone(),
    };
    Command::cargo_bin("chatctl")
        .unwrap()
        .args(["--database-url", &url, "migrate", "--create-database"])
        .assert()
        .success();
    let client = chat_store::connect_once(&url).await.unwrap();
    let status = chat_store::migrate::status(&client).await.unwrap();
    assert!(status.is_current());
    drop(client);
    drop(guard);
}

#[tokio::test]
async fn unreachable_databases_fail_with_one_line() {
    let out = Command::cargo_bin("chatctl")
        .unwrap()
        .args([
            "--database-url",
            "postgres://postgres@127.0.0.1:1/none",
            "user",
            "list",
        ])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.starts_with("chatctl: cannot connect to"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(out.get_output().stdout.is_empty());
}

#[tokio::test]
async fn users_are_provisioned_listed_and_disabled() {
    let db = TestDb::create().await;
    let out = chatctl(&db)
        .args([
            "user",
            "add",
            "Root",
            "--password-stdin",
            "--admin",
            "--json",
        ])
        .write_stdin("a long admin password\n")
        .assert()
        .success();
    let created = json(&out.get_output().stdout);
    assert_eq!(created["username"], "root");
    chatctl(&db)
        .args([
            "user",
            "add",
            "bob",
            "--password-stdin",
            "--display-name",
            "Bob B",
        ])
        .write_stdin("bobs password")
        .assert()
        .success()
        .stdout("");
    let out = chatctl(&db)
        .args(["user", "list", "--json"])
        .assert()
        .success();
    let list = json(&out.get_output().stdout);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["username"], "root");
    assert_eq!(list[0]["role"], "admin");
    assert_eq!(list[0]["state"], "active");
    assert_eq!(list[1]["display_name"], "Bob B");
    assert_eq!(list[1]["role"], "user");

    // The stored password is a real argon2id hash of what was given.
    let client = chat_store::connect_once(&db.url).await.unwrap();
    let hash: String = client
        .query_one(
            "SELECT password_hash FROM users WHERE username = 'bob'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let hasher = chat_store::password::PasswordHasher::new(Default::default());
    assert!(hasher.verify("bobs password", Some(&hash)).await.unwrap());

    chatctl(&db)
        .args(["user", "disable", "BOB"])
        .assert()
        .success();
    let out = chatctl(&db)
        .args(["user", "list", "--json"])
        .assert()
        .success();
    assert_eq!(json(&out.get_output().stdout)[1]["state"], "disabled");
    chatctl(&db)
        .args(["user", "enable", "bob"])
        .assert()
        .success();
    let out = chatctl(&db).args(["user", "list"]).assert().success();
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        table.contains("bob") && table.contains("active") && table.contains("admin"),
        "{table}"
    );
}

#[tokio::test]
async fn bad_requests_get_distinct_exit_codes() {
    let db = TestDb::create().await;
    chatctl(&db)
        .args(["user", "add", "alice", "--password-stdin"])
        .write_stdin("long enough\n")
        .assert()
        .success();
    // Taken: a refusal, as the exit codes document.
    let out = chatctl(&db)
        .args(["user", "add", "ALICE", "--password-stdin"])
        .write_stdin("long enough\n")
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.trim(), "chatctl: username alice is taken");
    // Invalid input: a usage error.
    chatctl(&db)
        .args(["user", "add", "a!", "--password-stdin"])
        .write_stdin("long enough\n")
        .assert()
        .code(2);
    chatctl(&db)
        .args(["user", "add", "carol", "--password-stdin"])
        .write_stdin("short\n")
        .assert()
        .code(2);
    // No terminal to prompt on and no --password-stdin.
    chatctl(&db)
        .args(["user", "add", "carol"])
        .write_stdin("")
        .assert()
        .code(2);
    // Unknown user: not found.
    let out = chatctl(&db)
        .args(["user", "disable", "nobody"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(stderr.trim(), "chatctl: no user named nobody");
    chatctl(&db).args(["user", "frobnicate"]).assert().code(2);
    // Nothing was half-created.
    let out = chatctl(&db)
        .args(["user", "list", "--json"])
        .assert()
        .success();
    assert_eq!(json(&out.get_output().stdout).as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn user_commands_refuse_an_unmigrated_database() {
    let db = TestDb::empty().await;
    let out = chatctl(&db).args(["user", "list"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("chatctl migrate"), "{stderr}");
}

#[tokio::test]
async fn a_missing_database_names_the_command_that_creates_it() {
    let holder = TestDb::empty().await;
    let url = chat_testkit::url_for(&format!("{}_absent", holder.name));
    let out = Command::cargo_bin("chatctl")
        .unwrap()
        .args(["--database-url", &url, "user", "list"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(
        stderr.contains("chatctl migrate --create-database"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn help_shows_no_empty_environment_values() {
    let out = Command::cargo_bin("chatctl")
        .unwrap()
        .args(["backup", "--help"])
        .env_remove("CHATD_CONFIG")
        .env_remove("CHATD_DATA_DIR")
        .env(
            "DATABASE_URL",
            "postgres://secret:password@example.org/chat",
        )
        .assert()
        .success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(help.contains("[env: CHATD_CONFIG]"), "{help}");
    assert!(!help.contains("=]") && !help.contains("secret"), "{help}");
}
