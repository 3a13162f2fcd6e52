//! `GET /health` (503 until the models are loaded and warmed up) and `GET /api` (what this
//! server is and what it accepts).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use signbridge_signs::SentenceConfig;

use crate::state::AppState;
use crate::wire::{ApiInfo, Features, HealthBody, Limits, SentenceRules};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The API's routes as `/api` lists them (the web pages follow, from the page list).
const API_ENDPOINTS: [&str; 15] = [
    "GET /health",
    "GET /api",
    "POST /predict-image",
    "POST /predict-and-build",
    "GET /sentence",
    "POST /sentence/space",
    "POST /sentence/backspace",
    "POST /sentence/clear",
    "POST /clear-sentence",
    "POST /text-to-sign",
    "WS /ws/stream",
    "GET /api/memory",
    "GET /metrics",
    "GET /api/progress",
    "POST /api/progress/attempt",
];

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthBody>) {
    let ready = state.models.get().is_some();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let degraded = state.memory_guard.degraded();
    let body = HealthBody {
        status: match (ready, degraded) {
            (false, _) => "loading",
            (true, true) => "degraded",
            (true, false) => "ok",
        },
        models_loaded: ready,
        engine: state.models.get().map(|m| m.engine),
        precision: state.models.get().map(|m| m.precision),
        degraded,
        rss_bytes: crate::memory::ProcessMemory::read().rss_bytes,
        max_rss_bytes: state.memory_guard.limit(),
        version: VERSION,
    };
    (status, Json(body))
}

pub async fn info(State(state): State<AppState>) -> Json<ApiInfo> {
    let c = &state.config;
    let rules = SentenceConfig::default();
    Json(ApiInfo {
        name: "SignBridge",
        version: VERSION,
        models_loaded: state.models.get().is_some(),
        engine: state.models.get().map(|m| m.engine),
        precision: state.models.get().map(|m| m.precision),
        languages: ["ASL"],
        limits: Limits {
            max_body_bytes: c.max_body_bytes,
            ws_max_message_bytes: c.ws_max_message_bytes,
            max_image_pixels: c.pipeline.limits.max_pixels,
            max_long_side: c.pipeline.limits.max_long_side,
            max_short_side: c.pipeline.limits.max_short_side,
            max_hands: c.pipeline.pipeline.max_hands,
            max_sessions: c.max_sessions,
            max_http_sessions: c.max_http_sessions,
            max_new_sessions: c.max_new_sessions,
            session_ttl_secs: c.session_ttl.as_secs_f64(),
            new_session_ttl_secs: state.sessions.new_ttl().as_secs_f64(),
            ws_idle_secs: c.ws_idle.as_secs_f64(),
            request_timeout_secs: c.request_timeout.as_secs_f64(),
            workers: state.workers.threads(),
            queue_depth: state.workers.capacity(),
        },
        features: Features {
            image_formats: ["jpeg", "png", "webp"],
            sessions: "X-Session-Id header or signbridge_session cookie; one per WebSocket",
            frame_skipping:
                "one frame in flight per WebSocket session; a newer frame replaces a waiting one",
            progress: state.storage.is_available(),
            text_to_sign: true,
        },
        sentence: SentenceRules {
            hold_ms: rules.hold_ms,
            idle_ms: rules.idle_ms,
        },
        endpoints: API_ENDPOINTS
            .iter()
            .map(|e| e.to_string())
            .chain(super::static_files::page_paths().map(|path| format!("GET {path}")))
            .chain(std::iter::once("GET /static/*".to_string()))
            .collect(),
    })
}
