//! Personal calibration: a signer's own examples of each letter (landmarks only, never pixels)
//! make the shipped classifier fit their hand:
//!
//! first the classifier's output layer is fine-tuned on the examples (a few hundred gradient steps
//! on their hidden-layer activations, pulled towards the shipped weights), then its probabilities
//! are blended with a nearest-example vote in that hidden layer:
//! `p = (1 − w) · p_model + w · p_examples`, `p_examples(c) ∝ exp(−d_c / τ)` over the labels that
//! have examples, `d_c` the mean squared distance to the nearest example of `c`.
//!
//! [`Blend::DEFAULT`] was chosen on the three-person table (`examples/calibration_curve.rs`,
//! docs/signs.md): examples from frames 20-39 of each letter, settings chosen on frames 40-59,
//! measured on 60-99. [`Blend`]'s other knobs (fine-tuning the hidden layer too, augmented
//! examples, taking off the signer's mean offset) were measured there and are off: none helped.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::classifier::{Classifier, LetterReader, Prediction};
use crate::error::{Result, SignsError};
use crate::features::{canonicalize, Hand};
use crate::labels::NOTHING;
use crate::mlp::Mlp;

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
    /// Pull of the fine-tuned weights back towards the shipped ones.
    pub prior: f32,
    /// Learning rate of the hidden layer relative to the output layer's (0: only the output
    /// layer is fine-tuned).
    pub hidden_rate: f32,
    /// Each example also counts turned by ±`augment_deg` degrees about the wrist and stretched
    /// in x by ±`augment_stretch` (a 3 × 3 grid with the example itself; 0 and 0: as it is).
    pub augment_deg: f32,
    pub augment_stretch: f32,
    /// Share (0-1) of the signer's mean offset from the shipped handshapes, in the classifier's
    /// standardised features, that is taken off every hand before it is read.
    pub shift: f32,
}

impl Blend {
    /// The best on the validation frames (docs/signs.md); the knobs after `prior` are off.
    pub const DEFAULT: Blend = Blend {
        weight: 0.3,
        tau: 0.02,
        space: Space::Hidden,
        steps: 300,
        learning_rate: 0.5,
        prior: 0.001,
        hidden_rate: 0.0,
        augment_deg: 0.0,
        augment_stretch: 0.0,
        shift: 0.0,
    };
}

/// Fine-tunes a copy of `classifier`'s network on `(class, standardised input)` pairs:
/// full-batch gradient descent on the temperature-scaled cross-entropy, with an L2 pull towards
/// the shipped weights so that letters without examples keep their place. The output layer
/// learns at [`Blend::learning_rate`], the hidden layer (when the network has one) at
/// `hidden_rate` times that (0: frozen).
fn fine_tune(classifier: &Classifier, examples: &[(usize, Vec<f32>)], blend: Blend) -> Mlp {
    let shipped = &classifier.net;
    let mut net = shipped.clone();
    let last = net.weights.len() - 1;
    let classes = net.biases[last].len();
    let hidden = net.weights[last].len() / classes;
    let tune_hidden = blend.hidden_rate > 0.0 && last == 1;
    let t = classifier.temperature;
    let n = examples.len().max(1) as f32;
    // With the hidden layer frozen its activations never change: compute them once.
    let frozen: Vec<Vec<f32>> = if tune_hidden {
        Vec::new()
    } else {
        examples.iter().map(|(_, x)| shipped.embedding(x)).collect()
    };
    for _ in 0..blend.steps {
        let mut grads: Vec<Vec<f32>> = net.weights.iter().map(|w| vec![0.0; w.len()]).collect();
        let mut grad_b: Vec<Vec<f32>> = net.biases.iter().map(|b| vec![0.0; b.len()]).collect();
        for (i, (y, x)) in examples.iter().enumerate() {
            let h = if tune_hidden {
                net.embedding(x)
            } else {
                frozen[i].clone()
            };
            let (w, b) = (&net.weights[last], &net.biases[last]);
            let z: Vec<f32> = (0..classes)
                .map(|c| {
                    (b[c]
                        + w[c * hidden..(c + 1) * hidden]
                            .iter()
                            .zip(&h)
                            .map(|(a, v)| a * v)
                            .sum::<f32>())
                        / t
                })
                .collect();
            let p = crate::mlp::softmax(&z);
            let dz: Vec<f32> = (0..classes)
                .map(|c| (p[c] - f32::from(c == *y)) / (t * n))
                .collect();
            for (c, g) in dz.iter().enumerate() {
                grad_b[last][c] += g;
                for (gw, v) in grads[last][c * hidden..(c + 1) * hidden].iter_mut().zip(&h) {
                    *gw += g * v;
                }
            }
            if tune_hidden {
                let n_in = x.len();
                for (j, hj) in h.iter().enumerate() {
                    if *hj <= 0.0 {
                        continue;
                    }
                    let dh: f32 = (0..classes).map(|c| dz[c] * w[c * hidden + j]).sum();
                    grad_b[0][j] += dh;
                    for (gw, v) in grads[0][j * n_in..(j + 1) * n_in].iter_mut().zip(x) {
                        *gw += dh * v;
                    }
                }
            }
        }
        for l in 0..=last {
            let rate = if l == last {
                blend.learning_rate
            } else if tune_hidden {
                blend.learning_rate * blend.hidden_rate
            } else {
                continue;
            };
            for ((wi, g), w0) in net.weights[l]
                .iter_mut()
                .zip(&grads[l])
                .zip(&shipped.weights[l])
            {
                *wi -= rate * (g + blend.prior * (*wi - w0));
            }
            for ((bi, g), b0) in net.biases[l]
                .iter_mut()
                .zip(&grad_b[l])
                .zip(&shipped.biases[l])
            {
                *bi -= rate * (g + blend.prior * (*bi - b0));
            }
        }
    }
    net
}

/// A classifier fitted to one signer: the shipped model plus that signer's examples. Built once
/// per profile (the fine-tuning is the costly part), then cheap per hand; it owns a handle on the
/// shared classifier so a session can keep it.
#[derive(Debug)]
pub struct Calibrated {
    classifier: Arc<Classifier>,
    /// Taken off every hand's standardised features ([`Blend::shift`]); empty: none.
    offset: Vec<f32>,
    /// The network fine-tuned on the examples, when [`Blend::steps`] asks for it.
    tuned: Option<Mlp>,
    /// Per class index with examples: their features in the blend's space.
    examples: Vec<(usize, Vec<Vec<f32>>)>,
    blend: Blend,
}

impl Calibrated {
    pub fn new(classifier: Arc<Classifier>, profile: &Profile, blend: Blend) -> Calibrated {
        let offset = signer_offset(&classifier, profile, blend.shift);
        let mut calibrated = Calibrated {
            classifier,
            offset,
            tuned: None,
            examples: Vec::new(),
            blend,
        };
        calibrated.examples = calibrated.example_features(profile);
        if blend.steps > 0 && !calibrated.examples.is_empty() {
            let pairs = calibrated.anchored_pairs(profile);
            calibrated.tuned = Some(fine_tune(&calibrated.classifier, &pairs, blend));
        }
        calibrated
    }

    /// The shipped classifier underneath.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// A hand in `space`, after the signer's offset is taken off.
    fn embed(&self, space: Space, hand: &Hand) -> Vec<f32> {
        let mut x = self.classifier.input(hand);
        for (v, o) in x.iter_mut().zip(&self.offset) {
            *v -= o;
        }
        match space {
            Space::Features => x,
            Space::Hidden => self.classifier.net.embedding(&x),
        }
    }

    /// Per class index with examples: their features (augmented) in the blend's space.
    fn example_features(&self, profile: &Profile) -> Vec<(usize, Vec<Vec<f32>>)> {
        profile
            .examples
            .iter()
            .filter_map(|(label, hands)| {
                let i = self.classifier.classes.iter().position(|c| c == label)?;
                let feats: Vec<Vec<f32>> = hands
                    .iter()
                    .flat_map(|h| variants(h, self.blend))
                    .map(|h| self.embed(self.blend.space, &h))
                    .collect();
                (!feats.is_empty()).then_some((i, feats))
            })
            .collect()
    }

    /// The fine-tuning set: the signer's examples (augmented), and the shipped handshape of
    /// each letter they gave none of.
    fn anchored_pairs(&self, profile: &Profile) -> Vec<(usize, Vec<f32>)> {
        let mut pairs: Vec<(usize, Vec<f32>)> = Vec::new();
        for (i, class) in self.classifier.classes.iter().enumerate() {
            match profile.examples.get(class) {
                Some(hands) if !hands.is_empty() => pairs.extend(
                    hands
                        .iter()
                        .flat_map(|h| variants(h, self.blend))
                        .map(|h| (i, self.embed(Space::Features, &h))),
                ),
                // A letter the signer gave no example of is held in place by the shipped
                // model's own example of it, so teaching one letter does not move the rest.
                _ => pairs.extend(
                    self.classifier
                        .handshape(class)
                        .map(|h| (i, self.classifier.input(h))),
                ),
            }
        }
        pairs
    }

    /// The model's probabilities, through the fine-tuned network when there is one.
    fn model_probabilities(&self, hand: &Hand) -> Vec<f32> {
        if self.tuned.is_none() && self.offset.is_empty() {
            return self.classifier.probabilities(hand);
        }
        let x = self.embed(Space::Features, hand);
        let net = self.tuned.as_ref().unwrap_or(&self.classifier.net);
        let t = self.classifier.temperature;
        let z: Vec<f32> = net.logits(&x).iter().map(|v| v / t).collect();
        crate::mlp::softmax(&z)
    }

    /// Class probabilities, in the classifier's class order.
    pub fn probabilities(&self, hand: &Hand) -> Vec<f32> {
        let mut p = self.model_probabilities(hand);
        if self.examples.is_empty() || self.blend.weight == 0.0 {
            return p;
        }
        let x = self.embed(self.blend.space, hand);
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

/// `share` of the mean difference, in standardised features, between the signer's examples and
/// the shipped handshapes of the same labels (empty when there is nothing to take off).
fn signer_offset(classifier: &Classifier, profile: &Profile, share: f32) -> Vec<f32> {
    if share == 0.0 {
        return Vec::new();
    }
    let mut sum: Vec<f32> = Vec::new();
    let mut n = 0usize;
    for (label, hands) in &profile.examples {
        let Some(anchor) = classifier.handshape(label) else {
            continue;
        };
        let a = classifier.input(anchor);
        for h in hands {
            let x = classifier.input(h);
            if sum.is_empty() {
                sum = vec![0.0; x.len()];
            }
            for ((s, v), w) in sum.iter_mut().zip(&x).zip(&a) {
                *s += v - w;
            }
            n += 1;
        }
    }
    sum.iter().map(|s| share * s / n.max(1) as f32).collect()
}

/// The example and, when the blend asks for it, copies turned about the wrist and stretched in
/// x (a canonical hand: wrist at the origin).
fn variants(hand: &Hand, blend: Blend) -> Vec<Hand> {
    if blend.augment_deg == 0.0 && blend.augment_stretch == 0.0 {
        return vec![*hand];
    }
    let a = blend.augment_deg.to_radians();
    let st = blend.augment_stretch;
    let mut out = Vec::with_capacity(9);
    for angle in [0.0, -a, a] {
        for stretch in [1.0, 1.0 - st, 1.0 + st] {
            let (s, c) = angle.sin_cos();
            let mut v = *hand;
            for (o, p) in v.iter_mut().zip(hand) {
                let x = (p[0] - hand[0][0]) * stretch;
                let y = p[1] - hand[0][1];
                o[0] = c * x - s * y;
                o[1] = s * x + c * y;
            }
            out.push(v);
        }
    }
    out
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
