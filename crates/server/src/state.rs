//! The state every handler shares: settings, the models (once loaded), the worker pool, the
//! sessions, the progress database and the metrics.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::sync::watch;

use signbridge_signs::Classifier;

use crate::calibration::Calibrations;
use crate::config::Config;
use crate::error::ApiError;
use crate::memory::MemoryGuard;
use crate::metrics::Metrics;
use crate::models::Models;
use crate::routes::on_device::KitSlot;
use crate::sessions::{SessionLimits, Sessions};
use crate::storage::Storage;
use crate::workers::Workers;

pub type AppState = Arc<State>;

pub struct State {
    pub config: Config,
    /// Set once, when the models are loaded and warmed up.
    pub models: OnceLock<Models>,
    pub workers: Workers,
    /// The letter classifier: built into the binary, so available before the hand models.
    pub classifier: Arc<Classifier>,
    pub sessions: Arc<Sessions>,
    pub storage: Storage,
    /// Learners' calibrations, fitted from their stored examples.
    pub calibrations: Calibrations,
    pub metrics: Metrics,
    /// On-device mode's browser files, fetched once.
    pub on_device: KitSlot,
    pub started: Instant,
    /// Resident memory right after the models were loaded, the base for per-session figures.
    pub baseline_rss: OnceLock<u64>,
    /// `--max-rss-mb`: whether new sessions and heavy requests are refused now.
    pub memory_guard: MemoryGuard,
    /// Turns true when the server is shutting down; long-lived connections watch it.
    pub shutdown: watch::Receiver<bool>,
}

impl State {
    pub fn new(
        config: Config,
        workers: Workers,
        storage: Storage,
        shutdown: watch::Receiver<bool>,
    ) -> State {
        let classifier = Arc::new(Classifier::default_model());
        let memory_guard = MemoryGuard::new(config.max_rss_bytes);
        let on_device = KitSlot::new(config.pipeline.models_dir.clone(), config.on_device);
        State {
            sessions: Arc::new(Sessions::new(
                SessionLimits {
                    max_ws: config.max_sessions,
                    max_http: config.max_http_sessions,
                    max_new: config.max_new_sessions,
                    ttl: config.session_ttl,
                    new_ttl: config.new_session_ttl,
                },
                classifier.clone(),
            )),
            calibrations: Calibrations::new(classifier.clone()),
            classifier,
            config,
            models: OnceLock::new(),
            workers,
            storage,
            metrics: Metrics::new(),
            on_device,
            started: Instant::now(),
            baseline_rss: OnceLock::new(),
            memory_guard,
            shutdown,
        }
    }

    /// Refuses heavy work and new sessions while the memory guard is tripped.
    pub fn admit_heavy(&self) -> Result<(), ApiError> {
        if self.memory_guard.degraded() {
            Err(ApiError::MemoryPressure)
        } else {
            Ok(())
        }
    }

    pub fn models(&self) -> Result<&Models, ApiError> {
        self.models.get().ok_or(ApiError::NotReady)
    }

    /// Milliseconds since start: the clock the sentence builder is driven by.
    pub fn clock_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}
