//! The models the server runs, behind two small traits so that the server's own behaviour
//! (admission, sessions, limits) can be tested without loading them: [`HandModel`] is
//! `signbridge_vision::HandPipeline` in production and [`StubHands`] in tests.
//!
//! Loading happens once: fetch and verify the files, load and optimise both models, run one
//! inference to warm them up. Only then does `/health` report ready.

use std::sync::Arc;
use std::time::Duration;

use signbridge_signs::Classifier;
use signbridge_vision::{
    Detection, Frame, Hand, HandPipeline, HandTracker, Handedness, ImageLimits, ModelStore,
    ModelVariant, PipelineConfig, StageTimings, VisionError,
};

use crate::config::Config;

/// Image mode: every frame on its own. Shared by all workers.
pub trait HandModel: Send + Sync + 'static {
    fn detect(&self, frame: &Frame) -> Result<Detection, VisionError>;
    /// A video-mode tracker for one stream of frames.
    fn tracker(&self) -> Box<dyn HandTracking>;
}

/// Video mode: hands followed from frame to frame. One per WebSocket session.
pub trait HandTracking: Send + 'static {
    fn process(&mut self, frame: &Frame) -> Result<Detection, VisionError>;
    fn reset(&mut self);
}

impl HandModel for HandPipeline {
    fn detect(&self, frame: &Frame) -> Result<Detection, VisionError> {
        HandPipeline::detect(self, frame)
    }

    fn tracker(&self) -> Box<dyn HandTracking> {
        Box::new(HandPipeline::tracker(self))
    }
}

impl HandTracking for HandTracker {
    fn process(&mut self, frame: &Frame) -> Result<Detection, VisionError> {
        HandTracker::process(self, frame)
    }

    fn reset(&mut self) {
        HandTracker::reset(self);
    }
}

/// The hand models, loaded once and shared by all workers. (The letter classifier is small,
/// built into the binary and always available: it lives in the server state.)
#[derive(Clone)]
pub struct Models {
    pub hands: Arc<dyn HandModel>,
}

impl Models {
    /// Fetches (first run only), loads and warms up the production models. Blocking.
    pub fn load(config: &Config) -> Result<Models, VisionError> {
        let store = ModelStore::at(config.models_dir.clone());
        store.ensure()?;
        let pipeline = HandPipeline::load(
            &store,
            PipelineConfig {
                variant: if config.lite_model {
                    ModelVariant::Lite
                } else {
                    ModelVariant::Full
                },
                max_hands: config.max_hands,
                ..PipelineConfig::default()
            },
        )?;
        let models = Models {
            hands: Arc::new(pipeline),
        };
        models.warm_up()?;
        Ok(models)
    }

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

    /// One inference on a blank frame, so the first client does not pay for lazy setup.
    pub fn warm_up(&self) -> Result<(), VisionError> {
        let blank = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
        let frame = Frame::from_rgb(blank, &ImageLimits::default())?;
        self.hands.detect(&frame)?;
        self.hands.tracker().process(&frame)?;
        Ok(())
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
