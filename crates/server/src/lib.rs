//! SignBridge's HTTP and WebSocket server: the async shell around the synchronous
//! [`signbridge_interpreter`] (frame -> hands -> letter -> sentence).
//!
//! # Layout
//! - [`config`]: every setting, flag and environment variable -> validated `Config` (the
//!   pipeline part is shared with the other subcommands).
//! - [`models`]: the hand models, loaded and warmed up once.
//! - [`workers`]: the fixed pool of inference threads behind a bounded queue (429 when full).
//! - [`frames`]: the one path from an image's bytes to an answer: admission, then on a worker
//!   decode and the interpreter; a session's interpreter travels with its frame.
//! - [`sessions`]: whose sentence is whose, the session cap and idle expiry.
//! - [`state`]: what all handlers share.
//! - [`connections`]: accepting connections (first-byte, header and keep-alive timeouts, a
//!   connection cap, graceful drain).
//! - [`security`]: allowed origins, security headers, what the access log records.
//! - [`routes`]: one file per endpoint group; [`ws`]: the WebSocket stream with frame skipping.
//! - [`wire`]: every JSON type a client sees or sends (mirrors docs/api.md), and the
//!   `error_type` vocabulary shared with the command line.
//! - [`error`]: every client-visible error and its status code, in one place.
//! - [`storage`]: everything durable (progress, sessions' sentences) in SQLite (one server)
//!   or PostgreSQL (replicas behind a load balancer).
//! - [`metrics`], [`memory`]: Prometheus metrics and process memory.
//!
//! [`run`] is `signbridge serve`; [`serve`] takes an injected listener, model loader and
//! shutdown future, so tests run the whole server on 127.0.0.1:0.

pub mod calibration;
pub mod config;
pub mod connections;
pub mod error;
pub mod frames;
pub mod landmarks;
pub mod memory;
pub mod metrics;
pub mod models;
pub mod routes;
pub mod security;
pub mod sessions;
pub mod state;
pub mod storage;
pub mod wire;
pub mod workers;
pub mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{Config, PipelineArgs, PipelineSettings, ServeArgs};
pub use models::Models;
pub use signbridge_vision::VisionError;

use crate::memory::ProcessMemory;
use crate::state::{AppState, State};
use crate::storage::Storage;
use crate::workers::Workers;

/// A worker this long without a job hands the memory its jobs freed back to the kernel.
const RELEASE_MEMORY_AFTER_IDLE: Duration = Duration::from_secs(2);

/// `signbridge serve`: builds the runtime, loads the models in the background, serves until
/// SIGINT or SIGTERM. Fails if the address cannot be bound or the models cannot be loaded.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    // Logs go to stderr, coloured only on a terminal; RUST_LOG filters. A subscriber the
    // caller installed first wins.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let config = Config::try_from(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Network I/O only; inference has its own threads.
        .worker_threads(2)
        .enable_all()
        .thread_name("signbridge-io")
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async {
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        tracing::info!(addr = %listener.local_addr()?, workers = config.workers, "listening");
        let loader_config = config.clone();
        serve(
            config,
            move || Models::load(&loader_config.pipeline),
            listener,
            shutdown_signal(),
        )
        .await
    });
    // A model load still running at shutdown is not waited for.
    runtime.shutdown_timeout(Duration::from_secs(5));
    result
}

/// Serves on `listener` until `shutdown` completes. `load_models` runs on a blocking thread
/// while the server already answers (`/health` says 503 until it returns); if it fails, the
/// server stops and the error is returned.
pub async fn serve<L>(
    config: Config,
    load_models: L,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()>
where
    L: FnOnce() -> Result<Models, VisionError> + Send + 'static,
{
    // PostgreSQL that cannot be reached stops the start here, naming the URL (password hidden).
    let storage = Storage::open(&config.storage, config.session_ttl).await?;
    tracing::info!(backend = storage.backend(), "storage open");
    let workers = Workers::start(
        config.workers,
        config.queue_depth,
        RELEASE_MEMORY_AFTER_IDLE,
    )
    .context("cannot start worker threads")?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let state: AppState = Arc::new(State::new(config, workers, storage, stop_rx));

    let load_failed = Arc::new(tokio::sync::Notify::new());
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loader = tokio::task::spawn_blocking({
        let state = state.clone();
        let load_failed = load_failed.clone();
        let failed = failed.clone();
        move || {
            let started = Instant::now();
            let result = load_models();
            match &result {
                Ok(models) => {
                    let _ = state.models.set(models.clone());
                    let _ = state
                        .baseline_rss
                        .set(ProcessMemory::read().rss_bytes.unwrap_or(0));
                    state.metrics.set_ready(models.engine);
                    tracing::info!(
                        secs = started.elapsed().as_secs_f64(),
                        engine = models.engine,
                        precision = models.precision,
                        "models loaded and warmed up"
                    );
                    if let Some(why) = &models.engine_note {
                        tracing::warn!("{why}");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot load the models");
                    failed.store(true, std::sync::atomic::Ordering::SeqCst);
                    load_failed.notify_one();
                }
            }
            result.map(|_| ())
        }
    });

    let prefetch = tokio::spawn({
        let state = state.clone();
        async move { state.on_device.prefetch().await }
    });
    let sweeper = tokio::spawn(expire_sessions(state.clone()));
    let forgetter = tokio::spawn(forget_old_sentences(state.clone()));
    let guard = tokio::spawn(watch_memory(state.clone()));
    let app = routes::router(state.clone());
    let stop = {
        let load_failed = load_failed.clone();
        async move {
            tokio::select! {
                _ = shutdown => tracing::info!("shutting down"),
                _ = load_failed.notified() => tracing::info!("shutting down: no models"),
            }
            // Tell long-lived connections (WebSockets) to close so the server can drain.
            let _ = stop_tx.send(true);
        }
    };
    let limits = connections::ConnectionLimits {
        header_timeout: state.config.header_timeout,
        keep_alive: state.config.keep_alive,
        max_connections: state.config.max_connections,
        drain: state.config.request_timeout,
    };
    connections::serve_connections(listener, app, limits, stop).await;
    sweeper.abort();
    forgetter.abort();
    guard.abort();
    prefetch.abort();
    let workers_state = state.clone();
    tokio::task::spawn_blocking(move || workers_state.workers.shutdown()).await?;
    // A loader still running is left to finish on its own; one that failed is reported.
    if failed.load(std::sync::atomic::Ordering::SeqCst) {
        loader.await?.context("cannot load the models")?;
    }
    Ok(())
}

/// Forgets idle HTTP sessions, checking a few times per (new sessions') TTL.
async fn expire_sessions(state: AppState) {
    let period =
        (state.sessions.new_ttl() / 4).clamp(Duration::from_millis(10), Duration::from_secs(15));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let expired = state.sessions.expire(Instant::now());
        if expired > 0 {
            tracing::debug!(expired, "idle sessions expired");
        }
    }
}

/// Deletes stored sentences older than the session TTL, a few times per TTL (at most every
/// 10 minutes). Every replica does it; the deletes are idempotent.
async fn forget_old_sentences(state: AppState) {
    let period = (state.sessions.ttl() / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match state.storage.forget_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(forgotten = n, "expired sentences deleted"),
            Err(e) => tracing::debug!(error = %e, "cannot delete expired sentences now"),
        }
    }
}

/// How often the memory guard reads the RSS.
const MEMORY_CHECK_PERIOD: Duration = Duration::from_millis(100);
/// While over the limit, memory is trimmed at most this often.
const TRIM_PERIOD: Duration = Duration::from_secs(1);
/// Idle HTTP sessions forgotten when memory is short.
const TRIM_SESSIONS_IDLE: Duration = Duration::from_secs(30);

/// The memory guard's monitor: reads the RSS every 100 ms; over `--max-rss-mb` the server is
/// degraded (see `memory::MemoryGuard`) and trims: the allocator hands freed memory back and
/// HTTP sessions idle for 30 s are forgotten.
async fn watch_memory(state: AppState) {
    if state.memory_guard.limit().is_none() {
        return;
    }
    let mut tick = tokio::time::interval(MEMORY_CHECK_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_trim: Option<Instant> = None;
    loop {
        tick.tick().await;
        let rss = ProcessMemory::read().rss_bytes;
        match state.memory_guard.observe(rss) {
            memory::Pressure::Over => {
                if last_trim.is_none_or(|t| t.elapsed() >= TRIM_PERIOD) {
                    if last_trim.is_none() {
                        tracing::warn!(
                            rss_mib = rss.unwrap_or(0) >> 20,
                            "over --max-rss-mb: refusing new sessions and heavy requests"
                        );
                    }
                    last_trim = Some(Instant::now());
                    let dropped = state.sessions.drop_idle(TRIM_SESSIONS_IDLE, Instant::now());
                    let _ = tokio::task::spawn_blocking(memory::release_free_memory).await;
                    state.memory_guard.count_trim();
                    tracing::debug!(dropped, "memory trimmed");
                }
            }
            memory::Pressure::Recovered => {
                last_trim = None;
                tracing::info!(
                    rss_mib = rss.unwrap_or(0) >> 20,
                    "memory back under --max-rss-mb: serving normally"
                );
            }
            memory::Pressure::Unchanged => {}
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
