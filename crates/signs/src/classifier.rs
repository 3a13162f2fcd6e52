//! The static-handshape classifier: features -> small MLP -> temperature-calibrated softmax.
//!
//! The model file (JSON, `model/classifier.json`, embedded with `include_bytes!`) holds the
//! class list, the feature standardisation, the network, the fitted temperature, the rejection
//! threshold below which a prediction becomes `nothing`, and the per-class medoid handshapes
//! used by [`crate::text_to_sign`].

use crate::error::{Result, SignsError};
use crate::features::{features, Hand, FEATURE_LEN};
use crate::labels::NOTHING;
use crate::mlp::{softmax, Mlp};
use serde::{Deserialize, Serialize};

/// The committed default model.
const DEFAULT_MODEL: &[u8] = include_bytes!("../model/classifier.json");

/// Version of the model file layout.
pub const MODEL_FORMAT: u32 = 1;

/// One classification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The chosen label; [`NOTHING`] when the best class's probability is below the model's
    /// rejection threshold.
    pub label: String,
    /// Calibrated probability of `label` (for a rejection: 1 − the best class's probability).
    pub confidence: f32,
    /// The three most probable classes with calibrated probabilities, best first.
    pub top: Vec<(String, f32)>,
}

/// Anything that reads a letter from a hand: the shipped [`Classifier`], or one fitted to a
/// signer ([`crate::Calibrated`]).
pub trait LetterReader {
    fn classify(&self, hand: &Hand) -> Prediction;
}

impl LetterReader for Classifier {
    fn classify(&self, hand: &Hand) -> Prediction {
        Classifier::classify(self, hand)
    }
}

/// A representative handshape of one class, canonicalised (wrist at 0, unit hand size).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Handshape {
    pub label: String,
    pub landmarks: Hand,
}

/// Everything in a model file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Classifier {
    pub format: u32,
    pub classes: Vec<String>,
    /// Per-feature mean and standard deviation of the training features.
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub net: Mlp,
    /// Softmax temperature fitted on held-out data (logits are divided by it).
    pub temperature: f32,
    /// Below this calibrated probability the prediction is [`NOTHING`].
    pub reject_below: f32,
    pub handshapes: Vec<Handshape>,
}

impl Classifier {
    /// The model committed in `crates/signs/model/classifier.json`.
    pub fn default_model() -> Classifier {
        Classifier::from_bytes(DEFAULT_MODEL)
            .expect("the committed model file is valid; this is a bug")
    }

    /// Load a model file, checking its shapes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier> {
        let c: Classifier =
            serde_json::from_slice(bytes).map_err(|e| SignsError::Model(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// The model file's bytes (JSON, stable formatting: same model, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).expect("a model always serialises; this is a bug");
        v.push(b'\n');
        v
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(SignsError::Model(m.to_string()));
        if self.format != MODEL_FORMAT {
            return bad("unknown format version");
        }
        if !self.net.is_consistent() {
            return bad("network shapes disagree");
        }
        if self.net.sizes.first() != Some(&FEATURE_LEN) || self.mean.len() != FEATURE_LEN {
            return bad("feature length differs from this build");
        }
        if self.std.len() != FEATURE_LEN || self.std.iter().any(|s| *s <= 0.0) {
            return bad("bad standardisation");
        }
        if self.net.sizes.last() != Some(&self.classes.len()) || self.classes.len() < 3 {
            return bad("class count differs from the network output");
        }
        if self.temperature.is_nan() || self.temperature <= 0.0 {
            return bad("temperature must be positive");
        }
        Ok(())
    }

    /// Standardised features of a hand.
    pub(crate) fn input(&self, hand: &Hand) -> Vec<f32> {
        features(hand)
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(v, (m, s))| (v - m) / s)
            .collect()
    }

    /// Raw logits (before temperature).
    pub(crate) fn logits(&self, hand: &Hand) -> Vec<f32> {
        self.net.logits(&self.input(hand))
    }

    /// Calibrated class probabilities, in [`Classifier::classes`] order.
    pub fn probabilities(&self, hand: &Hand) -> Vec<f32> {
        let t = self.temperature;
        softmax(&self.logits(hand).iter().map(|z| z / t).collect::<Vec<_>>())
    }

    /// Classify one hand.
    pub fn classify(&self, hand: &Hand) -> Prediction {
        self.decide(&self.probabilities(hand))
    }

    /// The prediction for class probabilities `p` (in [`Classifier::classes`] order): the best
    /// class, or [`NOTHING`] below the rejection threshold.
    pub(crate) fn decide(&self, p: &[f32]) -> Prediction {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
        let top: Vec<(String, f32)> = order
            .iter()
            .take(3)
            .map(|&i| (self.classes[i].clone(), p[i]))
            .collect();
        let (best, conf) = top[0].clone();
        if conf.is_nan() || conf < self.reject_below {
            let c = if conf.is_nan() { 1.0 } else { 1.0 - conf };
            return Prediction {
                label: NOTHING.to_string(),
                confidence: c,
                top,
            };
        }
        Prediction {
            label: best,
            confidence: conf,
            top,
        }
    }

    /// The stored representative handshape of a class.
    pub fn handshape(&self, label: &str) -> Option<&Hand> {
        self.handshapes
            .iter()
            .find(|h| h.label == label)
            .map(|h| &h.landmarks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_file_round_trips_byte_for_byte() {
        let c = Classifier::default_model();
        assert_eq!(c.to_bytes(), DEFAULT_MODEL);
        assert_eq!(Classifier::from_bytes(&c.to_bytes()).ok(), Some(c));
    }

    #[test]
    fn broken_model_files_are_rejected() {
        assert!(Classifier::from_bytes(b"{}").is_err());
        assert!(Classifier::from_bytes(b"not json").is_err());
        let mut c = Classifier::default_model();
        c.classes.pop();
        assert!(Classifier::from_bytes(&c.to_bytes()).is_err());
        let mut c = Classifier::default_model();
        c.temperature = 0.0;
        assert!(Classifier::from_bytes(&c.to_bytes()).is_err());
    }

    #[test]
    fn every_medoid_is_classified_as_its_own_class_with_three_sorted_alternatives() {
        let c = Classifier::default_model();
        assert_eq!(c.handshapes.len(), c.classes.len());
        for h in &c.handshapes {
            let p = c.classify(&h.landmarks);
            assert_eq!(p.label, h.label);
            assert_eq!(p.top.len(), 3);
            assert!(p.top[0].1 >= p.top[1].1 && p.top[1].1 >= p.top[2].1);
            let total: f32 = c.probabilities(&h.landmarks).iter().sum();
            assert!((total - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn below_the_rejection_threshold_the_answer_is_nothing() {
        let mut c = Classifier::default_model();
        c.reject_below = 1.1;
        let Some(a) = c.handshape("A").copied() else {
            panic!("model has an A");
        };
        let p = c.classify(&a);
        assert_eq!(p.label, NOTHING);
        assert_eq!(p.top[0].0, "A");
    }

    /// Issue 13: a hand the model is unsure about shows its best guess with its low confidence;
    /// only a hand no class reaches the threshold for (unclear) is `nothing`.
    #[test]
    fn an_unsure_hand_shows_its_best_guess_and_only_an_unclear_one_is_nothing() {
        let c = Classifier::default_model();
        let k = c.classes.len();
        let r = c.classes.iter().position(|l| l == "R").unwrap();
        let u = c.classes.iter().position(|l| l == "U").unwrap();
        let mut p = vec![0.3 / (k - 2) as f32; k];
        p[r] = 0.35;
        p[u] = 0.35 - 1e-3;
        let unsure = c.decide(&p);
        assert_eq!(unsure.label, "R");
        assert!((unsure.confidence - 0.35).abs() < 1e-6);
        let flat = c.decide(&vec![1.0 / k as f32; k]);
        assert_eq!(flat.label, NOTHING);
    }

    #[test]
    fn a_nan_hand_is_nothing_not_a_panic() {
        let c = Classifier::default_model();
        let p = c.classify(&[[f32::NAN; 3]; 21]);
        assert_eq!(p.label, NOTHING);
    }
}
