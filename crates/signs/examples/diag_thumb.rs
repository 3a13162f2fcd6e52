//! Diagnostic only (reads bisonhacks for *evaluation* statistics, trains nothing): mean canonical
//! position of the thumb tip for M, N, S, T, A per source, to see whether the unseen persons' M
//! lies inside the training sources' M or S.
//!
//! ```sh
//! SIGNS_TRAIN_JSONL=target/train_landmarks.jsonl cargo run --release -p signbridge-signs --example diag_thumb
//! ```
use signbridge_signs::dataset::{default_data_dir, tables, Sample};
use signbridge_signs::features::canonicalize;
use signbridge_signs::train::load_permitted;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = default_data_dir();
    let jsonl = vec![std::path::PathBuf::from(
        std::env::var("SIGNS_TRAIN_JSONL").map_err(|_| {
            "set SIGNS_TRAIN_JSONL to the landmarks `signbridge train` writes \
             (target/train_landmarks.jsonl)"
        })?,
    )];
    let mut all: Vec<Sample> = load_permitted(&data, &jsonl)?;
    for p in 1..=3 {
        all.extend(tables::load_bisonhacks_person(&data, p)?);
    }
    let mut sources: Vec<String> = Vec::new();
    for s in &all {
        if !sources.contains(&s.source) {
            sources.push(s.source.clone());
        }
    }
    for l in ["M", "N", "S", "T", "A", "E"] {
        println!("--- {l}: thumb tip (4) in knuckle-line coords u (0 = index knuckle, 1 = little knuckle), v (toward wrist +), and tip y of index/middle/ring/little (canonical)");
        for src in &sources {
            let v: Vec<_> = all
                .iter()
                .filter(|s| s.source == *src && s.label == l)
                .collect();
            if v.is_empty() {
                continue;
            }
            let (mut su, mut sv, mut n) = (0.0, 0.0, 0.0);
            let mut tips = [0.0f32; 4];
            for s in &v {
                let c = canonicalize(&s.hand);
                let a = c[5];
                let b = c[17];
                let ax = [b[0] - a[0], b[1] - a[1]];
                let len2 = ax[0] * ax[0] + ax[1] * ax[1];
                let t = [c[4][0] - a[0], c[4][1] - a[1]];
                let u = (t[0] * ax[0] + t[1] * ax[1]) / len2;
                let vv = (t[0] * ax[1] - t[1] * ax[0]) / len2.sqrt();
                su += u;
                sv += vv;
                n += 1.0;
                for (k, tip) in [8, 12, 16, 20].iter().enumerate() {
                    tips[k] += c[*tip][1];
                }
            }
            println!(
                "{src:<28} n={:<5} u={:+.2} v={:+.2} tips_y={:+.2} {:+.2} {:+.2} {:+.2}",
                n,
                su / n,
                sv / n,
                tips[0] / n,
                tips[1] / n,
                tips[2] / n,
                tips[3] / n
            );
        }
    }
    Ok(())
}
