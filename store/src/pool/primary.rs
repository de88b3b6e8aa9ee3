//! Connecting to the first host of a multi-host URL that answers (and,
//! with `target_session_attrs=read-write`, is the primary), giving each
//! host a deadline for the whole handshake.
//!
//! tokio-postgres tries the hosts in order, but its `connect_timeout` only
//! covers the TCP connect. A host whose PostgreSQL stopped answering while
//! its kernel still accepts connections (a hung or frozen server, a
//! SIGSTOPped node) then holds every new connection forever, and the
//! primary that Patroni promoted on the next host is never reached.

use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{Client, Config, Connection, NoTls, Socket};

/// A connection and the task-to-be that drives it.
pub type Connected = (Client, Connection<Socket, NoTlsStream>);

/// Why no host gave a connection: the last error a host answered with, or
/// `None` when every host ran out of time.
pub type Failed = Option<tokio_postgres::Error>;

/// Tries each host of `config` in turn, each within `deadline`.
pub async fn connect(config: &Config, deadline: Duration) -> Result<Connected, Failed> {
    let mut last = None;
    for single in per_host(config) {
        match tokio::time::timeout(deadline, single.connect(NoTls)).await {
            Ok(Ok(connected)) => return Ok(connected),
            Ok(Err(e)) => last = Some(e),
            Err(_) => tracing::debug!("a database host did not answer in time; trying the next"),
        }
    }
    Err(last)
}

/// One config per host, each a copy of `config` naming only that host (and
/// its port and hostaddr). A single-host config is used as it is.
fn per_host(config: &Config) -> Vec<Config> {
    let hosts = config.get_hosts();
    let addrs = config.get_hostaddrs();
    let count = hosts.len().max(addrs.len());
    if count <= 1 {
        return vec![config.clone()];
    }
    let ports = config.get_ports();
    (0..count)
        .map(|i| {
            let mut single = settings_of(config);
            match hosts.get(i) {
                Some(Host::Tcp(name)) => {
                    single.host(name);
                }
                Some(Host::Unix(path)) => {
                    single.host_path(path);
                }
                None => {}
            }
            if let Some(addr) = addrs.get(i) {
                single.hostaddr(*addr);
            }
            if let Some(port) = ports.get(i).or_else(|| ports.first()) {
                single.port(*port);
            }
            single
        })
        .collect()
}

/// Everything but the hosts, ports and hostaddrs.
fn settings_of(config: &Config) -> Config {
    let mut out = Config::new();
    if let Some(user) = config.get_user() {
        out.user(user);
    }
    if let Some(password) = config.get_password() {
        out.password(password);
    }
    if let Some(dbname) = config.get_dbname() {
        out.dbname(dbname);
    }
    if let Some(options) = config.get_options() {
        out.options(options);
    }
    if let Some(name) = config.get_application_name() {
        out.application_name(name);
    }
    if let Some(timeout) = config.get_connect_timeout() {
        out.connect_timeout(*timeout);
    }
    if let Some(timeout) = config.get_tcp_user_timeout() {
        out.tcp_user_timeout(*timeout);
    }
    out.ssl_mode(config.get_ssl_mode())
        .ssl_negotiation(config.get_ssl_negotiation())
        .keepalives(config.get_keepalives())
        .keepalives_idle(config.get_keepalives_idle())
        .target_session_attrs(config.get_target_session_attrs())
        .channel_binding(config.get_channel_binding())
        .load_balance_hosts(config.get_load_balance_hosts());
    if let Some(interval) = config.get_keepalives_interval() {
        out.keepalives_interval(interval);
    }
    if let Some(retries) = config.get_keepalives_retries() {
        out.keepalives_retries(retries);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use super::*;

    #[test]
    fn a_multi_host_url_becomes_one_config_per_host_with_the_same_settings() {
        let config = Config::from_str(
            "postgres://chat:pw@db1:5433,db2/chat?target_session_attrs=read-write\
             &application_name=x&connect_timeout=3",
        )
        .unwrap();
        let singles = per_host(&config);
        assert_eq!(singles.len(), 2);
        for (single, (host, port)) in singles.iter().zip([("db1", 5433), ("db2", 5432)]) {
            assert_eq!(single.get_hosts(), [Host::Tcp(host.into())]);
            assert_eq!(single.get_ports(), [port]);
            assert_eq!(single.get_user(), Some("chat"));
            assert_eq!(single.get_password(), Some(&b"pw"[..]));
            assert_eq!(single.get_dbname(), Some("chat"));
            assert_eq!(single.get_application_name(), Some("x"));
            assert_eq!(single.get_connect_timeout(), Some(&Duration::from_secs(3)));
            assert_eq!(
                single.get_target_session_attrs(),
                tokio_postgres::config::TargetSessionAttrs::ReadWrite
            );
        }
    }

    #[test]
    fn a_single_host_url_is_kept_as_it_is() {
        let config = Config::from_str("postgres://chat@db:6000/chat").unwrap();
        let singles = per_host(&config);
        assert_eq!(singles.len(), 1);
        assert_eq!(singles[0].get_ports(), [6000]);
    }
}
