//! A stand-in for the hand models, so the server's own behaviour (admission, sessions, limits,
//! WebSocket flow) is tested in seconds without loading them. Compiled only with the
//! `test-support` feature: the server's tests enable it, the `signbridge` binary does not.

use std::sync::Arc;
use std::time::Duration;

use signbridge_signs::Classifier;
use signbridge_vision::{Detection, Frame, Hand, Handedness, StageTimings, VisionError};

use crate::engine::{HandModel, HandTracking, Models};

impl Models {
    /// Models that find one fixed hand, making the handshape of `letter` (the classifier's
    /// stored example), in every decodable frame after `delay` of "inference": for testing the
    /// server without the real hand models.
    pub fn stub(letter: &str, delay: Duration) -> Models {
        let shape = Classifier::default_model()
            .handshape(letter)
            .copied()
            .unwrap_or_else(open_hand);
        Models {
            hands: Arc::new(StubHands { delay, shape }),
        }
    }
}

/// A flat open hand around the origin, about one unit tall, y down.
fn open_hand() -> [[f32; 3]; 21] {
    let mut shape = [[0.0f32; 3]; 21];
    for (i, p) in shape.iter_mut().enumerate().skip(1) {
        let finger = (i - 1) / 4;
        let joint = ((i - 1) % 4 + 1) as f32;
        *p = [
            (finger as f32 - 2.0) * 0.1 * joint / 4.0,
            -0.2 - joint * 0.15,
            0.0,
        ];
    }
    shape
}

/// Stand-in hand model: every frame holds one right hand of a fixed shape, placed in the
/// middle of the frame, found after `delay`.
#[derive(Clone)]
pub struct StubHands {
    pub delay: Duration,
    /// Landmarks around the origin, about one unit tall.
    pub shape: [[f32; 3]; 21],
}

impl StubHands {
    fn find(&self, frame: &Frame) -> Detection {
        std::thread::sleep(self.delay);
        let (w, h) = (frame.original_width as f32, frame.original_height as f32);
        let scale = 0.4 * w.min(h);
        let landmarks = self
            .shape
            .map(|[x, y, z]| [0.5 * w + x * scale, 0.6 * h + y * scale, z * scale]);
        let hand = Hand {
            id: 0,
            handedness: Handedness::Right,
            score: 0.99,
            presence: 0.99,
            landmarks,
            world_landmarks: [[0.0; 3]; 21],
        };
        Detection {
            hands: vec![hand],
            timings: StageTimings {
                palm: self.delay,
                landmark: Duration::ZERO,
                palm_runs: 1,
                landmark_runs: 1,
            },
        }
    }
}

impl HandModel for StubHands {
    fn detect(&self, frame: &Frame) -> Result<Detection, VisionError> {
        Ok(self.find(frame))
    }

    fn tracker(&self) -> Box<dyn HandTracking> {
        Box::new(self.clone())
    }
}

impl HandTracking for StubHands {
    fn process(&mut self, frame: &Frame) -> Result<Detection, VisionError> {
        Ok(self.find(frame))
    }

    fn reset(&mut self) {}
}
