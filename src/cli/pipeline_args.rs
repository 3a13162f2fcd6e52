//! Options shared by every subcommand that runs the hand pipeline.

use std::path::PathBuf;

use signbridge_vision::{HandPipeline, ImageLimits, ModelStore, ModelVariant, PipelineConfig};

/// Where the models live and how the pipeline runs.
#[derive(clap::Args, Clone, Debug)]
pub struct PipelineArgs {
    /// Model cache directory (default: $XDG_CACHE_HOME/signbridge/models or ~/.cache/signbridge/models).
    /// Models are fetched there with `npm pack` on first use and verified by sha256 on every load.
    #[arg(long, env = "SIGNBRIDGE_MODELS")]
    pub models_dir: Option<PathBuf>,
    /// Model variant: `full` (more accurate) or `lite` (faster).
    #[arg(long = "model", env = "SIGNBRIDGE_MODEL", default_value = "full")]
    pub model: ModelVariant,
    /// Most hands reported per image or frame.
    #[arg(long, env = "SIGNBRIDGE_MAX_HANDS", default_value_t = 2)]
    pub max_hands: usize,
    /// Palm detections scoring below this are ignored (lower finds more hands, and more mistakes).
    #[arg(long, env = "SIGNBRIDGE_MIN_DETECTION", default_value_t = 0.5)]
    pub min_detection_confidence: f32,
    /// Hands whose presence score is below this are dropped.
    #[arg(long, env = "SIGNBRIDGE_MIN_PRESENCE", default_value_t = 0.5)]
    pub min_presence: f32,
    /// Video mode: look for missing hands every n-th frame (1 = every frame, slower).
    #[arg(long, env = "SIGNBRIDGE_REDETECT_INTERVAL", default_value_t = 5)]
    pub redetect_interval: u32,
    /// Frames are downscaled so that their long side is at most this (aspect kept).
    #[arg(long, env = "SIGNBRIDGE_MAX_LONG_SIDE", default_value_t = 640)]
    pub max_long_side: u32,
    /// Frames are downscaled so that their short side is at most this (aspect kept).
    #[arg(long, env = "SIGNBRIDGE_MAX_SHORT_SIDE", default_value_t = 480)]
    pub max_short_side: u32,
    /// Images declaring more pixels than this are refused from their header, before decoding.
    #[arg(long, env = "SIGNBRIDGE_MAX_PIXELS", default_value_t = 40_000_000)]
    pub max_pixels: u64,
}

impl PipelineArgs {
    pub fn config(&self) -> anyhow::Result<PipelineConfig> {
        anyhow::ensure!(self.max_hands >= 1, "--max-hands must be at least 1");
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.min_detection_confidence)
                && (0.0..=1.0).contains(&self.min_presence),
            "thresholds must be between 0 and 1"
        );
        Ok(PipelineConfig {
            variant: self.model,
            max_hands: self.max_hands,
            min_detection_confidence: self.min_detection_confidence,
            min_presence: self.min_presence,
            redetect_interval: self.redetect_interval.max(1),
        })
    }

    pub fn limits(&self) -> ImageLimits {
        ImageLimits {
            max_long_side: self.max_long_side,
            max_short_side: self.max_short_side,
            max_pixels: self.max_pixels,
        }
    }

    pub fn store(&self) -> ModelStore {
        ModelStore::at(self.models_dir.clone())
    }

    pub fn load(&self) -> anyhow::Result<HandPipeline> {
        let config = self.config()?;
        let store = self.store();
        Ok(HandPipeline::load(&store, config)?)
    }
}
