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
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use signbridge_signs::calibration::Space;
use signbridge_signs::dataset::tables::load_bisonhacks_person;
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
            for hand in &frames[rows.clone()] {
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
        people.push(Person { letters });
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

fn confusions(
    classifier: &Arc<Classifier>,
    person: &Person,
    profile: &Profile,
    blend: Blend,
) -> Vec<(String, String, usize)> {
    let calibrated = Calibrated::new(Arc::clone(classifier), profile, blend);
    let mut m: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (label, frames) in &person.letters {
        for hand in &frames[TEST] {
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
