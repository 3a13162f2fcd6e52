//! The wire contract: every JSON value a client sends or sees, over HTTP, the WebSocket or the
//! command line, as one Rust type each, in the order of `docs/api.md`. Handlers build these
//! types and nothing else; a change here is a change of the API.
//!
//! - errors: [`ErrorType`] (the one vocabulary of `error_type`, for HTTP, WebSocket and CLI)
//!   and [`ErrorBody`];
//! - objects: [`HandBody`], [`PredictionBody`], [`SentenceBody`];
//! - HTTP bodies: [`HealthBody`], [`ApiInfo`], [`BuildBody`], [`TextToSignBody`],
//!   [`MemoryBody`], [`ProgressBody`], and the requests [`TextToSignRequest`],
//!   [`AttemptRequest`], [`ProfileQuery`];
//! - WebSocket: [`ClientMessage`] in (with [`LandmarksFrame`], on-device mode), [`ServerMessage`]
//!   out;
//! - command line: [`DetectLine`] (`detect --json`, read back by `signbridge train`),
//!   [`ClassifyLine`], [`ErrorLine`].

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use signbridge_interpreter::{Outcome, Reading};
use signbridge_signs::{SentenceState, SpelledLetter};
use signbridge_vision::{Hand, VisionError};

use crate::metrics::StageTimes;

pub use signbridge_signs::dataset::jsonl::{DetectedHand, DetectionRecord as DetectLine};

// ---------------------------------------------------------------------------------------------
// Errors

/// What went wrong, as `error_type` names it everywhere (HTTP bodies, WebSocket error messages,
/// `--json` error lines of the CLI, the failure counter of `/metrics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    BadRequest,
    NotFound,
    /// 403: the request's `Origin` is not this server's and not in `--allowed-origins`.
    ForbiddenOrigin,
    /// 414: the request target is over the limit.
    UriTooLong,
    /// 431: too many or too large request headers.
    HeadersTooLarge,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedType,
    UndecodableImage,
    /// The image header declares more pixels than allowed.
    ImageTooLarge,
    /// The inference queue is full.
    Overloaded,
    TooManySessions,
    ModelsNotReady,
    /// 503: over `--max-rss-mb`; new sessions and heavy requests are refused for a while.
    MemoryPressure,
    Timeout,
    /// The progress database.
    StorageUnavailable,
    /// 503: the browser's hand landmarker cannot be served (`--on-device false`, or it could
    /// not be fetched).
    OnDeviceUnavailable,
    /// 403: a teacher's request without the class's key.
    Forbidden,
    /// A file named on the command line cannot be read (CLI only).
    UnreadableFile,
    Internal,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::BadRequest => "bad_request",
            ErrorType::NotFound => "not_found",
            ErrorType::ForbiddenOrigin => "forbidden_origin",
            ErrorType::UriTooLong => "uri_too_long",
            ErrorType::HeadersTooLarge => "headers_too_large",
            ErrorType::MethodNotAllowed => "method_not_allowed",
            ErrorType::PayloadTooLarge => "payload_too_large",
            ErrorType::UnsupportedType => "unsupported_type",
            ErrorType::UndecodableImage => "undecodable_image",
            ErrorType::ImageTooLarge => "image_too_large",
            ErrorType::Overloaded => "overloaded",
            ErrorType::TooManySessions => "too_many_sessions",
            ErrorType::ModelsNotReady => "models_not_ready",
            ErrorType::OnDeviceUnavailable => "on_device_unavailable",
            ErrorType::Forbidden => "forbidden",
            ErrorType::MemoryPressure => "memory_pressure",
            ErrorType::Timeout => "timeout",
            ErrorType::StorageUnavailable => "storage_unavailable",
            ErrorType::UnreadableFile => "unreadable_file",
            ErrorType::Internal => "internal",
        }
    }
}

impl From<&VisionError> for ErrorType {
    fn from(e: &VisionError) -> ErrorType {
        match e {
            VisionError::Decode(_) => ErrorType::UndecodableImage,
            VisionError::UnsupportedFormat(_) => ErrorType::UnsupportedType,
            VisionError::TooLarge { .. } | VisionError::OverBudget { .. } => {
                ErrorType::ImageTooLarge
            }
            VisionError::Cancelled => ErrorType::Timeout,
            VisionError::Io { .. } => ErrorType::UnreadableFile,
            VisionError::Models(_) | VisionError::ModelFormat(_) | VisionError::Inference(_) => {
                ErrorType::Internal
            }
        }
    }
}

/// Every error answer: `{"error": message, "error_type": ...}`.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub error_type: ErrorType,
}

// ---------------------------------------------------------------------------------------------
// Objects

/// A hand (docs/api.md, `hand`): x, y in pixels of the image as sent, z in the same units.
#[derive(Clone, Debug, Serialize)]
pub struct HandBody {
    pub id: u32,
    pub handedness: &'static str,
    pub score: f32,
    pub landmarks: [[f32; 3]; 21],
    pub world_landmarks: [[f32; 3]; 21],
}

impl From<&Hand> for HandBody {
    fn from(h: &Hand) -> HandBody {
        HandBody {
            id: h.id,
            handedness: h.handedness.as_str(),
            score: h.score,
            landmarks: h.landmarks,
            world_landmarks: h.world_landmarks,
        }
    }
}

/// What the classifier saw in one frame (docs/api.md, `prediction`).
#[derive(Clone, Debug, Serialize)]
pub struct PredictionBody {
    /// `None` when no hand was found.
    pub label: Option<String>,
    pub confidence: f32,
    pub top: Vec<(String, f32)>,
    pub language: &'static str,
    pub landmarks_detected: bool,
    pub hands: Vec<HandBody>,
    /// Index in `hands` of the hand the letter was read from (`None`: no hand).
    pub signing_hand: Option<usize>,
    pub image_width: u32,
    pub image_height: u32,
    /// Unix seconds when the frame was read.
    pub timestamp: f64,
}

impl PredictionBody {
    pub fn new(reading: &Reading, timestamp: f64) -> PredictionBody {
        let prediction = reading.prediction.as_ref();
        PredictionBody {
            label: prediction.map(|p| p.label.clone()),
            confidence: prediction.map_or(0.0, |p| p.confidence),
            top: prediction.map_or_else(Vec::new, |p| p.top.clone()),
            language: "ASL",
            landmarks_detected: !reading.hands.is_empty(),
            hands: reading.hands.iter().map(HandBody::from).collect(),
            signing_hand: signbridge_interpreter::signing_hand(&reading.hands)
                .and_then(|h| reading.hands.iter().position(|x| std::ptr::eq(x, h))),
            image_width: reading.image_width,
            image_height: reading.image_height,
            timestamp,
        }
    }
}

/// A session's text (docs/api.md, `sentence`).
#[derive(Clone, Debug, Serialize)]
pub struct SentenceBody {
    pub current_word: String,
    pub words: Vec<String>,
    pub full_sentence: String,
    /// The label of the last frame's prediction; `None` when it had no hand.
    pub last_prediction: Option<String>,
}

impl From<SentenceState> for SentenceBody {
    fn from(s: SentenceState) -> SentenceBody {
        SentenceBody {
            current_word: s.current_word,
            words: s.words,
            full_sentence: s.full_sentence,
            last_prediction: s.last_prediction,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// `GET /health`.
#[derive(Clone, Debug, Serialize)]
pub struct HealthBody {
    /// `"ok"`, `"loading"` or `"degraded"` (over `--max-rss-mb`: new sessions and heavy
    /// requests are refused until memory is back under 90% of it).
    pub status: &'static str,
    pub models_loaded: bool,
    /// The inference engine (`litert` or `tract`); null while the models load.
    pub engine: Option<&'static str>,
    /// How the landmark model runs: `exact` (MediaPipe's weights) or `int8` (`--precision`,
    /// LiteRT only); null while the models load.
    pub precision: Option<&'static str>,
    pub degraded: bool,
    pub rss_bytes: Option<u64>,
    /// `--max-rss-mb` in bytes; `None` when the guard is off.
    pub max_rss_bytes: Option<u64>,
    pub version: &'static str,
}

/// `GET /api`: what this server is and what it accepts.
#[derive(Clone, Debug, Serialize)]
pub struct ApiInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub models_loaded: bool,
    /// The inference engine (`litert` or `tract`); null while the models load.
    pub engine: Option<&'static str>,
    /// How the landmark model runs: `exact` (MediaPipe's weights) or `int8` (`--precision`,
    /// LiteRT only); null while the models load.
    pub precision: Option<&'static str>,
    pub languages: [&'static str; 1],
    pub limits: Limits,
    pub features: Features,
    /// How the sentence builder commits a sign (the practice page shows the hold).
    pub sentence: SentenceRules,
    pub endpoints: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub ws_max_message_bytes: usize,
    pub max_image_pixels: u64,
    pub max_long_side: u32,
    pub max_short_side: u32,
    pub max_hands: usize,
    /// WebSocket sessions.
    pub max_sessions: usize,
    pub max_http_sessions: usize,
    pub max_new_sessions: usize,
    pub session_ttl_secs: f64,
    pub new_session_ttl_secs: f64,
    pub ws_idle_secs: f64,
    pub request_timeout_secs: f64,
    pub workers: usize,
    pub queue_depth: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Features {
    pub image_formats: [&'static str; 3],
    pub sessions: &'static str,
    pub frame_skipping: &'static str,
    pub progress: bool,
    pub text_to_sign: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SentenceRules {
    /// How long a sign is held before it is committed.
    pub hold_ms: u64,
    /// How long without a hand ends the word.
    pub idle_ms: u64,
}

/// `POST /predict-and-build`: the prediction and the sentence after it, in one object.
#[derive(Clone, Debug, Serialize)]
pub struct BuildBody {
    #[serde(flatten)]
    pub prediction: PredictionBody,
    #[serde(flatten)]
    pub sentence: SentenceBody,
    /// What this frame committed: a letter, `"space"` or `"delete"`.
    pub committed: Option<String>,
}

impl BuildBody {
    pub fn new(outcome: Outcome, timestamp: f64) -> BuildBody {
        BuildBody {
            prediction: PredictionBody::new(&outcome.reading, timestamp),
            sentence: outcome.sentence.into(),
            committed: outcome.committed,
        }
    }
}

/// `POST /text-to-sign`'s one field, from a form (url-encoded or multipart) or JSON.
#[derive(Clone, Debug, Deserialize)]
pub struct TextToSignRequest {
    pub text: String,
}

/// `POST /text-to-sign`.
#[derive(Clone, Debug, Serialize)]
pub struct TextToSignBody {
    pub text: String,
    pub letters: Vec<LetterBody>,
}

/// One step of a spelling: the handshape to draw (landmarks in 0..1, y down) and how to make it.
#[derive(Clone, Debug, Serialize)]
pub struct LetterBody {
    /// The character of the text (upper-cased), `" "` for a word break.
    #[serde(rename = "char")]
    pub ch: char,
    /// Which word of the text (0-based); a break has the next word's index.
    pub word_index: usize,
    /// The class whose handshape is shown (`"I"` for J, `"D"` for Z, `"space"` for a break).
    pub label: String,
    pub landmarks: [[f32; 3]; 21],
    pub tip: String,
    /// For J and Z: the movement to make.
    pub motion: Option<String>,
}

impl From<SpelledLetter> for LetterBody {
    fn from(l: SpelledLetter) -> LetterBody {
        LetterBody {
            ch: l.ch,
            word_index: l.word_index,
            label: l.label,
            landmarks: l.landmarks,
            tip: l.tip,
            motion: l.motion,
        }
    }
}

/// `GET /api/memory`.
#[derive(Clone, Debug, Serialize)]
pub struct MemoryBody {
    pub rss_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory right after the models were loaded.
    pub baseline_rss_bytes: Option<u64>,
    pub sessions: usize,
    /// Memory above the baseline shared out over the live sessions: an estimate.
    pub rss_above_baseline_per_session_bytes: Option<u64>,
    pub per_session: Vec<SessionSummary>,
}

/// What `/api/memory` shows of a session (never its id, which is a bearer secret).
#[derive(Clone, Debug, Serialize)]
pub struct SessionSummary {
    pub kind: SessionKind,
    pub age_secs: f64,
    pub idle_secs: f64,
    pub frames: u64,
    pub dropped: u64,
    pub words: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionKind {
    Http,
    Ws,
}

/// `GET /api/progress?profile=ID`.
#[derive(Clone, Debug, Deserialize)]
pub struct ProfileQuery {
    pub profile: String,
}

/// `GET /api/progress?profile=ID&tz_offset_min=N`: the learner's time zone, minutes east of UTC
/// (the page's `-new Date().getTimezoneOffset()`), for counting days.
#[derive(Clone, Debug, Deserialize)]
pub struct ProgressQuery {
    pub profile: String,
    #[serde(default)]
    pub tz_offset_min: Option<i32>,
}

/// `POST /api/progress/activity`: a finished lesson, review or timed drill.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    pub profile: String,
    /// `lesson`, `review` or `drill`.
    pub kind: String,
    /// Which lesson (`lesson-3`), or what was drilled.
    pub name: String,
    /// Letters asked for, and signed right.
    pub letters: u32,
    pub correct: u32,
    pub duration_ms: u32,
    #[serde(default)]
    pub activity_id: Option<String>,
    #[serde(default)]
    pub tz_offset_min: Option<i32>,
}

/// A profile's progress with its days and activities: what the progress endpoints answer.
#[derive(Clone, Debug, Serialize)]
pub struct ProgressView {
    #[serde(flatten)]
    pub progress: ProgressBody,
    pub daily: Daily,
    /// The newest lessons, reviews and drills, newest first.
    pub activities: Vec<ActivityBody>,
}

/// The daily goal: attempts today (in the learner's time zone) and days practised in a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Daily {
    pub goal: u64,
    pub today: u64,
    /// Days in a row with at least one attempt, ending today (or yesterday, before today's first).
    pub streak_days: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ActivityBody {
    pub kind: String,
    pub name: String,
    pub letters: u32,
    pub correct: u32,
    pub duration_ms: u32,
    /// Letters signed right per minute (drills).
    pub letters_per_minute: f64,
    pub at: i64,
}

/// `POST /api/progress/attempt`.
#[derive(Clone, Debug, Deserialize)]
pub struct AttemptRequest {
    pub profile: String,
    pub target: String,
    pub correct: bool,
    pub score: f32,
    /// The client's id for this attempt (8 to 64 characters of `[A-Za-z0-9_-]`): an attempt
    /// sent again with the same id (a retry after a lost reply) is stored once.
    #[serde(default)]
    pub attempt_id: Option<String>,
}

/// `POST /api/calibration/examples`: examples of one label for a profile's calibration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplesRequest {
    pub profile: String,
    /// `A`..`Y` (not J or Z, which are motions), `space` or `delete`.
    pub label: String,
    /// Each example: one hand's 21 landmarks `[x, y, z]`, in pixels of its frame as the
    /// `prediction` message gives them (only their shape is kept: they are canonicalised).
    pub hands: Vec<Vec<[f64; 3]>>,
    /// Replace the label's stored examples (redo a letter) instead of adding to them.
    #[serde(default)]
    pub replace: bool,
    /// `calibration` (the default) or `practice` (an attempt the learner confirmed).
    #[serde(default)]
    pub source: Option<String>,
}

/// `?profile=ID` on the predict endpoints and the WebSocket: read with that learner's
/// calibration.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CalibratedQuery {
    #[serde(default)]
    pub profile: Option<String>,
}

/// `DELETE /api/calibration?profile=ID[&label=L]`.
#[derive(Clone, Debug, Deserialize)]
pub struct CalibrationQuery {
    pub profile: String,
    #[serde(default)]
    pub label: Option<String>,
}

/// A profile's calibration: the answer of every calibration endpoint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationBody {
    pub profile: String,
    /// Examples stored per label, for every label that can be calibrated (0: none), in the
    /// order the calibration asks for them.
    pub counts: Vec<LabelCount>,
    pub total: usize,
    /// The most examples kept per label (older ones are dropped first).
    pub max_per_label: usize,
    /// How many examples the request deleted (`DELETE` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<u64>,
    /// With `GET ...&landmarks=true`: the examples themselves (canonicalised landmarks, oldest
    /// first), e.g. for the practise page to compare a hand with the learner's own form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examples: Option<BTreeMap<String, Vec<[[f32; 3]; 21]>>>,
}

/// `GET /api/calibration?profile=ID[&landmarks=true]`.
#[derive(Clone, Debug, Deserialize)]
pub struct CalibrationGetQuery {
    pub profile: String,
    #[serde(default)]
    pub landmarks: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelCount {
    pub label: String,
    pub examples: usize,
}

/// `POST /api/classes`: a teacher creates a class.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClassRequest {
    pub name: String,
}

/// The answer to creating a class: its join code, and the teacher's key (shown once; the
/// teacher's browser keeps it, the server only its hash).
#[derive(Clone, Debug, Serialize)]
pub struct NewClassBody {
    pub code: String,
    pub name: String,
    pub teacher_key: String,
}

/// `POST /api/classes/{code}/join` and `/leave`: a learner's profile (and, to join, the name
/// the teacher will see).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipRequest {
    pub profile: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// What anyone with the code may see of a class (before joining it).
#[derive(Clone, Debug, Serialize)]
pub struct ClassInfoBody {
    pub code: String,
    pub name: String,
    pub members: usize,
}

/// A learner's classes.
#[derive(Clone, Debug, Serialize)]
pub struct MembershipsBody {
    pub profile: String,
    pub classes: Vec<MembershipBody>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MembershipBody {
    pub code: String,
    pub class_name: String,
    /// The name the learner gave this class.
    pub name: String,
    pub joined_at: i64,
}

/// The teacher's view of a class: each member's progress, never their profile id or images.
#[derive(Clone, Debug, Serialize)]
pub struct ClassBody {
    pub code: String,
    pub name: String,
    pub created_at: i64,
    pub members: Vec<MemberBody>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MemberBody {
    /// An id for this member in this class only (not their profile id): what removing takes.
    pub member: String,
    pub name: String,
    pub joined_at: i64,
    /// Unix seconds of their last practice attempt, if any.
    pub last_activity: Option<i64>,
    pub total_attempts: u64,
    pub total_correct: u64,
    pub accuracy: f64,
    pub letters: BTreeMap<String, LetterProgress>,
}

/// A profile's progress, the answer of both progress endpoints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgressBody {
    pub profile: String,
    pub letters: BTreeMap<String, LetterProgress>,
    pub total_attempts: u64,
    pub total_correct: u64,
    /// total_correct / total_attempts; 0 before the first attempt.
    pub accuracy: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LetterProgress {
    pub attempts: u64,
    pub correct: u64,
    pub streak: u64,
    pub best_streak: u64,
    /// Unix seconds of the last attempt.
    pub last_practised: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/// A text message from the client (a binary message is a frame: the image's bytes).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ClientMessage {
    /// The original's frame: `data` is a base64 image or a `data:` URL.
    Frame {
        data: String,
    },
    /// On-device mode: the hands the page found itself, no picture (docs/api.md).
    Landmarks(LandmarksFrame),
    Clear,
    Space,
    Backspace,
    /// A keep-alive, answered with [`ServerMessage::Pong`].
    Ping,
}

/// One frame's hands as found on the signer's device: MediaPipe's normalised image landmarks
/// (x, y as fractions of the frame's width and height, z on x's scale), for a frame of
/// `width` x `height` pixels seen at `t` milliseconds on the client's clock. Unknown fields are
/// refused. Checked further by `ws::protocol` (finite, in range, not too many hands).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandmarksFrame {
    pub t: f64,
    pub width: u32,
    pub height: u32,
    pub hands: Vec<DeviceHand>,
}

/// One hand of a [`LandmarksFrame`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceHand {
    /// MediaPipe's label, "Left" or "Right" (as the server reports it: see `hand`).
    pub handedness: String,
    /// Confidence that this is a hand, in [0, 1].
    pub score: f32,
    /// 21 points, `[x, y, z]`.
    pub landmarks: Vec<[f32; 3]>,
}

/// A message to the client: `{"type": ..., ...}`.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMessage {
    /// One frame's answer.
    Prediction(PredictionMessage),
    /// The sentence after an edit.
    Sentence(SentenceBody),
    Error(ErrorBody),
    Pong,
    /// The connection's session, sent first: its id (pass it back as `?session=ID` to resume
    /// after a reconnect, on any replica) and the sentence it continues.
    Session(SessionMessage),
}

/// Which session a WebSocket connection is, and whether it continues an earlier one.
#[derive(Clone, Debug, Serialize)]
pub struct SessionMessage {
    /// The session's id: a bearer secret, for this client only.
    pub session: String,
    pub status: SessionStatus,
    #[serde(flatten)]
    pub sentence: SentenceBody,
    /// With `?profile=ID`: the calibration this connection reads with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationStatus>,
}

/// The calibration a WebSocket connection reads with (`examples` 0: none, the shipped model).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalibrationStatus {
    pub profile: String,
    pub examples: usize,
    pub labels: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    /// No session was asked for: a new one.
    New,
    /// The session asked for, with its sentence (on whichever replica).
    Resumed,
    /// The session asked for is unknown or expired (or could not be read): a new one, with a
    /// new id and an empty sentence.
    Expired,
}

/// The answer to one WebSocket frame.
#[derive(Clone, Debug, Serialize)]
pub struct PredictionMessage {
    #[serde(flatten)]
    pub prediction: PredictionBody,
    #[serde(flatten)]
    pub sentence: SentenceBody,
    pub committed: Option<String>,
    /// 1-based count of frames received on this connection.
    pub frame: u64,
    /// Frames skipped so far (replaced by a newer one before they were read).
    pub dropped: u64,
    pub timings_ms: TimingsMs,
}

/// Stage durations in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct TimingsMs {
    pub queue: f64,
    /// Decoding and downscaling.
    pub decode: f64,
    pub palm: f64,
    pub landmark: f64,
    pub classify: f64,
    pub total: f64,
}

impl From<&StageTimes> for TimingsMs {
    fn from(t: &StageTimes) -> TimingsMs {
        TimingsMs {
            queue: ms(t.queue),
            decode: ms(t.decode + t.resize),
            palm: ms(t.palm),
            landmark: ms(t.landmark),
            classify: ms(t.classify),
            total: ms(t.total),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Command line (`--json`)

/// `signbridge classify --json`: one line per image.
#[derive(Clone, Debug, Serialize)]
pub struct ClassifyLine {
    pub path: String,
    pub label: Option<String>,
    pub confidence: f32,
    pub top: Vec<(String, f32)>,
    pub hands: Vec<DetectedHand>,
}

/// A `--json` line for an image that could not be read.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorLine {
    pub path: String,
    pub error: String,
    pub error_type: ErrorType,
}

/// A hand as `detect --json` writes it: MediaPipe's reference format, rounded to what the
/// landmarks can tell (0.01 px, 1e-5 m).
pub fn detected_hand(h: &Hand) -> DetectedHand {
    DetectedHand {
        handedness: h.handedness.as_str().to_string(),
        score: round(h.score, 1e4),
        landmarks: h
            .landmarks
            .iter()
            .map(|p| p.map(|v| round(v, 100.0)))
            .collect(),
        world_landmarks: h
            .world_landmarks
            .iter()
            .map(|p| p.map(|v| round(v, 1e5)))
            .collect(),
    }
}

/// The `detect --json` line of one image.
pub fn detect_line(path: String, width: u32, height: u32, hands: &[Hand]) -> DetectLine {
    DetectLine {
        path,
        width,
        height,
        hands: Some(hands.iter().map(detected_hand).collect()),
    }
}

fn round(v: f32, scale: f32) -> f32 {
    let r = (v * scale).round() / scale;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Unix seconds now, for `timestamp` fields.
pub fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_messages_are_tagged_with_their_type() {
        let pong = serde_json::to_value(ServerMessage::Pong).unwrap();
        assert_eq!(pong, json!({"type": "pong"}));
        let error = serde_json::to_value(ServerMessage::Error(ErrorBody {
            error: "bad".into(),
            error_type: ErrorType::UndecodableImage,
        }))
        .unwrap();
        assert_eq!(
            error,
            json!({"type": "error", "error": "bad", "error_type": "undecodable_image"})
        );
    }

    #[test]
    fn a_prediction_names_the_hand_its_letter_was_read_from() {
        let hand = |presence: f32| Hand {
            id: 0,
            handedness: signbridge_vision::Handedness::Right,
            score: 0.9,
            presence,
            landmarks: [[0.0; 3]; 21],
            world_landmarks: [[0.0; 3]; 21],
        };
        let reading = |hands: Vec<Hand>| Reading {
            hands,
            prediction: None,
            image_width: 640,
            image_height: 480,
            timings: Default::default(),
        };
        let two = PredictionBody::new(&reading(vec![hand(0.6), hand(0.95)]), 0.0);
        assert_eq!(two.signing_hand, Some(1));
        let none = serde_json::to_value(PredictionBody::new(&reading(vec![]), 0.0)).unwrap();
        assert_eq!(none["signing_hand"], serde_json::Value::Null);
    }

    #[test]
    fn a_prediction_message_is_one_flat_object() {
        let message = ServerMessage::Prediction(PredictionMessage {
            prediction: PredictionBody {
                label: Some("A".into()),
                confidence: 0.5,
                top: vec![("A".into(), 0.5)],
                language: "ASL",
                landmarks_detected: true,
                hands: vec![],
                signing_hand: None,
                image_width: 640,
                image_height: 480,
                timestamp: 1.0,
            },
            sentence: SentenceBody {
                current_word: "A".into(),
                words: vec![],
                full_sentence: "A".into(),
                last_prediction: Some("A".into()),
            },
            committed: Some("A".into()),
            frame: 3,
            dropped: 0,
            timings_ms: TimingsMs {
                queue: 0.0,
                decode: 1.0,
                palm: 0.0,
                landmark: 2.0,
                classify: 0.1,
                total: 3.1,
            },
        });
        let v = serde_json::to_value(message).unwrap();
        assert_eq!(v["type"], "prediction");
        assert_eq!(v["label"], "A");
        assert_eq!(v["full_sentence"], "A");
        assert_eq!(v["committed"], "A");
        assert_eq!(v["frame"], 3);
        assert_eq!(v["timings_ms"]["landmark"], 2.0);
    }

    #[test]
    fn client_messages_parse_by_type_and_refuse_the_rest() {
        let parse = |s: &str| serde_json::from_str::<ClientMessage>(s);
        assert_eq!(parse(r#"{"type":"space"}"#).unwrap(), ClientMessage::Space);
        assert_eq!(
            parse(r#"{"type":"frame","data":"AAEC"}"#).unwrap(),
            ClientMessage::Frame {
                data: "AAEC".into()
            }
        );
        for bad in [
            r#"{"type":"bogus"}"#,
            r#"{"type":"frame"}"#,
            r#"{"type":"frame","data":1}"#,
            r#"{"data":"x"}"#,
            "[1]",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cli_and_http_name_a_vision_error_alike() {
        let e = VisionError::UnsupportedFormat("text".into());
        assert_eq!(ErrorType::from(&e).as_str(), "unsupported_type");
        let json = serde_json::to_value(ErrorType::from(&e)).unwrap();
        assert_eq!(json, "unsupported_type");
    }

    #[test]
    fn detect_lines_round_trip_through_the_training_reader_type() {
        let hand = Hand {
            id: 0,
            handedness: signbridge_vision::Handedness::Left,
            score: 0.987_654,
            presence: 1.0,
            landmarks: [[10.123_4, 20.0, -0.000_01]; 21],
            world_landmarks: [[0.012_345_67, 0.0, 0.0]; 21],
        };
        let line = detect_line("a/B/1.jpg".into(), 224, 224, &[hand]);
        let text = serde_json::to_string(&line).unwrap();
        assert!(text.starts_with(r#"{"path":"a/B/1.jpg","width":224,"height":224,"hands":[{"handedness":"Left","score":0.9877,"#), "{text}");
        let back: DetectLine = serde_json::from_str(&text).unwrap();
        assert_eq!(back, line);
        let hands = back.hands.unwrap();
        assert_eq!(hands[0].landmarks[0], [10.12, 20.0, 0.0]);
    }
}
