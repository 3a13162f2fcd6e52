//! `POST /predict-image` (image mode, no session) and `POST /predict-and-build` (the same, then
//! the prediction is added to the HTTP session's sentence). Both take a multipart `file` and an
//! optional `language`. `POST /predict-landmarks` is image mode for a photo whose hands were
//! found on the signer's device (on-device mode): a JSON `LandmarksFrame`, no image. Each takes
//! `?profile=ID` to read the letters with that learner's calibration.

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use signbridge_signs::LetterReader;

use super::{Deadline, HttpSession};
use crate::error::ApiError;
use crate::frames::{job_failed, Mode};
use crate::landmarks;
use crate::metrics::Source;
use crate::state::AppState;
use crate::storage::SavedSentence;
use crate::wire::{unix_seconds, BuildBody, CalibratedQuery, LandmarksFrame, PredictionBody};

/// The fields of an upload.
struct Upload {
    file: Vec<u8>,
}

pub async fn predict_image(
    State(state): State<AppState>,
    Extension(Deadline(deadline)): Extension<Deadline>,
    query: Result<Query<CalibratedQuery>, QueryRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<PredictionBody>, ApiError> {
    state.admit_heavy()?;
    let calibration = super::calibration::requested(&state, profile(query)?).await?;
    let upload = read_upload(multipart, state.config.max_body_bytes).await?;
    let answer = state.read(upload.file, calibration, deadline).await?;
    Ok(Json(PredictionBody::new(&answer.value, answer.timestamp)))
}

pub async fn predict_landmarks(
    State(state): State<AppState>,
    query: Result<Query<CalibratedQuery>, QueryRejection>,
    body: Result<Json<LandmarksFrame>, JsonRejection>,
) -> Result<Json<PredictionBody>, ApiError> {
    let calibration = super::calibration::requested(&state, profile(query)?).await?;
    let Json(frame) = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(format!("body over {} bytes", landmarks::MAX_MESSAGE_BYTES))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedType("send the landmarks as application/json".into())
        }
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let frame = landmarks::check(frame, state.config.pipeline.pipeline.max_hands)?;
    let letters: &dyn LetterReader = match &calibration {
        Some(c) => c.as_ref(),
        None => state.classifier.as_ref(),
    };
    let reading =
        signbridge_interpreter::read_landmarks(letters, frame.hands, frame.width, frame.height);
    Ok(Json(PredictionBody::new(&reading, unix_seconds())))
}

pub async fn predict_and_build(
    State(state): State<AppState>,
    Extension(Deadline(deadline)): Extension<Deadline>,
    headers: HeaderMap,
    query: Result<Query<CalibratedQuery>, QueryRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    state.admit_heavy()?;
    let calibration = super::calibration::requested(&state, profile(query)?).await?;
    let session = HttpSession::resolve(&state, &headers).await?;
    let upload = read_upload(multipart, state.config.max_body_bytes).await?;
    session.stats.frame();
    // One request of a session at a time: a second one waits here (within the request
    // deadline) while the first one's frame is read.
    let mut interpreter = session.interpreter.clone().lock_owned().await;
    let before = session.sync(&state, &mut interpreter).await;
    interpreter.calibrate(calibration);
    let job = state
        .submit(interpreter, upload.file, Mode::Still, deadline)
        .map_err(|(e, _interpreter)| e)?;
    let (interpreter, answer) = state
        .finish(job, Source::Http)
        .await
        .ok_or_else(job_failed)?;
    session
        .save(
            &state,
            &before,
            SavedSentence::from(&interpreter.sentence()),
        )
        .await;
    session.stats.set_words(&interpreter);
    drop(interpreter);
    let answer = answer?;
    let body = BuildBody::new(answer.value, answer.timestamp);
    Ok(session.respond(Json(body)))
}

/// `?profile=ID`, if given.
fn profile(
    query: Result<Query<CalibratedQuery>, QueryRejection>,
) -> Result<Option<String>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    Ok(q.profile)
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
