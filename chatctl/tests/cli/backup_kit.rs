//! What the backup, verify and restore tests share: chatctl without a
//! pinned PostgreSQL bindir, scratch directories, a seeded database, and
//! ways to compare databases and to damage archives.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use chat_store::users::{AccountRole, NewUser};
use chat_store::{PoolOptions, members, messages, rooms, sessions, users};
use chat_testkit::TestDb;
use chat_wire::{MemberRole, Visibility};
use serde_json::Value;

use super::{chatctl, json};

/// chatctl on `db`, with pg_dump and pg_restore found the default way.
pub(crate) fn ctl(db: &TestDb) -> Command {
    let mut cmd = chatctl(db);
    cmd.env_remove("CHATCTL_PG_BINDIR");
    cmd
}

pub(crate) fn stderr_of(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

/// A directory of the test's own under the system temp dir, removed on drop.
pub(crate) struct Scratch {
    pub(crate) dir: PathBuf,
}

impl Scratch {
    pub(crate) fn new(tag: &str) -> Self {
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

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The names in the directory, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
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
pub(crate) fn fresh_database(holder: &TestDb, suffix: &str) -> TestDb {
    let name = format!("{}_{suffix}", holder.name);
    TestDb {
        url: chat_testkit::url_for(&name),
        name,
    }
}

pub(crate) fn pool(url: &str) -> chat_store::Pool {
    let options = PoolOptions {
        max_size: 1,
        ..Default::default()
    };
    chat_store::create_pool(url, &options).unwrap()
}

pub(crate) async fn add_user(client: &chat_store::Client, username: &str) -> i64 {
    let new = NewUser {
        username,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        display_name: username,
        role: AccountRole::User,
    };
    users::create(client, &new).await.unwrap().id
}

/// What [`seed`] made.
pub(crate) struct Fixture {
    /// alice, bob, carol.
    pub(crate) users: Vec<i64>,
    /// "general" (all three, public) and "ops" (bob and carol, private).
    pub(crate) rooms: Vec<i64>,
    pub(crate) messages: i64,
}

/// A little of everything: users, a session, two rooms with members,
/// messages (one a reply, one with a client_id).
pub(crate) async fn seed(db: &TestDb) -> Fixture {
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

pub(crate) async fn count(url: &str, table: &str) -> i64 {
    let client = chat_store::connect_once(url).await.unwrap();
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

/// Each room's event counter.
pub(crate) async fn latest_seqs(url: &str) -> BTreeMap<i64, i64> {
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
pub(crate) async fn checksums(
    url: &str,
    cut: &BTreeMap<i64, i64>,
) -> BTreeMap<&'static str, String> {
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
pub(crate) async fn fingerprint(url: &str) -> BTreeMap<&'static str, String> {
    checksums(url, &latest_seqs(url).await).await
}

/// The archive's entries: name, data offset in the file, size.
pub(crate) fn entries(file: &Path) -> Vec<(String, usize, usize)> {
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
pub(crate) fn with_manifest(src: &Path, dest: &Path, edit: impl Fn(&mut Value)) {
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
pub(crate) fn with_flipped_dump_byte(src: &Path, dest: &Path) {
    let (_, offset, size) = entries(src)
        .into_iter()
        .find(|(name, ..)| name == "database.dump")
        .unwrap();
    let mut bytes = std::fs::read(src).unwrap();
    bytes[offset + size / 2] ^= 0x55;
    std::fs::write(dest, bytes).unwrap();
}
