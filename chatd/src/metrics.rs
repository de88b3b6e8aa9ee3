//! Prometheus metrics served at `GET /metrics`.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    status: u16,
}

/// The metrics chatd keeps. Cheap to share behind an `Arc`.
pub struct Metrics {
    registry: Mutex<Registry>,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Histogram,
    db_pool_size: Gauge,
    db_pool_available: Gauge,
    pub messages_sent: Counter,
    pub logins: Counter,
    pub login_failures: Counter,
    /// Requests whose token the session cache vouched for.
    pub session_cache_hits: Counter,
    /// Requests whose token was checked in the database.
    pub session_cache_misses: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chatd");
        let http_requests = Family::<HttpLabels, Counter>::default();
        // 0.5 ms .. ~16 s
        let http_duration = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let db_pool_size = Gauge::default();
        let db_pool_available = Gauge::default();
        let messages_sent = Counter::default();
        let logins = Counter::default();
        let login_failures = Counter::default();
        let session_cache_hits = Counter::default();
        let session_cache_misses = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            http_duration.clone(),
        );
        registry.register(
            "db_pool_connections",
            "PostgreSQL connections open",
            db_pool_size.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "PostgreSQL connections idle in the pool",
            db_pool_available.clone(),
        );
        registry.register("messages_sent", "Messages created", messages_sent.clone());
        registry.register("logins", "Successful logins", logins.clone());
        registry.register("login_failures", "Refused logins", login_failures.clone());
        registry.register(
            "session_cache_hits",
            "REST requests authenticated from the session cache",
            session_cache_hits.clone(),
        );
        registry.register(
            "session_cache_misses",
            "REST requests whose token was checked in PostgreSQL",
            session_cache_misses.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            http_requests,
            http_duration,
            db_pool_size,
            db_pool_available,
            messages_sent,
            logins,
            login_failures,
            session_cache_hits,
            session_cache_misses,
        }
    }
}

impl Metrics {
    pub fn observe_http(&self, method: &str, status: u16, seconds: f64) {
        self.http_requests
            .get_or_create(&HttpLabels {
                method: method.to_owned(),
                status,
            })
            .inc();
        self.http_duration.observe(seconds);
    }

    /// Renders the Prometheus text format, sampling the pool first.
    pub fn render(&self, pool: &chat_store::Pool) -> String {
        let status = pool.status();
        self.db_pool_size.set(status.size as i64);
        self.db_pool_available.set(status.available as i64);
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        out
    }
}
