//! Look (not train) at handshape summaries of chosen classes: pointing angle of wrist->middle
//! knuckle, per-finger extension (tip distance / knuckle distance from the wrist), chirality.
//!
//! `cargo run --release -p signbridge-signs --example explore`

use signbridge_signs::dataset::{default_data_dir, jsonl, tables, Sample};
use signbridge_signs::features::{canonicalize, chirality};

fn summary(s: &Sample) -> String {
    let c = canonicalize(&s.hand);
    let ang = c[9][1].atan2(c[9][0]).to_degrees();
    let ext: Vec<String> = [(4, 2), (8, 5), (12, 9), (16, 13), (20, 17)]
        .iter()
        .map(|&(t, m)| {
            let d = |i: usize| (c[i][0].powi(2) + c[i][1].powi(2)).sqrt();
            format!("{:.1}", d(t) / d(m).max(1e-3))
        })
        .collect();
    format!(
        "ang={ang:5.0} ext=[{}] c{}",
        ext.join(","),
        if chirality(&s.hand) > 0.0 { "+" } else { "-" }
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = default_data_dir();
    let letters = jsonl::load_jsonl(&data.join("reference/letters.jsonl"), "letters")?.samples;
    let hof = tables::load_hands_on_fluency(&data)?;
    let want: Vec<String> = std::env::args().skip(1).collect();
    for s in letters.iter().chain(&hof) {
        if want.iter().any(|w| *w == s.label) {
            println!("{:12} {:18} {}", s.label, s.source, summary(s));
        }
    }
    Ok(())
}
