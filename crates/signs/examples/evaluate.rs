//! Measure the classifier: leave-one-person-out on `bisonhacks_3person` (evaluation only) and
//! accuracy on `images/letters` through MediaPipe's reference landmarks.
//!
//! ```sh
//! CARGO_TARGET_DIR=/tmp/target-signs cargo run --release -p signbridge-signs --example evaluate
//! # add `-- --plus` for the protocol variant that also trains on the two other persons
//! ```
//! Training settings can be overridden for experiments with `SIGNS_HIDDEN=64,32`,
//! `SIGNS_EPOCHS`, `SIGNS_AUGMENT`, `SIGNS_CAP`, `SIGNS_LR`, `SIGNS_WD`, `SIGNS_LS` (label
//! smoothing), `SIGNS_SEED`.

use signbridge_signs::dataset::{default_data_dir, jsonl, tables};
use signbridge_signs::train::{load_permitted, train_with_report};
use signbridge_signs::{evaluate, Classifier, TrainOptions};
use std::time::Instant;

fn options() -> TrainOptions {
    let mut o = TrainOptions::default();
    let env = |k: &str| std::env::var(k).ok();
    if let Some(v) = env("SIGNS_HIDDEN") {
        o.hidden = v.split(',').filter_map(|s| s.parse().ok()).collect();
    }
    if let Some(v) = env("SIGNS_EPOCHS").and_then(|v| v.parse().ok()) {
        o.epochs = v;
    }
    if let Some(v) = env("SIGNS_AUGMENT").and_then(|v| v.parse().ok()) {
        o.augment = v;
    }
    if let Some(v) = env("SIGNS_CAP").and_then(|v| v.parse().ok()) {
        o.max_per_source_class = v;
    }
    if let Some(v) = env("SIGNS_LR").and_then(|v| v.parse().ok()) {
        o.learning_rate = v;
    }
    if let Some(v) = env("SIGNS_WD").and_then(|v| v.parse().ok()) {
        o.weight_decay = v;
    }
    if let Some(v) = env("SIGNS_LS").and_then(|v| v.parse().ok()) {
        o.label_smoothing = v;
    }
    if let Some(v) = env("SIGNS_SEED").and_then(|v| v.parse().ok()) {
        o.seed = v;
    }
    o
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let plus = std::env::args().any(|a| a == "--plus");
    let data = default_data_dir();
    // `SIGNS_TRAIN_JSONL=target/train_landmarks.jsonl` trains on our own detector's landmarks of
    // images/train (what `signbridge train` writes) instead of MediaPipe's.
    let train_jsonl = vec![std::env::var_os("SIGNS_TRAIN_JSONL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| data.join("reference/train.jsonl"))];
    let base = load_permitted(&data, &train_jsonl)?;
    let persons: Vec<_> = (1..=3)
        .map(|p| tables::load_bisonhacks_person(&data, p))
        .collect::<Result<_, _>>()?;
    let letters = jsonl::load_jsonl(&data.join("reference/letters.jsonl"), "letters")?;
    let opts = options();
    let overridden = std::env::vars().any(|(k, _)| k.starts_with("SIGNS_"));
    let t = Instant::now();
    let clf = if overridden {
        println!("options: {opts:?}");
        let (clf, report) = train_with_report(&base, &opts)?;
        println!(
            "trained on permitted sources + reference/train.jsonl: {} samples, holdout {:.3}, T={:.2}, {:.1}s",
            report.train_samples,
            report.holdout_accuracy,
            report.temperature,
            t.elapsed().as_secs_f32()
        );
        clf
    } else {
        println!("the committed default model (crates/signs/model/classifier.json)");
        Classifier::default_model()
    };
    let mut lopo = Vec::new();
    for (i, person) in persons.iter().enumerate() {
        let clf: Classifier = if plus {
            let mut s = base.clone();
            for (j, other) in persons.iter().enumerate() {
                if j != i {
                    s.extend(other.iter().cloned());
                }
            }
            train_with_report(&s, &opts)?.0
        } else {
            clf.clone()
        };
        let r = evaluate(&clf, person);
        println!(
            "bisonhacks person{} ({}): {}",
            i + 1,
            if plus {
                "PROTOCOL VARIANT: other two persons in training"
            } else {
                "unseen"
            },
            r
        );
        lopo.push(r.accuracy);
    }
    println!(
        "LOPO mean top-1 = {:.3}",
        lopo.iter().sum::<f32>() / lopo.len() as f32
    );
    let ily: Vec<_> = persons
        .iter()
        .flatten()
        .filter(|s| s.label == "I Love You")
        .collect();
    let ily_nothing = ily
        .iter()
        .filter(|s| clf.classify(&s.hand).label == signbridge_signs::NOTHING)
        .count();
    println!(
        "bisonhacks 'I Love You' (not a letter) -> nothing: {ily_nothing}/{}",
        ily.len()
    );
    // A letter read as `space` or `delete` edits the sentence: count those on unseen people.
    let person_letters: Vec<_> = persons
        .iter()
        .flatten()
        .filter(|s| signbridge_signs::LETTERS.contains(&s.label.as_str()))
        .collect();
    for control in [signbridge_signs::SPACE, signbridge_signs::DELETE] {
        let n = person_letters
            .iter()
            .filter(|s| clf.classify(&s.hand).label == control)
            .count();
        println!(
            "bisonhacks letters read as '{control}': {n}/{}",
            person_letters.len()
        );
    }
    let static_letters: Vec<_> = letters
        .samples
        .iter()
        .filter(|s| signbridge_signs::LETTERS.contains(&s.label.as_str()))
        .cloned()
        .collect();
    let r = evaluate(&clf, &static_letters);
    println!(
        "images/letters A-Y via reference/letters.jsonl (static letters with a hand): {}",
        r
    );
    let r = evaluate(&clf, &letters.samples);
    println!(
        "images/letters all classes incl. space/delete/nothing ({} photos without a hand not scored): {}",
        letters.no_hand, r
    );
    Ok(())
}
