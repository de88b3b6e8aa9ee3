//! Startup and shutdown: check the database, bind, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chat_store::password::PasswordHasher;
use chat_store::{PoolOptions, create_pool, migrate};
use tokio::net::TcpListener;

use crate::config::{Config, redact_url};
use crate::metrics::Metrics;
use crate::state::AppState;

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
        drop(db);
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let state = Arc::new(AppState {
            hasher: PasswordHasher::new(config.password_hash),
            config,
            pool,
            metrics: Metrics::default(),
        });
        Ok(Self { listener, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// requests in flight finish and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let addr = self.local_addr();
        let routes = crate::http::routes(self.state.clone());
        tracing::info!(%addr, "chatd listening");
        warp::serve(routes)
            .incoming(self.listener)
            .graceful(shutdown)
            .run()
            .await;
        self.state.pool.close();
        tracing::info!("chatd stopped");
    }
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
