//! tract backend: load -> rewrite -> optimise -> runnable plan, shared by every worker.

use tract_core::prelude::*;
use tract_tflite::prelude::Framework;

use super::{rewrite_for_tract, Model};
use crate::error::VisionError;

/// A MediaPipe model compiled by tract. Cheap to share (`Arc` inside).
pub struct TractModel {
    plan: Arc<TypedRunnableModel>,
    input_shape: [usize; 4],
}

fn infer_err(e: impl std::fmt::Display) -> VisionError {
    VisionError::Inference(e.to_string())
}

impl TractModel {
    /// Builds the model from the original `.tflite` bytes. They are taken by value and freed
    /// as soon as the rewritten copy exists, as is that copy once tract has read it: loading
    /// holds at most two forms of the weights at a time, which sets the process's peak memory.
    pub fn from_tflite(bytes: Vec<u8>) -> Result<Self, VisionError> {
        let rewritten = rewrite_for_tract(&bytes)?;
        drop(bytes);
        let tflite = tract_tflite::tflite();
        let model = tflite
            .model_for_read(&mut std::io::Cursor::new(rewritten))
            .map_err(|e| VisionError::ModelFormat(format!("{e:#}")))?;
        let fact = model.input_fact(0).map_err(infer_err)?;
        let dims: Vec<usize> = fact
            .shape
            .as_concrete()
            .ok_or_else(|| VisionError::ModelFormat("input shape is not fixed".into()))?
            .to_vec();
        let input_shape: [usize; 4] = dims
            .try_into()
            .map_err(|d| VisionError::ModelFormat(format!("expected a rank-4 input, got {d:?}")))?;
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| VisionError::ModelFormat(format!("{e:#}")))?;
        Ok(TractModel { plan, input_shape })
    }
}

impl Model for TractModel {
    fn input_shape(&self) -> [usize; 4] {
        self.input_shape
    }

    fn run(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError> {
        let tensor = Tensor::from_shape(&self.input_shape, input).map_err(infer_err)?;
        let outputs = self
            .plan
            .run(tvec!(tensor.into_tvalue()))
            .map_err(infer_err)?;
        outputs
            .iter()
            .map(|t| {
                t.try_as_plain_ram()
                    .and_then(|v| Ok(v.as_slice::<f32>()?.to_vec()))
                    .map_err(infer_err)
            })
            .collect()
    }
}
