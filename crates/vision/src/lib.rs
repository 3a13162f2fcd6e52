//! SignBridge's hand pipeline: synchronous, no async runtime, no HTTP.
pub mod engine;
pub mod error;
pub use error::VisionError;
