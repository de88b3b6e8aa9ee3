//! `chatctl backup`, `backup verify` and `restore`: the real binary with
//! the real pg_dump, pg_restore and PostgreSQL. Every test has databases
//! and a scratch directory of its own, so they run in parallel.
//!
//! Only `verify_passes_a_good_backup_and_catches_corrupted_ones` runs
//! verifications (`backup verify`, `backup --verify`; files.rs's through
//! it), so it can check that none of them leaves a scratch database behind.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use chat_store::users::{AccountRole, NewUser};
use chat_store::{PoolOptions, members, messages, rooms, sessions, users};
use chat_testkit::TestDb;
use chat_wire::{MemberRole, Visibility};
use serde_json::Value;

use super::{chatctl, json};

/// chatctl on `db`, with pg_dump and pg_restore found the default way.
fn ctl(db: &TestDb) -> Command {
    let mut cmd = chatctl(db);
    cmd.env_remove("CHATCTL_PG_BINDIR");
    cmd
}

fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

/// A directory of the test's own under the system temp dir, removed on drop.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "chatctl-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The names in the directory, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A database name of the test's own that does not exist yet (restore
/// creates it); dropped with the guard.
fn fresh_database(holder: &TestDb, suffix: &str) -> TestDb {
    let name = format!("{}_{suffix}", holder.name);
    TestDb {
        url: chat_testkit::url_for(&name),
        name,
    }
}

fn pool(url: &str) -> chat_store::Pool {
    let options = PoolOptions {
        max_size: 1,
        ..Default::default()
    };
    chat_store::create_pool(url, &options).unwrap()
}

async fn add_user(client: &chat_store::Client, username: &str) -> i64 {
    let new = NewUser {
        username,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        display_name: username,
        role: AccountRole::User,
    };
    users::create(client, &new).await.unwrap().id
}

/// What [`seed`] made.
struct Fixture {
    /// alice, bob, carol.
    users: Vec<i64>,
    /// "general" (all three, public) and "ops" (bob and carol, private).
    rooms: Vec<i64>,
    messages: i64,
}

/// A little of everything: users, a session, two rooms with members,
/// messages (one a reply, one with a client_id).
async fn seed(db: &TestDb) -> Fixture {
    let pool = pool(&db.url);
    let mut client = pool.get().await.unwrap();
    let mut ids = Vec::new();
    for name in ["alice", "bob", "carol"] {
        ids.push(add_user(&client, name).await);
    }
    sessions::create(
        &client,
        ids[0],
        &sessions::hash_token("alice's token"),
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    let general = rooms::create(&mut client, ids[0], "general", Visibility::Public, "all")
        .await
        .unwrap()
        .0
        .id;
    let ops = rooms::create(&mut client, ids[1], "ops", Visibility::Private, "")
        .await
        .unwrap()
        .0
        .id;
    let _ = members::add(&mut client, general, ids[1], MemberRole::Member)
        .await
        .unwrap();
    let _ = members::add(&mut client, general, ids[2], MemberRole::Admin)
        .await
        .unwrap();
    let _ = members::add(&mut client, ops, ids[2], MemberRole::Member)
        .await
        .unwrap();
    let first = messages::send(&client, general, ids[0], "hello", None, None)
        .await
        .unwrap()
        .message()
        .id;
    let _ = messages::send(
        &client,
        general,
        ids[1],
        "ünïcödé ✓, 'quotes'",
        None,
        Some(first),
    )
    .await
    .unwrap();
    let _ = messages::send(&client, ops, ids[2], "private", Some("c-1"), None)
        .await
        .unwrap();
    Fixture {
        users: ids,
        rooms: vec![general, ops],
        messages: 3,
    }
}

async fn count(url: &str, table: &str) -> i64 {
    let client = chat_store::connect_once(url).await.unwrap();
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// Each room's event counter.
async fn latest_seqs(url: &str) -> BTreeMap<i64, i64> {
    let client = chat_store::connect_once(url).await.unwrap();
    client
        .query("SELECT id, latest_seq FROM rooms", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// md5 checksums of every table's content (each row as text, in key
/// order), and the number of messages and events counted. Messages and
/// events only up to each room's `cut` seq, and rooms without their
/// counter: the source keeps growing after the snapshot.
async fn checksums(url: &str, cut: &BTreeMap<i64, i64>) -> BTreeMap<&'static str, String> {
    const QUERIES: [(&str, &str); 8] = [
        (
            "users",
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM users t",
        ),
        (
            "sessions",
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM sessions t",
        ),
        (
            "rooms",
            "SELECT md5(coalesce(string_agg((t.id, t.kind, t.name, t.topic, t.visibility, \
             t.dm_low, t.dm_high, t.archived_at, t.created_at)::text, E'\\n' ORDER BY t.id), '')) \
             FROM rooms t",
        ),
        (
            "memberships",
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' \
             ORDER BY t.room_id, t.user_id), '')) FROM memberships t",
        ),
        (
            "messages",
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.room_id, t.seq), '')) \
             FROM messages t JOIN unnest($1::bigint[], $2::bigint[]) AS c(room_id, seq) \
               ON c.room_id = t.room_id AND t.seq <= c.seq",
        ),
        (
            "messages rows",
            "SELECT count(*)::text FROM messages t \
             JOIN unnest($1::bigint[], $2::bigint[]) AS c(room_id, seq) \
               ON c.room_id = t.room_id AND t.seq <= c.seq",
        ),
        (
            "room_events",
            "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.room_id, t.seq), '')) \
             FROM room_events t JOIN unnest($1::bigint[], $2::bigint[]) AS c(room_id, seq) \
               ON c.room_id = t.room_id AND t.seq <= c.seq",
        ),
        (
            "room_events rows",
            "SELECT count(*)::text FROM room_events t \
             JOIN unnest($1::bigint[], $2::bigint[]) AS c(room_id, seq) \
               ON c.room_id = t.room_id AND t.seq <= c.seq",
        ),
    ];
    let client = chat_store::connect_once(url).await.unwrap();
    let (rooms, seqs): (Vec<i64>, Vec<i64>) = cut.iter().map(|(r, s)| (*r, *s)).unzip();
    let mut sums = BTreeMap::new();
    for (name, sql) in QUERIES {
        let row = if sql.contains("$1") {
            client.query_one(sql, &[&rooms, &seqs]).await
        } else {
            client.query_one(sql, &[]).await
        };
        sums.insert(name, row.unwrap().get::<_, String>(0));
    }
    sums
}

/// The whole content of a database, as [`checksums`] sees it.
async fn fingerprint(url: &str) -> BTreeMap<&'static str, String> {
    checksums(url, &latest_seqs(url).await).await
}

/// The verification scratch databases that exist now.
async fn scratch_databases() -> Vec<String> {
    let admin = chat_store::connect_once(&chat_testkit::admin_url())
        .await
        .unwrap();
    admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'chatctl\\_verify\\_%' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The archive's entries: name, data offset in the file, size.
fn entries(file: &Path) -> Vec<(String, usize, usize)> {
    let mut archive = tar::Archive::new(std::fs::File::open(file).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                e.raw_file_position() as usize,
                e.size() as usize,
            )
        })
        .collect()
}

/// Copies a backup with its manifest edited.
fn with_manifest(src: &Path, dest: &Path, edit: impl Fn(&mut Value)) {
    let mut archive = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(dest).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if path == Path::new("manifest.json") {
            let mut manifest = json(&data);
            edit(&mut manifest);
            data = serde_json::to_vec_pretty(&manifest).unwrap();
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        builder
            .append_data(&mut header, &path, data.as_slice())
            .unwrap();
    }
    builder.finish().unwrap();
}

/// Copies a backup with one byte in the middle of its database dump
/// flipped: the tar structure and the manifest stay intact.
fn with_flipped_dump_byte(src: &Path, dest: &Path) {
    let (_, offset, size) = entries(src)
        .into_iter()
        .find(|(name, ..)| name == "database.dump")
        .unwrap();
    let mut bytes = std::fs::read(src).unwrap();
    bytes[offset + size / 2] ^= 0x55;
    std::fs::write(dest, bytes).unwrap();
}

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
async fn verify_passes_a_good_backup_and_catches_corrupted_ones() {
    let scratch_before = scratch_databases().await;
    let db = TestDb::create().await;
    seed(&db).await;
    let scratch = Scratch::new("verify");
    let good = scratch.path("good.chatbak");

    // `backup --verify` verifies the new file before it reports.
    let out = ctl(&db)
        .args(["backup", "--verify", "--json"])
        .arg(&good)
        .assert()
        .success();
    let taken = json(&out.get_output().stdout);
    assert_eq!(taken["verification"]["ok"], true, "{taken}");
    assert_eq!(scratch_databases().await, scratch_before);

    // The layout the module documents: the manifest, then pg_dump's
    // custom format.
    let layout = entries(&good);
    let names: Vec<&str> = layout.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(names, ["manifest.json", "database.dump"]);
    let bytes = std::fs::read(&good).unwrap();
    assert_eq!(&bytes[layout[1].1..layout[1].1 + 5], b"PGDMP");
    assert_eq!(
        taken["manifest"]["dump"]["bytes"].as_u64(),
        Some(layout[1].2 as u64)
    );

    let out = ctl(&db)
        .args(["backup", "verify", "--json"])
        .arg(&good)
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    assert_eq!(report["ok"], true, "{report}");
    let checks = report["checks"].as_array().unwrap();
    for name in ["checksum", "restore", "rows in messages", "event log"] {
        let check = checks.iter().find(|c| c["name"] == name);
        assert_eq!(check.map(|c| &c["ok"]), Some(&Value::Bool(true)), "{name}");
    }
    assert!(checks.iter().all(|c| c["ok"] == true), "{report}");
    assert_eq!(scratch_databases().await, scratch_before);

    // Every kind of damage: exit 1, ok false, a failed check, nothing left.
    let flipped = scratch.path("flipped.chatbak");
    with_flipped_dump_byte(&good, &flipped);
    let truncated = scratch.path("truncated.chatbak");
    std::fs::write(&truncated, &bytes[..layout[1].1 + layout[1].2 / 2]).unwrap();
    let lying = scratch.path("lying.chatbak");
    with_manifest(&good, &lying, |m| {
        let n = m["counts"]["messages"].as_i64().unwrap();
        m["counts"]["messages"] = (n + 1).into();
    });
    let garbage = scratch.path("garbage.chatbak");
    std::fs::write(&garbage, "not a backup\n").unwrap();
    for (file, failed_check, why) in [
        (&flipped, "restore", "corrupted"),
        (&truncated, "restore", "corrupted"),
        (&lying, "rows in messages", "manifest"),
        (&garbage, "restore", "not a readable chat backup"),
    ] {
        let out = ctl(&db)
            .args(["backup", "verify", "--json"])
            .arg(file)
            .assert()
            .code(1);
        let report = json(&out.get_output().stdout);
        assert_eq!(report["ok"], false, "{}: {report}", file.display());
        let failed: Vec<&Value> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false)
            .collect();
        assert!(
            failed
                .iter()
                .any(|c| c["name"] == failed_check && c["detail"].as_str().unwrap().contains(why)),
            "{}: {report}",
            file.display()
        );
        let stderr = stderr_of(&out);
        assert!(stderr.contains("failed verification"), "{stderr}");
        assert_eq!(scratch_databases().await, scratch_before);
    }
    // The lying manifest's dump itself was fine: only the count is off.
    let out = ctl(&db)
        .args(["backup", "verify", "--json"])
        .arg(&lying)
        .assert()
        .code(1);
    let report = json(&out.get_output().stdout);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["rows in messages"], "{report}");

    // Without --json: a table on stdout, the verdict on stderr.
    let out = ctl(&db)
        .args(["backup", "verify"])
        .arg(&flipped)
        .assert()
        .code(1);
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(table.contains("FAILED"), "{table}");
    // Uploaded files in backups: verified here, with the other verifications.
    super::files::backups_carry_the_files_verify_checks_them_and_restore_puts_them_back().await;
    assert_eq!(scratch_databases().await, scratch_before);
}

#[tokio::test]
async fn restore_refuses_a_database_with_data_unless_forced_and_confirmed() {
    let source = TestDb::create().await;
    seed(&source).await;
    let scratch = Scratch::new("restore");
    let file = scratch.path("source.chatbak");
    ctl(&source)
        .arg("backup")
        .arg(&file)
        .assert()
        .success()
        .stdout("");

    // A migrated database with an account in it.
    let target = TestDb::create().await;
    {
        let pool = pool(&target.url);
        add_user(&pool.get().await.unwrap(), "precious").await;
    }
    let before = fingerprint(&target.url).await;

    let out = ctl(&target).arg("restore").arg(&file).assert().code(2);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert!(out.get_output().stdout.is_empty());
    assert_eq!(fingerprint(&target.url).await, before);

    // --force asks first; "yes" piped in is not a person at a terminal.
    let out = ctl(&target)
        .args(["restore", "--force"])
        .arg(&file)
        .write_stdin("yes\n")
        .assert()
        .code(2);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("without --yes"), "{stderr}");
    assert_eq!(fingerprint(&target.url).await, before);

    // A corrupted backup never costs the data it was to replace.
    let corrupted = scratch.path("corrupted.chatbak");
    with_flipped_dump_byte(&file, &corrupted);
    let out = ctl(&target)
        .args(["restore", "--force", "-y"])
        .arg(&corrupted)
        .assert()
        .code(1);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("corrupted"), "{stderr}");
    assert_eq!(fingerprint(&target.url).await, before);

    // Confirmed: everything is replaced by the backup's content.
    let out = ctl(&target)
        .args(["restore", "--force", "-y", "--json"])
        .arg(&file)
        .assert()
        .success();
    let restored = json(&out.get_output().stdout);
    assert_eq!(restored["counts"]["users"], 3);
    assert_eq!(restored["counts"]["messages"], 3);
    let after = fingerprint(&target.url).await;
    assert_ne!(after, before);
    assert_eq!(after, fingerprint(&source.url).await);
    let client = chat_store::connect_once(&target.url).await.unwrap();
    let precious: i64 = client
        .query_one(
            "SELECT count(*) FROM users WHERE username = 'precious'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(precious, 0);
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
