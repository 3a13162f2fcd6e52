//! The vision crate's error type. "No hand in the frame" is not an error: it is an empty result.

use std::path::PathBuf;

/// Everything that can go wrong between bytes in and landmarks out.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// The input is empty, truncated or not an image we can decode.
    #[error("cannot decode image: {0}")]
    Decode(String),
    /// The input is an image format we do not accept (we take JPEG, PNG and WebP).
    #[error("unsupported image type: {0}")]
    UnsupportedFormat(String),
    /// The header declares dimensions over the configured limit (decompression-bomb guard).
    #[error("image is {width}x{height}, over the limit of {max_pixels} pixels")]
    TooLarge {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    /// Decoding the image would take more memory than one decode may use (its pixels are under
    /// the limit, but its encoding needs more per pixel: a progressive 4:4:4 JPEG, a WebP).
    #[error("image is {width}x{height}; decoding it needs more than {budget_mib} MiB")]
    OverBudget {
        width: u32,
        height: u32,
        budget_mib: u64,
    },
    /// Decoding was stopped because its deadline passed (the request it was for timed out).
    #[error("decoding stopped: the request's deadline passed")]
    Cancelled,
    /// A model file is missing, fails its checksum, or cannot be fetched.
    #[error("model files: {0}")]
    Models(String),
    /// A model flatbuffer has a shape we do not understand.
    #[error("model format: {0}")]
    ModelFormat(String),
    /// The inference engine failed.
    #[error("inference: {0}")]
    Inference(String),
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}
