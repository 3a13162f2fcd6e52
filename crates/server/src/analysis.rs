//! What a worker does with one frame: decode, find hands, classify the signing hand, and time
//! each stage. Runs on worker threads only (blocking, CPU-heavy).

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use signbridge_signs::{Classifier, Prediction};
use signbridge_vision::{decode_image, Hand, ImageLimits, VisionError};

use crate::engine::{HandTracking, Models};
use crate::metrics::StageTimes;
use crate::recognition::{classify, signing_hand, SentenceState};
use crate::sessions::{lock, SessionRef};

/// The outcome of one frame.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub hands: Vec<Hand>,
    /// `None` when no hand was found.
    pub prediction: Option<Prediction>,
    /// For frames of a session: what the frame committed, and the sentence after it.
    pub sentence: Option<(Option<String>, SentenceState)>,
    pub image_width: u32,
    pub image_height: u32,
    pub times: StageTimes,
    /// Unix seconds when the frame was analysed.
    pub timestamp: f64,
}

/// What to do with the hands found.
pub enum Recognise {
    /// Image mode: classify the signing hand.
    Classify(Arc<Classifier>),
    /// A session's frame, seen at `t_ms`: classify and update its sentence.
    Session(SessionRef, u64),
}

/// Image mode (`tracker` = `None`) or video mode. `queued_at` is when the job was offered to
/// the pool, so the queue wait is measured too.
pub fn analyse(
    models: &Models,
    tracker: Option<&mut dyn HandTracking>,
    recognise: &Recognise,
    bytes: &[u8],
    limits: &ImageLimits,
    queued_at: Instant,
) -> Result<Analysis, VisionError> {
    let started = Instant::now();
    let frame = decode_image(bytes, limits)?;
    let detection = match tracker {
        Some(t) => t.process(&frame)?,
        None => models.hands.detect(&frame)?,
    };
    let classify_start = Instant::now();
    let (prediction, sentence) = match recognise {
        Recognise::Classify(classifier) => (
            signing_hand(&detection.hands).map(|hand| classify(classifier, hand)),
            None,
        ),
        Recognise::Session(session, t_ms) => {
            let result = lock(session).recognizer.observe(*t_ms, &detection.hands);
            (result.prediction, Some((result.committed, result.state)))
        }
    };
    let classify_time = classify_start.elapsed();
    let times = StageTimes {
        queue: started.saturating_duration_since(queued_at),
        decode: frame.decode_time,
        resize: frame.resize_time,
        palm: detection.timings.palm,
        landmark: detection.timings.landmark,
        classify: classify_time,
        total: started.elapsed(),
    };
    Ok(Analysis {
        hands: detection.hands,
        prediction,
        sentence,
        image_width: frame.original_width,
        image_height: frame.original_height,
        times,
        timestamp: unix_seconds(),
    })
}

pub fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A hand as clients see it (docs/api.md, `hand`).
#[derive(Clone, Debug, Serialize)]
pub struct HandBody {
    pub id: u32,
    pub handedness: &'static str,
    pub score: f32,
    pub landmarks: [[f32; 3]; 21],
    pub world_landmarks: [[f32; 3]; 21],
}

/// What the classifier saw in one frame (docs/api.md, `prediction`).
#[derive(Clone, Debug, Serialize)]
pub struct PredictionBody {
    pub label: Option<String>,
    pub confidence: f32,
    pub top: Vec<(String, f32)>,
    pub language: &'static str,
    pub landmarks_detected: bool,
    pub hands: Vec<HandBody>,
    pub image_width: u32,
    pub image_height: u32,
    pub timestamp: f64,
}

impl From<&Analysis> for PredictionBody {
    fn from(a: &Analysis) -> PredictionBody {
        PredictionBody {
            label: a.prediction.as_ref().map(|p| p.label.clone()),
            confidence: a.prediction.as_ref().map_or(0.0, |p| p.confidence),
            top: a
                .prediction
                .as_ref()
                .map_or_else(Vec::new, |p| p.top.clone()),
            language: "ASL",
            landmarks_detected: !a.hands.is_empty(),
            hands: a
                .hands
                .iter()
                .map(|h| HandBody {
                    id: h.id,
                    handedness: h.handedness.as_str(),
                    score: h.score,
                    landmarks: h.landmarks,
                    world_landmarks: h.world_landmarks,
                })
                .collect(),
            image_width: a.image_width,
            image_height: a.image_height,
            timestamp: a.timestamp,
        }
    }
}

/// Stage durations in milliseconds, as WebSocket replies report them.
#[derive(Clone, Debug, Serialize)]
pub struct TimingsMs {
    pub queue: f64,
    pub decode: f64,
    pub palm: f64,
    pub landmark: f64,
    pub classify: f64,
    pub total: f64,
}

impl From<&StageTimes> for TimingsMs {
    fn from(t: &StageTimes) -> TimingsMs {
        let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e5).round() / 100.0;
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
