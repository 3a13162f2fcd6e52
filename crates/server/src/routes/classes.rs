//! Classes: a teacher creates one (`POST /api/classes`) and gets a join code and a key; learners
//! join and leave with the code from their Progress page; the teacher, with the key (header
//! `X-Teacher-Key`), sees each member's per-letter progress and last activity and can remove a
//! member. The teacher never sees a learner's profile id (a bearer secret for their progress and
//! calibration), only the name they gave and an id for them in that class; never any image.
//!
//! - `POST /api/classes` `{"name"}` -> `{"code", "name", "teacher_key"}` (201)
//! - `GET /api/classes?profile=ID`: the learner's classes
//! - `GET /api/classes/{code}/info`: the class's name and size, for a learner about to join
//! - `POST /api/classes/{code}/join` `{"profile", "name"}`, `POST /api/classes/{code}/leave` `{"profile"}`
//! - `GET /api/classes/{code}` + key: the teacher's view
//! - `DELETE /api/classes/{code}/members/{member}` + key

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sha2::{Digest, Sha256};

use super::progress::check_profile;
use crate::error::ApiError;
use crate::sessions::new_id;
use crate::state::AppState;
use crate::storage::{unix_now, ClassRecord, MemberRecord};
use crate::wire::{
    ClassBody, ClassInfoBody, MemberBody, MembershipBody, MembershipRequest, MembershipsBody,
    NewClassBody, NewClassRequest, ProfileQuery,
};

/// The header that carries a teacher's key.
pub const TEACHER_KEY_HEADER: &str = "x-teacher-key";
/// Join codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 40 bits.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LEN: usize = 8;
/// A class holds at most this many learners; a learner is in at most this many classes.
pub const MAX_MEMBERS: usize = 200;
pub const MAX_CLASSES_PER_LEARNER: usize = 20;
const MAX_NAME_CHARS: usize = 60;

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<NewClassRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<NewClassBody>), ApiError> {
    let Json(body) = body.map_err(|e| json_error(&e, "{\"name\"}"))?;
    let name = check_name(&body.name, "class name")?;
    let teacher_key = new_id();
    // A taken code (about one in a trillion per class) is drawn again.
    for _ in 0..5 {
        let code = new_code();
        let class = ClassRecord {
            code: code.clone(),
            name: name.clone(),
            teacher_key_hash: hash(&teacher_key),
            created_at: unix_now(),
        };
        if state.storage.create_class(class).await? {
            return Ok((
                StatusCode::CREATED,
                Json(NewClassBody {
                    code,
                    name,
                    teacher_key,
                }),
            ));
        }
    }
    Err(ApiError::Internal(
        "no free class code in five draws".into(),
    ))
}

pub async fn of_learner(
    State(state): State<AppState>,
    query: Result<Query<ProfileQuery>, QueryRejection>,
) -> Result<Json<MembershipsBody>, ApiError> {
    let Query(q) =
        query.map_err(|_| ApiError::BadRequest("missing query parameter `profile`".into()))?;
    let profile = check_profile(q.profile)?;
    memberships(&state, profile).await
}

pub async fn info(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ClassInfoBody>, ApiError> {
    let class = find(&state, &code).await?;
    let members = state.storage.members(class.code.clone()).await?.len();
    Ok(Json(ClassInfoBody {
        code: class.code,
        name: class.name,
        members,
    }))
}

pub async fn join(
    State(state): State<AppState>,
    Path(code): Path<String>,
    body: Result<Json<MembershipRequest>, JsonRejection>,
) -> Result<Json<MembershipsBody>, ApiError> {
    let Json(body) = body.map_err(|e| json_error(&e, "{\"profile\", \"name\"}"))?;
    let profile = check_profile(body.profile)?;
    let name = check_name(body.name.as_deref().unwrap_or(""), "your name")?;
    let class = find(&state, &code).await?;
    let members = state.storage.members(class.code.clone()).await?;
    let already = members.iter().any(|m| m.profile == profile);
    if !already && members.len() >= MAX_MEMBERS {
        return Err(ApiError::BadRequest(format!(
            "class {} is full ({MAX_MEMBERS} learners)",
            class.code
        )));
    }
    let mine = state.storage.memberships(profile.clone()).await?;
    if !already && mine.len() >= MAX_CLASSES_PER_LEARNER {
        return Err(ApiError::BadRequest(format!(
            "you are in {MAX_CLASSES_PER_LEARNER} classes already: leave one first"
        )));
    }
    state
        .storage
        .join_class(class.code, profile.clone(), name)
        .await?;
    memberships(&state, profile).await
}

pub async fn leave(
    State(state): State<AppState>,
    Path(code): Path<String>,
    body: Result<Json<MembershipRequest>, JsonRejection>,
) -> Result<Json<MembershipsBody>, ApiError> {
    let Json(body) = body.map_err(|e| json_error(&e, "{\"profile\"}"))?;
    let profile = check_profile(body.profile)?;
    let class = find(&state, &code).await?;
    if !state
        .storage
        .leave_class(class.code.clone(), profile.clone())
        .await?
    {
        return Err(ApiError::Unknown(format!(
            "this profile is not in class {}",
            class.code
        )));
    }
    memberships(&state, profile).await
}

pub async fn teacher_view(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ClassBody>, ApiError> {
    let class = find_as_teacher(&state, &code, &headers).await?;
    let members = state.storage.members(class.code.clone()).await?;
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let progress = state.storage.progress(m.profile.clone()).await?;
        out.push(MemberBody {
            member: member_id(&class.code, &m.profile),
            last_activity: progress
                .letters
                .values()
                .filter_map(|l| l.last_practised)
                .max(),
            name: m.name,
            joined_at: m.joined_at,
            total_attempts: progress.total_attempts,
            total_correct: progress.total_correct,
            accuracy: progress.accuracy,
            letters: progress.letters,
        });
    }
    Ok(Json(ClassBody {
        code: class.code,
        name: class.name,
        created_at: class.created_at,
        members: out,
    }))
}

pub async fn remove_member(
    State(state): State<AppState>,
    Path((code, member)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<ClassBody>, ApiError> {
    let class = find_as_teacher(&state, &code, &headers).await?;
    let members = state.storage.members(class.code.clone()).await?;
    let Some(MemberRecord { profile, .. }) = members
        .into_iter()
        .find(|m| member_id(&class.code, &m.profile) == member)
    else {
        return Err(ApiError::Unknown(format!(
            "no member {member:?} in class {}",
            class.code
        )));
    };
    state
        .storage
        .leave_class(class.code.clone(), profile)
        .await?;
    teacher_view(State(state), Path(class.code), headers).await
}

async fn memberships(state: &AppState, profile: String) -> Result<Json<MembershipsBody>, ApiError> {
    let classes = state
        .storage
        .memberships(profile.clone())
        .await?
        .into_iter()
        .map(|m| MembershipBody {
            code: m.code,
            class_name: m.class_name,
            name: m.name,
            joined_at: m.joined_at,
        })
        .collect();
    Ok(Json(MembershipsBody { profile, classes }))
}

/// The class a code names (any case, dashes and spaces ignored), or a 404 that says so.
async fn find(state: &AppState, code: &str) -> Result<ClassRecord, ApiError> {
    let normal = normalize_code(code).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "a class code is {CODE_LEN} letters and digits, like ABCD-EF23"
        ))
    })?;
    state
        .storage
        .class(normal.clone())
        .await?
        .ok_or_else(|| ApiError::Unknown(format!("no class with code {normal}")))
}

async fn find_as_teacher(
    state: &AppState,
    code: &str,
    headers: &HeaderMap,
) -> Result<ClassRecord, ApiError> {
    let class = find(state, code).await?;
    let key = headers
        .get(TEACHER_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if key.is_empty() || hash(key) != class.teacher_key_hash {
        return Err(ApiError::Forbidden(format!(
            "this needs the teacher's key of class {} (header X-Teacher-Key)",
            class.code
        )));
    }
    Ok(class)
}

fn json_error(e: &JsonRejection, shape: &str) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge("body over the limit".into()),
        _ => ApiError::BadRequest(format!("expected JSON {shape}: {}", e.body_text())),
    }
}

/// A name as shown to others: trimmed, 1 to 60 characters, no control characters.
fn check_name(name: &str, what: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{what} must be 1 to {MAX_NAME_CHARS} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

fn new_code() -> String {
    let mut bytes = [0u8; CODE_LEN];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: derive from a fresh id (time and counter based then).
        let id = new_id();
        bytes.copy_from_slice(&id.as_bytes()[..CODE_LEN]);
    }
    bytes
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect()
}

fn normalize_code(code: &str) -> Option<String> {
    let code: String = code
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A member's id in one class: not their profile id, and not the same across classes.
fn member_id(code: &str, profile: &str) -> String {
    hash(&format!("{code}\n{profile}"))[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_unambiguous_characters_read_in_any_case() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
        }
        assert_eq!(normalize_code("abcd-ef23").as_deref(), Some("ABCDEF23"));
        assert_eq!(normalize_code(" ABCD EF23 ").as_deref(), Some("ABCDEF23"));
        for bad in ["ABCDEF2", "ABCDEF234", "ABCDEF0O", "ABCD/F23", ""] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            check_name("  Ms. Ana's class ", "x").unwrap(),
            "Ms. Ana's class"
        );
        assert!(check_name("   ", "x").is_err());
        assert!(check_name(&"é".repeat(61), "x").is_err());
        assert!(check_name("tab\there", "x").is_err());
        assert_eq!(
            check_name(&"é".repeat(60), "x").unwrap().chars().count(),
            60
        );
    }

    #[test]
    fn member_ids_hide_the_profile_and_differ_between_classes() {
        let a = member_id("ABCDEF23", "learner-0001");
        assert_eq!(a.len(), 16);
        assert!(!a.contains("learner"));
        assert_ne!(a, member_id("ABCDEF24", "learner-0001"));
        assert_ne!(a, member_id("ABCDEF23", "learner-0002"));
    }
}
