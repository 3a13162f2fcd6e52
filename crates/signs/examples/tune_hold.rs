//! How the sentence builder's hold time and confidence threshold were chosen: play the HELLO WORLD
//! clip's timeline (`video/HELLO_WORLD_dev_keptsecret_448.timeline.json`) at 5, 10 and 30 fps with
//! increasing rates of confident wrong frames (half of them the same confusable letter, as real
//! classifiers err) and low-confidence frames, and count the runs that give exactly `HELLO WORLD`.
//!
//! `CARGO_TARGET_DIR=/tmp/target-signs cargo run --release -p signbridge-signs --example tune_hold`

use signbridge_signs::dataset::default_data_dir;
use signbridge_signs::rng::Rng;
use signbridge_signs::{Prediction, SentenceBuilder, SentenceConfig, LETTERS};

fn pred(label: &str, confidence: f32) -> Prediction {
    Prediction {
        label: label.to_string(),
        confidence,
        top: vec![(label.to_string(), confidence)],
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = default_data_dir().join("video/HELLO_WORLD_dev_keptsecret_448.timeline.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let tl: Vec<(String, u64, u64)> = v["timeline"]
        .as_array()
        .ok_or("no timeline")?
        .iter()
        .map(|e| {
            (
                e["label"].as_str().unwrap_or_default().to_string(),
                e["first_frame"].as_u64().unwrap_or(0),
                e["last_frame"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let end_ms = (tl.last().map(|e| e.2).unwrap_or(0) + 1) * 1000 / 30;
    let seeds = 100;
    println!("hold_ms noise  5fps 10fps 30fps (runs of {seeds} giving HELLO WORLD)");
    for hold_ms in [200, 400, 600, 800, 1000] {
        for noise in [0.1f32, 0.2, 0.3] {
            let mut row = Vec::new();
            for step in [200u64, 100, 33] {
                let mut ok = 0;
                for seed in 0..seeds {
                    let mut rng = Rng::new(seed);
                    let mut b = SentenceBuilder::new(SentenceConfig {
                        hold_ms,
                        ..SentenceConfig::default()
                    });
                    let mut t = 0;
                    while t < end_ms {
                        let frame = t * 30 / 1000;
                        let label = tl
                            .iter()
                            .find(|e| e.1 <= frame && frame <= e.2)
                            .map(|e| e.0.as_str())
                            .unwrap_or("_none");
                        let p = if label.starts_with('_') {
                            None
                        } else {
                            let r = rng.uniform();
                            Some(if r < noise / 2.0 {
                                // a fixed confusable neighbour of the true letter
                                let i = LETTERS.iter().position(|l| *l == label).unwrap_or(0);
                                pred(LETTERS[(i + 1) % 24], 0.8)
                            } else if r < noise {
                                pred(LETTERS[rng.below(24)], 0.8)
                            } else if r < noise * 1.5 {
                                pred(label, 0.5)
                            } else {
                                pred(label, 0.9)
                            })
                        };
                        b.observe(t, p.as_ref());
                        t += step;
                    }
                    let s = b.state().full_sentence;
                    if s != "HELLO WORLD" && hold_ms == 600 && std::env::var_os("SHOW").is_some() {
                        println!("  {step}ms noise {noise}: {s}");
                    }
                    ok += usize::from(s == "HELLO WORLD");
                }
                row.push(ok);
            }
            println!(
                "{hold_ms:7} {noise:5.1} {:5} {:5} {:5}",
                row[0], row[1], row[2]
            );
        }
    }
    Ok(())
}
