//! A database host that accepts connections but never answers (a frozen
//! server: its kernel still completes the TCP handshake) must not hold up
//! connections to the next host of a multi-host URL, and a pooled
//! connection whose server stopped answering while it sat idle must not be
//! handed out (docs/ha.md).

use std::time::Duration;

use chat_testkit::{PrivateCluster, admin_url};
use tokio::net::TcpListener;

use crate::helpers::Frozen;

/// A listener that accepts every connection and then says nothing; the
/// URL of the test's server behind it, this one first.
async fn frozen_first() -> (tokio::task::JoinHandle<()>, String) {
    let frozen = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = frozen.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = frozen.accept().await {
            sockets.push(socket);
        }
    });
    let real: tokio_postgres::Config = admin_url().parse().unwrap();
    let tokio_postgres::config::Host::Tcp(host) = &real.get_hosts()[0] else {
        panic!("the test server must be reached over TCP");
    };
    let url = format!(
        "postgres://{}@127.0.0.1:{port},{host}:{}/{}?target_session_attrs=read-write",
        real.get_user().unwrap_or("postgres"),
        real.get_ports().first().copied().unwrap_or(5432),
        real.get_dbname().unwrap_or("postgres"),
    );
    (held, url)
}

#[tokio::test]
async fn the_pool_skips_a_host_that_never_answers() {
    let (held, url) = frozen_first().await;
    let pool = chat_store::create_pool(&url, &Default::default()).unwrap();
    // Without a deadline per host this waits forever on the first host.
    let db = tokio::time::timeout(Duration::from_secs(30), pool.get())
        .await
        .expect("the pool gives up on the frozen host")
        .expect("and connects to the next one");
    let row = db
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0));
    held.abort();
}

#[tokio::test]
async fn one_off_connections_and_the_listener_skip_it_too() {
    let (held, url) = frozen_first().await;
    let once = tokio::time::timeout(Duration::from_secs(30), chat_store::connect_once(&url))
        .await
        .expect("connect_once gives up on the frozen host");
    once.unwrap().simple_query("").await.unwrap();
    let config = chat_store::listener_config(&url).unwrap();
    let listener = tokio::time::timeout(
        Duration::from_secs(30),
        chat_store::connect_primary(&config),
    )
    .await
    .expect("the listener's connect gives up on the frozen host");
    assert!(listener.is_ok());
    held.abort();
}

#[tokio::test]
async fn an_idle_pooled_connection_whose_server_stopped_answering_is_not_handed_out() {
    // A server of its own: a stopped backend can hold up others' work on
    // the same server until it runs again.
    let pg = PrivateCluster::start();
    let pool = chat_store::create_pool(&pg.url("postgres"), &Default::default()).unwrap();
    let backend = |db: chat_store::Client| async move {
        let pid: i32 = db
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        pid
    };
    let first = backend(pool.get().await.unwrap()).await;
    let _thaw = Frozen::stop(first);
    // Idle for longer than the pool trusts a connection unchecked (1 s).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let db = tokio::time::timeout(Duration::from_secs(30), pool.get())
        .await
        .expect("the check of the idle connection gives up in time")
        .expect("and the pool connects afresh");
    let second = tokio::time::timeout(Duration::from_secs(30), backend(db))
        .await
        .expect("the connection handed out answers");
    assert_ne!(
        second, first,
        "the stopped backend's connection was handed out"
    );
}
