//! Labelled hands for training and evaluation, and the loaders that read them in place from
//! `shared/data` (never copied into the repository).
//!
//! - [`tables`]: the landmark CSV tables (`landmarks/…`), each with its own coordinate convention;
//! - [`jsonl`]: detector output in JSON Lines (`reference/*.jsonl` or `signbridge detect --json`),
//!   labelled by the parent folder of each `path`.
//!
//! Which sources may train the shipped model is decided in [`mod@crate::train`]; `bisonhacks_3person`
//! and `images/letters` are for evaluation only.

pub mod jsonl;
pub mod tables;

use crate::features::Hand;
use crate::labels;
use std::path::{Path, PathBuf};

/// One labelled hand.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Class label as stored by [`labels::normalize`] (`"A"`, `"space"`, `"Hello"`...).
    pub label: String,
    /// Landmarks in isotropic units (x and y share one scale); z is 0 where the source has none.
    pub hand: Hand,
    /// Where it came from, e.g. `"signn"`, `"bisonhacks/person2"`, `"jsonl:train.jsonl"`.
    pub source: String,
    /// Grouping key inside a source (e.g. a block of consecutive video frames, a photo folder):
    /// samples of one group are correlated and must not be split between training and held-out.
    pub group: u32,
}

impl Sample {
    /// Build a sample, normalising the label.
    pub fn new(label: &str, hand: Hand, source: &str, group: u32) -> Sample {
        Sample {
            label: labels::normalize(label),
            hand,
            source: source.to_string(),
            group,
        }
    }
}

/// Where the shared data lives: `$SIGNBRIDGE_DATA` if set, else `<repo>/../shared/data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SIGNBRIDGE_DATA") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}
