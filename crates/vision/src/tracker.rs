//! Video mode. Each tracked hand's ROI for the next frame comes from this frame's landmarks, so a
//! steady stream costs one landmark inference per hand per frame. Palm detection runs when no
//! hand is tracked and, while fewer than `max_hands` are, only every `redetect_interval`-th frame
//! (MediaPipe runs it on every such frame, which is most of its cost with one hand in view).
//! A new palm overlapping a tracked hand (IoU > 0.5) is the same hand. Hands keep their id.

use crate::error::VisionError;
use crate::image_input::Frame;
use crate::pipeline::{to_hand, Detection, HandPipeline, StageTimings};
use crate::roi::{iou, landmarks_to_roi, palm_to_roi, NormRect};

/// Palms overlapping a tracked hand by more than this are that hand.
const SAME_HAND_IOU: f32 = 0.5;

struct Track {
    id: u32,
    roi: NormRect,
}

/// Per-stream tracking state; one per camera stream or session.
pub struct HandTracker {
    pipeline: HandPipeline,
    tracks: Vec<Track>,
    next_id: u32,
    frames_since_palm: u32,
}

impl HandTracker {
    pub(crate) fn new(pipeline: HandPipeline) -> Self {
        HandTracker {
            pipeline,
            tracks: Vec::new(),
            next_id: 0,
            frames_since_palm: 0,
        }
    }

    /// Forgets every tracked hand (the next frame runs palm detection).
    pub fn reset(&mut self) {
        self.tracks.clear();
        self.frames_since_palm = 0;
    }

    /// Number of hands currently tracked.
    pub fn tracked(&self) -> usize {
        self.tracks.len()
    }

    /// Processes the next frame of the stream.
    pub fn process(&mut self, frame: &Frame) -> Result<Detection, VisionError> {
        let config = self.pipeline.config().clone();
        let mut timings = StageTimings::default();
        let (w, h) = (frame.rgb.width() as f32, frame.rgb.height() as f32);
        self.frames_since_palm = self.frames_since_palm.saturating_add(1);
        let missing = self.tracks.len() < config.max_hands;
        if self.tracks.is_empty()
            || (missing && self.frames_since_palm >= config.redetect_interval.max(1))
        {
            self.frames_since_palm = 0;
            for palm in self.pipeline.detect_palms(frame, &mut timings)? {
                if self.tracks.len() >= config.max_hands {
                    break;
                }
                let roi = palm_to_roi(&palm, w, h);
                if self
                    .tracks
                    .iter()
                    .all(|t| iou(&t.roi, &roi) <= SAME_HAND_IOU)
                {
                    self.tracks.push(Track {
                        id: self.next_id,
                        roi,
                    });
                    self.next_id = self.next_id.wrapping_add(1);
                }
            }
        }
        let mut hands = Vec::with_capacity(self.tracks.len());
        let mut next: Vec<Track> = Vec::with_capacity(self.tracks.len());
        for track in &self.tracks {
            let Some(result) = self
                .pipeline
                .run_landmarks(frame, &track.roi, &mut timings)?
            else {
                continue;
            };
            let lm2: [[f32; 2]; 21] =
                std::array::from_fn(|i| [result.landmarks[i][0], result.landmarks[i][1]]);
            let roi = landmarks_to_roi(&lm2, w, h);
            // Two tracks that converged on one hand: keep the older.
            if next.iter().any(|t| iou(&t.roi, &roi) > SAME_HAND_IOU) {
                continue;
            }
            hands.push(to_hand(track.id, &result, frame));
            next.push(Track { id: track.id, roi });
        }
        self.tracks = next;
        Ok(Detection { hands, timings })
    }
}
