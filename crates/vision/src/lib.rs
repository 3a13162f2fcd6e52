//! SignBridge's hand pipeline: synchronous, no async runtime, no HTTP.
//!
//! # Layout
//! - [`image_input`]: bytes -> RGB frame (format check, header dimension check, decode, downscale),
//!   and MJPEG streams split into frames.
//! - [`models`]: the four MediaPipe model files: fetch (`npm pack`), verify (sha256), cache.
//! - [`engine`]: the inference interface and its two backends: LiteRT (Google's runtime, loaded
//!   at run time from a library fetched with `pip download`) and tract (pure Rust, with the
//!   `.tflite` rewriter that works around tract-tflite's gaps).
//! - [`anchors`], [`palm`], [`nms`]: palm detection (SSD anchors, decoding, weighted NMS).
//! - [`roi`]: palm -> hand ROI, landmarks -> next ROI, overlap.
//! - [`crop`]: rotated-rectangle crop with bilinear sampling, and its inverse.
//! - [`landmarks`]: the hand-landmark model and projection back into the image.
//! - [`pipeline`]: image mode; [`tracker`]: video mode.
//! - [`hand`]: what is reported per hand.
//! - [`web_kit`]: MediaPipe's browser build of the same models, for on-device mode.
//! - `registry`: fetching pinned files with `npm pack` and `pip download`, checked by sha256.

pub mod anchors;
pub mod crop;
pub mod engine;
pub mod error;
pub mod hand;
pub mod image_input;
pub mod landmarks;
pub mod models;
pub mod nms;
pub mod palm;
pub mod pipeline;
mod registry;
pub mod roi;
pub mod tracker;
pub mod web_kit;

pub use engine::{Engine, EngineChoice, EngineKind, Precision};
pub use error::VisionError;
pub use hand::{Hand, Handedness, Point3, NUM_LANDMARKS};
pub use image_input::{decode_image, decode_image_until, Frame, ImageLimits};
pub use models::{ModelStore, ModelVariant};
pub use pipeline::{Detection, HandPipeline, PipelineConfig, StageTimings};
pub use tracker::HandTracker;
pub use web_kit::WebKit;
