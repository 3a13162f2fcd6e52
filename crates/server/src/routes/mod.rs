//! The HTTP surface: one file per endpoint group, assembled into one router here, with the
//! layers every request goes through (body limit, timeout, tracing, failure counting).

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use std::sync::atomic::Ordering;

use signbridge_interpreter::Interpreter;

use crate::error::ApiError;
use crate::security;
use crate::sessions::{
    valid_id, SavedVersion, SharedInterpreter, Stats, SESSION_COOKIE, SESSION_HEADER,
};
use crate::state::AppState;
use crate::storage::{SavedSentence, SessionKey, Versioned};
use crate::wire::{ErrorType, SessionKind};

mod calibration;
mod classes;
mod health;
mod memory;
mod metrics;
pub mod on_device;
mod predict;
mod progress;
mod sentence;
mod static_files;
mod text_to_sign;

pub(crate) use progress::check_profile;

/// Room for multipart boundaries and small fields on top of the largest accepted image.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.max_body_bytes + MULTIPART_OVERHEAD;
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/api", get(health::info))
        .route("/predict-image", post(predict::predict_image))
        .route("/predict-and-build", post(predict::predict_and_build))
        .route(
            "/predict-landmarks",
            post(predict::predict_landmarks)
                .layer(DefaultBodyLimit::max(crate::landmarks::MAX_MESSAGE_BYTES)),
        )
        .route("/sentence", get(sentence::get_sentence))
        .route("/sentence/space", post(sentence::space))
        .route("/sentence/backspace", post(sentence::backspace))
        .route("/sentence/clear", post(sentence::clear))
        .route("/clear-sentence", post(sentence::clear))
        .route(
            "/text-to-sign",
            post(text_to_sign::text_to_sign)
                .layer(DefaultBodyLimit::max(text_to_sign::MAX_BODY_BYTES)),
        )
        .route("/api/memory", get(memory::memory))
        .route("/metrics", get(metrics::metrics))
        .route("/api/progress", get(progress::get_progress))
        .route("/api/progress/attempt", post(progress::record_attempt))
        .route("/api/progress/activity", post(progress::record_activity))
        .route(
            "/api/calibration",
            get(calibration::get_calibration).delete(calibration::delete_calibration),
        )
        .route(
            "/api/classes",
            post(classes::create).get(classes::of_learner),
        )
        .route("/api/classes/{code}", get(classes::teacher_view))
        .route("/api/classes/{code}/info", get(classes::info))
        .route("/api/classes/{code}/join", post(classes::join))
        .route("/api/classes/{code}/leave", post(classes::leave))
        .route(
            "/api/classes/{code}/members/{member}",
            axum::routing::delete(classes::remove_member),
        )
        .route(
            "/api/calibration/examples",
            post(calibration::add_examples)
                .layer(DefaultBodyLimit::max(calibration::MAX_BODY_BYTES)),
        )
        .layer(middleware::from_fn_with_state(state.clone(), deadline));
    Router::new()
        .merge(api)
        .route("/ws/stream", get(crate::ws::upgrade))
        // Outside the request deadline: the first request may wait for the files' fetch.
        .merge(on_device::routes())
        .merge(static_files::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        // Innermost first: CORS for the listed origins only, then other origins refused (403),
        // oversized request heads refused (414/431), failures counted, security headers on
        // every response, and the span around it all.
        .layer(security::cors(&state.config.allowed_origins))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::check_origin,
        ))
        .layer(middleware::from_fn(head_limits))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_failures,
        ))
        .layer(middleware::from_fn(security::security_headers))
        // A span per request (method and path, never the query string); responses and
        // refusals are logged at debug (refusals are expected under load and counted in
        // /metrics; internal errors log themselves).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(security::request_span)
                .on_response(DefaultOnResponse::new().level(Level::DEBUG))
                .on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
        .with_state(state)
}

/// Longest request target (path and query) answered; longer is 414. hyper's own limit (64 KiB)
/// answers with an empty body, so ours is lower.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most request headers, and their total size; more is 431 (hyper's own limits, 256 headers
/// and about 400 KiB, answer with an empty body).
pub const MAX_HEADERS: usize = 64;
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// 414 and 431 as JSON, before hyper's larger limits would answer them without a body.
async fn head_limits(request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return ApiError::UriTooLong(format!("request target over {MAX_URI_BYTES} bytes"))
            .into_response();
    }
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return ApiError::HeadersTooLarge(format!(
            "over {MAX_HEADERS} headers or {MAX_HEADER_BYTES} bytes of them"
        ))
        .into_response();
    }
    next.run(request).await
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

/// When a request must be answered; handlers pass it on to the work they start, which stops
/// when it passes (a decode on a worker, for one).
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Instant);

/// The per-request time limit: upload, queueing and inference together. A slow client cannot
/// hold a connection's memory or a worker's result for longer than this.
async fn deadline(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let timeout = state.config.request_timeout;
    request
        .extensions_mut()
        .insert(Deadline(Instant::now() + timeout));
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Counts every error answer by its `error_type` (set by `ApiError::into_response`).
async fn count_failures(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if let Some(kind) = response.extensions().get::<crate::error::ErrorKind>() {
        state.metrics.failure(kind.0.as_str());
    }
    response
}

/// The HTTP session a request belongs to: `X-Session-Id`, else the cookie, else a new one. A
/// session this replica does not hold is made again from its sentence in storage.
pub struct HttpSession {
    pub interpreter: SharedInterpreter,
    pub stats: std::sync::Arc<Stats>,
    key: SessionKey,
    version: SavedVersion,
    /// Made by this request: its text is what storage has, no need to read it again.
    made_now: bool,
    /// Set when the client must be given the cookie.
    cookie: Option<HeaderValue>,
}

impl HttpSession {
    /// Whether the request names a session (header or cookie, valid or not).
    pub fn named(headers: &HeaderMap) -> bool {
        headers.contains_key(SESSION_HEADER) || cookie_value(headers, SESSION_COOKIE).is_some()
    }

    pub async fn resolve(app: &AppState, headers: &HeaderMap) -> Result<HttpSession, ApiError> {
        let allow_new = !app.memory_guard.degraded();
        if let Some(value) = headers.get(SESSION_HEADER) {
            let id = value
                .to_str()
                .ok()
                .filter(|id| valid_id(id))
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "X-Session-Id must be 8 to 128 characters of A-Z a-z 0-9 _ -".into(),
                    )
                })?;
            let saved = saved_sentence(app, id).await;
            let session =
                app.sessions
                    .http_restoring(Some(id), Instant::now(), allow_new, saved)?;
            return Ok(HttpSession::new(session, None));
        }
        let from_cookie = cookie_value(headers, SESSION_COOKIE).filter(|id| valid_id(id));
        let saved = match &from_cookie {
            Some(id) => saved_sentence(app, id).await,
            None => None,
        };
        let session = app.sessions.http_restoring(
            from_cookie.as_deref(),
            Instant::now(),
            allow_new,
            saved,
        )?;
        let cookie = if from_cookie.as_deref() == Some(session.id.as_str()) {
            None
        } else {
            let max_age = app.sessions.ttl().as_secs().max(1);
            HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}",
                session.id
            ))
            .ok()
        };
        Ok(HttpSession::new(session, cookie))
    }

    fn new(session: crate::sessions::HttpSession, cookie: Option<HeaderValue>) -> HttpSession {
        HttpSession {
            key: SessionKey::new(SessionKind::Http, &session.id),
            interpreter: session.interpreter,
            stats: session.stats,
            version: session.version,
            made_now: session.made_now,
            cookie,
        }
    }

    /// With shared storage, brings the held interpreter's text up to date when another
    /// replica changed the session since (call with the interpreter locked). Returns the text
    /// as it now is, to compare with after the request.
    pub async fn sync(&self, app: &AppState, interpreter: &mut Interpreter) -> SavedSentence {
        if app.storage.is_shared() && !self.made_now {
            match app.storage.load_sentence(&self.key).await {
                Ok(Some(saved)) if saved.version != self.version.load(Ordering::Acquire) => {
                    interpreter.restore(saved.sentence.words, saved.sentence.current_word);
                    self.version.store(saved.version, Ordering::Release);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read a session's sentence"),
            }
        }
        SavedSentence::from(&interpreter.sentence())
    }

    /// Saves the session's text `now` if it differs from `before` (call with the interpreter
    /// still locked, so saves of one session keep their order). A failed save is logged and
    /// counted; the request is still answered: recognition does not depend on the database.
    pub async fn save(&self, app: &AppState, before: &SavedSentence, now: SavedSentence) {
        if &now == before {
            return;
        }
        match app.storage.save_sentence(&self.key, &now).await {
            Ok(version) => self.version.store(version, Ordering::Release),
            Err(e) => {
                app.metrics.failure(ErrorType::StorageUnavailable.as_str());
                tracing::warn!(error = %e, "cannot save a session's sentence");
            }
        }
    }

    /// Adds the session cookie to `response` when the client does not have it yet.
    pub fn respond(&self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        if let Some(cookie) = &self.cookie {
            response.headers_mut().append(SET_COOKIE, cookie.clone());
        }
        response
    }
}

/// The stored sentence of the HTTP session `id` when this replica does not hold it; a
/// database that cannot be read makes it a new session (logged).
async fn saved_sentence(app: &AppState, id: &str) -> Option<Versioned> {
    if app.sessions.holds_http(id, Instant::now()) {
        return None;
    }
    match app
        .storage
        .load_sentence(&SessionKey::new(SessionKind::Http, id))
        .await
    {
        Ok(saved) => saved,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a session's sentence; starting it afresh");
            None
        }
    }
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; signbridge_session=abcdef0123456789; b=2"),
        );
        assert_eq!(
            cookie_value(&h, SESSION_COOKIE).as_deref(),
            Some("abcdef0123456789")
        );
        assert_eq!(cookie_value(&h, "missing"), None);
    }
}
