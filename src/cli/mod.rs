//! Subcommands of the `signbridge` binary, one file each. Their shared settings (models,
//! thresholds, image limits) are `signbridge_server::PipelineArgs`, the same flags `serve` takes.

pub mod bench;
pub mod classify;
pub mod detect;
pub mod train;
pub mod transcribe;

use std::path::Path;

use signbridge_vision::{decode_image, Frame, ImageLimits, VisionError};

/// Reads and decodes one image, or says why not.
pub fn read_frame(path: &Path, limits: &ImageLimits) -> Result<Frame, VisionError> {
    let bytes = std::fs::read(path).map_err(|source| VisionError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_image(&bytes, limits)
}
