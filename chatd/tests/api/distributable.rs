//! The schema stays distributable by room (docs/ha.md, "Past one
//! primary"): in Citus, a table distributed by `room_id` may only have
//! primary keys and unique indexes that include it, and ours lead with it
//! so every lookup by key also finds its shard. This reads the catalog after
//! the migrations and names any per-room table that breaks the rule.

use crate::helpers::TestDb;

/// The per-room tables, written on every send or read on every page: they
/// would be distributed by room_id.
const HOT: &[&str] = &[
    "messages",
    "room_events",
    "memberships",
    "reactions",
    "pins",
    "message_revisions",
    "room_bans",
    "mentions",
    "thread_reads",
    "message_attachments",
];

/// Tables with a room_id that would not be distributed, and why.
const NOT_HOT: &[(&str, &str)] = &[(
    "reports",
    "the moderation queue: a few rows, read by moderators, keyed by its own id",
)];

#[tokio::test]
async fn every_unique_key_of_a_per_room_table_leads_with_room_id() {
    let db = TestDb::create().await;
    let client = chat_store::connect_once(&db.url).await.unwrap();

    // Every table with a room_id column must be classified, so a new
    // per-room table cannot slip past this check.
    let with_room_id: Vec<String> = client
        .query(
            "SELECT c.relname FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
               AND a.attname = 'room_id' AND NOT a.attisdropped \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for table in HOT {
        assert!(
            with_room_id.iter().any(|t| t == table),
            "{table} is listed as per-room but has no room_id column"
        );
    }
    let unclassified: Vec<&String> = with_room_id
        .iter()
        .filter(|t| !HOT.contains(&t.as_str()) && !NOT_HOT.iter().any(|(n, _)| n == t))
        .collect();
    assert!(
        unclassified.is_empty(),
        "tables with a room_id that this test does not know: {unclassified:?}; \
         add each to HOT (and key it by room_id first) or to NOT_HOT with the reason"
    );

    let hot: Vec<String> = HOT.iter().map(|t| (*t).to_owned()).collect();
    let offenders = not_led_by_room_id(&client, &hot).await;
    assert!(
        offenders.is_empty(),
        "unique keys of per-room tables that do not lead with room_id:\n{}",
        offenders.join("\n")
    );

    // The check can see a violation: a key made here, on a copy of
    // messages, is reported.
    client
        .batch_execute(
            "CREATE TABLE distributable_probe (LIKE messages); \
             ALTER TABLE distributable_probe ADD PRIMARY KEY (id, room_id);",
        )
        .await
        .unwrap();
    let probe = not_led_by_room_id(&client, &["distributable_probe".to_owned()]).await;
    assert_eq!(probe.len(), 1, "{probe:?}");
}

/// Unique indexes (primary keys and unique constraints included) and
/// exclusion constraints of `tables` whose first column is not room_id.
async fn not_led_by_room_id(client: &tokio_postgres::Client, tables: &[String]) -> Vec<String> {
    client
        .query(
            "SELECT format('%s: %s', c.relname, pg_get_indexdef(x.indexrelid)) \
             FROM pg_index x \
             JOIN pg_class c ON c.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0] \
             WHERE n.nspname = 'public' AND c.relname = ANY($1) \
               AND (x.indisunique OR x.indisexclusion) \
               AND a.attname IS DISTINCT FROM 'room_id' \
             ORDER BY 1",
            &[&tables],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}
