//! `GET /metrics`: Prometheus text format (OpenMetrics).

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::state::AppState;

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (ws, http) = state.sessions.counts();
    let guard = &state.memory_guard;
    state
        .metrics
        .set_memory_guard(guard.degraded(), guard.limit(), guard.trims());
    let body = state.metrics.render(state.workers.queued(), ws, http);
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}
