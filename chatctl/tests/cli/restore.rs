//! `chatctl restore` over a database that has data: refused unless forced
//! and confirmed, and never at the cost of that data for a bad backup.

use chat_testkit::TestDb;

use super::backup_kit::{
    Scratch, add_user, ctl, fingerprint, pool, seed, stderr_of, with_flipped_dump_byte,
};
use super::json;

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
    assert!(stderr.contains("holds data"), "{stderr}");
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
