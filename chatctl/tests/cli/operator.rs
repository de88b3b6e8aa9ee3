//! The operator's procedures as docs/deploy.md and docs/admin.md give
//! them, run with the roles they make: a restore done as a superuser must
//! leave a database chatd's own role can serve from, and the nightly
//! verified backup must work as that role and leave nothing that looks
//! like a backup when it fails. The roles, chatd and curl are in
//! operator_kit.rs.

use std::process::Command;

use chat_testkit::TestDb;

use super::backup_kit::{Scratch, ctl, fresh_database, seed, stderr_of};
use super::operator_kit::{Role, admin, listing, start_chatd, table_owners, use_it};

#[tokio::test]
async fn a_superuser_restore_leaves_a_database_chatds_role_serves() {
    let role = Role::create().await;
    let source = TestDb::create().await;
    seed(&source).await;
    let scratch = Scratch::new("operator-restore");
    let file = scratch.path("nightly.chatbak");
    ctl(&source).arg("backup").arg(&file).assert().success();

    // As docs/admin.md shows it: the database deploy.md made (owned by the
    // service's role), restored into as the superuser, no options.
    let target = fresh_database(&source, "restored");
    role.own_database(&target).await;
    let out = ctl(&target)
        .arg("restore")
        .arg(&file)
        .args(["--data-dir"])
        .arg(scratch.path("data"))
        .assert()
        .success();
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!("owned by {}", role.name)),
        "{stderr}"
    );
    assert_eq!(
        table_owners(&target.url).await,
        std::slice::from_ref(&role.name)
    );
    let as_role = role.url(&target.url);
    {
        let chatd = start_chatd(&as_role, &scratch.path("data")).unwrap();
        use_it(&chatd);
    }
    let mut ctl_as_role = ctl(&target);
    ctl_as_role.env("DATABASE_URL", &as_role);
    ctl_as_role.arg("migrate").assert().success();

    // Restored again over it (it holds data now): --force, then the same.
    ctl(&target)
        .args(["restore", "--force", "-y", "--data-dir"])
        .arg(scratch.path("data"))
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        table_owners(&target.url).await,
        std::slice::from_ref(&role.name)
    );
    drop(start_chatd(&as_role, &scratch.path("data")).unwrap());

    // docs/admin.md's command: as the service's role itself (its
    // environment file), replacing what is there.
    let mut as_service = ctl(&target);
    as_service.env("DATABASE_URL", &as_role);
    as_service
        .args(["restore", "--force", "-y", "--data-dir"])
        .arg(scratch.path("data"))
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        table_owners(&target.url).await,
        std::slice::from_ref(&role.name)
    );
    drop(start_chatd(&as_role, &scratch.path("data")).unwrap());

    // A database restore creates: --owner names the service's role.
    let created = fresh_database(&source, "created");
    ctl(&created)
        .args(["restore", "--owner", &role.name, "--data-dir"])
        .arg(scratch.path("data"))
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        table_owners(&created.url).await,
        std::slice::from_ref(&role.name)
    );
    let client = chat_store::connect_once(&created.url).await.unwrap();
    let db_owner: String = client
        .query_one(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(db_owner, role.name);
    drop(client);
    drop(start_chatd(&role.url(&created.url), &scratch.path("data")).unwrap());
}

#[tokio::test]
async fn tables_the_role_cannot_use_are_reported_as_a_permission_problem() {
    let role = Role::create().await;
    let source = TestDb::create().await;
    seed(&source).await;
    let scratch = Scratch::new("operator-perm");
    let file = scratch.path("nightly.chatbak");
    ctl(&source).arg("backup").arg(&file).assert().success();

    // The tables end up the superuser's, in the service role's database.
    let target = fresh_database(&source, "wrong");
    role.own_database(&target).await;
    let superuser: String = admin()
        .await
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    ctl(&target)
        .args(["restore", "--owner", &superuser, "--data-dir"])
        .arg(scratch.path("data"))
        .arg(&file)
        .assert()
        .success();
    let as_role = role.url(&target.url);
    let refusal = match start_chatd(&as_role, &scratch.path("data")) {
        Ok(_) => panic!("chatd started on tables its role cannot use"),
        Err(stderr) => stderr,
    };
    assert!(refusal.contains("permission problem"), "{refusal}");
    assert!(refusal.contains(&role.name), "{refusal}");
    assert!(!refusal.contains("behind"), "{refusal}");
    for args in [&["migrate"][..], &["user", "list"][..]] {
        let mut cmd = ctl(&target);
        cmd.env("DATABASE_URL", &as_role);
        let out = cmd.args(args).assert().code(1);
        let stderr = stderr_of(&out);
        assert!(stderr.contains("permission problem"), "{stderr}");
        assert!(!stderr.contains("behind"), "{stderr}");
    }

    // The cure the message names: restore again for the service's role.
    ctl(&target)
        .args([
            "restore",
            "--force",
            "-y",
            "--owner",
            &role.name,
            "--data-dir",
        ])
        .arg(scratch.path("data"))
        .arg(&file)
        .assert()
        .success();
    drop(start_chatd(&as_role, &scratch.path("data")).unwrap());

    // A role that does not exist is a usage error, and changes nothing.
    let out = ctl(&target)
        .args(["restore", "--force", "-y", "--owner", "nobody_at_all"])
        .arg(&file)
        .assert()
        .code(2);
    assert!(stderr_of(&out).contains("no role named nobody_at_all"));
}

#[tokio::test]
async fn the_nightly_verified_backup_runs_as_the_documented_role() {
    let role = Role::create().await;
    let holder = TestDb::empty().await;
    let db = fresh_database(&holder, "nightly");
    role.own_database(&db).await;
    let as_role = role.url(&db.url);
    let scratch = Scratch::new("operator-nightly");
    let dir = scratch.path("backups");
    std::fs::create_dir(&dir).unwrap();
    let data = scratch.path("data");
    // Everything as the role: deploy.md's step 4, then some use.
    let run = |args: &[&str]| {
        let mut cmd = ctl(&db);
        cmd.env("DATABASE_URL", &as_role)
            .env("CHATD_DATA_DIR", &data)
            .args(args);
        cmd
    };
    run(&["migrate"]).assert().success();
    seed(&TestDb::foreign(&as_role)).await;

    // Older backups, a stale temporary file from a run that was killed,
    // and a fresh one (a run in progress) that must be left alone.
    for old in ["20200101T000000Z", "20200102T000000Z", "20200103T000000Z"] {
        std::fs::write(dir.join(format!("chat-{old}.chatbak")), "old").unwrap();
    }
    let stale = dir.join(".chat-20200104T000000Z.chatbak.partial");
    std::fs::write(&stale, "killed").unwrap();
    let status = Command::new("touch")
        .args(["-d", "2 days ago"])
        .arg(&stale)
        .status()
        .unwrap();
    assert!(status.success());
    let running = dir.join(".chat-20200105T000000Z.chatbak.dump.partial");
    std::fs::write(&running, "in progress").unwrap();

    // The unit's command, verbatim.
    let dir_arg = dir.to_str().unwrap();
    let out = run(&["backup", dir_arg, "--keep", "2", "--verify"])
        .assert()
        .success();
    let stderr = stderr_of(&out);
    assert!(stderr.contains("verified"), "{stderr}");
    let names = listing(&dir);
    let backups: Vec<&String> = names.iter().filter(|n| n.ends_with(".chatbak")).collect();
    assert_eq!(backups.len(), 2, "{names:?}");
    assert_eq!(backups[0], "chat-20200103T000000Z.chatbak");
    assert!(!names.contains(&".chat-20200104T000000Z.chatbak.partial".to_owned()));
    assert!(names.contains(&".chat-20200105T000000Z.chatbak.dump.partial".to_owned()));
    let newest = dir.join(backups[1]);
    let mut verify = ctl(&db);
    verify.env("DATABASE_URL", &as_role);
    verify
        .args(["backup", "verify"])
        .arg(&newest)
        .assert()
        .success();

    // Without CREATEDB the verification cannot run: the run fails, says
    // why (at error priority in a journal), and leaves the directory as
    // it was: no new backup, no temporary file, nothing rotated away.
    admin()
        .await
        .batch_execute(&format!("ALTER ROLE {} NOCREATEDB", role.name))
        .await
        .unwrap();
    // Backups are named by the second: a run within the same second as the
    // one above would be refused for the name (exit 2), not for CREATEDB.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let before = listing(&dir);
    let log = scratch.path("journal");
    let journal = std::fs::File::create(&log).unwrap();
    let stream = {
        use std::os::unix::fs::MetadataExt as _;
        let meta = journal.metadata().unwrap();
        format!("{}:{}", meta.dev(), meta.ino())
    };
    let status = Command::new(assert_cmd::cargo::cargo_bin("chatctl"))
        .args(["backup", dir_arg, "--keep", "1", "--verify"])
        .env("DATABASE_URL", &as_role)
        .env("CHATD_DATA_DIR", &data)
        .env("JOURNAL_STREAM", &stream)
        .env_remove("CHATD_CONFIG")
        .env_remove("CHATCTL_PG_BINDIR")
        .stderr(journal)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.starts_with("<3>chatctl: "), "{logged}");
    assert!(logged.contains("CREATEDB"), "{logged}");
    assert_eq!(listing(&dir), before);
}
