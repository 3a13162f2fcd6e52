//! The HTTP session's sentence: `GET /sentence`, `POST /sentence/{space,backspace,clear}` and
//! the original's `POST /clear-sentence`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;

use super::HttpSession;
use crate::error::ApiError;
use crate::recognition::Recognizer;
use crate::sessions::lock;
use crate::state::AppState;

fn edit(
    state: &AppState,
    headers: &HeaderMap,
    op: impl FnOnce(&mut Recognizer),
) -> Result<Response, ApiError> {
    let session = HttpSession::resolve(state, headers)?;
    let sentence = {
        let mut s = lock(&session.state);
        op(&mut s.recognizer);
        s.recognizer.state()
    };
    Ok(session.respond(Json(sentence)))
}

pub async fn get_sentence(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, |_| {})
}

pub async fn space(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, Recognizer::space)
}

pub async fn backspace(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, Recognizer::backspace)
}

pub async fn clear(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, Recognizer::clear)
}
