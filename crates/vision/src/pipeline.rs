//! The hand pipeline in image mode: palm detection on the whole frame, one landmark inference
//! per palm. Loads each model once; the pipeline is cheap to clone and share between threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Engine, EngineChoice, Model, Precision};
use crate::error::VisionError;
use crate::hand::{Hand, Handedness, Point3, NUM_LANDMARKS};
use crate::image_input::Frame;
use crate::landmarks::{LandmarkModel, LandmarkResult};
use crate::models::{model_names, ModelStore, ModelVariant};
use crate::palm::{PalmDetection, PalmDetector};
use crate::roi::{palm_to_roi, NormRect};
use crate::tracker::HandTracker;

/// Pipeline settings.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    pub variant: ModelVariant,
    /// Which inference engine runs the models.
    pub engine: EngineChoice,
    /// How the landmark model's convolutions run on LiteRT. Palm detection always runs its
    /// shipped weights: on int8 it found fewer of MediaPipe's hands (docs/models.md).
    pub precision: Precision,
    /// Most hands reported per frame.
    pub max_hands: usize,
    /// Palm detections scoring below this are ignored.
    pub min_detection_confidence: f32,
    /// Hands whose landmark-model presence is below this are dropped (and stop being tracked).
    pub min_presence: f32,
    /// Video mode: while fewer than `max_hands` hands are tracked, look for the missing ones on
    /// every n-th frame only (1 = every frame, as MediaPipe).
    pub redetect_interval: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            variant: ModelVariant::Full,
            engine: EngineChoice::Auto,
            precision: Precision::default(),
            max_hands: 2,
            min_detection_confidence: 0.5,
            min_presence: 0.5,
            redetect_interval: 5,
        }
    }
}

/// Time spent in each model for one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StageTimings {
    pub palm: Duration,
    pub landmark: Duration,
    pub palm_runs: u32,
    pub landmark_runs: u32,
}

/// The hands found in one frame and what it cost.
#[derive(Clone, Debug, Default)]
pub struct Detection {
    pub hands: Vec<Hand>,
    pub timings: StageTimings,
}

/// Both models, loaded and optimised once.
pub(crate) struct Models {
    pub palm: PalmDetector,
    pub landmark: LandmarkModel,
}

/// The hand pipeline. Clone it freely: the models are shared.
#[derive(Clone)]
pub struct HandPipeline {
    pub(crate) models: Arc<Models>,
    pub(crate) config: PipelineConfig,
    engine: Engine,
}

impl HandPipeline {
    /// Loads (fetching on first use) and compiles the models of `config.variant` on the engine
    /// `config.engine` names (LiteRT's library is fetched into the model cache on first use).
    pub fn load(store: &ModelStore, config: PipelineConfig) -> Result<Self, VisionError> {
        let engine = Engine::open(config.engine, store.dir())?;
        let (palm_name, landmark_name) = model_names(config.variant);
        // The larger model first, while nothing else is resident: loading briefly needs about
        // twice a model's final size, and this order keeps that transient off the other model.
        let landmark = engine.load_with(store.read(landmark_name)?, config.precision)?;
        let palm = engine.load(store.read(palm_name)?)?;
        Self::from_models(engine, palm, landmark, config)
    }

    /// Builds a pipeline from models already loaded on `engine`.
    pub fn from_models(
        engine: Engine,
        palm: Arc<dyn Model>,
        landmark: Arc<dyn Model>,
        config: PipelineConfig,
    ) -> Result<Self, VisionError> {
        if config.max_hands == 0 {
            return Err(VisionError::Models("max_hands must be at least 1".into()));
        }
        let models = Models {
            palm: PalmDetector::new(palm)?,
            landmark: LandmarkModel::new(landmark)?,
        };
        Ok(HandPipeline {
            models: Arc::new(models),
            config,
            engine,
        })
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The engine the models run on, and why `auto` fell back to tract if it did.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A video-mode tracker sharing this pipeline's models.
    pub fn tracker(&self) -> HandTracker {
        HandTracker::new(self.clone())
    }

    /// Image mode: every hand in `frame`, found from scratch.
    pub fn detect(&self, frame: &Frame) -> Result<Detection, VisionError> {
        let mut timings = StageTimings::default();
        let palms = self.detect_palms(frame, &mut timings)?;
        let (w, h) = (frame.rgb.width() as f32, frame.rgb.height() as f32);
        let mut hands = Vec::new();
        for palm in palms.iter().take(self.config.max_hands) {
            let roi = palm_to_roi(palm, w, h);
            if let Some(result) = self.run_landmarks(frame, &roi, &mut timings)? {
                hands.push(to_hand(hands.len() as u32, &result, frame));
            }
        }
        Ok(Detection { hands, timings })
    }

    pub(crate) fn detect_palms(
        &self,
        frame: &Frame,
        timings: &mut StageTimings,
    ) -> Result<Vec<PalmDetection>, VisionError> {
        let start = Instant::now();
        let palms = self
            .models
            .palm
            .detect(&frame.rgb, self.config.min_detection_confidence)?;
        timings.palm += start.elapsed();
        timings.palm_runs += 1;
        Ok(palms)
    }

    /// Runs the landmark model; `None` when the hand's presence is under the threshold.
    pub(crate) fn run_landmarks(
        &self,
        frame: &Frame,
        roi: &NormRect,
        timings: &mut StageTimings,
    ) -> Result<Option<LandmarkResult>, VisionError> {
        let start = Instant::now();
        let result = self.models.landmark.run(&frame.rgb, roi)?;
        timings.landmark += start.elapsed();
        timings.landmark_runs += 1;
        Ok((result.presence >= self.config.min_presence).then_some(result))
    }
}

/// Converts a landmark result (normalised) into a [`Hand`] in the original image's pixels.
pub(crate) fn to_hand(id: u32, r: &LandmarkResult, frame: &Frame) -> Hand {
    let (w, h) = (frame.original_width as f32, frame.original_height as f32);
    let mut landmarks: [Point3; NUM_LANDMARKS] = [[0.0; 3]; NUM_LANDMARKS];
    for (out, p) in landmarks.iter_mut().zip(&r.landmarks) {
        *out = [p[0] * w, p[1] * h, p[2] * w];
    }
    let (handedness, score) = if r.left_score >= 0.5 {
        (Handedness::Left, r.left_score)
    } else {
        (Handedness::Right, 1.0 - r.left_score)
    };
    Hand {
        id,
        handedness,
        score,
        presence: r.presence,
        landmarks,
        world_landmarks: r.world_landmarks,
    }
}
