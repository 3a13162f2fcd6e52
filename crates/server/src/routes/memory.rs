//! `GET /api/memory`: process memory now and at its peak, and what each live session holds.

use std::time::Instant;

use axum::extract::State;
use axum::Json;

use crate::memory::ProcessMemory;
use crate::state::AppState;
use crate::wire::MemoryBody;

pub async fn memory(State(state): State<AppState>) -> Json<MemoryBody> {
    let mem = ProcessMemory::read();
    let per_session = state.sessions.summaries(Instant::now());
    let baseline = state.baseline_rss.get().copied();
    // Memory above the post-load baseline, shared out: an estimate, since sessions' memory is
    // not separable in a shared heap.
    let above_baseline_per_session = match (mem.rss_bytes, baseline, per_session.len()) {
        (Some(rss), Some(base), n) if n > 0 => Some(rss.saturating_sub(base) / n as u64),
        _ => None,
    };
    Json(MemoryBody {
        rss_bytes: mem.rss_bytes,
        peak_rss_bytes: mem.peak_rss_bytes,
        baseline_rss_bytes: baseline,
        sessions: per_session.len(),
        rss_above_baseline_per_session_bytes: above_baseline_per_session,
        per_session,
    })
}
