//! `POST /text-to-sign`: the handshapes and tips for fingerspelling a text. The text comes in a
//! form field `text`, url-encoded or multipart (as the original's form), or as JSON. Bodies
//! over [`MAX_BODY_BYTES`] are 413; text that is not UTF-8 is 400, never decoded lossily.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::Json;
use signbridge_signs::text_to_sign::fingerspell_with;

use crate::error::ApiError;
use crate::state::AppState;
use crate::wire::{LetterBody, TextToSignBody, TextToSignRequest};

/// Longest text spelled in one request (characters).
const MAX_TEXT_CHARS: usize = 1000;

/// Largest body: the longest text, percent-encoded, with room for a multipart envelope.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!("body over {MAX_BODY_BYTES} bytes"))
}

fn not_utf8() -> ApiError {
    ApiError::BadRequest("`text` is not valid UTF-8".into())
}

fn missing() -> ApiError {
    ApiError::BadRequest("expected a form field `text`".into())
}

async fn read_text(state: &AppState, request: Request) -> Result<String, ApiError> {
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
        let too_big_or = |status: StatusCode, other: ApiError| {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                other
            }
        };
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| too_big_or(e.status(), missing()))?
        {
            if field.name() == Some("text") {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| too_big_or(e.status(), missing()))?;
                return String::from_utf8(bytes.to_vec()).map_err(|_| not_utf8());
            }
        }
        return Err(missing());
    }
    let body = Bytes::from_request(request, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::BadRequest(format!("cannot read the body: {}", e.body_text()))
        }
    })?;
    if content_type.starts_with("application/json") {
        if std::str::from_utf8(&body).is_err() {
            return Err(not_utf8());
        }
        let field: TextToSignRequest = serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("expected JSON {{\"text\": ...}}: {e}")))?;
        Ok(field.text)
    } else {
        form_field(&body, "text")?.ok_or_else(missing)
    }
}

/// The field `name` of a url-encoded body, percent-decoded; an error if it is not UTF-8 (the
/// usual parsers replace bad bytes with U+FFFD instead).
fn form_field(body: &[u8], name: &str) -> Result<Option<String>, ApiError> {
    for pair in body.split(|&b| b == b'&') {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        if percent_decode(key) == name.as_bytes() {
            return String::from_utf8(percent_decode(value))
                .map(Some)
                .map_err(|_| not_utf8());
        }
    }
    Ok(None)
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_percent_decoded_and_must_be_utf8() {
        assert_eq!(
            form_field(b"a=1&text=Hi+y%C3%B6%21", "text").unwrap(),
            Some("Hi yö!".to_string())
        );
        assert_eq!(form_field(b"text=50%", "text").unwrap(), Some("50%".into()));
        assert_eq!(form_field(b"other=x", "text").unwrap(), None);
        assert!(form_field(b"text=%FF%FE", "text").is_err());
        assert!(form_field(b"text=\xff", "text").is_err());
    }
}
