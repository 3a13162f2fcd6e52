//! The state every handler shares: settings, the models (once loaded), the worker pool, the
//! sessions, the progress database and the metrics.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use signbridge_vision::ImageLimits;
use tokio::sync::watch;

use signbridge_signs::Classifier;

use crate::analysis::{analyse, Analysis, Recognise};
use crate::config::Config;
use crate::engine::{HandTracking, Models};
use crate::error::ApiError;
use crate::metrics::{Metrics, Source};
use crate::sessions::{SessionRef, Sessions};
use crate::storage::Storage;
use crate::workers::Workers;

pub type AppState = Arc<State>;

pub struct State {
    pub config: Config,
    pub image_limits: ImageLimits,
    /// Set once, when the models are loaded and warmed up.
    pub models: OnceLock<Models>,
    pub workers: Workers,
    /// The letter classifier: built into the binary, so available before the hand models.
    pub classifier: Arc<Classifier>,
    pub sessions: Arc<Sessions>,
    pub storage: Storage,
    pub metrics: Metrics,
    pub started: Instant,
    /// Resident memory right after the models were loaded, the base for per-session figures.
    pub baseline_rss: OnceLock<u64>,
    /// Turns true when the server is shutting down; long-lived connections watch it.
    pub shutdown: watch::Receiver<bool>,
}

/// A video-mode tracker shared between a WebSocket session and the worker running its frame.
pub type SharedTracker = Arc<std::sync::Mutex<Box<dyn HandTracking>>>;

impl State {
    pub fn new(
        config: Config,
        workers: Workers,
        storage: Storage,
        shutdown: watch::Receiver<bool>,
    ) -> State {
        let image_limits = ImageLimits {
            max_long_side: config.max_long_side,
            max_short_side: config.max_short_side,
            max_pixels: config.max_image_pixels,
        };
        let classifier = Arc::new(Classifier::default_model());
        State {
            sessions: Arc::new(Sessions::new(
                config.max_sessions,
                config.session_ttl,
                classifier.clone(),
            )),
            classifier,
            image_limits,
            config,
            models: OnceLock::new(),
            workers,
            storage,
            metrics: Metrics::new(),
            started: Instant::now(),
            baseline_rss: OnceLock::new(),
            shutdown,
        }
    }

    pub fn models(&self) -> Result<&Models, ApiError> {
        self.models.get().ok_or(ApiError::NotReady)
    }

    /// Milliseconds since start: the clock the sentence builder is driven by.
    pub fn clock_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs one frame through the pipeline on the worker pool: image mode when `tracker` is
    /// `None`; `session`: the session whose sentence the frame feeds. Refused at once with
    /// `Overloaded` when the queue is full.
    pub async fn analyse(
        &self,
        bytes: Vec<u8>,
        tracker: Option<SharedTracker>,
        session: Option<SessionRef>,
        source: Source,
    ) -> Result<Analysis, ApiError> {
        let job = self.submit(bytes, tracker, session)?;
        self.finish(job, source).await
    }

    /// Admission: queues the frame or refuses it at once. (Failures are counted where they
    /// are answered: the HTTP failure layer, or the WebSocket session.)
    pub fn submit(
        &self,
        bytes: Vec<u8>,
        tracker: Option<SharedTracker>,
        session: Option<SessionRef>,
    ) -> Result<FrameJob, ApiError> {
        let recognise = match session {
            // The frame's time is its arrival, not when a worker gets to it.
            Some(session) => Recognise::Session(session, self.clock_ms()),
            None => Recognise::Classify(self.classifier.clone()),
        };
        self.models().and_then(|models| {
            let models = models.clone();
            let limits = self.image_limits.clone();
            let queued_at = Instant::now();
            self.workers
                .try_run(move || match tracker {
                    Some(tracker) => {
                        let mut guard = tracker
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                        analyse(
                            &models,
                            Some(guard.as_mut()),
                            &recognise,
                            &bytes,
                            &limits,
                            queued_at,
                        )
                    }
                    None => analyse(&models, None, &recognise, &bytes, &limits, queued_at),
                })
                .map_err(|_| ApiError::Overloaded)
        })
    }

    /// Waits for a queued frame's result and records it.
    pub async fn finish(&self, job: FrameJob, source: Source) -> Result<Analysis, ApiError> {
        let result = match job.await {
            Ok(Ok(analysis)) => Ok(analysis),
            Ok(Err(e)) => Err(ApiError::from(e)),
            Err(_) => Err(ApiError::Internal("the inference job failed".into())),
        };
        if let Ok(analysis) = &result {
            self.metrics.observe_frame(source, &analysis.times);
        }
        result
    }
}

/// A frame queued on the worker pool.
pub type FrameJob =
    tokio::sync::oneshot::Receiver<Result<Analysis, signbridge_vision::VisionError>>;
