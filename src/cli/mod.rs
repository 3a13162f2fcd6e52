//! Subcommands of the `signbridge` binary, one file each. Their shared settings (models,
//! thresholds, image limits) are `signbridge_server::PipelineArgs`, the same flags `serve` takes.

pub mod bench;
pub mod calibrate;
pub mod classify;
pub mod detect;
pub mod train;
pub mod transcribe;

use std::io::Write;
use std::path::Path;

use signbridge_server::wire::{ErrorLine, ErrorType};
use signbridge_server::PipelineSettings;
use signbridge_vision::{decode_image, Frame, HandPipeline, ImageLimits, VisionError};

/// Loads the hand models (fetching them, and the LiteRT library, on first use), and says on
/// stderr when `--engine auto` runs on tract instead of LiteRT, and why.
pub fn load_pipeline(settings: &PipelineSettings) -> Result<HandPipeline, VisionError> {
    let pipeline = settings.load()?;
    if let Some(why) = pipeline.engine().fallback_reason() {
        eprintln!("note: {why}");
    }
    Ok(pipeline)
}

/// Reads and decodes one image, or says why not.
pub fn read_frame(path: &Path, limits: &ImageLimits) -> Result<Frame, VisionError> {
    let bytes = std::fs::read(path).map_err(|source| VisionError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_image(&bytes, limits)
}

/// Reports an image that could not be read: a `--json` error line (`wire::ErrorLine`) or a
/// text line on stdout, and the error on stderr.
pub fn report_failure(
    out: &mut impl Write,
    json: bool,
    path: &str,
    e: &VisionError,
) -> anyhow::Result<()> {
    if json {
        let line = ErrorLine {
            path: path.to_string(),
            error: e.to_string(),
            error_type: ErrorType::from(e),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    } else {
        writeln!(out, "{path}: error: {e}")?;
    }
    eprintln!("error: {path}: {e}");
    Ok(())
}
