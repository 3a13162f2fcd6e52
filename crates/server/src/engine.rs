//! The models the server runs, behind two small traits so that the server's own behaviour
//! (admission, sessions, limits) can be tested without loading them: [`HandModel`] is
//! `signbridge_vision::HandPipeline` in production and, in tests, `stub::StubHands` (compiled
//! only with the `test-support` feature, which the server's own tests turn on).
//!
//! Loading happens once: fetch and verify the files, load and optimise both models, run one
//! inference to warm them up. Only then does `/health` report ready.

use std::sync::Arc;

use signbridge_vision::{
    Detection, Frame, HandPipeline, HandTracker, ImageLimits, ModelStore, ModelVariant,
    PipelineConfig, VisionError,
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

    /// One inference on a blank frame, so the first client does not pay for lazy setup.
    pub fn warm_up(&self) -> Result<(), VisionError> {
        let blank = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
        let frame = Frame::from_rgb(blank, &ImageLimits::default())?;
        self.hands.detect(&frame)?;
        self.hands.tracker().process(&frame)?;
        Ok(())
    }
}
