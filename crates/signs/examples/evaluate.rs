//! Measure the classifier: leave-one-person-out on `bisonhacks_3person` (evaluation only) and
//! accuracy on `images/letters` through MediaPipe's reference landmarks.
//!
//! ```sh
//! CARGO_TARGET_DIR=/tmp/target-signs cargo run --release -p signbridge-signs --example evaluate
//! # add `-- --plus` for the protocol variant that also trains on the two other persons
//! ```
//! Training settings can be overridden for experiments with `SIGNS_HIDDEN=64,32`,
//! `SIGNS_EPOCHS`, `SIGNS_AUGMENT`, `SIGNS_CAP`, `SIGNS_LR`, `SIGNS_WD`, `SIGNS_LS` (label
//! smoothing), `SIGNS_SEED`, `SIGNS_TRAIN_JSONL` (detector files, `:`-separated),
//! `SIGNS_DIGITS_NOTHING=1`; `EVAL_REJECT` reads with another rejection threshold;
//! `EVAL_ASPECT=1.5,1.35,1.7` reads the three persons' tables with those frame aspects instead of
//! `tables::WEBCAM_ASPECT`.

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
    // Several files are separated by `:` (`target/train_landmarks.jsonl:target/digits_landmarks.jsonl`
    // adds the digit photos as `signbridge train` does).
    let train_jsonl: Vec<std::path::PathBuf> = match std::env::var_os("SIGNS_TRAIN_JSONL") {
        Some(v) => std::env::split_paths(&v).collect(),
        None => vec![data.join("reference/train.jsonl")],
    };
    let mut base = load_permitted(&data, &train_jsonl)?;
    // `SIGNS_DIGITS_NOTHING=1`: the six digits that are not letters train `nothing`.
    if std::env::var_os("SIGNS_DIGITS_NOTHING").is_some() {
        for s in base.iter_mut() {
            if ["1", "3", "4", "5", "7", "8"].contains(&s.label.as_str()) {
                s.label = signbridge_signs::NOTHING.to_string();
            }
        }
    }
    let mut persons: Vec<Vec<_>> = (1..=3)
        .map(|p| tables::load_bisonhacks_person(&data, p))
        .collect::<Result<_, _>>()?;
    if let Ok(v) = std::env::var("EVAL_ASPECT") {
        for (person, a) in persons.iter_mut().zip(v.split(',')) {
            let f: f32 = a.parse::<f32>().unwrap() / tables::WEBCAM_ASPECT;
            for s in person.iter_mut() {
                for p in s.hand.iter_mut() {
                    p[0] *= f;
                    p[2] *= f;
                }
            }
        }
        println!("persons' aspect: {v}");
    }
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
    let mut clf = clf;
    // `EVAL_REJECT=0.2` reads with another rejection threshold (the model is not retrained).
    if let Some(v) = std::env::var("EVAL_REJECT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        clf.reject_below = v;
        println!("reject_below = {v}");
    }
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
    // A hand showing a letter should read as its best guess, never `nothing` (issue 13).
    let (mut as_nothing, mut by_rejection) = (0usize, 0usize);
    for s in &person_letters {
        let p = clf.classify(&s.hand);
        if p.label == signbridge_signs::NOTHING {
            as_nothing += 1;
            by_rejection += usize::from(p.top[0].0 != signbridge_signs::NOTHING);
        }
    }
    println!(
        "bisonhacks letters read as 'nothing': {as_nothing}/{} ({by_rejection} of them below reject_below {})",
        person_letters.len(),
        clf.reject_below
    );
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
