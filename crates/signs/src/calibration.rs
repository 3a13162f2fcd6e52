//! Personal calibration: a signer's own examples of each letter (landmarks only, never pixels)
//! make the shipped classifier fit their hand. The classifier's calibrated probabilities are
//! blended with a nearest-example vote in the classifier's own standardised feature space:
//!
//! first the classifier's output layer is fine-tuned on the examples (a few hundred gradient steps
//! on their hidden-layer activations, pulled towards the shipped weights), then its probabilities
//! are blended with a nearest-example vote in that hidden layer:
//! `p = (1 − w) · p_model + w · p_examples`, `p_examples(c) ∝ exp(−d_c / τ)` over the labels that
//! have examples, `d_c` the mean squared distance to the nearest example of `c`.
//!
//! [`Blend::DEFAULT`] was chosen by leave-one-person-out on the three-person table
//! (`examples/calibration_curve.rs`, docs/signs.md): for each person, the values that did best on
//! the other two.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::classifier::{Classifier, LetterReader, Prediction};
use crate::error::{Result, SignsError};
use crate::features::{canonicalize, Hand};
use crate::labels::NOTHING;

/// Version of the profile file layout.
pub const PROFILE_FORMAT: u32 = 1;
/// The most examples kept per label (older ones are dropped first).
pub const MAX_EXAMPLES_PER_LABEL: usize = 20;

/// A signer's examples: what a profile file holds. Landmarks are stored canonicalised (wrist at
/// the origin, unit hand size, one chirality): where the hand was in the picture is not kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub format: u32,
    /// Per label (`"A"`, `"space"`, ...), oldest first.
    pub examples: BTreeMap<String, Vec<Hand>>,
}

impl Profile {
    pub fn new() -> Profile {
        Profile {
            format: PROFILE_FORMAT,
            examples: BTreeMap::new(),
        }
    }

    /// Adds one example of `label` (which `classifier` must know); keeps the newest
    /// [`MAX_EXAMPLES_PER_LABEL`].
    pub fn add(&mut self, classifier: &Classifier, label: &str, hand: &Hand) -> Result<()> {
        if !classifier.classes.iter().any(|c| c == label) || label == NOTHING {
            return Err(SignsError::Profile(format!(
                "unknown label {label:?} (expected one of {})",
                classifier
                    .classes
                    .iter()
                    .filter(|c| *c != NOTHING)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if hand.iter().flatten().any(|v| !v.is_finite()) {
            return Err(SignsError::Profile("landmarks must be finite".into()));
        }
        let list = self.examples.entry(label.to_string()).or_default();
        list.push(canonicalize(hand));
        if list.len() > MAX_EXAMPLES_PER_LABEL {
            list.remove(0);
        }
        Ok(())
    }

    /// Examples per label.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.examples
            .iter()
            .map(|(l, v)| (l.clone(), v.len()))
            .collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a profile always serialises; this is a bug")
    }

    /// Reads a profile, checking it against `classifier`'s labels.
    pub fn from_json(text: &str, classifier: &Classifier) -> Result<Profile> {
        let p: Profile = serde_json::from_str(text)
            .map_err(|e| SignsError::Profile(format!("not a calibration profile: {e}")))?;
        if p.format != PROFILE_FORMAT {
            return Err(SignsError::Profile(format!(
                "profile format {} (this build reads {PROFILE_FORMAT})",
                p.format
            )));
        }
        let mut checked = Profile::new();
        for (label, hands) in &p.examples {
            if !classifier.classes.contains(label) || label == NOTHING {
                return Err(SignsError::Profile(format!(
                    "unknown label {label:?} in the profile"
                )));
            }
            for hand in hands {
                checked.add(classifier, label, hand)?;
            }
        }
        Ok(checked)
    }
}

/// Where distances between hands are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// The classifier's standardised input features.
    Features,
    /// The classifier's last hidden layer.
    Hidden,
}

/// How the examples are used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blend {
    /// Weight of the examples' nearest-neighbour vote.
    pub weight: f32,
    /// Distance scale τ of the vote.
    pub tau: f32,
    pub space: Space,
    /// Gradient steps that fine-tune the output layer on the examples (0: none).
    pub steps: usize,
    pub learning_rate: f32,
    /// Pull of the fine-tuned layer back towards the shipped one.
    pub prior: f32,
}

impl Blend {
    /// What every person's leave-one-person-out choice agreed on (docs/signs.md).
    pub const DEFAULT: Blend = Blend {
        weight: 0.3,
        tau: 0.02,
        space: Space::Hidden,
        steps: 300,
        learning_rate: 0.5,
        prior: 0.001,
    };
}

/// The output layer, `[class][hidden]` row-major, and its biases.
#[derive(Debug)]
struct Head {
    weights: Vec<f32>,
    biases: Vec<f32>,
}

/// Fine-tunes `classifier`'s output layer on `(class, hidden activations)` pairs: full-batch
/// gradient descent on the temperature-scaled cross-entropy, with an L2 pull towards the shipped
/// weights so that letters without examples keep their place.
fn fine_tune(classifier: &Classifier, examples: &[(usize, Vec<f32>)], blend: Blend) -> Head {
    let net = &classifier.net;
    let last = net.weights.len() - 1;
    let (w0, b0) = (&net.weights[last], &net.biases[last]);
    let classes = b0.len();
    let hidden = w0.len() / classes;
    let mut w = w0.clone();
    let mut b = b0.clone();
    let t = classifier.temperature;
    let n = examples.len().max(1) as f32;
    for _ in 0..blend.steps {
        let mut gw = vec![0.0f32; w.len()];
        let mut gb = vec![0.0f32; b.len()];
        for (y, h) in examples {
            let z: Vec<f32> = (0..classes)
                .map(|c| {
                    (b[c]
                        + w[c * hidden..(c + 1) * hidden]
                            .iter()
                            .zip(h)
                            .map(|(a, x)| a * x)
                            .sum::<f32>())
                        / t
                })
                .collect();
            let p = crate::mlp::softmax(&z);
            for c in 0..classes {
                let g = (p[c] - f32::from(c == *y)) / (t * n);
                gb[c] += g;
                for (gwi, x) in gw[c * hidden..(c + 1) * hidden].iter_mut().zip(h) {
                    *gwi += g * x;
                }
            }
        }
        for (i, wi) in w.iter_mut().enumerate() {
            *wi -= blend.learning_rate * (gw[i] + blend.prior * (*wi - w0[i]));
        }
        for (c, bi) in b.iter_mut().enumerate() {
            *bi -= blend.learning_rate * (gb[c] + blend.prior * (*bi - b0[c]));
        }
    }
    Head {
        weights: w,
        biases: b,
    }
}

/// A classifier fitted to one signer: the shipped model plus that signer's examples. Built once
/// per profile (the fine-tuning is the costly part), then cheap per hand; it owns a handle on the
/// shared classifier so a session can keep it.
#[derive(Debug)]
pub struct Calibrated {
    classifier: Arc<Classifier>,
    /// The output layer fine-tuned on the examples, when [`Blend::steps`] asks for it.
    head: Option<Head>,
    /// Per class index with examples: their standardised features.
    examples: Vec<(usize, Vec<Vec<f32>>)>,
    blend: Blend,
}

impl Calibrated {
    pub fn new(classifier: Arc<Classifier>, profile: &Profile, blend: Blend) -> Calibrated {
        let examples = Self::example_features(&classifier, profile, blend);
        let head = (blend.steps > 0 && !examples.is_empty()).then(|| {
            fine_tune(
                &classifier,
                &Self::anchored_pairs(&classifier, profile),
                blend,
            )
        });
        Calibrated {
            classifier,
            head,
            examples,
            blend,
        }
    }

    /// The shipped classifier underneath.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Per class index with examples: their features in the blend's space.
    fn example_features(
        classifier: &Classifier,
        profile: &Profile,
        blend: Blend,
    ) -> Vec<(usize, Vec<Vec<f32>>)> {
        profile
            .examples
            .iter()
            .filter_map(|(label, hands)| {
                let i = classifier.classes.iter().position(|c| c == label)?;
                let feats = hands
                    .iter()
                    .map(|h| embed(classifier, blend.space, h))
                    .collect();
                Some((i, feats))
            })
            .filter(|(_, f): &(usize, Vec<Vec<f32>>)| !f.is_empty())
            .collect()
    }

    /// The fine-tuning set: the signer's examples, and the shipped handshape of each letter
    /// they gave none of.
    fn anchored_pairs(classifier: &Classifier, profile: &Profile) -> Vec<(usize, Vec<f32>)> {
        let mut pairs: Vec<(usize, Vec<f32>)> = Vec::new();
        for (i, class) in classifier.classes.iter().enumerate() {
            match profile.examples.get(class) {
                Some(hands) if !hands.is_empty() => pairs.extend(
                    hands
                        .iter()
                        .map(|h| (i, embed(classifier, Space::Hidden, h))),
                ),
                // A letter the signer gave no example of is held in place by the shipped
                // model's own example of it, so teaching one letter does not move the rest.
                _ => pairs.extend(
                    classifier
                        .handshape(class)
                        .map(|h| (i, embed(classifier, Space::Hidden, h))),
                ),
            }
        }
        pairs
    }

    /// The model's probabilities, through the fine-tuned output layer when there is one.
    fn model_probabilities(&self, hand: &Hand) -> Vec<f32> {
        let Some(head) = &self.head else {
            return self.classifier.probabilities(hand);
        };
        let h = embed(&self.classifier, Space::Hidden, hand);
        let hidden = h.len();
        let t = self.classifier.temperature;
        let z: Vec<f32> = head
            .biases
            .iter()
            .enumerate()
            .map(|(c, b)| {
                (b + head.weights[c * hidden..(c + 1) * hidden]
                    .iter()
                    .zip(&h)
                    .map(|(a, x)| a * x)
                    .sum::<f32>())
                    / t
            })
            .collect();
        crate::mlp::softmax(&z)
    }

    /// Class probabilities, in the classifier's class order.
    pub fn probabilities(&self, hand: &Hand) -> Vec<f32> {
        let mut p = self.model_probabilities(hand);
        if self.examples.is_empty() || self.blend.weight == 0.0 {
            return p;
        }
        let x = embed(&self.classifier, self.blend.space, hand);
        let dims = x.len() as f32;
        let distances: Vec<(usize, f32)> = self
            .examples
            .iter()
            .map(|(c, feats)| {
                let d = feats
                    .iter()
                    .map(|e| {
                        e.iter()
                            .zip(&x)
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum::<f32>()
                            / dims
                    })
                    .fold(f32::INFINITY, f32::min);
                (*c, d)
            })
            .collect();
        let nearest = distances
            .iter()
            .map(|(_, d)| *d)
            .fold(f32::INFINITY, f32::min);
        // Relative to the nearest, so exp() cannot underflow to all zeros.
        let scores: Vec<(usize, f32)> = distances
            .iter()
            .map(|&(c, d)| (c, (-(d - nearest) / self.blend.tau).exp()))
            .collect();
        let total: f32 = scores.iter().map(|(_, s)| s).sum();
        let w = self.blend.weight;
        for v in p.iter_mut() {
            *v *= 1.0 - w;
        }
        for (c, s) in scores {
            p[c] += w * s / total;
        }
        p
    }

    pub fn classify(&self, hand: &Hand) -> Prediction {
        self.classifier.decide(&self.probabilities(hand))
    }
}

impl LetterReader for Calibrated {
    fn classify(&self, hand: &Hand) -> Prediction {
        Calibrated::classify(self, hand)
    }
}

fn embed(classifier: &Classifier, space: Space, hand: &Hand) -> Vec<f32> {
    let x = classifier.input(hand);
    match space {
        Space::Features => x,
        Space::Hidden => classifier.net.embedding(&x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(c: &Classifier, label: &str) -> Hand {
        *c.handshape(label).unwrap()
    }

    #[test]
    fn a_profile_keeps_known_labels_only_and_round_trips() {
        let c = Classifier::default_model();
        let mut p = Profile::new();
        p.add(&c, "A", &shape(&c, "A")).unwrap();
        p.add(&c, "space", &shape(&c, "B")).unwrap();
        let e = p.add(&c, "Hello", &shape(&c, "A")).unwrap_err().to_string();
        assert!(e.contains("unknown label \"Hello\""), "{e}");
        assert!(p.add(&c, NOTHING, &shape(&c, "A")).is_err());
        let mut nan = shape(&c, "A");
        nan[3][0] = f32::NAN;
        assert!(p.add(&c, "A", &nan).is_err());
        assert_eq!(
            p.counts().into_iter().collect::<Vec<_>>(),
            [("A".into(), 1), ("space".into(), 1)]
        );
        assert_eq!(Profile::from_json(&p.to_json(), &c).unwrap(), p);
        for bad in [
            "{",
            "[]",
            r#"{"format":9,"examples":{}}"#,
            r#"{"format":1,"examples":{"Hello":[]}}"#,
        ] {
            assert!(Profile::from_json(bad, &c).is_err(), "{bad}");
        }
        for _ in 0..MAX_EXAMPLES_PER_LABEL + 5 {
            p.add(&c, "B", &shape(&c, "B")).unwrap();
        }
        assert_eq!(p.counts()["B"], MAX_EXAMPLES_PER_LABEL);
    }

    #[test]
    fn an_empty_profile_changes_nothing_and_examples_pull_towards_their_label() {
        let c = Arc::new(Classifier::default_model());
        let hand = shape(&c, "U");
        let plain = c.probabilities(&hand);
        let none = Calibrated::new(c.clone(), &Profile::new(), Blend::DEFAULT);
        assert_eq!(none.probabilities(&hand), plain);
        // a signer whose "R" looks like the shipped U: their U-shaped hand now reads R
        let mut p = Profile::new();
        for _ in 0..3 {
            p.add(&c, "R", &hand).unwrap();
        }
        let calibrated = Calibrated::new(c.clone(), &p, Blend::DEFAULT);
        assert_eq!(c.classify(&hand).label, "U");
        assert_eq!(calibrated.classify(&hand).label, "R");
        // the other letters keep their readings
        assert_eq!(calibrated.classify(&shape(&c, "B")).label, "B");
        let sum: f32 = calibrated.probabilities(&hand).iter().sum();
        assert!((sum - 1.0).abs() < 1e-4, "{sum}");
    }
}
