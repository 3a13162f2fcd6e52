//! A stand-in for the hand models, so that what is built on them (the interpreter, the server's
//! admission, sessions and WebSocket flow) is tested in seconds without loading them. Compiled
//! only with the `test-support` feature, which tests turn on; the `signbridge` binary does not.

use std::time::Duration;

use signbridge_signs::Classifier;
use signbridge_vision::{Detection, Frame, Hand, Handedness, StageTimings, VisionError};

use crate::hands::{HandModel, HandTracking};

/// Every frame holds one right hand of a fixed shape in the middle of the frame, found after
/// `delay` of pretended inference.
#[derive(Clone)]
pub struct StubHands {
    pub delay: Duration,
    /// Landmarks around the origin, about one unit tall, y down.
    pub shape: [[f32; 3]; 21],
}

impl StubHands {
    /// A hand making `letter`'s handshape (the classifier's stored example of it), or a flat
    /// open hand for a label the classifier has no example of. Found at once.
    pub fn showing(letter: &str) -> StubHands {
        let shape = Classifier::default_model()
            .handshape(letter)
            .copied()
            .unwrap_or_else(open_hand);
        StubHands {
            delay: Duration::ZERO,
            shape,
        }
    }

    /// The same hand, found after `delay` (a slow model, for admission and timeout tests).
    pub fn after(self, delay: Duration) -> StubHands {
        StubHands { delay, ..self }
    }

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
}
