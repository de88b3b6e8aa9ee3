//! Uploaded files in backups (`backup`, `backup verify`, `restore`) and
//! `chatctl files stats|gc`, with the real binary, pg_dump and PostgreSQL.

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use chat_blobs::{BlobStore as _, LocalDir};
use chat_store::files::{self, Inserted, NewFile};
use chat_store::users::{self, AccountRole, NewUser};
use chat_testkit::TestDb;
use serde_json::Value;

use super::{chatctl, json};

/// A directory of the test's own, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str, db: &TestDb) -> Self {
        let dir = std::env::temp_dir().join(format!("chatctl-files-{tag}-{}", db.name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two uploads of alice's, their blobs in `data`; returns their SHA-256s.
async fn seed_files(db: &TestDb, data: &Path) -> Vec<String> {
    let blobs = LocalDir::open(data, false).unwrap();
    let pool = chat_store::create_pool(&db.url, &Default::default()).unwrap();
    let mut client = pool.get().await.unwrap();
    let new = NewUser {
        username: "alice",
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        display_name: "alice",
        role: AccountRole::User,
    };
    let alice = users::create(&client, &new).await.unwrap().id;
    let mut shas = Vec::new();
    for content in [&b"first file\n"[..], &[0xABu8; 70_000][..]] {
        let mut staged = blobs.stage().await.unwrap();
        staged.write(content).await.unwrap();
        let sha = blobs.put(staged).await.unwrap();
        let tx = client.transaction().await.unwrap();
        files::lock_shared(&tx).await.unwrap();
        let file = NewFile {
            uploader_id: alice,
            name: "f.bin",
            content_type: "application/octet-stream",
            sha256: &sha,
            size: content.len() as i64,
            dimensions: None,
            thumbnail: None,
        };
        let inserted = files::insert(&tx, &file, i64::MAX).await.unwrap();
        assert!(matches!(inserted, Inserted::Stored(_)));
        tx.commit().await.unwrap();
        shas.push(sha);
    }
    shas.sort();
    shas
}

/// Copies a backup, changing or leaving out the entry of blob `sha`.
fn with_blob(src: &Path, dest: &Path, sha: &str, flip: bool) {
    let mut archive = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(dest).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if path == Path::new(&format!("files/{sha}")) {
            if !flip {
                continue;
            }
            let middle = data.len() / 2;
            data[middle] ^= 0x01;
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

fn verify(db: &TestDb, file: &Path) -> (bool, Value) {
    let out = chatctl(db)
        .env_remove("CHATCTL_PG_BINDIR")
        .args(["backup", "verify", "--json"])
        .arg(file)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let files = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "files")
        .cloned()
        .unwrap_or(Value::Null);
    (out.status.success(), files)
}

/// Run by backup.rs's verification test, the only one that may verify
/// (it checks that verifications leave no scratch database behind).
pub async fn backups_carry_the_files_verify_checks_them_and_restore_puts_them_back() {
    let db = TestDb::create().await;
    let data = Dir::new("data", &db);
    let shas = seed_files(&db, &data.0).await;
    let out_dir = Dir::new("out", &db);
    let backup = out_dir.0.join("with-files.chatbak");
    let out = chatctl(&db)
        .env_remove("CHATCTL_PG_BINDIR")
        .args(["backup", "--json", "--data-dir"])
        .arg(&data.0)
        .arg(&backup)
        .assert()
        .success();
    let taken = json(&out.get_output().stdout);
    let listed: Vec<&str> = taken["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(listed, shas);

    let (ok, files) = verify(&db, &backup);
    assert!(ok, "{files}");
    assert_eq!(files["ok"], true);

    let flipped = out_dir.0.join("flipped.chatbak");
    with_blob(&backup, &flipped, &shas[1], true);
    let (ok, files) = verify(&db, &flipped);
    assert!(!ok);
    assert!(
        files["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("corrupted: {}", shas[1])),
        "{files}"
    );

    let missing = out_dir.0.join("missing.chatbak");
    with_blob(&backup, &missing, &shas[0], false);
    let (ok, files) = verify(&db, &missing);
    assert!(!ok);
    assert!(
        files["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("missing: {}", shas[0])),
        "{files}"
    );

    // A corrupted file stops a restore before the database is touched.
    let target = TestDb {
        url: chat_testkit::url_for(&format!("{}_r", db.name)),
        name: format!("{}_r", db.name),
    };
    let restored = Dir::new("restored", &db);
    chatctl(&target)
        .env_remove("CHATCTL_PG_BINDIR")
        .args(["restore", "--data-dir"])
        .arg(&restored.0)
        .arg(&flipped)
        .assert()
        .failure();
    // The data directory belongs to chatd's user; a restore run as root
    // (this test, where it may change owners) gives what it writes to that
    // user too.
    let service_user = 4242;
    let as_root =
        std::os::unix::fs::chown(&restored.0, Some(service_user), Some(service_user)).is_ok();
    chatctl(&target)
        .env_remove("CHATCTL_PG_BINDIR")
        .args(["restore", "--force", "--yes", "--data-dir"])
        .arg(&restored.0)
        .arg(&backup)
        .assert()
        .success();
    let again = LocalDir::open(&restored.0, false).unwrap();
    if as_root {
        use std::os::unix::fs::MetadataExt as _;
        for sha in &shas {
            let mut path = again.path_of(sha).unwrap();
            while path != restored.0 {
                let meta = std::fs::metadata(&path).unwrap();
                assert_eq!((meta.uid(), meta.gid()), (service_user, service_user));
                path.pop();
            }
        }
    }
    assert_eq!(again.list().await.unwrap(), shas);
    let original = LocalDir::open(&data.0, false).unwrap();
    for sha in &shas {
        let a = std::fs::read(again.path_of(sha).unwrap()).unwrap();
        assert_eq!(a, std::fs::read(original.path_of(sha).unwrap()).unwrap());
        let mode = std::fs::metadata(again.path_of(sha).unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn files_stats_and_gc() {
    let db = TestDb::create().await;
    let data = Dir::new("gc", &db);
    let shas = seed_files(&db, &data.0).await;
    let out = chatctl(&db)
        .args(["files", "stats", "--json", "--data-dir"])
        .arg(&data.0)
        .assert()
        .success();
    let stats = json(&out.get_output().stdout);
    assert_eq!(stats["files"], 2);
    assert_eq!(stats["blobs_on_disk"], 2);
    assert_eq!(stats["missing_on_disk"], 0);
    // Within the grace period nothing goes.
    let out = chatctl(&db)
        .args(["files", "gc", "--json", "--data-dir"])
        .arg(&data.0)
        .assert()
        .success();
    assert_eq!(json(&out.get_output().stdout)["files"], 0);
    let out = chatctl(&db)
        .args(["files", "gc", "--json", "--grace", "0", "--data-dir"])
        .arg(&data.0)
        .assert()
        .success();
    let collected = json(&out.get_output().stdout);
    assert_eq!(collected["files"], 2);
    assert_eq!(collected["blobs"], shas.len());
    let blobs = LocalDir::open(&data.0, false).unwrap();
    assert!(blobs.list().await.unwrap().is_empty());
}
