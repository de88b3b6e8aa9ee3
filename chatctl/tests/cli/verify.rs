//! `chatctl backup verify` and `backup --verify` on good and damaged
//! archives.
//!
//! Only `verify_passes_a_good_backup_and_catches_corrupted_ones` runs
//! verifications (`backup verify`, `backup --verify`; files.rs's through
//! it), so it can check that none of them leaves a scratch database behind.

use chat_testkit::TestDb;
use serde_json::Value;

use super::backup_kit::{
    Scratch, ctl, entries, seed, stderr_of, with_flipped_dump_byte, with_manifest,
};
use super::json;

/// The verification scratch databases of this harness's role that exist
/// now (operator.rs verifies as roles of its own meanwhile).
async fn scratch_databases() -> Vec<String> {
    let admin = chat_store::connect_once(&chat_testkit::admin_url())
        .await
        .unwrap();
    admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'chatctl\\_verify\\_%' \
             AND datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user) ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn verify_passes_a_good_backup_and_catches_corrupted_ones() {
    let scratch_before = scratch_databases().await;
    let db = TestDb::create().await;
    seed(&db).await;
    let scratch = Scratch::new("verify");
    let good = scratch.path("good.chatbak");

    // `backup --verify` verifies the new file before it reports.
    let out = ctl(&db)
        .args(["backup", "--verify", "--json"])
        .arg(&good)
        .assert()
        .success();
    let taken = json(&out.get_output().stdout);
    assert_eq!(taken["verification"]["ok"], true, "{taken}");
    assert_eq!(scratch_databases().await, scratch_before);

    // The layout the module documents: the manifest, then pg_dump's
    // custom format.
    let layout = entries(&good);
    let names: Vec<&str> = layout.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(names, ["manifest.json", "database.dump"]);
    let bytes = std::fs::read(&good).unwrap();
    assert_eq!(&bytes[layout[1].1..layout[1].1 + 5], b"PGDMP");
    assert_eq!(
        taken["manifest"]["dump"]["bytes"].as_u64(),
        Some(layout[1].2 as u64)
    );

    let out = ctl(&db)
        .args(["backup", "verify", "--json"])
        .arg(&good)
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    assert_eq!(report["ok"], true, "{report}");
    let checks = report["checks"].as_array().unwrap();
    for name in ["checksum", "restore", "rows in messages", "event log"] {
        let check = checks.iter().find(|c| c["name"] == name);
        assert_eq!(check.map(|c| &c["ok"]), Some(&Value::Bool(true)), "{name}");
    }
    assert!(checks.iter().all(|c| c["ok"] == true), "{report}");
    assert_eq!(scratch_databases().await, scratch_before);

    // Every kind of damage: exit 1, ok false, a failed check, nothing left.
    let flipped = scratch.path("flipped.chatbak");
    with_flipped_dump_byte(&good, &flipped);
    let truncated = scratch.path("truncated.chatbak");
    std::fs::write(&truncated, &bytes[..layout[1].1 + layout[1].2 / 2]).unwrap();
    let lying = scratch.path("lying.chatbak");
    with_manifest(&good, &lying, |m| {
        let n = m["counts"]["messages"].as_i64().unwrap();
        m["counts"]["messages"] = (n + 1).into();
    });
    let garbage = scratch.path("garbage.chatbak");
    std::fs::write(&garbage, "not a backup\n").unwrap();
    for (file, failed_check, why) in [
        (&flipped, "restore", "corrupted"),
        (&truncated, "restore", "corrupted"),
        (&lying, "rows in messages", "manifest"),
        (&garbage, "restore", "not a readable chat backup"),
    ] {
        let out = ctl(&db)
            .args(["backup", "verify", "--json"])
            .arg(file)
            .assert()
            .code(1);
        let report = json(&out.get_output().stdout);
        assert_eq!(report["ok"], false, "{}: {report}", file.display());
        let failed: Vec<&Value> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["ok"] == false)
            .collect();
        assert!(
            failed
                .iter()
                .any(|c| c["name"] == failed_check && c["detail"].as_str().unwrap().contains(why)),
            "{}: {report}",
            file.display()
        );
        let stderr = stderr_of(&out);
        assert!(stderr.contains("failed verification"), "{stderr}");
        assert_eq!(scratch_databases().await, scratch_before);
    }
    // The lying manifest's dump itself was fine: only the count is off.
    let out = ctl(&db)
        .args(["backup", "verify", "--json"])
        .arg(&lying)
        .assert()
        .code(1);
    let report = json(&out.get_output().stdout);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["rows in messages"], "{report}");

    // Without --json: a table on stdout, the verdict on stderr.
    let out = ctl(&db)
        .args(["backup", "verify"])
        .arg(&flipped)
        .assert()
        .code(1);
    let table = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(table.contains("FAILED"), "{table}");
    // Uploaded files in backups: verified here, with the other verifications.
    super::files::backups_carry_the_files_verify_checks_them_and_restore_puts_them_back().await;
    assert_eq!(scratch_databases().await, scratch_before);
}
