//! A learner's calibration: `GET /api/calibration?profile=ID` (examples per label),
//! `POST /api/calibration/examples` (add or redo a label's examples: landmarks only, never
//! pixels) and `DELETE /api/calibration?profile=ID[&label=L]` (one label, or everything).
//! Input is checked here; storage lives in `crate::storage`, fitting in `crate::calibration`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use signbridge_signs::calibration::MAX_EXAMPLES_PER_LABEL;
use signbridge_signs::{Calibrated, Hand, Profile, DELETE, LETTERS, SPACE};
use std::sync::Arc;

use super::progress::check_profile;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{Examples, NewExamples};
use crate::wire::{
    CalibrationBody, CalibrationGetQuery, CalibrationQuery, ExamplesRequest, LabelCount,
};

/// Largest accepted body: the most examples of one label, as JSON, with room to spare.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest accepted coordinate (pixels of an 8192-pixel frame, with room for points off it).
const MAX_COORDINATE: f64 = 1.0e5;

/// The labels a calibration asks for, in order.
pub fn labels() -> impl Iterator<Item = &'static str> {
    LETTERS.iter().copied().chain([SPACE, DELETE])
}

pub async fn get_calibration(
    State(state): State<AppState>,
    query: Result<Query<CalibrationGetQuery>, QueryRejection>,
) -> Result<Json<CalibrationBody>, ApiError> {
    let Query(q) = query.map_err(|_| {
        ApiError::BadRequest("expected ?profile=ID and optionally &landmarks=true".into())
    })?;
    let profile = check_profile(q.profile)?;
    let examples = state.storage.calibration(profile.clone()).await?;
    let mut answer = body(profile, &examples, None);
    if q.landmarks {
        answer.examples = Some(examples);
    }
    Ok(Json(answer))
}

pub async fn add_examples(
    State(state): State<AppState>,
    request: Result<Json<ExamplesRequest>, JsonRejection>,
) -> Result<Json<CalibrationBody>, ApiError> {
    let Json(request) = request.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(format!("body over {MAX_BODY_BYTES} bytes"))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedType("send the examples as application/json".into())
        }
        _ => ApiError::BadRequest(format!(
            "expected JSON {{\"profile\", \"label\", \"hands\": [[[x, y, z] x 21], ...], \
             \"replace\", \"source\"}}: {}",
            e.body_text()
        )),
    })?;
    let new = check_examples(&state, request)?;
    let profile = new.profile.clone();
    let examples = state
        .storage
        .add_examples(new, MAX_EXAMPLES_PER_LABEL)
        .await?;
    state.calibrations.forget(&profile);
    Ok(Json(body(profile, &examples, None)))
}

pub async fn delete_calibration(
    State(state): State<AppState>,
    query: Result<Query<CalibrationQuery>, QueryRejection>,
) -> Result<Json<CalibrationBody>, ApiError> {
    let Query(q) =
        query.map_err(|_| ApiError::BadRequest("missing query parameter `profile`".into()))?;
    let profile = check_profile(q.profile)?;
    let label = q.label.map(|l| check_label(&l)).transpose()?;
    let deleted = state
        .storage
        .delete_examples(profile.clone(), label)
        .await?;
    state.calibrations.forget(&profile);
    let examples = state.storage.calibration(profile.clone()).await?;
    Ok(Json(body(profile, &examples, Some(deleted))))
}

/// The calibration a request asks for with `?profile=ID`: none without the parameter or when the
/// profile has no examples; a malformed id is refused. A database that cannot be read costs the
/// calibration, not the answer (logged).
pub async fn requested(
    state: &AppState,
    profile: Option<String>,
) -> Result<Option<Arc<Calibrated>>, ApiError> {
    let Some(profile) = profile else {
        return Ok(None);
    };
    let profile = check_profile(profile)?;
    match state
        .calibrations
        .for_profile(&state.storage, &profile)
        .await
    {
        Ok(fitted) => Ok(fitted.map(|f| f.reader)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a calibration; reading without it");
            Ok(None)
        }
    }
}

fn body(profile: String, examples: &Examples, deleted: Option<u64>) -> CalibrationBody {
    let counts: Vec<LabelCount> = labels()
        .map(|label| LabelCount {
            label: label.to_string(),
            examples: examples.get(label).map_or(0, Vec::len),
        })
        .collect();
    CalibrationBody {
        profile,
        total: counts.iter().map(|c| c.examples).sum(),
        counts,
        max_per_label: MAX_EXAMPLES_PER_LABEL,
        deleted,
        examples: None,
    }
}

/// `A`..`Y` (any case, not J or Z), `space` or `delete`.
fn check_label(label: &str) -> Result<String, ApiError> {
    let normal = signbridge_signs::labels::normalize(label);
    labels()
        .find(|l| *l == normal)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown label {label:?}: expected one of {}",
                labels().collect::<Vec<_>>().join(", ")
            ))
        })
}

fn check_examples(state: &AppState, r: ExamplesRequest) -> Result<NewExamples, ApiError> {
    let profile = check_profile(r.profile)?;
    let label = check_label(&r.label)?;
    if r.hands.is_empty() || r.hands.len() > MAX_EXAMPLES_PER_LABEL {
        return Err(ApiError::BadRequest(format!(
            "hands must hold 1 to {MAX_EXAMPLES_PER_LABEL} examples"
        )));
    }
    let source = match r.source.as_deref() {
        None | Some("calibration") => "calibration",
        Some("practice") => "practice",
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown source {other:?}: expected calibration or practice"
            )))
        }
    };
    // Canonicalised as the classifier sees them: where the hand was is not kept.
    let mut canonical = Profile::new();
    for (i, points) in r.hands.iter().enumerate() {
        let hand =
            check_hand(points).map_err(|why| ApiError::BadRequest(format!("hands[{i}]: {why}")))?;
        canonical
            .add(&state.classifier, &label, &hand)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    }
    Ok(NewExamples {
        profile,
        hands: canonical.examples.remove(&label).unwrap_or_default(),
        label,
        replace: r.replace,
        source,
    })
}

fn check_hand(points: &[[f64; 3]]) -> Result<Hand, String> {
    if points.len() != 21 {
        return Err(format!("expected 21 landmarks, got {}", points.len()));
    }
    let mut hand = [[0.0_f32; 3]; 21];
    for (out, p) in hand.iter_mut().zip(points) {
        if !p.iter().all(|v| v.is_finite() && v.abs() <= MAX_COORDINATE) {
            return Err(format!(
                "coordinates must be finite numbers within ±{MAX_COORDINATE}"
            ));
        }
        *out = [p[0] as f32, p[1] as f32, p[2] as f32];
    }
    let (xs, ys) = (hand.iter().map(|p| p[0]), hand.iter().map(|p| p[1]));
    let span = |v: &mut dyn Iterator<Item = f32>| {
        let (lo, hi) = v.fold((f32::MAX, f32::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        hi - lo
    };
    if span(&mut xs.clone()).max(span(&mut ys.clone())) <= f32::EPSILON {
        return Err("the landmarks are all at one point".into());
    }
    Ok(hand)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_the_static_letters_space_and_delete_in_any_case() {
        assert_eq!(check_label("a").unwrap(), "A");
        assert_eq!(check_label("Space").unwrap(), "space");
        assert_eq!(check_label("del").unwrap(), "delete");
        for bad in ["J", "Z", "nothing", "AB", "", "1"] {
            assert!(check_label(bad).is_err(), "{bad}");
        }
        assert_eq!(labels().count(), 26);
    }

    #[test]
    fn hands_need_21_finite_spread_points() {
        let good: Vec<[f64; 3]> = (0..21).map(|i| [i as f64, 2.0 * i as f64, 0.0]).collect();
        assert!(check_hand(&good).is_ok());
        assert!(check_hand(&good[..20]).is_err());
        let mut nan = good.clone();
        nan[3][1] = f64::NAN;
        assert!(check_hand(&nan).is_err());
        let mut far = good.clone();
        far[0][0] = 1e9;
        assert!(check_hand(&far).is_err());
        assert!(check_hand(&[[1.0, 1.0, 0.0]; 21]).is_err());
    }
}
