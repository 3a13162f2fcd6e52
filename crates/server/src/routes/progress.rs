//! Learners' progress: `GET /api/progress?profile=ID[&tz_offset_min=N]`,
//! `POST /api/progress/attempt` and `POST /api/progress/activity` (a finished lesson, review or
//! timed drill). Each answers the profile's progress with its daily goal and streak (days counted
//! in the learner's time zone) and newest activities. Input is checked here; storage lives in
//! `crate::storage`.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::Json;

use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{unix_now, Activity, Attempt};
use crate::wire::{
    ActivityBody, ActivityRequest, AttemptRequest, Daily, ProgressBody, ProgressQuery, ProgressView,
};

/// Attempts a day that meet the daily goal.
pub const DAILY_GOAL: u64 = 20;
/// Activities listed with the progress.
const ACTIVITIES_SHOWN: u32 = 20;
/// How far back a streak is counted.
const STREAK_DAYS_MAX: i64 = 366;
const ACTIVITY_KINDS: [&str; 3] = ["lesson", "review", "drill"];

pub async fn get_progress(
    State(state): State<AppState>,
    query: Result<Query<ProgressQuery>, QueryRejection>,
) -> Result<Json<ProgressView>, ApiError> {
    let Query(q) = query.map_err(|_| {
        ApiError::BadRequest(
            "expected ?profile=ID and optionally &tz_offset_min=minutes east of UTC".into(),
        )
    })?;
    let profile = check_profile(q.profile)?;
    let offset = check_offset(q.tz_offset_min)?;
    let progress = state.storage.progress(profile).await?;
    Ok(Json(view(&state, progress, offset).await?))
}

pub async fn record_activity(
    State(state): State<AppState>,
    body: Result<Json<ActivityRequest>, JsonRejection>,
) -> Result<Json<ProgressView>, ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError::BadRequest(format!(
            "expected JSON {{\"profile\", \"kind\", \"name\", \"letters\", \"correct\", \"duration_ms\", \"activity_id\"}}: {}",
            e.body_text()
        ))
    })?;
    let offset = check_offset(body.tz_offset_min)?;
    let activity = check_activity(body)?;
    let profile = activity.profile.clone();
    state.storage.record_activity(activity).await?;
    let progress = state.storage.progress(profile).await?;
    Ok(Json(view(&state, progress, offset).await?))
}

/// The progress with the daily goal, the streak and the newest activities.
async fn view(
    state: &AppState,
    progress: ProgressBody,
    offset_secs: i64,
) -> Result<ProgressView, ApiError> {
    let now = unix_now();
    let days = state
        .storage
        .practice_days(
            progress.profile.clone(),
            offset_secs,
            now - STREAK_DAYS_MAX * 86_400,
        )
        .await?;
    let activities = state
        .storage
        .activities(progress.profile.clone(), ACTIVITIES_SHOWN)
        .await?
        .into_iter()
        .map(|a| ActivityBody {
            letters_per_minute: if a.duration_ms == 0 {
                0.0
            } else {
                f64::from(a.correct) * 60_000.0 / f64::from(a.duration_ms)
            },
            kind: a.kind,
            name: a.name,
            letters: a.letters,
            correct: a.correct,
            duration_ms: a.duration_ms,
            at: a.at,
        })
        .collect();
    Ok(ProgressView {
        progress,
        daily: daily(&days, (now + offset_secs).div_euclid(86_400)),
        activities,
    })
}

/// Today's attempts and the days practised in a row, from attempts per day (oldest first).
fn daily(days: &[(i64, u64)], today: i64) -> Daily {
    let count = |day: i64| days.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
    let practised_today = count(today);
    // Before today's first attempt, a streak that ran to yesterday still stands.
    let mut day = if practised_today > 0 {
        today
    } else {
        today - 1
    };
    let mut streak = 0;
    while count(day) > 0 {
        streak += 1;
        day -= 1;
    }
    Daily {
        goal: DAILY_GOAL,
        today: practised_today,
        streak_days: streak,
    }
}

/// Minutes east of UTC, as any real time zone is (-12:00 to +14:00); in seconds.
fn check_offset(minutes: Option<i32>) -> Result<i64, ApiError> {
    match minutes {
        None => Ok(0),
        Some(m) if (-720..=840).contains(&m) => Ok(i64::from(m) * 60),
        Some(_) => Err(ApiError::BadRequest(
            "tz_offset_min must be between -720 and 840".into(),
        )),
    }
}

fn check_activity(body: ActivityRequest) -> Result<Activity, ApiError> {
    let profile = check_profile(body.profile)?;
    if !ACTIVITY_KINDS.contains(&body.kind.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "kind must be one of {}",
            ACTIVITY_KINDS.join(", ")
        )));
    }
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "name must be 1 to 60 characters, without control characters".into(),
        ));
    }
    if body.letters == 0 || body.letters > 1000 || body.correct > body.letters {
        return Err(ApiError::BadRequest(
            "letters must be 1 to 1000, and correct at most letters".into(),
        ));
    }
    if body.duration_ms == 0 || body.duration_ms > 3_600_000 {
        return Err(ApiError::BadRequest(
            "duration_ms must be more than 0 and at most an hour".into(),
        ));
    }
    if body.activity_id.as_deref().is_some_and(|id| !valid_id(id)) {
        return Err(ApiError::BadRequest(
            "activity_id must be 8 to 64 characters of A-Z a-z 0-9 _ -".into(),
        ));
    }
    Ok(Activity {
        profile,
        kind: body.kind,
        name: name.to_string(),
        letters: body.letters,
        correct: body.correct,
        duration_ms: body.duration_ms,
        at: unix_now(),
        activity_id: body.activity_id,
    })
}

pub async fn record_attempt(
    State(state): State<AppState>,
    query: Result<Query<OffsetQuery>, QueryRejection>,
    body: Result<Json<AttemptRequest>, JsonRejection>,
) -> Result<Json<ProgressView>, ApiError> {
    let offset = check_offset(query.ok().and_then(|q| q.0.tz_offset_min))?;
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
    let progress = state.storage.record(attempt).await?;
    Ok(Json(view(&state, progress, offset).await?))
}

/// `?tz_offset_min=N` on a write.
#[derive(Debug, serde::Deserialize)]
pub struct OffsetQuery {
    #[serde(default)]
    tz_offset_min: Option<i32>,
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
    fn the_streak_counts_days_in_a_row_up_to_today_or_yesterday() {
        let days = [(95, 3), (97, 1), (98, 5), (99, 2)];
        let d = daily(&days, 100);
        assert_eq!(
            (d.today, d.streak_days),
            (0, 3),
            "before today's first attempt"
        );
        let d = daily(&days, 99);
        assert_eq!((d.today, d.streak_days), (2, 3));
        assert_eq!(daily(&days, 102).streak_days, 0, "a day missed ends it");
        assert_eq!(
            daily(&[], 5),
            Daily {
                goal: DAILY_GOAL,
                today: 0,
                streak_days: 0
            }
        );
        assert_eq!(check_offset(Some(-300)).unwrap(), -18_000);
        assert!(check_offset(Some(900)).is_err());
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
