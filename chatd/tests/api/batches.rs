//! Batched sends (the send writer's statement): order, refusals left for
//! single sends, several rooms in one batch.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};
use crate::messages::{seqs, two_in_a_room};

#[tokio::test]
async fn a_batch_stores_what_it_may_in_order_and_leaves_the_rest() {
    use chat_store::messages::{Draft, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, eve, room, first) = keyed_earlier(&app).await;
    let draft = |author: i64, body: &str, cid: Option<&str>, reply_to: Option<i64>| Draft {
        client_id: cid.map(Into::into),
        reply_to,
        ..Draft::new(room, author, body)
    };
    let in_thread = |root: Option<i64>, body: &str| Draft {
        thread_root: root,
        ..Draft::new(room, bob.id, body)
    };
    let drafts = vec![
        draft(alice.id, "one", Some("a"), None),
        draft(eve.id, "not a member", None, None),
        draft(bob.id, "two", None, first["id"].as_i64()),
        draft(alice.id, "retry", Some("old"), None),
        draft(alice.id, "same key twice", Some("a"), None),
        draft(bob.id, "bad reply", None, Some(999_999)),
        draft(bob.id, "three @alice @eve", Some("b"), None),
        in_thread(first["id"].as_i64(), "a thread reply"),
        in_thread(Some(999_999), "no such root"),
    ];
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let stored = send_batch(&pool.get().await.unwrap(), &drafts)
        .await
        .unwrap();
    let bodies: Vec<Option<String>> = stored
        .iter()
        .map(|m| m.as_ref().and_then(|m| m.message().body.clone()))
        .collect();
    assert_eq!(
        bodies,
        vec![
            Some("one".into()),
            None,
            Some("two".into()),
            None,
            None,
            None,
            Some("three @alice @eve".into()),
            Some("a thread reply".into()),
            None,
        ]
    );
    // Mentions are stored in the batch too (eve is not a member).
    let three = stored[6].as_ref().unwrap().message();
    assert_eq!(three.mentions, vec![alice.id]);
    let seqs: Vec<i64> = stored.iter().flatten().map(|m| m.message().seq).collect();
    let base = first["seq"].as_i64().unwrap();
    assert_eq!(
        seqs,
        vec![base + 1, base + 2, base + 3, base + 4],
        "consecutive seqs in order"
    );
    let events = app
        .get(
            &format!("/api/v1/rooms/{room}/events?after={base}"),
            &alice.token,
        )
        .await
        .expect(200);
    assert_eq!(seqs_of(&events), seqs);
}

#[tokio::test]
async fn a_batch_counts_each_roots_replies_once_and_writes_each_follower_once() {
    use chat_store::messages::{Draft, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let send = |body: &'static str| {
        let app = &app;
        let token = alice.token.clone();
        async move {
            let url = format!("/api/v1/rooms/{room}/messages");
            app.post(&url, &token, json!({ "body": body }))
                .await
                .expect(201)["message"]["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (one, two) = (send("first question").await, send("second question").await);
    let reply = |author: i64, root: i64, body: &str| Draft {
        thread_root: Some(root),
        ..Draft::new(room, author, body)
    };
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let db = pool.get().await.unwrap();
    let earlier = send_batch(&db, &[reply(bob.id, two, "an earlier answer")])
        .await
        .unwrap();
    let earlier = earlier[0]
        .as_ref()
        .expect("a lone reply is batched")
        .message();
    let drafts = vec![
        reply(bob.id, one, "bob answers"),
        reply(alice.id, one, "alice asks @bob again"),
        reply(bob.id, two, "bob answers the second"),
        reply(bob.id, one, "bob again"),
        reply(alice.id, earlier.id, "a reply is no root"),
    ];
    let stored = send_batch(&db, &drafts).await.unwrap();
    let seq = |i: usize| stored[i].as_ref().expect("stored").message().seq;
    assert!(stored[4].is_none(), "a reply named as a root is left out");

    let history = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &alice.token)
        .await
        .expect(200);
    let thread_of = |id: i64| {
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()["thread"]
            .clone()
    };
    let first = thread_of(one);
    assert_eq!(first["reply_count"], 3, "{first}");
    assert_eq!(first["participant_ids"], json!([bob.id, alice.id]));
    assert_eq!(first["last_reply_seq"], seq(3));
    let second = thread_of(two);
    assert_eq!(second["reply_count"], 2, "{second}");
    assert_eq!(second["participant_ids"], json!([bob.id]));
    assert_eq!(second["last_reply_seq"], seq(2));

    // Followers: alice wrote both roots and read the first up to her reply;
    // bob read each up to his newest reply in it.
    let unread = |body: Value| -> Vec<(i64, i64)> {
        let mut v: Vec<(i64, i64)> = body["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["root"]["id"].as_i64().unwrap(),
                    t["unread_count"].as_i64().unwrap(),
                )
            })
            .collect();
        v.sort_unstable();
        v
    };
    let alices = app.get("/api/v1/threads", &alice.token).await.expect(200);
    assert_eq!(unread(alices), vec![(one, 1), (two, 2)]);
    let bobs = app.get("/api/v1/threads", &bob.token).await.expect(200);
    assert_eq!(unread(bobs), vec![(one, 0), (two, 0)]);
}

fn seqs_of(page: &Value) -> Vec<i64> {
    seqs(page, "events")
}

#[tokio::test]
async fn a_batch_over_several_rooms_numbers_each_room_on_its_own() {
    use chat_store::messages::{Draft, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, lobby) = two_in_a_room(&app).await;
    let kitchen = app.room(&bob, "kitchen", "public").await;
    let attic = app.room(&alice, "attic", "public").await;
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let _ = chat_store::rooms::archive(&mut pool.get().await.unwrap(), attic)
        .await
        .unwrap();
    let latest = |page: &Value| seqs_of(page).last().copied().unwrap_or(0);
    let lobby_base = latest(
        &app.get(&format!("/api/v1/rooms/{lobby}/events"), &alice.token)
            .await
            .expect(200),
    );
    let kitchen_base = latest(
        &app.get(&format!("/api/v1/rooms/{kitchen}/events"), &bob.token)
            .await
            .expect(200),
    );
    let draft = Draft::new;
    let drafts = vec![
        draft(kitchen, bob.id, "k1"),
        draft(lobby, alice.id, "l1"),
        draft(kitchen, alice.id, "alice is not in the kitchen"),
        draft(attic, alice.id, "the attic is archived"),
        draft(lobby, bob.id, "l2"),
        draft(kitchen, bob.id, "k2"),
    ];
    let stored = send_batch(&pool.get().await.unwrap(), &drafts)
        .await
        .unwrap();
    let placed: Vec<Option<(i64, i64, String)>> = stored
        .iter()
        .map(|m| {
            m.as_ref().map(|m| {
                let m = m.message();
                (m.room_id, m.seq, m.body.clone().unwrap_or_default())
            })
        })
        .collect();
    assert_eq!(
        placed,
        vec![
            Some((kitchen, kitchen_base + 1, "k1".into())),
            Some((lobby, lobby_base + 1, "l1".into())),
            None,
            None,
            Some((lobby, lobby_base + 2, "l2".into())),
            Some((kitchen, kitchen_base + 2, "k2".into())),
        ]
    );
    for (room, base, token) in [
        (lobby, lobby_base, &alice.token),
        (kitchen, kitchen_base, &bob.token),
    ] {
        let events = app
            .get(&format!("/api/v1/rooms/{room}/events?after={base}"), token)
            .await
            .expect(200);
        assert_eq!(seqs_of(&events), vec![base + 1, base + 2], "room {room}");
    }
}

/// The room-level checks run once per room of a batch: a direct room
/// whose two people are kept apart by a block stores none of its drafts,
/// and a direct room the other person left names them to bring back.
#[tokio::test]
async fn a_batch_checks_direct_rooms_once_per_room() {
    use chat_store::messages::{Draft, Sent, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, lobby) = two_in_a_room(&app).await;
    let carol = app.user("carol").await;
    let with_bob = open_dm(&app, &alice, "bob").await;
    let with_carol = open_dm(&app, &alice, "carol").await;
    let path = format!("/api/v1/rooms/{with_bob}/leave");
    app.post(&path, &bob.token, json!({})).await.expect(204);
    let path = "/api/v1/me/blocks/alice";
    app.call(reqwest::Method::PUT, path, Some(&carol.token), Value::Null)
        .await
        .expect(204);

    let drafts = vec![
        Draft::new(with_bob, alice.id, "bob left; he comes back"),
        Draft::new(with_carol, alice.id, "carol blocked alice"),
        Draft::new(lobby, bob.id, "an ordinary room"),
        Draft::new(with_bob, alice.id, "still there"),
        Draft::new(with_carol, alice.id, "still blocked"),
    ];
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let stored = send_batch(&pool.get().await.unwrap(), &drafts)
        .await
        .unwrap();
    let rejoins: Vec<Option<Vec<i64>>> = stored
        .iter()
        .map(|s| match s {
            Some(Sent::New { rejoin, .. }) => Some(rejoin.clone()),
            Some(Sent::Retry(_)) => panic!("nothing here is a retry"),
            None => None,
        })
        .collect();
    assert_eq!(
        rejoins,
        vec![
            Some(vec![bob.id]),
            None,
            Some(vec![]),
            Some(vec![bob.id]),
            None
        ]
    );
}

/// Files ride in the batch: each draft's files must be its author's, the
/// stored message carries them in the order given, and a draft naming
/// someone else's file (or none that exists) is left for the single send,
/// which refuses it.
#[tokio::test]
async fn a_batch_stores_attached_files_and_leaves_anothers_file_out() {
    use chat_store::messages::{Draft, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, room) = two_in_a_room(&app).await;
    let upload = |user: &TestUser, name: &'static str| {
        let token = user.token.clone();
        let app = &app;
        async move {
            crate::files::upload(app, &token, name, "text/plain", b"bytes".to_vec()).await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (a1, a2, b1) = (
        upload(&alice, "one.txt").await,
        upload(&alice, "two.txt").await,
        upload(&bob, "bobs.txt").await,
    );
    let with = |author: i64, body: &str, files: Vec<i64>| Draft {
        attachments: files,
        ..Draft::new(room, author, body)
    };
    let drafts = vec![
        with(alice.id, "two files", vec![a2, a1]),
        with(alice.id, "bob's file", vec![a1, b1]),
        with(bob.id, "plain", vec![]),
        with(alice.id, "no such file", vec![999_999]),
        with(bob.id, "his own", vec![b1]),
    ];
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let stored = send_batch(&pool.get().await.unwrap(), &drafts)
        .await
        .unwrap();
    let files: Vec<Option<Vec<i64>>> = stored
        .iter()
        .map(|s| {
            let m = s.as_ref()?.message();
            Some(m.attachments.iter().map(|f| f.id).collect())
        })
        .collect();
    assert_eq!(
        files,
        vec![Some(vec![a2, a1]), None, Some(vec![]), None, Some(vec![b1])]
    );
    // What the batch stored is what a reader gets, names included.
    let page = app
        .get(&format!("/api/v1/rooms/{room}/messages"), &bob.token)
        .await
        .expect(200);
    let names: Vec<Vec<&str>> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let files = m["attachments"].as_array().unwrap();
            files.iter().map(|f| f["name"].as_str().unwrap()).collect()
        })
        .collect();
    assert_eq!(
        names,
        vec![vec!["two.txt", "one.txt"], vec![], vec!["bobs.txt"]]
    );
    // The drafts left out are refused by the single send.
    let db = pool.get().await.unwrap();
    for left in [&drafts[1], &drafts[3]] {
        let err = chat_store::messages::send_draft(&db, left)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                chat_store::StoreError::Refused(chat_store::Refusal::UnknownFiles)
            ),
            "{err:?}"
        );
    }
}

/// A batch of one plain message takes the lean statement: the same
/// outcomes as the batch's (stored, or left for the single send to name
/// the refusal) and the same direct-room answers.
#[tokio::test]
async fn a_lone_plain_message_is_stored_or_left_out_like_a_batch_of_one() {
    use chat_store::messages::{Draft, Sent, send_batch};
    let app = TestApp::spawn().await;
    let (alice, bob, lobby) = two_in_a_room(&app).await;
    let eve = app.user("eve").await;
    let with_bob = open_dm(&app, &alice, "bob").await;
    let path = format!("/api/v1/rooms/{with_bob}/leave");
    app.post(&path, &bob.token, json!({})).await.expect(204);
    let pool = chat_store::create_pool(&app.db.url, &Default::default()).unwrap();
    let db = pool.get().await.unwrap();
    let lone = |draft: Draft| {
        let db = &db;
        async move {
            let mut out = send_batch(db, &[draft]).await.unwrap();
            assert_eq!(out.len(), 1);
            out.pop().unwrap()
        }
    };
    let keyed = |room: i64, author: i64, body: &str, key: &str| Draft {
        client_id: Some(key.into()),
        ..Draft::new(room, author, body)
    };

    let Some(Sent::New {
        message, rejoin, ..
    }) = lone(keyed(lobby, alice.id, "hi @room", "k")).await
    else {
        panic!("a member's message is stored");
    };
    assert_eq!(message.body.as_deref(), Some("hi @room"));
    assert!(message.mentions_room, "@room is kept on the message");
    assert!(rejoin.is_empty());
    let page = app
        .get(
            &format!("/api/v1/rooms/{lobby}/events?after=0"),
            &alice.token,
        )
        .await
        .expect(200);
    assert!(seqs_of(&page).contains(&message.seq), "its event is logged");

    assert!(
        lone(keyed(lobby, alice.id, "hi @room", "k"))
            .await
            .is_none(),
        "a retry"
    );
    assert!(
        lone(keyed(lobby, eve.id, "hello", "e")).await.is_none(),
        "not a member"
    );
    let Some(Sent::New { rejoin, .. }) = lone(keyed(with_bob, alice.id, "back?", "d")).await else {
        panic!("a direct room's message is stored");
    };
    assert_eq!(
        rejoin,
        vec![bob.id],
        "the one who left is named to bring back"
    );
    let _ = chat_store::rooms::archive(&mut pool.get().await.unwrap(), lobby)
        .await
        .unwrap();
    assert!(
        lone(keyed(lobby, alice.id, "late", "a")).await.is_none(),
        "archived"
    );
}

/// alice and bob in a room, eve outside it, and alice's message "earlier"
/// sent with the client_id "old" (a retry of it is left out of a batch).
pub async fn keyed_earlier(app: &TestApp) -> (TestUser, TestUser, TestUser, i64, Value) {
    let (alice, bob, room) = two_in_a_room(app).await;
    let eve = app.user("eve").await;
    let first = app
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            &alice.token,
            json!({"body": "earlier", "client_id": "old"}),
        )
        .await
        .expect(201)["message"]
        .clone();
    (alice, bob, eve, room, first)
}

async fn open_dm(app: &TestApp, user: &TestUser, peer: &str) -> i64 {
    let body = json!({ "username": peer });
    app.post("/api/v1/dms", &user.token, body).await.expect(201)["room"]["id"]
        .as_i64()
        .unwrap()
}
