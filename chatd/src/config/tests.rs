//! Precedence, the file format, and `--help` against the README.

use clap::CommandFactory as _;

use super::*;
use crate::ratelimit::Limit;

fn file(toml: &str) -> Settings {
    toml::from_str(toml).unwrap()
}

#[test]
fn flags_beat_the_file_and_defaults_fill_the_rest() {
    let args = Args::parse_from(["chatd", "--listen", "127.0.0.1:9000"]);
    let from_file = file("listen = \"0.0.0.0:1\"\nregistration = \"closed\"");
    let config = Config::resolve(args.settings, from_file);
    assert_eq!(config.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(config.registration, RegistrationMode::Closed);
    assert_eq!(config.max_body_bytes, 64 * 1024);
    assert_eq!(config.session_cache, Duration::from_secs(10));

    let config = Config::resolve(Settings::default(), file("session_cache = 0"));
    assert!(config.session_cache.is_zero());
}

#[test]
fn trusted_proxies_come_from_flags_or_the_file() {
    let config = Config::resolve(
        Settings::default(),
        file("trusted_proxies = [\"10.0.0.0/8\"]"),
    );
    assert!(config.trusted_proxies.trusts("10.1.1.1".parse().unwrap()));

    let args = Args::parse_from(["chatd", "--trusted-proxies", "127.0.0.1,::1"]);
    let config = Config::resolve(args.settings, file("trusted_proxies = [\"10.0.0.0/8\"]"));
    assert!(config.trusted_proxies.trusts("::1".parse().unwrap()));
    assert!(!config.trusted_proxies.trusts("10.1.1.1".parse().unwrap()));

    assert!(Config::default().trusted_proxies.is_empty());
    assert!(Args::try_parse_from(["chatd", "--trusted-proxies", "proxy.lan"]).is_err());
}

#[test]
fn rate_limits_and_origins_come_from_the_file_unless_a_flag_says() {
    let from_file = || {
        file(
            "limit_login_user = \"3/1m\"\nlimit_sends_user = \"off\"\n\
             limit_ws_addr = \"500/1m\"\nlimit_writes_user = \"5/1m\"\n\
             ws_allowed_origins = [\"https://Chat.Example.org/\", \" \"]",
        )
    };
    let config = Config::resolve(Settings::default(), from_file());
    let limits = &config.rate_limits;
    assert_eq!(limits.login_per_user, "3/1m".parse().unwrap());
    assert_eq!(limits.sends_per_user, Limit::OFF);
    assert_eq!(limits.ws_per_addr, "500/1m".parse().unwrap());
    assert_eq!(limits.writes_per_user, "5/1m".parse().unwrap());
    // Keys the file leaves out keep their defaults.
    assert_eq!(
        limits.register_per_addr,
        RateLimits::default().register_per_addr
    );
    assert_eq!(config.ws_allowed_origins, ["https://chat.example.org"]);

    let args = Args::parse_from([
        "chatd",
        "--limit-login-user",
        "off",
        "--limit-writes-user",
        "off",
        "--ws-allowed-origins",
        "*",
    ]);
    let config = Config::resolve(args.settings, from_file());
    assert_eq!(config.rate_limits.login_per_user, Limit::OFF);
    assert_eq!(config.rate_limits.sends_per_user, Limit::OFF);
    assert_eq!(config.rate_limits.writes_per_user, Limit::OFF);
    assert_eq!(config.ws_allowed_origins, ["*"]);

    let args = Args::parse_from([
        "chatd",
        "--ws-allowed-origins",
        "https://a.org,https://b.org",
    ]);
    let config = Config::resolve(args.settings, Settings::default());
    assert_eq!(
        config.ws_allowed_origins,
        ["https://a.org", "https://b.org"]
    );

    assert!(toml::from_str::<Settings>("limit_ws_user = \"ten a minute\"").is_err());
}

#[test]
fn unknown_file_keys_are_refused() {
    assert!(toml::from_str::<Settings>("lisen = \"x\"").is_err());
    // The file names settings, not another file.
    assert!(toml::from_str::<Settings>("config = \"other.toml\"").is_err());
}

#[test]
fn out_of_range_values_are_refused_with_the_setting_named() {
    for (flag, value, message) in [
        ("--db-pool-size", "0", "db_pool_size must be at least 1"),
        (
            "--max-body-bytes",
            "1000",
            "max_body_bytes must be at least 1024",
        ),
        (
            "--max-message-chars",
            "0",
            "max_message_chars must be at least 1",
        ),
        ("--ws-queue", "15", "ws_queue must be at least 16"),
        (
            "--ws-ping-interval",
            "0",
            "ws_ping_interval must be at least 1",
        ),
    ] {
        let args = Args::parse_from(["chatd", flag, value]);
        let err = Config::load(args).expect_err(flag);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn limits_are_shown_in_the_unit_one_would_type() {
    use shown::Shown as _;
    let shown = |rate: &str| rate.parse::<Limit>().unwrap().shown();
    assert_eq!(shown("10/300s"), "10/5m");
    assert_eq!(shown("20/60m"), "20/1h");
    assert_eq!(shown("30/10s"), "30/10s");
    assert_eq!(shown("2/90s"), "2/90s");
    assert_eq!(Limit::OFF.shown(), "off");
}

/// Every row of README.md's Configuration table names a flag that exists,
/// with that environment variable, and `--help` shows that default.
#[test]
fn the_readme_table_matches_help() {
    let readme = include_str!("../../../README.md");
    let command = Args::command();
    let mut rows = 0;
    for row in readme.lines().filter(|l| l.starts_with("| `--")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let unquote = |cell: &str| cell.split('`').nth(1).map(str::to_owned);
        let flag = unquote(cells[1]).unwrap();
        let env = unquote(cells[2]).unwrap();
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == flag.strip_prefix("--"))
            .unwrap_or_else(|| panic!("README names {flag}, which chatd lacks"));
        assert_eq!(
            arg.get_env().and_then(|e| e.to_str()),
            Some(&*env),
            "{flag}"
        );
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let default = match cells[3] {
            "none" => Some("none".to_owned()),
            cell => unquote(cell),
        };
        if let Some(default) = default {
            assert!(
                help.ends_with(&format!("[default: {default}]")),
                "{flag}: {help}"
            );
        }
        rows += 1;
    }
    // The settings and --config, each documented.
    let documented = command.get_arguments().filter(|a| a.get_env().is_some());
    assert_eq!(rows, documented.count());
}
