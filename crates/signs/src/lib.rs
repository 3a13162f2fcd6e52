//! Sign recognition on plain hand landmarks: no images, no models of the vision crate, no I/O
//! beyond reading training tables.
//!
//! # Layout
//! - [`features`]: landmarks -> translation/scale/mirror-invariant features;
//! - [`labels`]: the label set (`LETTERS`, `SPACE`, `DELETE`, `NOTHING`);
//! - [`dataset`]: labelled samples and the loaders of `shared/data` (tables, detector JSONL);
//! - [`classifier`]: the static-handshape classifier and its model file; [`mlp`] its network;
//! - [`calibration`]: a signer's own examples (a profile) blended with the classifier;
//! - [`synthetic`]: permitted stand-ins for `space`, `delete`, `nothing`;
//! - [`mod@train`]: training, calibration, `train_default` for `signbridge train`;
//! - [`mod@evaluate`]: accuracy reports;
//! - [`motion`]: J and Z from fingertip trajectories;
//! - [`bounce`]: double letters, from a still hand's quick bounce or slide;
//! - [`sentence`]: the timestamp-driven sentence builder;
//! - [`session`]: classifier + motion + sentence builder for one stream of frames;
//! - [`text_to_sign`]: handshapes and tips for spelling a text.

pub mod bounce;
pub mod calibration;
pub mod classifier;
pub mod dataset;
pub mod error;
pub mod evaluate;
pub mod features;
pub mod labels;
pub mod mlp;
pub mod motion;
pub mod rng;
pub mod sentence;
pub mod session;
pub mod synthetic;
pub mod text_to_sign;
pub mod train;

pub use bounce::{BounceConfig, BounceTracker};
pub use calibration::{Blend, Calibrated, Profile};
pub use classifier::{Classifier, Handshape, LetterReader, Prediction};
pub use dataset::Sample;
pub use error::{Result, SignsError};
pub use evaluate::{evaluate, Report};
pub use features::Hand;
pub use labels::{DELETE, LETTERS, NOTHING, SPACE};
pub use motion::{MotionConfig, MotionTracker};
pub use sentence::{SentenceBuilder, SentenceConfig, SentenceState};
pub use session::{FrameResult, Session};
pub use text_to_sign::{fingerspell, SpelledLetter};
pub use train::{train, train_default, train_with_report, TrainOptions, TrainReport};
