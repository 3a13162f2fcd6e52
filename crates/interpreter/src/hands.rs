//! The hand models as the interpreter uses them: [`HandModel`] finds hands in one frame on its
//! own (image mode) and makes [`HandTracking`] trackers that follow hands from frame to frame
//! (video mode). In production both are `signbridge_vision`'s pipeline; tests use
//! `stub::StubHands` (feature `test-support`).

use signbridge_vision::{Detection, Frame, HandPipeline, HandTracker, VisionError};

/// Image mode: every frame on its own. Loaded once and shared by every thread.
pub trait HandModel: Send + Sync + 'static {
    fn detect(&self, frame: &Frame) -> Result<Detection, VisionError>;
    /// A video-mode tracker for one stream of frames.
    fn tracker(&self) -> Box<dyn HandTracking>;
}

/// Video mode: hands followed from frame to frame. One per stream.
pub trait HandTracking: Send + 'static {
    fn process(&mut self, frame: &Frame) -> Result<Detection, VisionError>;
}

impl HandModel for HandPipeline {
    fn detect(&self, frame: &Frame) -> Result<Detection, VisionError> {
        HandPipeline::detect(self, frame)
    }

    fn tracker(&self) -> Box<dyn HandTracking> {
        Box::new(HandPipeline::tracker(self))
    }
}

impl HandTracking for HandTracker {
    fn process(&mut self, frame: &Frame) -> Result<Detection, VisionError> {
        HandTracker::process(self, frame)
    }
}
