//! The interpreter: one stream of frames from pixels to a sentence, in one place. It joins the
//! two synchronous crates, `signbridge_vision` (frame -> hands) and `signbridge_signs` (hand ->
//! letter -> sentence), and is what the server, `transcribe` and `classify` all call.
//!
//! # Layout
//! - [`hands`]: the hand models behind two small traits (image mode, video mode), so callers
//!   and tests can swap the real pipeline for a stand-in; `stub` (feature `test-support`) is
//!   that stand-in.
//! - [`mod@interpreter`]: [`Interpreter`], one stream's state (hand tracker + sentence), and
//!   [`read`], image mode without state. The rule for which hand signs lives here only.
//!
//! No tokio, no HTTP, no I/O: the caller decodes the frame, chooses the clock, and moves the
//! interpreter wherever its work runs (the server sends it to a worker thread with the frame).

pub mod hands;
pub mod interpreter;
#[cfg(feature = "test-support")]
pub mod stub;

pub use hands::{HandModel, HandTracking};
pub use interpreter::{
    read, read_landmarks, signing_hand, Edit, Interpreter, Outcome, Reading, Timings,
};
