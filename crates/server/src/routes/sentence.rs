//! The HTTP session's sentence: `GET /sentence`, `POST /sentence/{space,backspace,clear}` and
//! the original's `POST /clear-sentence`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use signbridge_interpreter::Edit;

use super::HttpSession;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::SavedSentence;
use crate::wire::SentenceBody;

/// The session's sentence after `edit` (none: as it is).
async fn edit(
    state: &AppState,
    headers: &HeaderMap,
    edit: Option<Edit>,
) -> Result<Response, ApiError> {
    if edit.is_none() && !HttpSession::named(headers) {
        // Reading the sentence of no session: an empty one, and no session is created.
        let sentence = state.sessions.interpreter().sentence();
        return Ok(Json(SentenceBody::from(sentence)).into_response());
    }
    let session = HttpSession::resolve(state, headers).await?;
    let sentence = {
        // Waits for a frame of this session that is being read.
        let mut interpreter = session.interpreter.lock().await;
        let before = session.sync(state, &mut interpreter).await;
        let sentence = match edit {
            Some(e) => interpreter.edit(e),
            None => interpreter.sentence(),
        };
        session
            .save(state, &before, SavedSentence::from(&interpreter.sentence()))
            .await;
        session.stats.set_words(&interpreter);
        sentence
    };
    Ok(session.respond(Json(SentenceBody::from(sentence))))
}

pub async fn get_sentence(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, None).await
}

pub async fn space(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, Some(Edit::Space)).await
}

pub async fn backspace(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, Some(Edit::Backspace)).await
}

pub async fn clear(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    edit(&state, &headers, Some(Edit::Clear)).await
}
