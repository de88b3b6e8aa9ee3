//! The batch statement leaves out each step no draft of the batch needs
//! (client_id checks, reply checks, mentions); each still decides alone
//! when its drafts are the only ones that need it.

use chat_store::messages::{Draft, Sent, send_batch};

use crate::batches::keyed_earlier;
use crate::helpers::TestApp;

fn bodies(stored: &[Option<Sent>]) -> Vec<Option<&str>> {
    stored
        .iter()
        .map(|m| m.as_ref().and_then(|m| m.message().body.as_deref()))
        .collect()
}

#[tokio::test]
async fn a_batch_without_keys_replies_or_names_still_checks_what_it_holds() {
    let app = TestApp::spawn().await;
    let (alice, bob, eve, room, first) = keyed_earlier(&app).await;
    let first = first["id"].as_i64().unwrap();
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let db = pool.get().await.unwrap();
    let keyed = |author: i64, body: &str, key: &str| Draft {
        client_id: Some(key.into()),
        ..Draft::new(room, author, body)
    };
    let reply = |author: i64, body: &str, to: i64| Draft {
        reply_to: Some(to),
        ..Draft::new(room, author, body)
    };

    // Plain drafts: membership is still checked.
    let plain = [
        Draft::new(room, alice.id, "plain"),
        Draft::new(room, eve.id, "not a member"),
        Draft::new(room, bob.id, "plain too"),
    ];
    let stored = send_batch(&db, &plain).await.unwrap();
    assert_eq!(bodies(&stored), [Some("plain"), None, Some("plain too")]);
    assert!(stored[0].as_ref().unwrap().message().mentions.is_empty());

    // Keys, and nothing else to check.
    let stored = send_batch(
        &db,
        &[
            keyed(alice.id, "keyed", "a"),
            keyed(alice.id, "a retry", "old"),
            keyed(alice.id, "the same key twice", "a"),
            Draft::new(room, bob.id, "no key"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(bodies(&stored), [Some("keyed"), None, None, Some("no key")]);

    // Replies, and nothing else to check.
    let stored = send_batch(
        &db,
        &[
            reply(bob.id, "a reply", first),
            reply(bob.id, "a reply to nothing", 999_999),
            Draft::new(room, alice.id, "not a reply"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        bodies(&stored),
        [Some("a reply"), None, Some("not a reply")]
    );

    // Names, and nothing else to check: only the named draft has mentions.
    let stored = send_batch(
        &db,
        &[
            Draft::new(room, bob.id, "hi @alice and @eve"),
            Draft::new(room, alice.id, "no names"),
        ],
    )
    .await
    .unwrap();
    let mentions: Vec<Vec<i64>> = stored
        .iter()
        .map(|m| m.as_ref().unwrap().message().mentions.clone())
        .collect();
    assert_eq!(mentions, [vec![alice.id], vec![]]);
}
