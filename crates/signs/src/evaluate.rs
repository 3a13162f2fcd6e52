//! Scoring a classifier on labelled samples: top-1 / top-3 accuracy, rejections, per class.

use crate::classifier::Classifier;
use crate::dataset::Sample;
use crate::train::training_label;
use serde::Serialize;

/// Accuracy of one class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassScore {
    pub label: String,
    pub n: usize,
    pub correct: usize,
    pub accuracy: f32,
    /// The label this class is most often mistaken for, with its count.
    pub worst_confusion: Option<(String, usize)>,
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Samples scored (those whose label is one of the classifier's classes).
    pub n: usize,
    /// Top-1 accuracy of the most probable class (ignoring the rejection threshold).
    pub accuracy: f32,
    pub top3_accuracy: f32,
    /// Mean calibrated probability of the top class; near `accuracy` when well calibrated.
    pub mean_confidence: f32,
    /// Fraction of samples whose prediction became `nothing` by the rejection threshold.
    pub rejected: f32,
    /// Accuracy counting a rejection as wrong (what the sentence builder would see).
    pub accuracy_after_reject: f32,
    /// Samples skipped because their label is not a class.
    pub skipped: usize,
    pub per_class: Vec<ClassScore>,
}

/// Score `clf` on `samples`.
pub fn evaluate(clf: &Classifier, samples: &[Sample]) -> Report {
    let k = clf.classes.len();
    let mut confusion = vec![vec![0usize; k]; k];
    let (mut n, mut top1, mut top3, mut rejected, mut after, mut skipped) = (0, 0, 0, 0, 0, 0);
    let mut conf_sum = 0.0f64;
    for s in samples {
        let Some(label) = training_label(s) else {
            skipped += 1;
            continue;
        };
        let Some(truth) = clf.classes.iter().position(|c| *c == label) else {
            skipped += 1;
            continue;
        };
        let p = clf.classify(&s.hand);
        n += 1;
        let best = &p.top[0].0;
        conf_sum += f64::from(p.top[0].1);
        if let Some(bi) = clf.classes.iter().position(|c| c == best) {
            confusion[truth][bi] += 1;
        }
        if *best == label {
            top1 += 1;
        }
        if p.top.iter().any(|(l, _)| *l == label) {
            top3 += 1;
        }
        if p.label != *best {
            rejected += 1;
        }
        if p.label == label {
            after += 1;
        }
    }
    let frac = |a: usize| a as f32 / n.max(1) as f32;
    let per_class = (0..k)
        .filter(|&t| confusion[t].iter().sum::<usize>() > 0)
        .map(|t| {
            let row = &confusion[t];
            let total: usize = row.iter().sum();
            let worst = (0..k)
                .filter(|&j| j != t && row[j] > 0)
                .max_by_key(|&j| (row[j], std::cmp::Reverse(j)))
                .map(|j| (clf.classes[j].clone(), row[j]));
            ClassScore {
                label: clf.classes[t].clone(),
                n: total,
                correct: row[t],
                accuracy: row[t] as f32 / total as f32,
                worst_confusion: worst,
            }
        })
        .collect();
    Report {
        n,
        accuracy: frac(top1),
        top3_accuracy: frac(top3),
        mean_confidence: (conf_sum / n.max(1) as f64) as f32,
        rejected: frac(rejected),
        accuracy_after_reject: frac(after),
        skipped,
        per_class,
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "n={} top1={:.3} top3={:.3} mean_conf={:.3} rejected={:.3} top1_after_reject={:.3} skipped={}",
            self.n,
            self.accuracy,
            self.top3_accuracy,
            self.mean_confidence,
            self.rejected,
            self.accuracy_after_reject,
            self.skipped
        )?;
        for c in &self.per_class {
            let w = c
                .worst_confusion
                .as_ref()
                .map(|(l, n)| format!(" (-> {l} x{n})"))
                .unwrap_or_default();
            write!(f, "{}:{:.2}{} ", c.label, c.accuracy, w)?;
        }
        writeln!(f)
    }
}
