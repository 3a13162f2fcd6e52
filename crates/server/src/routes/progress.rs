//! Learners' progress: `GET /api/progress?profile=ID` and `POST /api/progress/attempt`.
//! Input is checked here; storage lives in `crate::storage`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::Json;

use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::Attempt;
use crate::wire::{AttemptRequest, ProfileQuery, ProgressBody};

pub async fn get_progress(
    State(state): State<AppState>,
    query: Result<Query<ProfileQuery>, QueryRejection>,
) -> Result<Json<ProgressBody>, ApiError> {
    let Query(q) =
        query.map_err(|_| ApiError::BadRequest("missing query parameter `profile`".into()))?;
    let profile = check_profile(q.profile)?;
    Ok(Json(state.storage.progress(profile).await?))
}

pub async fn record_attempt(
    State(state): State<AppState>,
    body: Result<Json<AttemptRequest>, JsonRejection>,
) -> Result<Json<ProgressBody>, ApiError> {
    let Json(body) = body.map_err(|e| match e {
        JsonRejection::BytesRejection(b)
            if b.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge("body over the limit".into())
        }
        e => ApiError::BadRequest(format!(
            "expected JSON {{\"profile\", \"target\", \"correct\", \"score\", \"attempt_id\"}}: {}",
            e.body_text()
        )),
    })?;
    let attempt = check_attempt(body)?;
    Ok(Json(state.storage.record(attempt).await?))
}

/// Profile and attempt ids: 8 to 64 characters of `[A-Za-z0-9_-]`.
fn valid_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub(crate) fn check_profile(profile: String) -> Result<String, ApiError> {
    if valid_id(&profile) {
        Ok(profile)
    } else {
        Err(ApiError::BadRequest(
            "profile must be 8 to 64 characters of A-Z a-z 0-9 _ -".into(),
        ))
    }
}

fn check_attempt(body: AttemptRequest) -> Result<Attempt, ApiError> {
    let profile = check_profile(body.profile)?;
    let letter = body.target.trim().to_ascii_uppercase();
    if !(letter.len() == 1 && letter.as_bytes()[0].is_ascii_uppercase()) {
        return Err(ApiError::BadRequest("target must be one letter A-Z".into()));
    }
    if !(body.score.is_finite() && (0.0..=1.0).contains(&body.score)) {
        return Err(ApiError::BadRequest("score must be between 0 and 1".into()));
    }
    if body.attempt_id.as_deref().is_some_and(|id| !valid_id(id)) {
        return Err(ApiError::BadRequest(
            "attempt_id must be 8 to 64 characters of A-Z a-z 0-9 _ -".into(),
        ));
    }
    Ok(Attempt {
        profile,
        letter,
        correct: body.correct,
        score: body.score,
        attempt_id: body.attempt_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(target: &str, score: f32) -> AttemptRequest {
        AttemptRequest {
            profile: "learner-01".into(),
            target: target.into(),
            correct: true,
            score,
            attempt_id: None,
        }
    }

    #[test]
    fn lower_case_target_is_accepted_as_upper_case() {
        assert_eq!(check_attempt(body("b", 0.5)).unwrap().letter, "B");
    }

    #[test]
    fn bad_targets_scores_and_profiles_are_refused() {
        assert!(check_attempt(body("AB", 0.5)).is_err());
        assert!(check_attempt(body("1", 0.5)).is_err());
        assert!(check_attempt(body("A", 1.5)).is_err());
        assert!(check_attempt(body("A", f32::NAN)).is_err());
        assert!(check_profile("short".into()).is_err());
        assert!(check_profile("has spaces in it".into()).is_err());
        assert!(check_profile("x".repeat(65)).is_err());
        let mut bad_id = body("A", 0.5);
        bad_id.attempt_id = Some("no spaces allowed".into());
        assert!(check_attempt(bad_id).is_err());
    }
}
