//! Training the classifier: which samples count for which class, augmentation, the network
//! fit, temperature calibration on held-out groups, and the per-class medoid handshapes.
//!
//! [`train_default`] is the entry point of `signbridge train`: it loads every permitted source
//! in a fixed order and trains with [`TrainOptions::default`]. Re-running it on the same files
//! reproduces the model file byte for byte.

use crate::classifier::{Classifier, Handshape, MODEL_FORMAT};
use crate::dataset::{jsonl, tables, Sample};
use crate::error::{Result, SignsError};
use crate::features::{canonicalize, features, Hand, FEATURE_LEN};
use crate::labels::{self, all_classes};
use crate::mlp::{softmax, FitOptions, Mlp};
use crate::rng::Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Settings of [`train`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f32,
    pub weight_decay: f32,
    /// Label smoothing ε of the cross-entropy target (see [`FitOptions`]).
    pub label_smoothing: f32,
    pub seed: u64,
    /// Augmented copies per training sample (rotation, aspect, jitter); 0 = none.
    pub augment: usize,
    /// At most this many samples per (source, class), taken at an even stride.
    pub max_per_source_class: usize,
    /// One group in `holdout_every` is held out to fit the temperature.
    pub holdout_every: u64,
    /// Calibrated probability below which a prediction becomes `nothing`: a hand no class
    /// reaches this for is unclear. Above it an unsure hand shows its best guess with its low
    /// confidence (the sentence builder decides whether to commit it).
    pub reject_below: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            hidden: vec![128],
            epochs: 60,
            batch: 32,
            learning_rate: 0.003,
            weight_decay: 1e-4,
            label_smoothing: 0.1,
            seed: 20261127,
            augment: 2,
            max_per_source_class: 150,
            holdout_every: 10,
            reject_below: 0.2,
        }
    }
}

/// What training saw and how the held-out part scored.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrainReport {
    /// (source, samples used for training or held-out) in load order.
    pub sources: Vec<(String, usize)>,
    /// (class, samples) in class order.
    pub classes: Vec<(String, usize)>,
    pub train_samples: usize,
    pub holdout_samples: usize,
    /// Top-1 accuracy on the held-out groups.
    pub holdout_accuracy: f32,
    pub temperature: f32,
    /// Wall-clock seconds of loading plus training.
    pub seconds: f32,
}

/// ASL digits whose handshape is a letter, as `images/digits_ardamavi` names its folders.
pub const DIGIT_LETTERS: [(&str, &str); 4] = [("0", "O"), ("2", "V"), ("6", "W"), ("9", "F")];

/// The class a training sample counts for, or `None` to leave it out. Letters are themselves,
/// and so are the digits of [`DIGIT_LETTERS`]; `space`/`delete`/`nothing` come from labels
/// decided in docs/signs.md.
pub fn training_label(sample: &Sample) -> Option<String> {
    let l = sample.label.as_str();
    if let Some((_, letter)) = DIGIT_LETTERS.iter().find(|(d, _)| *d == l) {
        return Some(letter.to_string());
    }
    if labels::LETTERS.contains(&l) || [labels::SPACE, labels::DELETE, labels::NOTHING].contains(&l)
    {
        return Some(l.to_string());
    }
    None
}

fn fnv(s: &str, n: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes().chain(n.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A randomly rotated, stretched and jittered copy of a hand (in its own units).
fn augment(h: &Hand, rng: &mut Rng) -> Hand {
    let size = crate::features::hand_size(h).max(f32::EPSILON);
    let a = (rng.uniform() - 0.5) * 0.35; // about ±10°
    let stretch = 1.0 + (rng.uniform() - 0.5) * 0.2;
    let (s, c) = a.sin_cos();
    let mut out = *h;
    for p in out.iter_mut() {
        let x = (p[0] - h[0][0]) * stretch;
        let y = p[1] - h[0][1];
        p[0] = c * x - s * y + rng.normal() * 0.01 * size;
        p[1] = s * x + c * y + rng.normal() * 0.01 * size;
    }
    out
}

/// Medoid (in canonical coordinates) of each class, from at most 300 evenly spaced samples.
fn medoids(classes: &[String], canon: &[(usize, Hand)]) -> Vec<Handshape> {
    let mut out = Vec::new();
    for (ci, label) in classes.iter().enumerate() {
        let all: Vec<&Hand> = canon
            .iter()
            .filter(|(c, _)| *c == ci)
            .map(|(_, h)| h)
            .collect();
        let stride = all.len().div_ceil(300).max(1);
        let pool: Vec<&Hand> = all.iter().step_by(stride).copied().collect();
        let d = |a: &Hand, b: &Hand| -> f32 {
            a.iter()
                .zip(b)
                .map(|(p, q)| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2))
                .sum::<f32>()
        };
        let best = pool.iter().min_by(|a, b| {
            let sa: f32 = pool.iter().map(|o| d(a, o)).sum();
            let sb: f32 = pool.iter().map(|o| d(b, o)).sum();
            sa.total_cmp(&sb)
        });
        if let Some(h) = best {
            out.push(Handshape {
                label: label.clone(),
                landmarks: **h,
            });
        }
    }
    out
}

/// Fit the softmax temperature minimising held-out negative log-likelihood (grid search).
fn fit_temperature(logits: &[(Vec<f32>, usize)]) -> f32 {
    if logits.is_empty() {
        return 1.0;
    }
    let nll = |t: f32| -> f32 {
        logits
            .iter()
            .map(|(z, y)| {
                let p = softmax(&z.iter().map(|v| v / t).collect::<Vec<_>>());
                -(p[*y].max(1e-12)).ln()
            })
            .sum()
    };
    (1..=100)
        .map(|i| i as f32 * 0.05)
        .min_by(|a, b| nll(*a).total_cmp(&nll(*b)))
        .unwrap_or(1.0)
}

/// Train a classifier over the default classes on `samples` (others are ignored).
pub fn train(samples: &[Sample], opts: &TrainOptions) -> Result<Classifier> {
    train_with_report(samples, opts).map(|(c, _)| c)
}

/// [`train`], also returning the report (without timing or per-source counts).
pub fn train_with_report(
    samples: &[Sample],
    opts: &TrainOptions,
) -> Result<(Classifier, TrainReport)> {
    let classes = all_classes();
    // Select and cap per (source, class) at an even stride, keeping load order.
    let mut picked: Vec<(usize, &Sample)> = Vec::new();
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for s in samples {
        let Some(l) = training_label(s) else { continue };
        let Some(ci) = classes.iter().position(|c| *c == l) else {
            continue;
        };
        if !keys.contains(&(s.source.as_str(), ci)) {
            keys.push((s.source.as_str(), ci));
        }
        picked.push((ci, s));
    }
    let mut selected: Vec<(usize, &Sample)> = Vec::new();
    for (src, ci) in &keys {
        let group: Vec<&(usize, &Sample)> = picked
            .iter()
            .filter(|(c, s)| c == ci && s.source == *src)
            .collect();
        let n = group.len();
        let k = n.min(opts.max_per_source_class.max(1));
        for j in 0..k {
            selected.push(*group[j * n / k]);
        }
    }
    if selected.is_empty() {
        return Err(SignsError::Training("no samples with a known class".into()));
    }
    let mut rng = Rng::new(opts.seed);
    let (mut train_x, mut train_y, mut hold) = (Vec::new(), Vec::new(), Vec::new());
    let mut canon = Vec::new();
    let mut counts = vec![0usize; classes.len()];
    for (ci, s) in &selected {
        counts[*ci] += 1;
        let held = opts.holdout_every > 1
            && fnv(&format!("{}/{}", s.source, s.label), s.group)
                .is_multiple_of(opts.holdout_every);
        if held {
            hold.push((features(&s.hand).to_vec(), *ci));
            continue;
        }
        canon.push((*ci, canonicalize(&s.hand)));
        train_x.push(features(&s.hand).to_vec());
        train_y.push(*ci);
        for _ in 0..opts.augment {
            train_x.push(features(&augment(&s.hand, &mut rng)).to_vec());
            train_y.push(*ci);
        }
    }
    let n = train_x.len() as f32;
    let mut mean = vec![0.0f32; FEATURE_LEN];
    let mut std = vec![0.0f32; FEATURE_LEN];
    for x in &train_x {
        for (m, v) in mean.iter_mut().zip(x) {
            *m += v / n;
        }
    }
    for x in &train_x {
        for ((s, v), m) in std.iter_mut().zip(x).zip(&mean) {
            *s += (v - m).powi(2) / n;
        }
    }
    for s in std.iter_mut() {
        *s = s.sqrt().max(1e-4);
    }
    let standardise = |x: &mut Vec<f32>| {
        for ((v, m), s) in x.iter_mut().zip(&mean).zip(&std) {
            *v = (*v - m) / s;
        }
    };
    train_x.iter_mut().for_each(standardise);
    let mut sizes = vec![FEATURE_LEN];
    sizes.extend(&opts.hidden);
    sizes.push(classes.len());
    let mut net = Mlp::new(&sizes, &mut rng);
    net.fit(
        &train_x,
        &train_y,
        &FitOptions {
            epochs: opts.epochs,
            batch: opts.batch,
            learning_rate: opts.learning_rate,
            weight_decay: opts.weight_decay,
            label_smoothing: opts.label_smoothing,
            seed: opts.seed ^ 0x5eed,
        },
    );
    let hold_logits: Vec<(Vec<f32>, usize)> = hold
        .into_iter()
        .map(|(mut x, y)| {
            standardise(&mut x);
            (net.logits(&x), y)
        })
        .collect();
    let temperature = fit_temperature(&hold_logits);
    let correct = hold_logits
        .iter()
        .filter(|(z, y)| {
            (0..z.len()).max_by(|a, b| z[*a].total_cmp(&z[*b]).then(b.cmp(a))) == Some(*y)
        })
        .count();
    let clf = Classifier {
        format: MODEL_FORMAT,
        classes: classes.clone(),
        mean,
        std,
        net,
        temperature,
        reject_below: opts.reject_below,
        handshapes: medoids(&classes, &canon),
    };
    let report = TrainReport {
        sources: Vec::new(),
        classes: classes.iter().cloned().zip(counts).collect(),
        train_samples: train_y.len(),
        holdout_samples: hold_logits.len(),
        holdout_accuracy: correct as f32 / hold_logits.len().max(1) as f32,
        temperature,
        seconds: 0.0,
    };
    Ok((clf, report))
}

/// Every permitted training source, in the fixed order `borisgraudt, signn, hands_on_fluency,
/// nejohnson2`, the synthetic non-letter stand-ins ([`crate::synthetic`]), then each detector JSONL file (labels from folder names) in the order given.
/// Never `bisonhacks_3person` and never `images/letters`.
pub fn load_permitted(data_dir: &Path, detector_jsonl: &[PathBuf]) -> Result<Vec<Sample>> {
    let mut all = tables::load_borisgraudt(data_dir)?;
    all.extend(tables::load_signn(data_dir)?);
    all.extend(tables::load_hands_on_fluency(data_dir)?);
    all.extend(tables::load_nejohnson2(data_dir)?);
    let synthetic = crate::synthetic::non_letter_samples(&all);
    all.extend(synthetic);
    for p in detector_jsonl {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let load = jsonl::load_jsonl(p, &format!("jsonl:{name}"))?;
        // Photos: group by folder and position so held-out groups are whole runs of photos.
        all.extend(load.samples.into_iter().enumerate().map(|(i, mut s)| {
            s.group = (i / 10) as u32;
            s
        }));
    }
    Ok(all)
}

/// The `signbridge train` entry point: load the permitted sources and train with defaults.
pub fn train_default(
    data_dir: &Path,
    detector_jsonl: &[PathBuf],
) -> Result<(Classifier, TrainReport)> {
    let start = std::time::Instant::now();
    let samples = load_permitted(data_dir, detector_jsonl)?;
    let mut sources: Vec<(String, usize)> = Vec::new();
    for s in &samples {
        if training_label(s).is_none() {
            continue;
        }
        match sources.iter_mut().find(|(n, _)| *n == s.source) {
            Some((_, c)) => *c += 1,
            None => sources.push((s.source.clone(), 1)),
        }
    }
    let (clf, mut report) = train_with_report(&samples, &TrainOptions::default())?;
    report.sources = sources;
    report.seconds = start.elapsed().as_secs_f32();
    Ok((clf, report))
}
