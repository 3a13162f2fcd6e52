//! Look (not train) at handshape summaries of chosen classes: pointing angle of wrist->middle
//! knuckle, per-finger extension (tip distance / knuckle distance from the wrist), chirality.
//!
//! `cargo run --release -p signbridge-signs --example explore -- space delete nothing Hello`
//! Modes by environment: `NN=1` the 5 nearest permitted training samples of each validation photo
//! of the named classes; `DUMP=1` canonical coordinates; `PRED=1` the committed model's top 3;
//! `BISON=1` also lists bisonhacks and borisgraudt samples (looking only, never training).

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
    let mut hof = tables::load_hands_on_fluency(&data)?;
    if std::env::var_os("BISON").is_some() {
        for p in 1..=3 {
            hof.extend(tables::load_bisonhacks_person(&data, p)?);
        }
        hof.extend(tables::load_borisgraudt(&data)?);
    }
    let want: Vec<String> = std::env::args().skip(1).collect();
    if std::env::var_os("PRED").is_some() {
        let clf = signbridge_signs::Classifier::default_model();
        for s in letters
            .iter()
            .chain(&hof)
            .filter(|s| want.contains(&s.label))
        {
            let p = clf.classify(&s.hand);
            let top: Vec<String> = p.top.iter().map(|(l, c)| format!("{l}:{c:.2}")).collect();
            println!(
                "{} {} -> {} [{}] {}",
                s.label,
                s.source,
                p.label,
                top.join(" "),
                summary(s)
            );
        }
        return Ok(());
    }
    if std::env::var_os("NN").is_some() {
        let permitted = signbridge_signs::train::load_permitted(&data, &[])?;
        let feats: Vec<_> = permitted
            .iter()
            .map(|s| signbridge_signs::features::features(&s.hand))
            .collect();
        for s in letters.iter().filter(|s| want.contains(&s.label)) {
            let f = signbridge_signs::features::features(&s.hand);
            let mut d: Vec<(f32, usize)> = feats
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    (
                        f.iter().zip(g).map(|(a, b)| (a - b).powi(2)).sum::<f32>(),
                        i,
                    )
                })
                .collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0));
            let nn: Vec<String> = d[..5]
                .iter()
                .map(|(dist, i)| {
                    format!(
                        "{}/{}:{:.2}",
                        permitted[*i].source, permitted[*i].label, dist
                    )
                })
                .collect();
            println!("{} -> {}", s.label, nn.join(" "));
        }
        return Ok(());
    }
    if std::env::var_os("DUMP").is_some() {
        let mut all = letters.clone();
        all.extend(signbridge_signs::synthetic::non_letter_samples(&hof));
        all.extend(hof.iter().cloned());
        for w in &want {
            for s in all.iter().filter(|s| s.label == *w).take(2) {
                dump(s);
            }
        }
        return Ok(());
    }
    for s in letters.iter().chain(&hof) {
        if want.contains(&s.label) {
            println!("{:12} {:18} {}", s.label, s.source, summary(s));
        }
    }
    Ok(())
}

/// Print canonical coordinates of the first sample of each wanted label (debug aid).
#[allow(dead_code)]
fn dump(s: &Sample) {
    let c = canonicalize(&s.hand);
    let v: Vec<String> = c
        .iter()
        .map(|p| format!("({:.2},{:.2})", p[0], p[1]))
        .collect();
    println!("{} {} {}", s.label, s.source, v.join(" "));
}
