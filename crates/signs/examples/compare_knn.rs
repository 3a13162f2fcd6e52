//! Baseline for choosing the model: k-nearest-neighbours (k = 5, standardised features) on the
//! same training samples the MLP uses, scored leave-one-person-out on bisonhacks_3person.
//!
//! `CARGO_TARGET_DIR=/tmp/target-signs cargo run --release -p signbridge-signs --example compare_knn`

use signbridge_signs::dataset::{default_data_dir, tables};
use signbridge_signs::features::features;
use signbridge_signs::train::{load_permitted, training_label};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = default_data_dir();
    let train = load_permitted(&data, &[data.join("reference/train.jsonl")])?;
    let train: Vec<(String, Vec<f32>)> = train
        .iter()
        .filter_map(|s| training_label(s).map(|l| (l, features(&s.hand).to_vec())))
        .collect();
    let dim = train[0].1.len();
    let n = train.len() as f32;
    let mean: Vec<f32> = (0..dim)
        .map(|d| train.iter().map(|t| t.1[d]).sum::<f32>() / n)
        .collect();
    let std: Vec<f32> = (0..dim)
        .map(|d| {
            let v = train
                .iter()
                .map(|t| (t.1[d] - mean[d]).powi(2))
                .sum::<f32>()
                / n;
            v.sqrt().max(1e-4)
        })
        .collect();
    let z = |f: &[f32]| -> Vec<f32> {
        f.iter()
            .zip(&mean)
            .zip(&std)
            .map(|((v, m), s)| (v - m) / s)
            .collect()
    };
    let train: Vec<(String, Vec<f32>)> = train.iter().map(|(l, f)| (l.clone(), z(f))).collect();
    let mut accs = Vec::new();
    for p in 1..=3 {
        let test = tables::load_bisonhacks_person(&data, p)?;
        let (mut ok, mut total) = (0, 0);
        for s in test.iter().filter(|s| training_label(s).is_some()) {
            let q = z(&features(&s.hand));
            let mut d: Vec<(f32, usize)> = train
                .iter()
                .enumerate()
                .map(|(i, t)| (t.1.iter().zip(&q).map(|(a, b)| (a - b).powi(2)).sum(), i))
                .collect();
            d.select_nth_unstable_by(5, |a, b| a.0.total_cmp(&b.0));
            let mut votes: Vec<(&str, usize)> = Vec::new();
            for (_, i) in &d[..5] {
                let l = train[*i].0.as_str();
                match votes.iter_mut().find(|v| v.0 == l) {
                    Some(v) => v.1 += 1,
                    None => votes.push((l, 1)),
                }
            }
            let best = votes.iter().max_by_key(|v| v.1).map(|v| v.0).unwrap_or("");
            ok += usize::from(best == s.label);
            total += 1;
        }
        let acc = ok as f32 / total as f32;
        println!("kNN k=5, bisonhacks person{p} (unseen): top1={acc:.3} (n={total})");
        accs.push(acc);
    }
    println!(
        "kNN LOPO mean top-1 = {:.3}",
        accs.iter().sum::<f32>() / 3.0
    );
    Ok(())
}
