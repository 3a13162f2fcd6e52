//! On-device mode's files: MediaPipe's browser hand landmarker (`signbridge_vision::web_kit`),
//! fetched once (at start, in the background, and by whichever request needs it first; one
//! fetch at a time) and served from the cache to our own pages, so a page in on-device mode
//! loads nothing from another site.
//!
//! - `GET /api/on-device`: where the files are, or 503 `on_device_unavailable` with why;
//! - `GET /static/mediapipe/<version>/<file>`: the four files, with their content types.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use signbridge_vision::web_kit::{self, WebKit};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::error::ApiError;
use crate::state::AppState;

/// After a failed fetch, requests are answered with its error for this long before the next
/// attempt.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// The kit once fetched, or the last failure and when it happened.
type Fetched = Result<Arc<WebKit>, (String, Instant)>;

/// On-device mode's files for this server: none yet, fetched, or failed a while ago.
pub struct KitSlot {
    models_dir: PathBuf,
    enabled: bool,
    slot: tokio::sync::Mutex<Option<Fetched>>,
}

impl KitSlot {
    pub fn new(models_dir: PathBuf, enabled: bool) -> KitSlot {
        KitSlot {
            models_dir,
            enabled,
            slot: tokio::sync::Mutex::new(None),
        }
    }

    /// The verified kit, fetched first if needed. Callers wait for a fetch under way.
    pub async fn get(&self) -> Result<Arc<WebKit>, ApiError> {
        if !self.enabled {
            return Err(ApiError::OnDeviceUnavailable(
                "this server runs with --on-device false".into(),
            ));
        }
        let mut slot = self.slot.lock().await;
        match &*slot {
            Some(Ok(kit)) => return Ok(kit.clone()),
            Some(Err((why, at))) if at.elapsed() < RETRY_AFTER_FAILURE => {
                return Err(ApiError::OnDeviceUnavailable(why.clone()))
            }
            _ => {}
        }
        let dir = self.models_dir.clone();
        let fetched = tokio::task::spawn_blocking(move || WebKit::ensure(&dir))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        match fetched {
            Ok(kit) => {
                let kit = Arc::new(kit);
                *slot = Some(Ok(kit.clone()));
                Ok(kit)
            }
            Err(why) => {
                tracing::warn!(error = %why, "on-device mode unavailable: its files cannot be had");
                *slot = Some(Err((why.clone(), Instant::now())));
                Err(ApiError::OnDeviceUnavailable(why))
            }
        }
    }

    /// Fetches the kit now, if on-device mode is on, so the first page does not wait.
    pub async fn prefetch(&self) {
        if self.enabled {
            let started = Instant::now();
            if self.get().await.is_ok() {
                tracing::info!(
                    secs = started.elapsed().as_secs_f64(),
                    "on-device mode ready"
                );
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/on-device", get(info))
        .route("/static/mediapipe/{version}/{file}", get(file))
}

/// `GET /api/on-device`.
#[derive(Serialize)]
struct OnDeviceInfo {
    version: &'static str,
    /// The folder URL the page's loader takes the files from.
    base: String,
    /// The model bundle's file name under `base`.
    model: &'static str,
    /// The most hands a landmarks message may carry (`--max-hands`).
    max_hands: usize,
}

async fn info(State(state): State<AppState>) -> Result<Json<OnDeviceInfo>, ApiError> {
    state.on_device.get().await?;
    Ok(Json(OnDeviceInfo {
        version: web_kit::VERSION,
        base: format!("/static/mediapipe/{}/", web_kit::VERSION),
        model: web_kit::TASK_FILE,
        max_hands: state.config.pipeline.pipeline.max_hands,
    }))
}

async fn file(
    State(state): State<AppState>,
    Path((version, name)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    if version != web_kit::VERSION {
        return Err(ApiError::NotFound);
    }
    let kit = state.on_device.get().await?;
    let (path, file) = kit.path(&name).ok_or(ApiError::NotFound)?;
    let mut response = ServeFile::new(path)
        .oneshot(request)
        .await
        .map_err(|e| ApiError::Internal(format!("cannot serve {name}: {e}")))?
        .into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    // The version is in the path: a file never changes under its URL.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=604800, immutable"),
    );
    Ok(response)
}
