//! A change to someone's logins reaches every chatd instance as soon as it
//! commits, whoever makes it: chatd, chatctl or an UPDATE typed into psql.
//! chatd trusts recently checked tokens from memory (`--session-cache`);
//! here that lasts an hour and the periodic socket check never runs, so
//! only the database's notices can end what these tests end.

use std::time::Duration;

use chat_testkit::PrivateCluster;

use crate::helpers::{Frozen, TestApp, TestUser};

fn cache_for_an_hour(c: &mut chatd::Config) {
    c.session_cache = Duration::from_secs(3600);
    c.gateway.session_check = Duration::from_secs(3600);
}

/// Two instances on one database, both trusting tokens for an hour.
async fn two_instances() -> (TestApp, TestApp) {
    let a = TestApp::spawn_with(cache_for_an_hour).await;
    let b = a.second_instance(cache_for_an_hour).await;
    (a, b)
}

/// Uses the token on every instance, so each has it cached.
async fn used_everywhere(apps: &[&TestApp], user: &TestUser) {
    for app in apps {
        app.get("/api/v1/me", &user.token).await.expect(200);
    }
}

/// Waits until every instance refuses the token. A notice normally arrives
/// within a millisecond, a hung connection is found within seconds; the
/// bound (about 15 s) is far below the cache's hour.
async fn refused_everywhere(apps: &[&TestApp], user: &TestUser) {
    for app in apps {
        let mut tries = 0;
        loop {
            let status = app.get("/api/v1/me", &user.token).await.status;
            if status == 401 {
                break;
            }
            assert_eq!(status, 200, "{}", user.username);
            tries += 1;
            assert!(tries < 1500, "{} still accepted", user.username);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn changes_typed_into_the_database_end_cached_tokens_everywhere() {
    let (a, b) = two_instances().await;
    let both = [&a, &b];
    let changes = [
        (
            "revoked",
            "UPDATE sessions SET revoked_at = now() WHERE user_id = $1",
        ),
        (
            "expired",
            "UPDATE sessions SET expires_at = now() WHERE user_id = $1",
        ),
        (
            "idled",
            "UPDATE sessions SET last_seen_at = now() - interval '15 days' WHERE user_id = $1",
        ),
        ("deleted", "DELETE FROM sessions WHERE user_id = $1"),
        ("disabled", "UPDATE users SET disabled = true WHERE id = $1"),
    ];
    let db = a.sql().await;
    let bystander = a.user("bystander").await;
    used_everywhere(&both, &bystander).await;
    for (name, change) in changes {
        let user = a.user(name).await;
        used_everywhere(&both, &user).await;
        db.execute(change, &[&user.id]).await.unwrap();
        refused_everywhere(&both, &user).await;
    }
    // Forgetting is per user: others' tokens still work.
    used_everywhere(&both, &bystander).await;
}

#[tokio::test]
async fn logout_and_a_password_change_end_tokens_on_the_other_instance() {
    let (a, b) = two_instances().await;
    let both = [&a, &b];
    let alice = a.user("alice").await;
    used_everywhere(&both, &alice).await;
    a.logout(&alice.token).await;
    // At once where it was made; on the other instance when the notice lands.
    a.assert_refused(&alice.token).await;
    refused_everywhere(&both, &alice).await;

    let bob = a.user("bob").await;
    let other = a.login("bob", "bob-password").await;
    used_everywhere(&both, &other).await;
    b.post(
        "/api/v1/me/password",
        &bob.token,
        serde_json::json!({"current_password": "bob-password", "new_password": "a much newer secret"}),
    )
    .await
    .expect(204);
    refused_everywhere(&both, &other).await;
    used_everywhere(&both, &bob).await;
}

#[tokio::test]
async fn sockets_of_a_disabled_user_close_at_once_on_every_instance() {
    let (a, b) = two_instances().await;
    let alice = a.user("alice").await;
    let (mut on_a, _) = a.ws_ready(&alice.token).await;
    let (mut on_b, _) = b.ws_ready(&alice.token).await;
    let pool = chat_store::create_pool(&a.db.url, &Default::default()).unwrap();
    chat_store::accounts::set_disabled(&pool.get().await.unwrap(), "alice", true)
        .await
        .unwrap();
    assert_eq!(on_a.closed().await, 4001);
    assert_eq!(on_b.closed().await, 4001);
}

/// Switches the database's notices about sessions off, so a test can see
/// what chatd does without them.
async fn silence_session_notices(db: &tokio_postgres::Client) {
    db.batch_execute(
        "ALTER TABLE sessions DISABLE TRIGGER sessions_changed; \
         ALTER TABLE sessions DISABLE TRIGGER sessions_deleted",
    )
    .await
    .unwrap();
}

/// Caches the user's token, then revokes it behind chatd's back (notices
/// off). Proves the cache serves: the revoked token is still accepted.
/// Returns the connection that did it.
async fn revoked_unannounced(app: &TestApp, user: &TestUser) -> tokio_postgres::Client {
    used_everywhere(&[app], user).await;
    let db = app.sql().await;
    silence_session_notices(&db).await;
    db.execute(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $1",
        &[&user.id],
    )
    .await
    .unwrap();
    app.get("/api/v1/me", &user.token).await.expect(200);
    db
}

#[tokio::test]
async fn the_instance_that_logs_out_forgets_the_token_itself() {
    let app = TestApp::spawn_with(cache_for_an_hour).await;
    let alice = app.user("alice").await;
    used_everywhere(&[&app], &alice).await;
    silence_session_notices(&app.sql().await).await;
    app.logout(&alice.token).await;
    app.assert_refused(&alice.token).await;
}

#[tokio::test]
async fn a_cache_that_cannot_hear_changes_forgets_what_it_knew() {
    let app = TestApp::spawn_with(cache_for_an_hour).await;
    let alice = app.user("alice").await;
    let db = revoked_unannounced(&app, &alice).await;
    // Cut chatd's listening connection: what it cached cannot be trusted.
    let cut: i64 = db
        .query_one(
            &format!("SELECT count(pg_terminate_backend(pid, 5000)) {LISTENER}"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cut, 1);
    refused_everywhere(&[&app], &alice).await;
}

/// chatd's listening backend, as a FROM clause.
const LISTENER: &str = "FROM pg_stat_activity \
     WHERE datname = current_database() AND application_name = 'chatd listener'";

#[tokio::test]
async fn a_listening_connection_that_stops_answering_is_noticed() {
    // A server of its own: a stopped backend can hold up others' LISTEN and
    // NOTIFY on the same server until it runs again.
    let pg = PrivateCluster::start();
    let url = pg.migrated_database("chat").await;
    let app = TestApp::spawn_at(&url, cache_for_an_hour).await;
    let alice = app.user("alice").await;
    let db = revoked_unannounced(&app, &alice).await;
    let pid: i32 = db
        .query_one(&format!("SELECT pid {LISTENER}"), &[])
        .await
        .unwrap()
        .get(0);
    let _thaw = Frozen::stop(pid);
    // No error, no close: only the heartbeat can tell.
    refused_everywhere(&[&app], &alice).await;
}
