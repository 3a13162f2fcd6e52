//! Personal calibration, measured: top-1 on each of the three people of
//! `landmarks/bisonhacks_3person` (never trained on) with k = 0, 1, 3, 5 of their own examples
//! per letter.
//!
//! Each person's table holds 100 consecutive recorded frames per letter. Consecutive frames are
//! near-copies, so examples, validation and test rows come from different stretches: examples
//! from frames 20-39 of each letter (k of them, evenly spaced), the blend's settings chosen on
//! frames 40-59 (the grid point with the best mean over the three people and k = 1, 3, 5), test
//! rows from frames 60-99, which choose nothing. The first 20 frames are left out because the
//! hand is still moving into the letter there (with examples from frames 0-29 and tests from
//! 50-99 the curve is lower; docs/signs.md), just as the app's calibration waits for a steady
//! hand.
//!
//! ```sh
//! cargo run --release -p signbridge-signs --example calibration_curve
//! # a grid over Blend's fields (GRID_STEPS, GRID_LR, GRID_PRIOR, GRID_HIDDEN, GRID_W, GRID_TAU,
//! # GRID_DEG, GRID_STRETCH, GRID_SHIFT: comma-separated), other k (KS=0,3,20), confusions:
//! GRID=1 GRID_SHIFT=0,0.5,1 KS=0,1,3,5 CONFUSIONS=1 cargo run --release -p signbridge-signs --example calibration_curve
//! # test rows that show another letter's handshape, and the curve without them:
//! LABEL_CHECK=1 cargo run --release -p signbridge-signs --example calibration_curve
//! ```
//!
//! `LABEL_CHECK` looks for test rows recorded under one letter that show another: a row whose
//! canonical landmarks lie less than half as far (root mean square over the 21 landmarks, in hand
//! sizes) from the nearest of another letter's frames 20-59 as from the nearest of its own.

use std::collections::BTreeMap;
use std::sync::Arc;

use signbridge_signs::calibration::Space;
use signbridge_signs::dataset::tables::load_bisonhacks_person;
use signbridge_signs::features::{canonicalize, chirality, mirror_x};
use signbridge_signs::{Blend, Calibrated, Classifier, Hand, Profile};

const KS: [usize; 4] = [0, 1, 3, 5];
/// Where the examples come from.
const POOL: std::ops::Range<usize> = 20..40;
/// Where the blend's settings are chosen.
const VALIDATION: std::ops::Range<usize> = 40..60;
/// Where the curve is measured.
const TEST: std::ops::Range<usize> = 60..100;

struct Person {
    /// Per letter, the frames in recording order.
    letters: BTreeMap<String, Vec<Hand>>,
    /// (letter, frame) rows left out of every score (`LABEL_CHECK`); empty by default.
    left_out: Vec<(String, usize)>,
}

impl Person {
    fn profile(&self, classifier: &Classifier, k: usize) -> Profile {
        let mut profile = Profile::new();
        for (label, frames) in &self.letters {
            for i in 0..k {
                let at = POOL.start + i * POOL.len() / k;
                profile
                    .add(classifier, label, &frames[at])
                    .expect("a known label");
            }
        }
        profile
    }

    fn accuracy(
        &self,
        classifier: &Arc<Classifier>,
        profile: &Profile,
        blend: Blend,
        rows: std::ops::Range<usize>,
    ) -> f64 {
        let calibrated = Calibrated::new(Arc::clone(classifier), profile, blend);
        let (mut right, mut all) = (0usize, 0usize);
        for (label, frames) in &self.letters {
            for (i, hand) in frames.iter().enumerate().take(rows.end).skip(rows.start) {
                if self.left_out.contains(&(label.clone(), i)) {
                    continue;
                }
                all += 1;
                right += usize::from(&calibrated.classify(hand).label == label);
            }
        }
        right as f64 / all as f64
    }
}

/// A list of numbers from the environment (`GRID_W=0.3,0.5`), or `default`.
fn list<T: std::str::FromStr + Copy>(name: &str, default: &[T]) -> Vec<T> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = signbridge_signs::dataset::default_data_dir();
    let classifier = Arc::new(Classifier::default_model());
    let mut people = Vec::new();
    for n in 1..=3 {
        let mut letters: BTreeMap<String, Vec<Hand>> = BTreeMap::new();
        for s in load_bisonhacks_person(&data, n)? {
            if classifier.classes.contains(&s.label) {
                letters.entry(s.label).or_default().push(s.hand);
            }
        }
        if letters.values().any(|f| f.len() < TEST.end) {
            return Err(format!("person {n}: fewer than {} frames for a letter", TEST.end).into());
        }
        people.push(Person {
            letters,
            left_out: Vec::new(),
        });
    }
    if std::env::var_os("LABEL_CHECK").is_some() {
        for (n, p) in people.iter_mut().enumerate() {
            println!("person {}:", n + 1);
            p.left_out = other_handshapes(&p.letters);
            println!(
                "  {} test rows show another letter's handshape",
                p.left_out.len()
            );
        }
        println!("(left out of every score below)");
    }
    let d = Blend::DEFAULT;
    let mut grid: Vec<Blend> = vec![d];
    for steps in list("GRID_STEPS", &[d.steps]) {
        for learning_rate in list("GRID_LR", &[d.learning_rate]) {
            for prior in list("GRID_PRIOR", &[d.prior]) {
                for hidden_rate in list("GRID_HIDDEN", &[d.hidden_rate]) {
                    for weight in list("GRID_W", &[d.weight]) {
                        for tau in list("GRID_TAU", &[d.tau]) {
                            for augment_deg in list("GRID_DEG", &[d.augment_deg]) {
                                for augment_stretch in list("GRID_STRETCH", &[d.augment_stretch]) {
                                    for shift in list("GRID_SHIFT", &[d.shift]) {
                                        let b = Blend {
                                            weight,
                                            tau,
                                            space: Space::Hidden,
                                            steps,
                                            learning_rate,
                                            prior,
                                            hidden_rate,
                                            augment_deg,
                                            augment_stretch,
                                            shift,
                                        };
                                        if !grid.contains(&b) {
                                            grid.push(b);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let ks = list("KS", &KS);
    let profiles: Vec<Vec<Profile>> = people
        .iter()
        .map(|p| ks.iter().map(|&k| p.profile(&classifier, k)).collect())
        .collect();
    // validation[grid][person][k], on frames VALIDATION
    let validation: Vec<Vec<Vec<f64>>> = grid
        .iter()
        .map(|&b| {
            people
                .iter()
                .zip(&profiles)
                .map(|(p, prs)| {
                    prs.iter()
                        .map(|pr| p.accuracy(&classifier, pr, b, VALIDATION))
                        .collect()
                })
                .collect()
        })
        .collect();
    // The score of a setting: mean over people and k = 1, 3, 5 on the validation frames.
    let score = |g: usize| -> f64 {
        validation[g]
            .iter()
            .map(|v| v[1..].iter().sum::<f64>() / (v.len() - 1) as f64)
            .sum::<f64>()
            / people.len() as f64
    };
    if std::env::var_os("GRID").is_some() {
        for (g, b) in grid.iter().enumerate() {
            let k3: Vec<String> = validation[g]
                .iter()
                .map(|v| format!("{:.3}", v[2]))
                .collect();
            println!("validation {:.4} (k=3: {}): {b:?}", score(g), k3.join(" "));
        }
    }
    let best = (0..grid.len())
        .max_by(|&a, &b| score(a).total_cmp(&score(b)).then(b.cmp(&a)))
        .expect("a grid");
    println!(
        "examples: frames {POOL:?} of each letter; settings chosen on frames {VALIDATION:?}; \
         test: frames {TEST:?}; letters per person: {}",
        people[0].letters.len()
    );
    for (name, g) in [("the shipped blend", 0), ("the best on validation", best)] {
        println!("\n{name} ({:?}), test frames:", grid[g]);
        println!(
            "{:>3} | {:>8} {:>8} {:>8} | {:>6}",
            "k", "person 1", "person 2", "person 3", "mean"
        );
        for (ki, k) in ks.iter().enumerate() {
            let row: Vec<f64> = people
                .iter()
                .zip(&profiles)
                .map(|(p, prs)| p.accuracy(&classifier, &prs[ki], grid[g], TEST))
                .collect();
            let mean = row.iter().sum::<f64>() / row.len() as f64;
            println!(
                "{k:>3} | {:>8.3} {:>8.3} {:>8.3} | {mean:>6.3}",
                row[0], row[1], row[2]
            );
        }
    }
    if std::env::var_os("CONFUSIONS").is_some() {
        for (i, p) in people.iter().enumerate() {
            let c = confusions(&classifier, p, &profiles[i][2], grid[best]);
            println!("person {} (k = 3): {:?}", i + 1, &c[..c.len().min(8)]);
        }
    }
    Ok(())
}

/// Test rows (letter, frame) that lie less than half as far from another letter's frames 20-59
/// as from their own letter's (x, y relative to the wrist in hand sizes, root mean square over
/// the landmarks). The frames are compared as recorded, not mirrored to one chirality: a hand
/// whose knuckles are nearly in line with the wrist (person 2's O) flips chirality from frame to
/// frame, and a mirrored copy of a letter looks like another letter.
fn other_handshapes(letters: &BTreeMap<String, Vec<Hand>>) -> Vec<(String, usize)> {
    let middle = 20..60;
    let as_recorded = |h: &Hand| -> Hand {
        let c = canonicalize(h);
        if chirality(h) < 0.0 {
            mirror_x(&c)
        } else {
            c
        }
    };
    let canon: BTreeMap<&String, Vec<Hand>> = letters
        .iter()
        .map(|(l, f)| (l, f.iter().map(as_recorded).collect()))
        .collect();
    let rms = |a: &Hand, b: &Hand| -> f32 {
        (a.iter()
            .zip(b)
            .map(|(p, q)| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2))
            .sum::<f32>()
            / 21.0)
            .sqrt()
    };
    let nearest = |hand: &Hand, label: &String| -> f32 {
        canon[label][middle.clone()]
            .iter()
            .map(|e| rms(hand, e))
            .fold(f32::INFINITY, f32::min)
    };
    let mut out = Vec::new();
    for (label, frames) in &canon {
        for (i, hand) in frames.iter().enumerate().take(TEST.end).skip(TEST.start) {
            let own = nearest(hand, label);
            let closest = canon
                .keys()
                .filter(|other| *other != label)
                .map(|other| (nearest(hand, other), *other))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((d, other)) = closest.filter(|(d, _)| *d < own / 2.0) {
                println!("  {label} frame {i}: {d:.3} from {other}, {own:.3} from {label}");
                out.push(((*label).clone(), i));
            }
        }
    }
    out
}

fn confusions(
    classifier: &Arc<Classifier>,
    person: &Person,
    profile: &Profile,
    blend: Blend,
) -> Vec<(String, String, usize)> {
    let calibrated = Calibrated::new(Arc::clone(classifier), profile, blend);
    let mut m: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (label, frames) in &person.letters {
        for (i, hand) in frames.iter().enumerate().take(TEST.end).skip(TEST.start) {
            if person.left_out.contains(&(label.clone(), i)) {
                continue;
            }
            let got = calibrated.classify(hand).label;
            if &got != label {
                *m.entry((label.clone(), got)).or_default() += 1;
            }
        }
    }
    let mut v: Vec<_> = m.into_iter().map(|((a, b), n)| (a, b, n)).collect();
    v.sort_by_key(|c| std::cmp::Reverse(c.2));
    v
}
