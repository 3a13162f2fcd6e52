//! `POST /predict-image` (image mode, no session) and `POST /predict-and-build` (the same, then
//! the prediction is added to the HTTP session's sentence). Both take a multipart `file` and an
//! optional `language`.

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Serialize;

use super::HttpSession;
use crate::analysis::PredictionBody;
use crate::error::ApiError;
use crate::metrics::Source;
use crate::recognition::SentenceState;
use crate::sessions::lock;
use crate::state::AppState;

/// The fields of an upload.
struct Upload {
    file: Vec<u8>,
}

pub async fn predict_image(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<PredictionBody>, ApiError> {
    let upload = read_upload(multipart, state.config.max_body_bytes).await?;
    let analysis = state.analyse(upload.file, None, None, Source::Http).await?;
    Ok(Json(PredictionBody::from(&analysis)))
}

#[derive(Serialize)]
pub struct BuildBody {
    #[serde(flatten)]
    prediction: PredictionBody,
    #[serde(flatten)]
    sentence: SentenceState,
    committed: Option<String>,
}

pub async fn predict_and_build(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let session = HttpSession::resolve(&state, &headers)?;
    let upload = read_upload(multipart, state.config.max_body_bytes).await?;
    lock(&session.state).frames += 1;
    let analysis = state
        .analyse(upload.file, None, Some(session.state.clone()), Source::Http)
        .await?;
    let (committed, sentence) = analysis
        .sentence
        .clone()
        .unwrap_or_else(|| (None, lock(&session.state).recognizer.state()));
    let body = BuildBody {
        prediction: PredictionBody::from(&analysis),
        sentence,
        committed,
    };
    Ok(session.respond(Json(body)))
}

async fn read_upload(
    multipart: Result<Multipart, MultipartRejection>,
    max_file: usize,
) -> Result<Upload, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::UnsupportedType(format!(
            "expected a multipart/form-data upload with a `file` field ({e})"
        ))
    })?;
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > max_file {
                    return Err(too_large(max_file));
                }
                file = Some(bytes.to_vec());
            }
            Some("language") => {
                let language = field.text().await.map_err(multipart_error)?;
                if !language.trim().eq_ignore_ascii_case("asl") {
                    return Err(ApiError::BadRequest(format!(
                        "unsupported language {language:?}; only ASL"
                    )));
                }
            }
            // Unknown fields are read and ignored, as the original did.
            _ => {
                field.bytes().await.map_err(multipart_error)?;
            }
        }
    }
    let file = file.ok_or_else(|| ApiError::BadRequest("missing multipart field `file`".into()))?;
    Ok(Upload { file })
}

fn too_large(max: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!("upload over the limit of {max} bytes"))
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("upload over the limit: {}", e.body_text()))
    } else {
        ApiError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    }
}
