//! The inference engine behind a small interface, so another backend can be added later.
//! Today's backend is tract (pure Rust), fed a rewritten copy of each `.tflite` model.

mod rewrite;
mod tract;

pub use self::tract::TractModel;
pub use rewrite::rewrite_for_tract;

use crate::error::VisionError;

/// One loaded, optimised model with a single fixed-shape NHWC f32 input.
/// Implementations are shared between threads; each `run` keeps its own state.
pub trait Model: Send + Sync {
    /// The input shape, `[1, height, width, channels]`.
    fn input_shape(&self) -> [usize; 4];
    /// Runs the model on `input` (`height * width * channels` values) and returns every output,
    /// flattened, in the model's output order.
    fn run(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError>;
}
