//! What the container image and the systemd units rely on, run for real:
//! the example environment file and `chatd healthcheck`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon::{Daemon, through_fault_proxy};
use crate::helpers::TestDb;

/// systemd/chatd.env.example, as systemd and docker would pass it (only the
/// database and the port replaced), configures a chatd that starts, trusts
/// the local Apache and nobody else.
#[tokio::test]
async fn the_example_env_file_configures_a_working_chatd() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd/chatd.env.example");
    let text = std::fs::read_to_string(path).unwrap();
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not KEY=value: {line}"));
        assert!(
            key.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "odd key: {line}"
        );
        // systemd and docker --env-file disagree about quotes: none at all.
        assert!(!value.contains(['"', '\'']), "quoted value: {line}");
        vars.push((key.to_owned(), value.to_owned()));
    }
    let keys: Vec<_> = vars.iter().map(|(k, _)| k.as_str()).collect();
    for needed in ["DATABASE_URL", "CHATD_LISTEN", "CHATD_TRUSTED_PROXIES"] {
        assert!(keys.contains(&needed), "{needed} missing from the example");
    }
    let db = TestDb::create().await;
    let env: Vec<(&str, &str)> = vars
        .iter()
        .filter(|(k, _)| k != "DATABASE_URL" && k != "CHATD_LISTEN")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut chatd = Daemon::spawn(&db.url, &[], &env);
    chatd.wait_ready().await;
    let listening = chatd
        .logs()
        .into_iter()
        .find(|line| line["message"] == "chatd listening")
        .expect("a JSON 'chatd listening' line");
    assert_eq!(listening["trusted"], "127.0.0.1/32,::1/128", "{listening}");
}

/// The command of the Dockerfile's HEALTHCHECK (exec form, on the line
/// after `HEALTHCHECK`), without the program name.
fn dockerfile_healthcheck() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Dockerfile");
    let text = std::fs::read_to_string(path).unwrap();
    let at = text
        .find("\nHEALTHCHECK ")
        .expect("the Dockerfile has a HEALTHCHECK");
    let cmd = &text[at..];
    let json = &cmd[cmd.find("CMD [").expect("HEALTHCHECK ... CMD [...]") + 4..];
    let json = &json[..=json.find(']').unwrap()];
    let argv: Vec<String> = serde_json::from_str(json).expect("exec-form CMD");
    assert_eq!(argv[0], "chatd", "{argv:?}");
    argv[1..].to_vec()
}

/// `chatd healthcheck`, exactly as the image's HEALTHCHECK runs it: 0 while
/// chatd is ready, 1 when its database is gone or chatd is down. It finds
/// chatd the way the container does: from CHATD_LISTEN, a wildcard address
/// meaning loopback.
#[tokio::test]
async fn the_healthcheck_subcommand_follows_readiness() {
    let db = TestDb::create().await;
    let (proxy, proxied) = through_fault_proxy(&db.url).await;
    let mut chatd = Daemon::spawn(&proxied, &[], &[]);
    chatd.wait_ready().await;
    let args = dockerfile_healthcheck();
    assert_eq!(args[0], "healthcheck");
    // Off the runtime: the fault proxy must keep serving meanwhile.
    let check = |listen: String| {
        let args = args.clone();
        async move {
            let out = tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_chatd"))
                    .args(args)
                    .env_remove("CHATD_CONFIG")
                    .env("CHATD_LISTEN", listen)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let wildcard = format!("0.0.0.0:{}", chatd.port);
    assert_eq!(check(wildcard.clone()).await.0, Some(0));

    proxy.cut().await;
    let (code, stderr) = check(wildcard.clone()).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("503"), "{stderr}");

    proxy.restore().await;
    chatd.wait_ready().await;
    assert_eq!(check(wildcard.clone()).await.0, Some(0));

    chatd.terminate();
    assert_eq!(chatd.exit_code(Duration::from_secs(15)).await, Some(0));
    let (code, stderr) = check(wildcard).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("cannot connect"), "{stderr}");
}
