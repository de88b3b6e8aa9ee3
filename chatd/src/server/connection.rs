//! One client connection, bounded: HTTP/1 only, a deadline for the first
//! request head counted from accept, a bounded keep-alive idle time, a
//! deadline for each request body, and a cap on open connections with a
//! reserve that serves only the health checks.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Sleep;

/// Connections beyond the cap that may still ask `/healthz` and `/readyz`.
pub const HEALTH_RESERVE: usize = 4;
/// File descriptors kept back from the automatic cap: the database pool,
/// the listener, logs, the blob store, the health reserve.
const FD_HEADROOM: u64 = 64;

/// The time and count limits on client connections.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// From accept until a complete request head, and for each head.
    pub header_timeout: Duration,
    /// From a request's head until the last byte of its body.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may sit between requests.
    pub keepalive_idle: Duration,
    /// Open connections (WebSockets included) before new ones are shed;
    /// 0 picks one below the file-descriptor limit.
    pub max_connections: usize,
}

impl ConnectionLimits {
    /// The cap in force: the setting, or the descriptor limit less headroom.
    pub fn cap(&self, db_pool_size: usize) -> usize {
        if self.max_connections > 0 {
            return self.max_connections;
        }
        let soft = fd_limit().unwrap_or(1024);
        let headroom = FD_HEADROOM + db_pool_size as u64 + HEALTH_RESERVE as u64;
        soft.saturating_sub(headroom).max(16) as usize
    }
}

/// The soft limit on open files, from /proc (chatd forbids `unsafe`, so
/// no getrlimit); elsewhere the caller assumes 1024.
fn fd_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Admission: a permit from the main pool, else from the health reserve,
/// else the connection is shed (and that is logged, at most every 10 s).
pub struct Gate {
    main: Arc<Semaphore>,
    reserve: Arc<Semaphore>,
    shed: AtomicU64,
    last_logged: AtomicU64,
    started: Instant,
}

/// What an accepted connection may do.
pub enum Admission {
    Full(OwnedSemaphorePermit),
    HealthOnly(OwnedSemaphorePermit),
    Shed,
}

impl Gate {
    pub fn new(cap: usize) -> Self {
        Self {
            main: Arc::new(Semaphore::new(cap)),
            reserve: Arc::new(Semaphore::new(HEALTH_RESERVE)),
            shed: AtomicU64::new(0),
            last_logged: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    pub fn admit(&self) -> Admission {
        if let Ok(permit) = self.main.clone().try_acquire_owned() {
            return Admission::Full(permit);
        }
        if let Ok(permit) = self.reserve.clone().try_acquire_owned() {
            return Admission::HealthOnly(permit);
        }
        let shed = self.shed.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.started.elapsed().as_secs() + 10;
        let last = self.last_logged.load(Ordering::Relaxed);
        if now >= last + 10
            && self
                .last_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                shed_total = shed,
                "too many open connections: shedding new ones (raise --max-connections \
                 and the file-descriptor limit, or find who holds them)"
            );
        }
        Admission::Shed
    }
}

/// When the connection last read or wrote, and whether a request is being
/// answered; the connection task closes it when idle too long.
#[derive(Default)]
pub struct Activity {
    born: Option<Instant>,
    last_millis: AtomicU64,
    in_flight: AtomicUsize,
    served: AtomicBool,
    /// Wakes the connection task when a request ends, so it looks at the
    /// (keep-alive) deadline again.
    answered: Notify,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            born: Some(Instant::now()),
            ..Self::default()
        })
    }

    fn touch(&self) {
        let born = self.born.expect("made by new");
        self.last_millis
            .store(born.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// When the connection is due to be closed if nothing happens before.
    pub fn idle_deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        // Before its first request a connection gets the header timeout,
        // counted from accept: hyper's own starts only at the first byte.
        let limit = if self.served.load(Ordering::Relaxed) {
            limits.keepalive_idle
        } else {
            limits.header_timeout
        };
        let last = Duration::from_millis(self.last_millis.load(Ordering::Relaxed));
        Some(self.born.expect("made by new") + last + limit)
    }

    /// Marks a request in flight until the guard drops.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.served.store(true, Ordering::Relaxed);
        InFlight(self.clone())
    }
}

pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.answered.notify_one();
    }
}

/// The socket, noting activity and holding the connection's permit for as
/// long as the socket lives (an upgraded WebSocket takes it along).
pub struct TrackedIo<S> {
    inner: S,
    activity: Arc<Activity>,
    _permit: OwnedSemaphorePermit,
}

impl<S> TrackedIo<S> {
    pub fn new(inner: S, activity: Arc<Activity>, permit: OwnedSemaphorePermit) -> Self {
        Self {
            inner,
            activity,
            _permit: permit,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TrackedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TrackedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A request body that must have arrived by a deadline: a body trickled a
/// byte at a time ends in an error instead of holding the request open.
pub struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    limit: Duration,
}

impl TimedBody {
    pub fn new(inner: Incoming, limit: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(limit)),
            limit,
        }
    }
}

/// The body did not arrive within `--body-timeout`.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimeout(Duration);

impl Body for TimedBody {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout(self.limit)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A connection that can be asked to finish its request and close.
pub trait GracefulStop {
    fn stop(self: Pin<&mut Self>);
}

impl<I, B, S> GracefulStop for hyper::server::conn::http1::UpgradeableConnection<I, S>
where
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    B: Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn stop(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// A served connection and its activity.
pub struct Served<C> {
    pub connection: C,
    pub activity: Arc<Activity>,
}

impl<C> Served<C>
where
    C: Future<Output = Result<(), hyper::Error>> + GracefulStop,
{
    /// Drives the connection; closes it once idle past its limit or when
    /// chatd stops (a request in flight is finished first).
    pub async fn run(self, limits: Arc<ConnectionLimits>, mut stop: watch::Receiver<bool>) {
        let mut connection = std::pin::pin!(self.connection);
        // While a request is in flight, look again this often.
        let recheck = limits.header_timeout.min(limits.keepalive_idle);
        loop {
            let wake = self
                .activity
                .idle_deadline(&limits)
                .unwrap_or_else(|| Instant::now() + recheck);
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.wait_for(|stopping| *stopping) => break,
                () = self.activity.answered.notified() => {}
                () = tokio::time::sleep_until(wake.into()) => {
                    let due = self.activity.idle_deadline(&limits);
                    if due.is_some_and(|due| due <= Instant::now()) {
                        tracing::debug!("closing an idle connection");
                        break;
                    }
                }
            }
        }
        connection.as_mut().stop();
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }
}
