//! Test support shared by chat's crates.
//!
//! [`TestDb`] gives each test a fresh database cloned from a migrated
//! template (made once per migration set, shared across test processes), and
//! drops it when the test ends. Point it at a server with
//! `CHAT_TEST_DATABASE_URL` (a maintenance database such as `postgres`).

mod cluster;

use std::sync::atomic::{AtomicU32, Ordering};

pub use cluster::PrivateCluster;

/// The maintenance database the harness connects to; override with
/// `CHAT_TEST_DATABASE_URL`.
pub fn admin_url() -> String {
    std::env::var("CHAT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The same server with another database.
pub fn url_for(database: &str) -> String {
    let admin = admin_url();
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_owned(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let (server, _) = base.rsplit_once('/').expect("database URL has a path");
    format!("{server}/{database}{query}")
}

/// A name that changes whenever the migrations do, so a stale template is
/// never reused.
fn template_name() -> String {
    let mut entries: Vec<_> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
            .expect("migrations directory")
            .map(|e| e.expect("dir entry").path())
            .collect();
    entries.sort();
    // FNV-1a over names and contents.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in entries {
        let bytes = [
            path.file_name().unwrap().as_encoded_bytes().to_vec(),
            std::fs::read(&path).unwrap(),
        ]
        .concat();
        for b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("chat_test_tpl_{hash:016x}")
}

async fn admin() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls)
        .await
        .expect("tests need PostgreSQL: set CHAT_TEST_DATABASE_URL or run scripts/dev test");
    tokio::spawn(conn);
    client
}

/// Creates the migrated template once (across concurrent test processes,
/// serialised by an advisory lock).
async fn ensure_template(admin: &tokio_postgres::Client) -> String {
    let name = template_name();
    admin
        .execute("SELECT pg_advisory_lock(7406113)", &[])
        .await
        .unwrap();
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap()
        .is_some();
    if !exists {
        admin
            .execute(&format!("CREATE DATABASE {name}"), &[])
            .await
            .unwrap();
        let mut client = chat_store::connect_once(&url_for(&name)).await.unwrap();
        chat_store::migrate::run(&mut client).await.unwrap();
    }
    admin
        .execute("SELECT pg_advisory_unlock(7406113)", &[])
        .await
        .unwrap();
    name
}

/// A fresh, migrated database; dropped when the guard is.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

/// A database name no other test uses.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "chat_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// A database with the current schema.
    pub async fn create() -> Self {
        let admin = admin().await;
        let template = ensure_template(&admin).await;
        Self::make(&admin, &format!("TEMPLATE {template}")).await
    }

    /// A database this harness did not create (on a private cluster, say):
    /// nothing is dropped for it.
    pub fn foreign(url: &str) -> Self {
        Self {
            name: String::new(),
            url: url.to_owned(),
        }
    }

    /// A database without any schema, for testing migrations.
    pub async fn empty() -> Self {
        Self::make(&admin().await, "").await
    }

    async fn make(admin: &tokio_postgres::Client, options: &str) -> Self {
        let name = unique_name();
        // Cloning fails while another session is connected to the template
        // (another test process cloning it); retry briefly.
        let mut attempts = 0;
        loop {
            match admin
                .execute(&format!("CREATE DATABASE {name} {options}"), &[])
                .await
            {
                Ok(_) => break,
                Err(_) if attempts < 50 => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot create test database: {e}"),
            }
        }
        Self {
            url: url_for(&name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let name = self.name.clone();
        // Drop needs its own runtime: the test's may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = admin().await;
                let _ = admin
                    .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
                    .await;
            });
        })
        .join();
    }
}
