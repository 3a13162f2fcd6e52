//! Experiments on the letter classifier that the library does not (yet) expose: seed ensembles,
//! test-time augmentation, dropout, mixup, per-source balancing and extra joint-angle features.
//! It re-implements `train::train_with_report`'s pipeline (same selection, hold-out, augmentation,
//! standardisation, RNG order) so that with no `EXP_*` knob set each model is the library's model
//! bit for bit (checked against `examples/evaluate`).
//!
//! ```sh
//! SIGNBRIDGE_DATA=… SIGNS_TRAIN_JSONL=target/train_landmarks.jsonl \
//!   EXP_SEEDS=20261127,1,2 EXP_DROPOUT=0.2 \
//!   cargo run --release -p signbridge-signs --example experiment
//! ```
//! Knobs: `EXP_SEEDS` (comma list; every seed is scored alone, and the probability average of
//! all of them as an ensemble), `EXP_DROPOUT` (hidden-layer dropout p), `EXP_MIXUP` (mixup
//! Beta(α, α) α; 0 = off), `EXP_BALANCE=1` (weight every (source, class) so each source counts
//! equally within a class), `EXP_BAG=1` (per-seed offset of the capped subsample), `EXP_FEAT` (`base` | `angles` = base + 27 joint-angle features |
//! `anglesonly` = coordinates + angles, no tip distances | `palm` = base + the 40
//! coordinates rotated so wrist→middle knuckle points up | `palmonly` = those rotated 40 + tip
//! distances | `palmangle` = palmonly + the wrist→middle-knuckle direction (cos, sin)), `EXP_TTA_DEG` (test-time rotations
//! ±deg, plus ±`EXP_TTA_STRETCH` horizontal stretch), `EXP_DROP_SOURCE` (leave one training
//! source out), `EXP_SAVE=dir` (write each model's probabilities there), and the `SIGNS_*` training knobs.
//! Training never sees bisonhacks or images/letters.

use signbridge_signs::dataset::{default_data_dir, jsonl, tables, Sample};
use signbridge_signs::features::{canonicalize, features, hand_size, Hand};
use signbridge_signs::labels::all_classes;
use signbridge_signs::mlp::{softmax, Mlp};
use signbridge_signs::rng::Rng;
use signbridge_signs::train::{load_permitted, training_label};
use signbridge_signs::TrainOptions;
use std::time::Instant;

fn env<T: std::str::FromStr>(k: &str) -> Option<T> {
    std::env::var(k).ok().and_then(|v| v.parse().ok())
}

fn options() -> TrainOptions {
    let mut o = TrainOptions::default();
    if let Ok(v) = std::env::var("SIGNS_HIDDEN") {
        o.hidden = v.split(',').filter_map(|s| s.parse().ok()).collect();
    }
    if let Some(v) = env("SIGNS_EPOCHS") {
        o.epochs = v;
    }
    if let Some(v) = env("SIGNS_AUGMENT") {
        o.augment = v;
    }
    if let Some(v) = env("SIGNS_CAP") {
        o.max_per_source_class = v;
    }
    if let Some(v) = env("SIGNS_LR") {
        o.learning_rate = v;
    }
    if let Some(v) = env("SIGNS_WD") {
        o.weight_decay = v;
    }
    if let Some(v) = env("SIGNS_LS") {
        o.label_smoothing = v;
    }
    o
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Feat {
    Base,
    Angles,
    AnglesOnly,
    Palm,
    PalmOnly,
    PalmAngle,
}

/// Canonical x, y of landmarks 1..=20 rotated so that wrist -> middle knuckle points up (-y).
fn palm_features(h: &Hand) -> Vec<f32> {
    let c = canonicalize(h);
    let n = (c[9][0].powi(2) + c[9][1].powi(2)).sqrt().max(1e-6);
    let u = [c[9][0] / n, c[9][1] / n]; // wrist -> middle knuckle, becomes (0, -1)
    let right = [-u[1], u[0]]; // becomes (1, 0)
    let mut f = Vec::with_capacity(40);
    for p in &c[1..] {
        f.push(p[0] * right[0] + p[1] * right[1]);
        f.push(-(p[0] * u[0] + p[1] * u[1]));
    }
    f
}

fn angle2(a: [f32; 3], b: [f32; 3]) -> f32 {
    // signed angle from vector a to vector b (2-D)
    let cross = a[0] * b[1] - a[1] * b[0];
    let dot = a[0] * b[0] + a[1] * b[1];
    cross.atan2(dot)
}

fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn d2(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// 27 extra values: 15 signed joint flexion angles (2-D, between consecutive bones of each
/// finger, wrist→base bone included), 4 angles between adjacent fingers' proximal bones, and 8
/// thumb-tip distances (to the 4 MCP and 4 PIP joints), all in canonical coordinates.
fn angle_features(h: &Hand) -> Vec<f32> {
    let c = canonicalize(h);
    let mut f = Vec::with_capacity(27);
    for finger in 0..5 {
        let base = 1 + 4 * finger;
        let chain = [0, base, base + 1, base + 2, base + 3];
        for j in 0..3 {
            let b1 = sub(c[chain[j + 1]], c[chain[j]]);
            let b2 = sub(c[chain[j + 2]], c[chain[j + 1]]);
            f.push(angle2(b1, b2));
        }
    }
    for finger in 0..4 {
        let a = 1 + 4 * finger;
        let b = a + 4;
        f.push(angle2(sub(c[a + 1], c[a]), sub(c[b + 1], c[b])));
    }
    for k in [5, 9, 13, 17, 6, 10, 14, 18] {
        f.push(d2(c[4], c[k]));
    }
    f
}

fn feats(h: &Hand, kind: Feat) -> Vec<f32> {
    let base = features(h);
    match kind {
        Feat::Base => base.to_vec(),
        Feat::Angles => {
            let mut v = base.to_vec();
            v.extend(angle_features(h));
            v
        }
        Feat::Palm => {
            let mut v = base.to_vec();
            v.extend(palm_features(h));
            v
        }
        Feat::PalmOnly | Feat::PalmAngle => {
            let mut v = palm_features(h);
            v.extend(&base[40..]);
            if kind == Feat::PalmAngle {
                let c = canonicalize(h);
                let n = (c[9][0].powi(2) + c[9][1].powi(2)).sqrt().max(1e-6);
                v.push(c[9][0] / n);
                v.push(c[9][1] / n);
            }
            v
        }
        Feat::AnglesOnly => {
            let mut v = base[..40].to_vec();
            v.extend(angle_features(h));
            v
        }
    }
}

fn fnv(s: &str, n: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes().chain(n.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn augment(h: &Hand, rng: &mut Rng) -> Hand {
    let size = hand_size(h).max(f32::EPSILON);
    let a = (rng.uniform() - 0.5) * 0.35;
    let stretch = 1.0 + (rng.uniform() - 0.5) * 0.2;
    let (s, c) = a.sin_cos();
    let mut out = *h;
    for p in out.iter_mut() {
        let x = (p[0] - h[0][0]) * stretch;
        let y = p[1] - h[0][1];
        p[0] = c * x - s * y + rng.normal() * 0.01 * size;
        p[1] = s * x + c * y + rng.normal() * 0.01 * size;
    }
    out
}

/// Deterministic rotation (radians) and horizontal stretch about the wrist.
fn transform(h: &Hand, a: f32, stretch: f32) -> Hand {
    let (s, c) = a.sin_cos();
    let mut out = *h;
    for p in out.iter_mut() {
        let x = (p[0] - h[0][0]) * stretch;
        let y = p[1] - h[0][1];
        p[0] = c * x - s * y;
        p[1] = s * x + c * y;
    }
    out
}

struct Fit {
    epochs: usize,
    batch: usize,
    lr: f32,
    wd: f32,
    ls: f32,
    seed: u64,
    dropout: f32,
    mixup: f32,
}

fn adam(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], k: (f32, f32, f32, f32, f32)) {
    let (inv, lr, wd, c1, c2) = k;
    for i in 0..p.len() {
        let gi = g[i] * inv;
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        let upd = (m[i] / c1) / ((v[i] / c2).sqrt() + 1e-8);
        p[i] -= lr * (upd + wd * p[i]);
    }
}

/// Beta(α, α) sample from two gamma draws (Marsaglia–Tsang for α ≥ 1, boosted below 1).
fn gamma(alpha: f32, rng: &mut Rng) -> f32 {
    if alpha < 1.0 {
        let u = rng.uniform().max(1e-7);
        return gamma(alpha + 1.0, rng) * u.powf(1.0 / alpha);
    }
    let d = alpha - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        // Box-Muller normal for this sampler
        let u1 = rng.uniform().max(1e-7);
        let u2 = rng.uniform();
        let x = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = rng.uniform().max(1e-7);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// `Mlp::fit` (one hidden-layer or more) plus inverted dropout on hidden layers, mixup and
/// per-sample weights. With dropout 0, mixup 0 and unit weights it is `Mlp::fit` exactly.
fn fit(net: &mut Mlp, x: &[Vec<f32>], y: &[usize], w: &[f32], o: &Fit) {
    let mut rng = Rng::new(o.seed);
    let mut aux = Rng::new(o.seed ^ 0xd80f);
    let mut order: Vec<usize> = (0..x.len()).collect();
    let n_layers = net.weights.len();
    let mut m_w: Vec<Vec<f32>> = net.weights.iter().map(|w| vec![0.0; w.len()]).collect();
    let mut v_w = m_w.clone();
    let mut m_b: Vec<Vec<f32>> = net.biases.iter().map(|b| vec![0.0; b.len()]).collect();
    let mut v_b = m_b.clone();
    let (beta1, beta2) = (0.9f32, 0.999f32);
    let mut step = 0i32;
    let k = net.sizes[net.sizes.len() - 1];
    let smooth = o.ls / k as f32;
    for epoch in 0..o.epochs {
        rng.shuffle(&mut order);
        let lr = o.lr * 0.5 * (1.0 + (std::f32::consts::PI * epoch as f32 / o.epochs as f32).cos());
        for batch in order.chunks(o.batch.max(1)) {
            let mut g_w: Vec<Vec<f32>> = net.weights.iter().map(|w| vec![0.0; w.len()]).collect();
            let mut g_b: Vec<Vec<f32>> = net.biases.iter().map(|b| vec![0.0; b.len()]).collect();
            for &i in batch {
                // input and target
                let mut target = vec![smooth; k];
                target[y[i]] += 1.0 - o.ls;
                let mut input = x[i].clone();
                let mut wi = w[i];
                if o.mixup > 0.0 {
                    let j = order[aux.below(order.len())];
                    let ga = gamma(o.mixup, &mut aux);
                    let gb = gamma(o.mixup, &mut aux);
                    let lam = ga / (ga + gb).max(1e-12);
                    let lam = lam.max(1.0 - lam);
                    for (a, b) in input.iter_mut().zip(&x[j]) {
                        *a = lam * *a + (1.0 - lam) * b;
                    }
                    for (c, t) in target.iter_mut().enumerate() {
                        let other = smooth + if c == y[j] { 1.0 - o.ls } else { 0.0 };
                        *t = lam * *t + (1.0 - lam) * other;
                    }
                    wi = lam * w[i] + (1.0 - lam) * w[j];
                }
                // forward with dropout masks
                let mut acts = vec![input];
                let mut masks: Vec<Vec<f32>> = Vec::new();
                for l in 0..n_layers {
                    let inp = &acts[l];
                    let n_in = inp.len();
                    let mut out = net.biases[l].clone();
                    for (oo, row) in out.iter_mut().zip(net.weights[l].chunks_exact(n_in)) {
                        *oo += row.iter().zip(inp).map(|(a, b)| a * b).sum::<f32>();
                        if l < n_layers - 1 {
                            *oo = oo.max(0.0);
                        }
                    }
                    if l < n_layers - 1 && o.dropout > 0.0 {
                        let keep = 1.0 - o.dropout;
                        let m: Vec<f32> = (0..out.len())
                            .map(|_| {
                                if aux.uniform() < keep {
                                    1.0 / keep
                                } else {
                                    0.0
                                }
                            })
                            .collect();
                        for (v, mm) in out.iter_mut().zip(&m) {
                            *v *= mm;
                        }
                        masks.push(m);
                    } else {
                        masks.push(Vec::new());
                    }
                    acts.push(out);
                }
                let mut delta = softmax(&acts[n_layers]);
                if o.mixup > 0.0 {
                    for (d, t) in delta.iter_mut().zip(&target) {
                        *d -= t;
                    }
                } else {
                    // the library's exact order of operations
                    for d in delta.iter_mut() {
                        *d -= smooth;
                    }
                    delta[y[i]] -= 1.0 - o.ls;
                }
                if wi != 1.0 {
                    for d in delta.iter_mut() {
                        *d *= wi;
                    }
                }
                for l in (0..n_layers).rev() {
                    let inp = &acts[l];
                    let n_in = inp.len();
                    for (oo, d) in delta.iter().enumerate() {
                        g_b[l][oo] += d;
                        let row = &mut g_w[l][oo * n_in..(oo + 1) * n_in];
                        for (g, a) in row.iter_mut().zip(inp) {
                            *g += d * a;
                        }
                    }
                    if l > 0 {
                        let mut prev = vec![0.0f32; n_in];
                        for (oo, d) in delta.iter().enumerate() {
                            let row = &net.weights[l][oo * n_in..(oo + 1) * n_in];
                            for (p, ww) in prev.iter_mut().zip(row) {
                                *p += d * ww;
                            }
                        }
                        for (p, a) in prev.iter_mut().zip(inp) {
                            if *a <= 0.0 {
                                *p = 0.0;
                            }
                        }
                        if !masks[l - 1].is_empty() {
                            for (p, mm) in prev.iter_mut().zip(&masks[l - 1]) {
                                *p *= mm;
                            }
                        }
                        delta = prev;
                    }
                }
            }
            step += 1;
            let inv = 1.0 / batch.len() as f32;
            let c1 = 1.0 - beta1.powi(step);
            let c2 = 1.0 - beta2.powi(step);
            for l in 0..n_layers {
                adam(
                    &mut net.weights[l],
                    &g_w[l],
                    &mut m_w[l],
                    &mut v_w[l],
                    (inv, lr, o.wd, c1, c2),
                );
                adam(
                    &mut net.biases[l],
                    &g_b[l],
                    &mut m_b[l],
                    &mut v_b[l],
                    (inv, lr, 0.0, c1, c2),
                );
            }
        }
    }
}

struct Model {
    mean: Vec<f32>,
    std: Vec<f32>,
    net: Mlp,
    temperature: f32,
    feat: Feat,
}

impl Model {
    fn probs(&self, h: &Hand) -> Vec<f32> {
        let x: Vec<f32> = feats(h, self.feat)
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(v, (m, s))| (v - m) / s)
            .collect();
        let t = self.temperature;
        softmax(
            &self
                .net
                .logits(&x)
                .iter()
                .map(|z| z / t)
                .collect::<Vec<_>>(),
        )
    }
}

fn fit_temperature(logits: &[(Vec<f32>, usize)]) -> f32 {
    let nll = |t: f32| -> f32 {
        logits
            .iter()
            .map(|(z, y)| {
                let p = softmax(&z.iter().map(|v| v / t).collect::<Vec<_>>());
                -(p[*y].max(1e-12)).ln()
            })
            .sum()
    };
    (1..=100)
        .map(|i| i as f32 * 0.05)
        .min_by(|a, b| nll(*a).total_cmp(&nll(*b)))
        .unwrap_or(1.0)
}

fn train(samples: &[Sample], opts: &TrainOptions, seed: u64, feat: Feat) -> (Model, f32) {
    let classes = all_classes();
    let dropout: f32 = env("EXP_DROPOUT").unwrap_or(0.0);
    let mixup: f32 = env("EXP_MIXUP").unwrap_or(0.0);
    let balance = std::env::var("EXP_BALANCE").is_ok_and(|v| v == "1");
    let bag = std::env::var("EXP_BAG").is_ok_and(|v| v == "1");
    let mut picked: Vec<(usize, &Sample)> = Vec::new();
    let mut keys: Vec<(&str, usize)> = Vec::new();
    for s in samples {
        let Some(l) = training_label(s) else { continue };
        let Some(ci) = classes.iter().position(|c| *c == l) else {
            continue;
        };
        if !keys.contains(&(s.source.as_str(), ci)) {
            keys.push((s.source.as_str(), ci));
        }
        picked.push((ci, s));
    }
    let mut selected: Vec<(usize, &Sample, f32)> = Vec::new();
    // per class: number of sources and total selected
    let mut per_class_sources = vec![0usize; classes.len()];
    let mut per_class_total = vec![0usize; classes.len()];
    let mut groups = Vec::new();
    for (src, ci) in &keys {
        let group: Vec<&(usize, &Sample)> = picked
            .iter()
            .filter(|(c, s)| c == ci && s.source == *src)
            .collect();
        let n = group.len();
        let k = n.min(opts.max_per_source_class.max(1));
        per_class_sources[*ci] += 1;
        per_class_total[*ci] += k;
        groups.push((*ci, group, n, k));
    }
    for (ci, group, n, k) in groups {
        let w = if balance {
            // each source gets an equal share of the class's total weight
            per_class_total[ci] as f32 / per_class_sources[ci] as f32 / k as f32
        } else {
            1.0
        };
        // EXP_BAG=1: each seed takes the capped (source, class) sample at its own offset inside
        // the stride, so an ensemble of seeds sees different frames of the large tables.
        let off = if bag && k < n {
            (seed.wrapping_mul(7919) % n as u64) as usize
        } else {
            0
        };
        for j in 0..k {
            let (c, s) = *group[(j * n / k + off) % n];
            selected.push((c, s, w));
        }
    }
    let mut rng = Rng::new(seed);
    let (mut tx, mut ty, mut tw, mut hold) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (ci, s, w) in &selected {
        let held = opts.holdout_every > 1
            && fnv(&format!("{}/{}", s.source, s.label), s.group)
                .is_multiple_of(opts.holdout_every);
        if held {
            hold.push((feats(&s.hand, feat), *ci));
            continue;
        }
        tx.push(feats(&s.hand, feat));
        ty.push(*ci);
        tw.push(*w);
        for _ in 0..opts.augment {
            tx.push(feats(&augment(&s.hand, &mut rng), feat));
            ty.push(*ci);
            tw.push(*w);
        }
    }
    let dim = tx[0].len();
    let n = tx.len() as f32;
    let mut mean = vec![0.0f32; dim];
    let mut std = vec![0.0f32; dim];
    for x in &tx {
        for (m, v) in mean.iter_mut().zip(x) {
            *m += v / n;
        }
    }
    for x in &tx {
        for ((s, v), m) in std.iter_mut().zip(x).zip(&mean) {
            *s += (v - m).powi(2) / n;
        }
    }
    for s in std.iter_mut() {
        *s = s.sqrt().max(1e-4);
    }
    let standardise = |x: &mut Vec<f32>| {
        for ((v, m), s) in x.iter_mut().zip(&mean).zip(&std) {
            *v = (*v - m) / s;
        }
    };
    tx.iter_mut().for_each(standardise);
    let mut sizes = vec![dim];
    sizes.extend(&opts.hidden);
    sizes.push(classes.len());
    let mut net = Mlp::new(&sizes, &mut rng);
    fit(
        &mut net,
        &tx,
        &ty,
        &tw,
        &Fit {
            epochs: opts.epochs,
            batch: opts.batch,
            lr: opts.learning_rate,
            wd: opts.weight_decay,
            ls: opts.label_smoothing,
            seed: seed ^ 0x5eed,
            dropout,
            mixup,
        },
    );
    let hold_logits: Vec<(Vec<f32>, usize)> = hold
        .into_iter()
        .map(|(mut x, y)| {
            standardise(&mut x);
            (net.logits(&x), y)
        })
        .collect();
    let temperature = fit_temperature(&hold_logits);
    let correct = hold_logits
        .iter()
        .filter(|(z, y)| {
            (0..z.len()).max_by(|a, b| z[*a].total_cmp(&z[*b]).then(b.cmp(a))) == Some(*y)
        })
        .count();
    let acc = correct as f32 / hold_logits.len().max(1) as f32;
    (
        Model {
            mean,
            std,
            net,
            temperature,
            feat,
        },
        acc,
    )
}

/// Probabilities per evaluation sample, for one model, with TTA variants averaged.
fn predict(m: &Model, set: &[(usize, Hand)], tta: &[(f32, f32)]) -> Vec<Vec<f32>> {
    set.iter()
        .map(|(_, h)| {
            let mut acc = vec![0.0f32; all_classes().len()];
            for &(a, s) in tta {
                let hh = if a == 0.0 && s == 1.0 {
                    *h
                } else {
                    transform(h, a, s)
                };
                for (x, p) in acc.iter_mut().zip(m.probs(&hh)) {
                    *x += p;
                }
            }
            acc
        })
        .collect()
}

fn argmax(p: &[f32]) -> usize {
    let mut best = 0;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    best
}

fn accuracy(probs: &[Vec<f32>], set: &[(usize, Hand)]) -> f32 {
    let c = probs
        .iter()
        .zip(set)
        .filter(|(p, (y, _))| argmax(p) == *y)
        .count();
    c as f32 / set.len().max(1) as f32
}

fn class_acc(probs: &[Vec<f32>], set: &[(usize, Hand)], class: usize) -> f32 {
    let idx: Vec<usize> = (0..set.len()).filter(|&i| set[i].0 == class).collect();
    let c = idx.iter().filter(|&&i| argmax(&probs[i]) == class).count();
    c as f32 / idx.len().max(1) as f32
}

fn line(name: &str, sets: &[Vec<(usize, Hand)>], probs: &[Vec<Vec<f32>>]) -> f32 {
    let a: Vec<f32> = (0..4).map(|i| accuracy(&probs[i], &sets[i])).collect();
    let mean = (a[0] + a[1] + a[2]) / 3.0;
    let classes = all_classes();
    let ci = |l: &str| classes.iter().position(|c| c == l).unwrap_or(0);
    println!(
        "{name:<28} p1 {:.3}  p2 {:.3}  p3 {:.3}  LOPO {:.3}  letters {:.3}   [M p1/p3 {:.2}/{:.2}  V p3 {:.2}  Q p1 {:.2}  P p1 {:.2}  I p1 {:.2}  S p3 {:.2}]",
        a[0],
        a[1],
        a[2],
        mean,
        a[3],
        class_acc(&probs[0], &sets[0], ci("M")),
        class_acc(&probs[2], &sets[2], ci("M")),
        class_acc(&probs[2], &sets[2], ci("V")),
        class_acc(&probs[0], &sets[0], ci("Q")),
        class_acc(&probs[0], &sets[0], ci("P")),
        class_acc(&probs[0], &sets[0], ci("I")),
        class_acc(&probs[2], &sets[2], ci("S")),
    );
    mean
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = default_data_dir();
    let train_jsonl = vec![std::env::var_os("SIGNS_TRAIN_JSONL")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| data.join("reference/train.jsonl"))];
    let mut base = load_permitted(&data, &train_jsonl)?;
    if let Ok(drop) = std::env::var("EXP_DROP_SOURCE") {
        base.retain(|s| s.source != drop);
        println!("without source {drop}: {} samples", base.len());
    }
    let classes = all_classes();
    let to_set = |v: &[Sample]| -> Vec<(usize, Hand)> {
        v.iter()
            .filter_map(|s| {
                let l = training_label(s)?;
                let c = classes.iter().position(|c| *c == l)?;
                signbridge_signs::LETTERS
                    .contains(&l.as_str())
                    .then_some((c, s.hand))
            })
            .collect()
    };
    let mut sets: Vec<Vec<(usize, Hand)>> = Vec::new();
    for p in 1..=3 {
        sets.push(to_set(&tables::load_bisonhacks_person(&data, p)?));
    }
    sets.push(to_set(
        &jsonl::load_jsonl(&data.join("reference/letters.jsonl"), "letters")?.samples,
    ));
    let opts = options();
    let feat = match std::env::var("EXP_FEAT").as_deref() {
        Ok("angles") => Feat::Angles,
        Ok("anglesonly") => Feat::AnglesOnly,
        Ok("palm") => Feat::Palm,
        Ok("palmonly") => Feat::PalmOnly,
        Ok("palmangle") => Feat::PalmAngle,
        _ => Feat::Base,
    };
    let seeds: Vec<u64> = std::env::var("EXP_SEEDS")
        .unwrap_or_else(|_| "20261127".into())
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    let deg: f32 = env("EXP_TTA_DEG").unwrap_or(0.0);
    let st: f32 = env("EXP_TTA_STRETCH").unwrap_or(0.0);
    let mut tta = vec![(0.0f32, 1.0f32)];
    if deg > 0.0 {
        tta.push((deg.to_radians(), 1.0));
        tta.push((-deg.to_radians(), 1.0));
    }
    if st > 0.0 {
        tta.push((0.0, 1.0 + st));
        tta.push((0.0, 1.0 - st));
    }
    println!(
        "options {opts:?} feat {feat:?} dropout {:?} mixup {:?} balance {:?} tta {tta:?}",
        std::env::var("EXP_DROPOUT").ok(),
        std::env::var("EXP_MIXUP").ok(),
        std::env::var("EXP_BALANCE").ok()
    );
    let mut ens: Vec<Vec<Vec<f32>>> = sets
        .iter()
        .map(|s| vec![vec![0.0; classes.len()]; s.len()])
        .collect();
    let mut ens_tta = ens.clone();
    let mut singles = Vec::new();
    let mut singles_tta = Vec::new();
    for (k, &seed) in seeds.iter().enumerate() {
        let t = Instant::now();
        let (m, hold_acc) = train(&base, &opts, seed, feat);
        let secs = t.elapsed().as_secs_f32();
        let probs: Vec<Vec<Vec<f32>>> =
            sets.iter().map(|s| predict(&m, s, &[(0.0, 1.0)])).collect();
        singles.push(line(
            &format!("seed {seed} (hold {hold_acc:.3}, {secs:.0}s)"),
            &sets,
            &probs,
        ));
        if let Ok(dir) = std::env::var("EXP_SAVE") {
            // raw probabilities, f32 little-endian, set after set (p1, p2, p3, letters)
            let mut bytes = Vec::new();
            for v in probs.iter().flatten().flatten() {
                bytes.extend(v.to_le_bytes());
            }
            let tag = std::env::var("EXP_FEAT").unwrap_or_else(|_| "base".into());
            std::fs::write(format!("{dir}/{tag}_{seed}.bin"), bytes)?;
            if k == 0 {
                let labels: Vec<String> = sets
                    .iter()
                    .map(|s| {
                        s.iter()
                            .map(|(y, _)| y.to_string())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .collect();
                std::fs::write(format!("{dir}/labels.txt"), labels.join("\n"))?;
            }
        }
        for (e, p) in ens.iter_mut().zip(&probs) {
            for (a, b) in e.iter_mut().zip(p) {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
            }
        }
        if tta.len() > 1 {
            let probs: Vec<Vec<Vec<f32>>> = sets.iter().map(|s| predict(&m, s, &tta)).collect();
            singles_tta.push(line(&format!("  + TTA seed {seed}"), &sets, &probs));
            for (e, p) in ens_tta.iter_mut().zip(&probs) {
                for (a, b) in e.iter_mut().zip(p) {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                }
            }
        }
        if k >= 1 {
            line(&format!("ensemble of first {}", k + 1), &sets, &ens);
            if tta.len() > 1 {
                line(&format!("ensemble+TTA of first {}", k + 1), &sets, &ens_tta);
            }
        }
    }
    let avg = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    println!(
        "mean of single-seed LOPO: {:.3} over {} seeds",
        avg(&singles),
        singles.len()
    );
    if !singles_tta.is_empty() {
        println!(
            "mean of single-seed LOPO with TTA: {:.3}",
            avg(&singles_tta)
        );
    }
    Ok(())
}
