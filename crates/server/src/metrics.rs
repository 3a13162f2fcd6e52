//! The Prometheus metrics: per-stage latency histograms, frame counters, failures by kind, and
//! gauges (queue depth, live sessions, process memory) that are read when `/metrics` is scraped.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::memory::ProcessMemory;

type Labels = Vec<(&'static str, &'static str)>;

/// Where a frame came from, a metrics label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Http,
    Ws,
    /// On-device frames: landmarks, no image.
    Landmarks,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Http => "http",
            Source::Ws => "ws",
            Source::Landmarks => "landmarks",
        }
    }
}

/// Per-stage durations of one processed frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct StageTimes {
    pub queue: Duration,
    pub decode: Duration,
    pub resize: Duration,
    pub palm: Duration,
    pub landmark: Duration,
    pub classify: Duration,
    pub total: Duration,
}

fn stage_histogram() -> Histogram {
    // 0.1 ms .. ~6.5 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

pub struct Metrics {
    registry: Registry,
    stages: Family<Labels, Histogram, fn() -> Histogram>,
    frames: Family<Labels, Counter>,
    dropped: Counter,
    failures: Family<Labels, Counter>,
    queue_depth: Gauge,
    sessions: Family<Labels, Gauge>,
    rss: Gauge,
    peak_rss: Gauge,
    ready: Gauge,
    engine: Family<Labels, Gauge>,
    degraded: Gauge,
    max_rss: Gauge,
    trims: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("signbridge");
        let stages =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(stage_histogram);
        let frames = Family::<Labels, Counter>::default();
        let dropped = Counter::default();
        let failures = Family::<Labels, Counter>::default();
        let queue_depth = Gauge::default();
        let sessions = Family::<Labels, Gauge>::default();
        let (rss, peak_rss, ready) = (Gauge::default(), Gauge::default(), Gauge::default());
        let engine = Family::<Labels, Gauge>::default();
        let (degraded, max_rss, trims) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "degraded",
            "1 while over --max-rss-mb (new sessions and heavy requests refused)",
            degraded.clone(),
        );
        registry.register(
            "max_resident_memory_bytes",
            "The memory guard's limit (--max-rss-mb); 0 when off",
            max_rss.clone(),
        );
        registry.register(
            "memory_trims",
            "Times the memory guard trimmed memory",
            trims.clone(),
        );
        registry.register(
            "stage_seconds",
            "Time per pipeline stage (queue, decode, resize, palm, landmark, classify, total)",
            stages.clone(),
        );
        registry.register(
            "frames_processed",
            "Frames run through the pipeline",
            frames.clone(),
        );
        registry.register(
            "frames_dropped",
            "WebSocket frames replaced by a newer one before processing",
            dropped.clone(),
        );
        registry.register(
            "failures",
            "Requests and frames that ended in an error, by kind",
            failures.clone(),
        );
        registry.register(
            "queue_depth",
            "Jobs waiting for an inference worker",
            queue_depth.clone(),
        );
        registry.register("sessions_live", "Live sessions by kind", sessions.clone());
        registry.register(
            "resident_memory_bytes",
            "Resident set size (VmRSS)",
            rss.clone(),
        );
        registry.register(
            "peak_resident_memory_bytes",
            "Peak resident set size (VmHWM)",
            peak_rss.clone(),
        );
        registry.register(
            "models_ready",
            "1 once the models are loaded and warmed up",
            ready.clone(),
        );
        registry.register(
            "engine",
            "1 for the inference engine the hand models run on (litert or tract)",
            engine.clone(),
        );
        Metrics {
            registry,
            stages,
            frames,
            dropped,
            failures,
            queue_depth,
            sessions,
            rss,
            peak_rss,
            ready,
            engine,
            degraded,
            max_rss,
            trims,
        }
    }

    /// The memory guard's state, read when `/metrics` is scraped.
    pub fn set_memory_guard(&self, degraded: bool, limit: Option<u64>, trims: u64) {
        self.degraded.set(i64::from(degraded));
        self.max_rss
            .set(i64::try_from(limit.unwrap_or(0)).unwrap_or(i64::MAX));
        self.trims.set(i64::try_from(trims).unwrap_or(i64::MAX));
    }

    pub fn observe_frame(&self, source: Source, t: &StageTimes) {
        for (stage, d) in [
            ("queue", t.queue),
            ("decode", t.decode),
            ("resize", t.resize),
            ("palm", t.palm),
            ("landmark", t.landmark),
            ("classify", t.classify),
            ("total", t.total),
        ] {
            self.stages
                .get_or_create(&vec![("stage", stage)])
                .observe(d.as_secs_f64());
        }
        self.frames
            .get_or_create(&vec![("source", source.as_str())])
            .inc();
    }

    /// An on-device frame: only the classifier (and the sentence builder) ran.
    pub fn observe_landmarks(&self, t: &StageTimes) {
        for (stage, d) in [("classify", t.classify), ("total", t.total)] {
            self.stages
                .get_or_create(&vec![("stage", stage)])
                .observe(d.as_secs_f64());
        }
        self.frames
            .get_or_create(&vec![("source", Source::Landmarks.as_str())])
            .inc();
    }

    pub fn frame_dropped(&self) {
        self.dropped.inc();
    }

    pub fn frames_dropped(&self) -> u64 {
        self.dropped.get()
    }

    pub fn failure(&self, kind: &'static str) {
        self.failures.get_or_create(&vec![("kind", kind)]).inc();
    }

    /// The models are loaded and warmed up, on `engine`.
    pub fn set_ready(&self, engine: &'static str) {
        self.ready.set(1);
        self.engine.get_or_create(&vec![("engine", engine)]).set(1);
    }

    /// Renders the text exposition format, refreshing the gauges that are read on demand.
    pub fn render(&self, queue_depth: usize, ws_sessions: usize, http_sessions: usize) -> String {
        self.queue_depth
            .set(i64::try_from(queue_depth).unwrap_or(i64::MAX));
        self.sessions
            .get_or_create(&vec![("kind", "ws")])
            .set(ws_sessions as i64);
        self.sessions
            .get_or_create(&vec![("kind", "http")])
            .set(http_sessions as i64);
        let mem = ProcessMemory::read();
        self.rss.set(mem.rss_bytes.unwrap_or(0) as i64);
        self.peak_rss.set(mem.peak_rss_bytes.unwrap_or(0) as i64);
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_names_every_stage_and_the_gauges() {
        let m = Metrics::new();
        m.observe_frame(
            Source::Ws,
            &StageTimes {
                total: Duration::from_millis(12),
                ..StageTimes::default()
            },
        );
        m.frame_dropped();
        m.failure("undecodable_image");
        let text = m.render(3, 1, 2);
        for needle in [
            "signbridge_stage_seconds_count{stage=\"palm\"} 1",
            "signbridge_stage_seconds_count{stage=\"total\"} 1",
            "signbridge_frames_processed_total{source=\"ws\"} 1",
            "signbridge_frames_dropped_total 1",
            "signbridge_failures_total{kind=\"undecodable_image\"} 1",
            "signbridge_queue_depth 3",
            "signbridge_sessions_live{kind=\"http\"} 2",
            "signbridge_resident_memory_bytes",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }
}
