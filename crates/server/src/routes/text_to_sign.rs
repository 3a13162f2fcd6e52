//! `POST /text-to-sign`: the handshapes and tips for fingerspelling a text. The text comes in a
//! form field `text`, url-encoded or multipart (as the original's form), or as JSON.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::{Form, Json};
use signbridge_signs::text_to_sign::fingerspell_with;

use crate::error::ApiError;
use crate::state::AppState;
use crate::wire::{LetterBody, TextToSignBody, TextToSignRequest};

/// Longest text spelled in one request (characters).
const MAX_TEXT_CHARS: usize = 1000;

pub async fn text_to_sign(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<TextToSignBody>, ApiError> {
    let text = read_text(&state, request).await?;
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::BadRequest(format!(
            "text over {MAX_TEXT_CHARS} characters"
        )));
    }
    let letters = fingerspell_with(&state.classifier, &text)
        .into_iter()
        .map(LetterBody::from)
        .collect();
    Ok(Json(TextToSignBody { text, letters }))
}

async fn read_text(state: &AppState, request: Request) -> Result<String, ApiError> {
    let missing = || ApiError::BadRequest("expected a form field `text`".into());
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| missing())?;
        while let Some(field) = multipart.next_field().await.map_err(|_| missing())? {
            if field.name() == Some("text") {
                return field.text().await.map_err(|_| missing());
            }
        }
        Err(missing())
    } else if content_type.starts_with("application/json") {
        let Json(field) = Json::<TextToSignRequest>::from_request(request, state)
            .await
            .map_err(|_| missing())?;
        Ok(field.text)
    } else {
        let Form(field) = Form::<TextToSignRequest>::from_request(request, state)
            .await
            .map_err(|_| missing())?;
        Ok(field.text)
    }
}
