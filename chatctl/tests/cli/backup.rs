//! `chatctl backup` (and the restore of a backup taken under load): the
//! real binary with the real pg_dump, pg_restore and PostgreSQL. Every
//! test has databases and a scratch directory of its own, so they run in
//! parallel. Verification is in verify.rs, refusals to restore in
//! restore.rs; what they share in backup_kit.rs.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chat_store::messages;
use chat_testkit::TestDb;

use super::backup_kit::{
    Scratch, checksums, count, ctl, entries, fingerprint, fresh_database, latest_seqs, pool, seed,
    stderr_of,
};
use super::json;

async fn wait_for(counter: &AtomicU64, at_least: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::SeqCst) < at_least {
        assert!(Instant::now() < deadline, "the writer stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_to_an_identical_database() {
    let source = TestDb::create().await;
    let fixture = seed(&source).await;
    let scratch = Scratch::new("load");
    let file = scratch.path("under-load.chatbak");

    // A writer on its own connection, sending into both rooms (some
    // replies, some with client_ids) until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let writer = {
        let (url, stop, sent) = (source.url.clone(), stop.clone(), sent.clone());
        let (users, rooms) = (fixture.users.clone(), fixture.rooms.clone());
        tokio::spawn(async move {
            let pool = pool(&url);
            let client = pool.get().await.unwrap();
            let mut last: BTreeMap<i64, i64> = BTreeMap::new();
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let (room, author) = if i % 3 == 2 {
                    (rooms[1], users[1 + i % 2])
                } else {
                    (rooms[0], users[i % 3])
                };
                let body = format!("load {i} {}", "x".repeat(i % 40));
                let client_id = i.is_multiple_of(2).then(|| format!("w-{i}"));
                let reply_to = last.get(&room).copied().filter(|_| i.is_multiple_of(4));
                let m =
                    messages::send(&client, room, author, &body, client_id.as_deref(), reply_to)
                        .await
                        .unwrap()
                        .message()
                        .clone();
                last.insert(room, m.id);
                sent.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        })
    };

    wait_for(&sent, 30).await;
    let sent_before = sent.load(Ordering::SeqCst);
    let mut cmd = ctl(&source);
    cmd.args(["backup", "--json"]).arg(&file);
    let output = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let sent_after = sent.load(Ordering::SeqCst);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    wait_for(&sent, sent_after + 30).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();

    let report = json(&output.stdout);
    assert_eq!(report["file"], file.to_str().unwrap());
    let manifest = &report["manifest"];
    let counts: BTreeMap<String, i64> = serde_json::from_value(manifest["counts"].clone()).unwrap();
    let in_backup = counts["messages"];
    let now = count(&source.url, "messages").await;
    eprintln!(
        "seeded {}, writer at {sent_before} when the backup started and {sent_after} when it \
         ended; {in_backup} messages in the backup, {now} in the source at the end",
        fixture.messages
    );
    // Under write load: the writer's rows are in the snapshot, it kept
    // committing while the backup ran, and went on afterwards.
    assert!(
        in_backup >= fixture.messages + 30,
        "{in_backup} messages in the backup"
    );
    assert!(
        sent_after > sent_before,
        "nothing was written during the backup"
    );
    assert!(
        now > in_backup,
        "{now} messages now, {in_backup} in the backup"
    );
    assert_eq!(counts["users"], 3);
    assert_eq!(counts["sessions"], 1);
    assert_eq!(counts["rooms"], 2);
    assert_eq!(counts["memberships"], 5);

    // Into a database that does not exist yet: restore creates it.
    let target = fresh_database(&source, "restored");
    let out = ctl(&target)
        .args(["restore", "--json"])
        .arg(&file)
        .assert()
        .success();
    let restored = json(&out.get_output().stdout);
    assert_eq!(restored["counts"], manifest["counts"]);
    assert_eq!(restored["database"], target.name.as_str());
    for (table, n) in &counts {
        assert_eq!(count(&target.url, table).await, *n, "rows in {table}");
    }

    // The source up to the restored rooms' counters is exactly what was
    // restored, row for row, and holds exactly the manifest's messages: the
    // snapshot is a prefix of each room's history, without holes.
    let cut = latest_seqs(&target.url).await;
    assert_eq!(cut.len(), 2);
    let restored_sums = checksums(&target.url, &cut).await;
    let source_sums = checksums(&source.url, &cut).await;
    assert_eq!(restored_sums, source_sums);
    assert_eq!(restored_sums["messages rows"], in_backup.to_string());
    assert_eq!(
        restored_sums["room_events rows"],
        counts["room_events"].to_string()
    );
    // ... and the source has moved on past the cut.
    assert_ne!(fingerprint(&source.url).await, restored_sums);

    // The restored database is chat's current schema, ready for chatd.
    ctl(&target).args(["migrate", "status"]).assert().success();
}

#[tokio::test]
async fn keep_leaves_the_newest_backups_in_a_directory() {
    let db = TestDb::create().await;
    seed(&db).await;
    let scratch = Scratch::new("keep");
    let old = [
        "chat-20200101T000000Z.chatbak",
        "chat-20200102T000000Z.chatbak",
        "chat-20200103T000000Z.chatbak",
    ];
    let others = ["notes.txt", "weekly-20190101T000000Z.chatbak"];
    for name in old.iter().chain(&others) {
        std::fs::write(scratch.path(name), "an older file\n").unwrap();
    }

    let out = ctl(&db)
        .args(["backup", "--keep", "2", "--json"])
        .arg(&scratch.dir)
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    let new = PathBuf::from(report["file"].as_str().unwrap());
    assert_eq!(new.parent(), Some(scratch.dir.as_path()));
    let new_name = new.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        new_name.starts_with("chat-20") && new_name.ends_with("Z.chatbak") && new_name.len() == 29,
        "{new_name}"
    );
    assert!(!old.contains(&new_name.as_str()));
    let removed: Vec<PathBuf> = serde_json::from_value(report["removed"].clone()).unwrap();
    assert_eq!(removed, [scratch.path(old[0]), scratch.path(old[1])]);
    let mut expected = vec![old[2].to_owned(), new_name.clone()];
    expected.extend(others.iter().map(|s| s.to_string()));
    expected.sort();
    assert_eq!(scratch.names(), expected);
    // The new file is a complete backup.
    let names: Vec<String> = entries(&new).into_iter().map(|e| e.0).collect();
    assert_eq!(names, ["manifest.json", "database.dump"]);

    // --keep rotates a directory only, and keeps at least one.
    let single = scratch.path("single.chatbak");
    ctl(&db)
        .args(["backup", "--keep", "2"])
        .arg(&single)
        .assert()
        .code(2);
    ctl(&db)
        .args(["backup", "--keep", "0"])
        .arg(&scratch.dir)
        .assert()
        .code(2);
    assert_eq!(scratch.names(), expected);
}

#[tokio::test]
async fn backup_never_overwrites_and_is_readable_by_its_owner_only() {
    let db = TestDb::create().await;
    seed(&db).await;
    let scratch = Scratch::new("overwrite");
    let taken = scratch.path("taken.chatbak");
    std::fs::write(&taken, "precious bytes").unwrap();
    let out = ctl(&db).arg("backup").arg(&taken).assert().code(2);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("never overwrites"), "{stderr}");
    assert_eq!(std::fs::read(&taken).unwrap(), b"precious bytes");

    let file = scratch.path("new.chatbak");
    ctl(&db)
        .arg("backup")
        .arg(&file)
        .assert()
        .success()
        .stdout("");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    // No temporary files left beside it.
    assert_eq!(scratch.names(), ["new.chatbak", "taken.chatbak"]);

    // Not even its own earlier backup.
    let first = std::fs::read(&file).unwrap();
    ctl(&db).arg("backup").arg(&file).assert().code(2);
    assert_eq!(std::fs::read(&file).unwrap(), first);
    assert_eq!(scratch.names(), ["new.chatbak", "taken.chatbak"]);
}

#[tokio::test]
async fn a_target_that_is_neither_a_directory_nor_a_new_backup_file_is_refused() {
    let db = TestDb::create().await;
    let scratch = Scratch::new("target");
    // A typo of a directory: nothing named like it is written.
    let typo = scratch.path("backpus");
    let out = ctl(&db).arg("backup").arg(&typo).assert().code(2);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("existing directory"), "{stderr}");
    // Inside a directory that does not exist.
    let out = ctl(&db)
        .arg("backup")
        .arg(scratch.path("no/such/dir"))
        .assert()
        .code(2);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("is not a directory"), "{stderr}");
    let out = ctl(&db)
        .arg("backup")
        .arg(scratch.path("missing/x.chatbak"))
        .assert()
        .code(2);
    assert!(stderr_of(&out).contains("is not a directory"));
    assert!(scratch.names().is_empty(), "{:?}", scratch.names());
}

#[tokio::test]
async fn stats_and_backups_count_messages_alike() {
    let db = TestDb::create().await;
    let fixture = seed(&db).await;
    let pool = pool(&db.url);
    let mut client = pool.get().await.unwrap();
    let (room, author) = (fixture.rooms[0], fixture.users[0]);
    let first: i64 = client
        .query_one(
            "SELECT id FROM messages WHERE room_id = $1 ORDER BY seq LIMIT 1",
            &[&room],
        )
        .await
        .unwrap()
        .get(0);
    let _ = messages::delete(&mut client, room, first, author, false)
        .await
        .unwrap();
    let stats = json(&ctl(&db).args(["stats", "--json"]).output().unwrap().stdout);
    assert_eq!(stats["messages"], fixture.messages);
    assert_eq!(stats["messages_deleted"], 1);
    let scratch = Scratch::new("counts");
    let out = ctl(&db)
        .args(["backup", "--json"])
        .arg(scratch.path("b.chatbak"))
        .assert()
        .success();
    let taken = json(&out.get_output().stdout);
    assert_eq!(taken["manifest"]["counts"]["messages"], stats["messages"]);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!("{} messages", fixture.messages)),
        "{stderr}"
    );
}

#[tokio::test]
async fn missing_or_old_postgres_tools_are_one_clear_line() {
    let db = TestDb::create().await;
    let scratch = Scratch::new("tools");
    let file = scratch.path("never.chatbak");
    let out = ctl(&db)
        .args(["backup", "--pg-bindir", "/nonexistent"])
        .arg(&file)
        .assert()
        .code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with("chatctl: pg_dump not found;") && stderr.contains("--pg-bindir"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(out.get_output().stdout.is_empty());
    assert!(scratch.names().is_empty(), "{:?}", scratch.names());

    // A pg_dump older than the server is named with its version.
    let bin = scratch.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("pg_dump");
    std::fs::write(&fake, "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = ctl(&db)
        .args(["backup", "--pg-bindir"])
        .arg(&bin)
        .arg(&file)
        .assert()
        .code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("pg_dump 9.6.24") && stderr.contains("older than the server"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(scratch.names(), ["bin"]);

    // The same for pg_restore, and the target stays empty.
    ctl(&db).arg("backup").arg(&file).assert().success();
    let target = TestDb::empty().await;
    let out = ctl(&target)
        .args(["restore", "--pg-bindir", "/nonexistent"])
        .arg(&file)
        .assert()
        .code(1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.starts_with("chatctl: pg_restore not found;"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let client = chat_store::connect_once(&target.url).await.unwrap();
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
}
