//! Accepting connections: HTTP/1 and HTTP/2 (with upgrades, for WebSockets) on hyper, with
//! the limits `axum::serve` does not set, and a graceful drain at shutdown.
//!
//! - **Open connections** are capped (`--max-connections`): at the cap the server stops
//!   accepting until one closes, so connections wait in the kernel's backlog instead of using
//!   up file descriptors.
//! - **Idle connections** are closed by a per-connection watchdog: one with no request in
//!   flight is closed `header_timeout` after it was accepted if no request has come (a silent
//!   socket, an HTTP/2 preface and nothing more), and `keep_alive` after its last request
//!   ended (idle keep-alive, HTTP/2 included, pings or not). hyper's own header timer, which
//!   starts only at a request's first byte, still bounds a client trickling its headers.
//! - A connection upgraded to a WebSocket is left to the WebSocket's own idle timeout.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::ServiceExt;

/// How connections are limited.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// A request's headers must be complete within this; a new connection must have sent a
    /// request within it too.
    pub header_timeout: Duration,
    /// An idle connection (no request in flight) is closed this long after its last request.
    pub keep_alive: Duration,
    /// Most open connections.
    pub max_connections: usize,
    /// How long open requests may take to finish at shutdown.
    pub drain: Duration,
}

/// What the watchdog knows of one connection.
struct Activity {
    in_flight: AtomicUsize,
    /// When the last request ended (or the connection was accepted), if none is in flight.
    idle_since: Mutex<Option<Instant>>,
    /// Whether any request has been seen.
    served: AtomicBool,
    /// Upgraded to a WebSocket: its own task watches it.
    upgraded: AtomicBool,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Some(Instant::now())),
            served: AtomicBool::new(false),
            upgraded: AtomicBool::new(false),
        }
    }

    fn idle_since(&self) -> Option<Instant> {
        *self
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn started(&self) {
        self.served.store(true, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        *self
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    fn ended(&self) {
        let mut idle = self
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            *idle = Some(Instant::now());
        }
    }
}

/// Ends a request's count when its response is ready, or when it is dropped unanswered.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.ended();
    }
}

/// Completes when the connection has been idle too long; never, once it is a WebSocket.
async fn watchdog(activity: Arc<Activity>, limits: ConnectionLimits) {
    loop {
        if activity.upgraded.load(Ordering::SeqCst) {
            return std::future::pending().await;
        }
        let limit = if activity.served.load(Ordering::SeqCst) {
            limits.keep_alive
        } else {
            limits.header_timeout
        };
        match activity.idle_since() {
            Some(since) if since.elapsed() >= limit => return,
            Some(since) => tokio::time::sleep_until(since + limit).await,
            // A request in flight: its own deadline bounds it; look again later.
            None => tokio::time::sleep(limit.min(Duration::from_secs(1))).await,
        }
    }
}

/// Whether `request` asks for a WebSocket (HTTP/1 `Upgrade`, or HTTP/2 extended CONNECT).
fn asks_for_upgrade(request: &Request<hyper::body::Incoming>) -> bool {
    request.method() == Method::CONNECT || request.headers().contains_key("upgrade")
}

/// Serves `app` on `listener` until `stop` completes, then waits up to `limits.drain` for open
/// requests to finish. WebSocket connections, once upgraded, are closed by their own tasks.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        // Above the router's own limit (crate::routes::MAX_HEADERS), which answers in JSON.
        .max_headers(256);
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol();
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut stop = std::pin::pin!(stop);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = &mut stop => break,
        };
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let service = {
            let app = app.clone();
            let activity = activity.clone();
            tower::service_fn(move |request: Request<hyper::body::Incoming>| {
                activity.started();
                let in_flight = InFlight(activity.clone());
                let upgrade = asks_for_upgrade(&request);
                let app = app.clone();
                async move {
                    let response = app.oneshot(request.map(Body::new)).await?;
                    let status = response.status();
                    if upgrade
                        && (status == StatusCode::SWITCHING_PROTOCOLS || status == StatusCode::OK)
                    {
                        in_flight.0.upgraded.store(true, Ordering::SeqCst);
                    }
                    drop(in_flight);
                    Ok::<_, std::convert::Infallible>(response)
                }
            })
        };
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                closed = connection => if let Err(e) = closed {
                    tracing::debug!(error = %e, "connection closed with an error");
                },
                () = watchdog(activity, limits) => {
                    tracing::debug!("idle connection closed");
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            secs = limits.drain.as_secs_f64(),
            "requests still open after the drain period; closing"
        );
    }
}
