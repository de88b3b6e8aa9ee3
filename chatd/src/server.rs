//! Startup and shutdown: check the database, bind, serve until told to stop.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chat_store::password::PasswordHasher;
use chat_store::{PoolOptions, create_pool, migrate};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::config::{Config, redact_url};
use crate::gateway::Gateway;
use crate::http::ws::UpgradeSlot;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::sends::SendQueue;
use crate::session_cache::SessionCache;
use crate::state::AppState;

mod connection;
mod rejections;

pub use connection::ConnectionLimits;
use connection::{Activity, Admission, Gate, GracefulStop, Served, TimedBody, TrackedIo};

/// A chatd that has checked its database and bound its port, ready to run.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
}

impl Server {
    /// Connects to PostgreSQL, refuses a schema that is behind or ahead of
    /// this binary, and binds the listen address. Every failure is one line
    /// that says what to do.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let shown_url = redact_url(&config.database_url);
        let pool = create_pool(
            &config.database_url,
            &PoolOptions {
                max_size: config.db_pool_size,
                ..PoolOptions::default()
            },
        )
        .with_context(|| format!("bad database URL {shown_url}"))?;
        let db = pool.get().await.map_err(|e| {
            let e = chat_store::StoreError::from(e);
            anyhow::anyhow!(
                "cannot connect to PostgreSQL at {shown_url}: {e} \
                     (is it running? `chatctl migrate --create-database` creates the database)"
            )
        })?;
        // Asked first: without access to its tables, a role would see the
        // schema as unmigrated and be told to migrate.
        let access = chat_store::database::access_problem(&**db, chat_store::database::Access::Use)
            .await
            .with_context(|| format!("cannot check access to the tables at {shown_url}"))?;
        if let Some(problem) = access {
            bail!(
                "permission problem at {shown_url}: {problem}; chatd's role must own chat's tables \
                 (`chatctl restore --owner ROLE`; docs/admin.md, \"Restoring\")"
            );
        }
        let status = migrate::status(&**db)
            .await
            .with_context(|| format!("cannot read the schema version at {shown_url}"))?;
        if !status.unknown.is_empty() {
            bail!("{}", migrate::ahead_error(&status));
        }
        if !status.pending.is_empty() {
            bail!(
                "the database schema at {shown_url} is behind ({} migration(s) pending); run `chatctl migrate` first",
                status.pending.len()
            );
        }
        let autovacuum = chat_store::database::autovacuum_enabled(&**db).await;
        drop(db);
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        // Only once startup cannot fail any more: a fatal error stays one line.
        if let Ok(false) = autovacuum {
            tracing::warn!(
                "PostgreSQL runs with autovacuum off: statistics go stale and dead rows pile up \
                 as history grows, and queries slow down; turn it on, or run VACUUM ANALYZE \
                 regularly (docs/admin.md)"
            );
        }
        let sessions = Arc::new(SessionCache::new(config.session_cache));
        let gateway = Gateway::start(
            pool.clone(),
            config.database_url.clone(),
            config.gateway.clone(),
            config.session_idle,
            sessions.clone(),
        );
        // Serve with the token cache working from the first request; if the
        // listening connection is slow to come up, serve without it.
        if !sessions.until_listening(Duration::from_secs(2)).await {
            tracing::warn!(
                "not yet listening for changes from the database; checking every token meanwhile"
            );
        }
        let metrics = Arc::new(Metrics::default());
        let sends = SendQueue::new(pool.clone(), gateway.clone(), metrics.clone());
        let limiter = Arc::new(RateLimiter::new(&config.rate_limits));
        let forgetting = limiter.clone();
        let stop = gateway.shutdown_token();
        tokio::spawn(async move { forgetting.forget_idle_keys(stop).await });
        let files = Arc::new(crate::service::files::Files::open(&config.files)?);
        let sweep = crate::service::files::sweep_forever(
            pool.clone(),
            files.clone(),
            gateway.shutdown_token(),
        );
        tokio::spawn(sweep);
        let state = Arc::new(AppState {
            hasher: PasswordHasher::new(config.password_hash),
            config,
            pool,
            metrics,
            gateway,
            sends,
            limiter,
            sessions,
            files,
        });
        Ok(Self { listener, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes; then stops accepting, closes
    /// WebSockets with 1001, lets requests in flight finish (bounded by the
    /// shutdown grace) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let addr = self.local_addr();
        let state = self.state;
        let service = warp::service(crate::http::routes(state.clone()));
        // Every connection holds a receiver; shutdown tells them all, then
        // waits until the last one is dropped.
        let (stopping, stop) = watch::channel(false);
        let trusted = Arc::new(state.config.trusted_proxies.clone());
        let limits = Arc::new(state.config.connections.clone());
        let cap = limits.cap(state.config.db_pool_size);
        let gate = Gate::new(cap);
        tracing::info!(%addr, %trusted, max_connections = cap, "chatd listening");
        let watchdog = CancellationToken::new();
        crate::systemd::spawn_watchdog(state.config.database_url.clone(), watchdog.clone());
        crate::systemd::ready();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: back off
                        // instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let (permit, health_only) = match gate.admit() {
                Admission::Full(permit) => (permit, false),
                Admission::HealthOnly(permit) => (permit, true),
                Admission::Shed => continue,
            };
            // Small frames (acks, events) must not wait for Nagle's
            // algorithm and the peer's delayed ACK.
            let _ = stream.set_nodelay(true);
            let peer = Peer {
                addr: peer,
                trusted: trusted.clone(),
                health_only,
            };
            let connection = serve_connection(stream, peer, permit, &limits, service.clone());
            tokio::spawn(connection.run(limits.clone(), stop.clone()));
        }
        drop(self.listener);
        drop(stop);
        crate::systemd::stopping();
        watchdog.cancel();
        tracing::info!("no longer accepting; closing WebSockets and finishing requests");
        let grace = state.config.shutdown_grace;
        let _ = stopping.send(true);
        let (_, requests) = tokio::join!(
            state.gateway.shut_down(grace),
            tokio::time::timeout(grace, stopping.closed()),
        );
        if requests.is_err() {
            tracing::warn!("some requests did not finish within the shutdown grace");
        }
        state.pool.close();
        tracing::info!("chatd stopped");
    }
}

/// Who is on the other end of a connection, and what it may ask.
struct Peer {
    addr: SocketAddr,
    trusted: Arc<crate::proxy::TrustedProxies>,
    /// Admitted from the health reserve: only the health checks answer.
    health_only: bool,
}

/// Builds the HTTP/1 connection (upgrades kept for WebSockets; HTTP/2 is
/// not spoken at all, so an h2c preface is refused as a bad request line).
fn serve_connection<S>(
    stream: TcpStream,
    peer: Peer,
    permit: tokio::sync::OwnedSemaphorePermit,
    limits: &ConnectionLimits,
    service: S,
) -> Served<impl Future<Output = Result<(), hyper::Error>> + GracefulStop + Send + 'static>
where
    S: tower_service::Service<
            hyper::Request<TimedBody>,
            Response = warp::reply::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let activity = Activity::new();
    // hyper's own rejections of unparsable heads go out as our JSON.
    let stream = rejections::JsonRejections::new(stream);
    let io = TrackedIo::new(stream, activity.clone(), permit);
    let body_timeout = limits.body_timeout;
    // A connection from the health reserve asks once and goes.
    let keep_alive = !peer.health_only;
    let tracked = activity.clone();
    let hyper_service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let in_flight = tracked.request();
        let mut req = req.map(|body| TimedBody::new(body, body_timeout));
        // Park hyper's upgrade handle where the WebSocket route can take
        // it, and note the client for logs and rate limits.
        if let Some(on_upgrade) = req.extensions_mut().remove::<OnUpgrade>() {
            req.extensions_mut().insert(UpgradeSlot::new(on_upgrade));
        }
        let client = peer.trusted.client_addr(peer.addr, req.headers());
        req.extensions_mut().insert(PeerAddr {
            client,
            tcp: peer.addr,
        });
        // HEAD is answered as GET; hyper remembers the request was HEAD
        // and sends the head of the answer without its body.
        if req.method() == hyper::Method::HEAD {
            *req.method_mut() = hyper::Method::GET;
        }
        let refused = peer.health_only && !is_health_check(req.uri().path());
        // Every log line of the request (and of a WebSocket it opens)
        // names the client.
        let span = tracing::info_span!("http", %client);
        let mut service = service.clone();
        async move {
            let _in_flight = in_flight;
            if refused {
                return Ok(crate::http::overloaded());
            }
            tower_service::Service::call(&mut service, req).await
        }
        .instrument(span)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(keep_alive);
    let connection = builder
        .serve_connection(TokioIo::new(io), hyper_service)
        .with_upgrades();
    Served {
        connection,
        activity,
    }
}
fn is_health_check(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

/// Where a request came from, for logs and rate limits.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr {
    /// The client: the TCP peer, or the address a trusted proxy forwarded
    /// in `X-Forwarded-For` (see [`crate::proxy`]). Use this one.
    pub client: IpAddr,
    /// The TCP peer itself (the proxy's address when behind one).
    pub tcp: SocketAddr,
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
