//! What operator.rs needs besides chatctl: login roles made as
//! docs/deploy.md makes chat's, the real chatd started as one of them, and
//! curl to use it as a person would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chat_testkit::TestDb;

/// A login role of the test's own, made as docs/deploy.md makes chat's
/// (`CREATE ROLE chat LOGIN CREATEDB PASSWORD ...`); dropped afterwards,
/// so declare it before the databases it owns.
pub(crate) struct Role {
    pub(crate) name: String,
}

impl Role {
    pub(crate) async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "chat_role_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin()
            .await
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN CREATEDB PASSWORD 'only trust is used here'"
            ))
            .await
            .unwrap();
        Self { name }
    }

    /// `url` (a superuser's) logging in as this role instead.
    pub(crate) fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (_, host) = rest.split_once('@').unwrap();
        format!("{scheme}://{}@{host}", self.name)
    }

    /// deploy.md's `CREATE DATABASE chat OWNER chat`, for a database
    /// guard that drops it.
    pub(crate) async fn own_database(&self, db: &TestDb) {
        admin()
            .await
            .batch_execute(&format!("CREATE DATABASE {} OWNER {}", db.name, self.name))
            .await
            .unwrap();
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let _ = admin()
                    .await
                    .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
                    .await;
            });
        })
        .join();
    }
}

pub(crate) async fn admin() -> tokio_postgres::Client {
    chat_store::connect_once(&chat_testkit::admin_url())
        .await
        .unwrap()
}

/// The owners of the tables in the database's `public` schema.
pub(crate) async fn table_owners(url: &str) -> Vec<String> {
    let client = chat_store::connect_once(url).await.unwrap();
    client
        .query(
            "SELECT DISTINCT tableowner::text FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// `target/debug/chatd`, beside the directory holding this test binary
/// (chatd is not a dependency of chatctl; `cargo build -p chatd` or
/// `scripts/dev test` builds it).
fn chatd_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/debug/deps/<test>")
        .join("chatd");
    assert!(
        path.exists(),
        "{} is missing: build it first (cargo build -p chatd)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// curl: the status and the body.
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap_or(0), body.to_owned())
}

/// A chatd process, killed on drop.
pub(crate) struct Chatd {
    child: Child,
    base: String,
}

impl Drop for Chatd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chatd on `url`: Ok once /readyz answers 200, Err(stderr) if it
/// exits instead.
pub(crate) fn start_chatd(url: &str, data: &Path) -> Result<Chatd, String> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(chatd_binary())
        .args([
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env_remove("CHATD_CONFIG")
        .env("CHATD_DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
            return Err(format!("{status}: {stderr}"));
        }
        if curl(&[&format!("{base}/readyz")]).0 == 200 {
            return Ok(Chatd { child, base });
        }
        assert!(Instant::now() < deadline, "chatd did not get ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What a person does first: register, log in, see the restored public
/// room, join it and send to it; every step must succeed.
pub(crate) fn use_it(chatd: &Chatd) {
    let api = format!("{}/api/v1", chatd.base);
    let json = "Content-Type: application/json";
    let account = r#"{"username":"dora","password":"a long enough password"}"#;
    let (code, body) = curl(&[&format!("{api}/auth/register"), "-H", json, "-d", account]);
    assert_eq!(code, 201, "{body}");
    let (code, body) = curl(&[&format!("{api}/auth/login"), "-H", json, "-d", account]);
    assert_eq!(code, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let bearer = format!("Authorization: Bearer {}", token["token"].as_str().unwrap());
    let (code, body) = curl(&[&format!("{api}/rooms/public"), "-H", &bearer]);
    assert_eq!(code, 200, "{body}");
    let rooms: serde_json::Value = serde_json::from_str(&body).unwrap();
    let general = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "general")
        .unwrap_or_else(|| panic!("the restored room is listed: {body}"));
    let room = general["id"].as_i64().unwrap();
    let (code, body) = curl(&[
        "-X",
        "POST",
        &format!("{api}/rooms/{room}/join"),
        "-H",
        &bearer,
    ]);
    assert!(code == 200 || code == 204, "{code} {body}");
    let (code, body) = curl(&[
        &format!("{api}/rooms/{room}/messages"),
        "-H",
        json,
        "-H",
        &bearer,
        "-d",
        r#"{"body":"back after the restore"}"#,
    ]);
    assert_eq!(code, 201, "{body}");
    let (code, body) = curl(&[&format!("{api}/rooms/{room}/messages"), "-H", &bearer]);
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("hello") && body.contains("back after the restore"),
        "{body}"
    );
}

/// The `.chatbak` backups and the temporary files in `dir`, sorted.
pub(crate) fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
