//! The hand models the server runs, loaded once: fetch and verify the files, load and optimise
//! both models, run one inference to warm them up. Only then does `/health` report ready.
//! Behind the interpreter's [`HandModel`] trait, so tests run the server on a stand-in
//! (`Models::stub`, feature `test-support`).

use std::sync::Arc;

use signbridge_interpreter::HandModel;
use signbridge_vision::{EngineKind, Frame, ImageLimits, Precision, VisionError};

use crate::config::PipelineSettings;

/// The hand models, shared by all workers. (The letter classifier is small, built into the
/// binary and always available: it lives in the server state.)
#[derive(Clone)]
pub struct Models {
    pub hands: Arc<dyn HandModel>,
    /// The inference engine they run on: `litert`, `tract` (or `stub` in tests).
    pub engine: &'static str,
    /// Why `--engine auto` runs tract, with how to get LiteRT, when it does.
    pub engine_note: Option<String>,
    /// How the landmark model runs: `exact`, or `int8` (`--precision`, on LiteRT only).
    pub precision: &'static str,
}

impl Models {
    /// Fetches (first run only), loads and warms up the production models. Blocking.
    pub fn load(settings: &PipelineSettings) -> Result<Models, VisionError> {
        settings.store().ensure()?;
        let pipeline = settings.load()?;
        let models = Models {
            engine: pipeline.engine().kind().name(),
            engine_note: pipeline.engine().fallback_reason().map(str::to_string),
            precision: match pipeline.engine().kind() {
                EngineKind::LiteRt => settings.pipeline.precision.name(),
                EngineKind::Tract => Precision::Exact.name(),
            },
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

    /// Stand-in models that find one hand making `letter`'s handshape in every decodable frame,
    /// after `delay` of pretended inference: for testing the server without the real models.
    #[cfg(feature = "test-support")]
    pub fn stub(letter: &str, delay: std::time::Duration) -> Models {
        Models {
            hands: Arc::new(signbridge_interpreter::stub::StubHands::showing(letter).after(delay)),
            engine: "stub",
            engine_note: None,
            precision: Precision::Exact.name(),
        }
    }
}
