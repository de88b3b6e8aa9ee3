//! `chatd healthcheck`: is the chatd on this machine ready?
//!
//! Container health checks run a command inside the container, and the
//! runtime image has no curl. So chatd itself sends `GET /readyz` over a
//! plain TCP connection and reports through its exit status. Blocking std
//! I/O is enough for one request and needs no async runtime.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// Options of `chatd healthcheck`.
#[derive(Debug, Clone, clap::Args)]
pub struct HealthcheckArgs {
    /// Address of the chatd to ask [default: the listen address, with a
    /// wildcard address replaced by loopback].
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<SocketAddr>,
    /// Seconds to wait for the whole answer.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub timeout: u64,
}

/// Where to connect for a server listening on `listen`: a wildcard address
/// is not something to connect to, so use the loopback of the same family.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// Asks `addr` for `/readyz`; Ok only for a 200 within `timeout`.
pub fn check(addr: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot connect to chatd at {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let request = format!(
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: chatd-healthcheck\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("cannot send to chatd at {addr}"))?;
    // The status line is all we need; /readyz answers are small, so read
    // until the server closes (Connection: close) or 4 KiB, whichever first.
    let mut answer = Vec::with_capacity(512);
    stream
        .take(4096)
        .read_to_end(&mut answer)
        .with_context(|| format!("no answer from chatd at {addr}"))?;
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(code) => bail!("chatd at {addr} is not ready: HTTP {code}"),
        None => bail!("chatd at {addr} gave no HTTP answer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server that answers the first request with `answer`.
    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = socket.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"GET /readyz HTTP/1.1\r\n"));
            socket.write_all(answer.as_bytes()).unwrap();
        });
        addr
    }

    #[test]
    fn wildcard_listen_addresses_become_loopback() {
        assert_eq!(
            target("0.0.0.0:8080".parse().unwrap()).to_string(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            target("[::]:8080".parse().unwrap()).to_string(),
            "[::1]:8080"
        );
        assert_eq!(
            target("10.0.0.5:80".parse().unwrap()).to_string(),
            "10.0.0.5:80"
        );
    }

    #[test]
    fn ready_only_on_200() {
        let wait = Duration::from_secs(5);
        let ok = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        check(ok, wait).unwrap();
        let down = serve_once("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
        let err = check(down, wait).unwrap_err().to_string();
        assert!(err.contains("503"), "{err}");
        let garbage = serve_once("");
        assert!(check(garbage, wait).is_err());
    }

    #[test]
    fn nothing_listening_fails_fast() {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        assert!(check(addr, Duration::from_secs(2)).is_err());
    }

    #[test]
    fn a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let started = std::time::Instant::now();
        assert!(check(addr, Duration::from_millis(300)).is_err());
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
