//! A small fully connected network (ReLU hidden layers, softmax output) with its own
//! deterministic mini-batch Adam training: single-threaded, fixed seed, fixed order.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Weights of a dense network. `weights[l]` is row-major `[out][in]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mlp {
    /// Layer widths, input first, classes last.
    pub sizes: Vec<usize>,
    /// One matrix per layer.
    pub weights: Vec<Vec<f32>>,
    /// One bias vector per layer.
    pub biases: Vec<Vec<f32>>,
}

/// Training settings of [`Mlp::fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f32,
    pub weight_decay: f32,
    /// Label smoothing ε: the target is `1 − ε` on the true class plus `ε / classes` on every
    /// class (0 = plain one-hot cross-entropy).
    pub label_smoothing: f32,
    pub seed: u64,
}

impl Mlp {
    /// He-initialised network with the given widths.
    pub fn new(sizes: &[usize], rng: &mut Rng) -> Mlp {
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for w in sizes.windows(2) {
            let scale = (2.0 / w[0] as f32).sqrt();
            weights.push((0..w[0] * w[1]).map(|_| rng.normal() * scale).collect());
            biases.push(vec![0.0; w[1]]);
        }
        Mlp {
            sizes: sizes.to_vec(),
            weights,
            biases,
        }
    }

    /// True when the stored shapes agree with `sizes`.
    pub fn is_consistent(&self) -> bool {
        self.sizes.len() >= 2
            && self.weights.len() == self.sizes.len() - 1
            && self.biases.len() == self.sizes.len() - 1
            && self
                .sizes
                .windows(2)
                .enumerate()
                .all(|(l, w)| self.weights[l].len() == w[0] * w[1] && self.biases[l].len() == w[1])
    }

    /// Activations of every layer (input included); the last is the logits.
    fn forward_all(&self, x: &[f32]) -> Vec<Vec<f32>> {
        let mut acts = vec![x.to_vec()];
        let last = self.weights.len() - 1;
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let input = &acts[l];
            let n_in = input.len();
            let mut out = b.clone();
            for (o, row) in out.iter_mut().zip(w.chunks_exact(n_in)) {
                *o += row.iter().zip(input).map(|(a, b)| a * b).sum::<f32>();
                if l < last {
                    *o = o.max(0.0);
                }
            }
            acts.push(out);
        }
        acts
    }

    /// The last hidden layer's activations: the features the output layer separates classes by.
    pub fn embedding(&self, x: &[f32]) -> Vec<f32> {
        let mut acts = self.forward_all(x);
        acts.pop();
        acts.pop().unwrap_or_default()
    }

    /// Output logits for one input.
    pub fn logits(&self, x: &[f32]) -> Vec<f32> {
        self.forward_all(x).pop().unwrap_or_default()
    }

    /// Train on `(x, y)` with softmax cross-entropy. Deterministic for a given input and seed.
    pub fn fit(&mut self, x: &[Vec<f32>], y: &[usize], opts: &FitOptions) {
        let mut rng = Rng::new(opts.seed);
        let mut order: Vec<usize> = (0..x.len()).collect();
        let n_layers = self.weights.len();
        let mut m_w: Vec<Vec<f32>> = self.weights.iter().map(|w| vec![0.0; w.len()]).collect();
        let mut v_w = m_w.clone();
        let mut m_b: Vec<Vec<f32>> = self.biases.iter().map(|b| vec![0.0; b.len()]).collect();
        let mut v_b = m_b.clone();
        let (beta1, beta2) = (0.9f32, 0.999f32);
        let mut step = 0i32;
        let smooth = opts.label_smoothing / self.sizes[self.sizes.len() - 1] as f32;
        for epoch in 0..opts.epochs {
            rng.shuffle(&mut order);
            // Cosine decay of the learning rate.
            let lr = opts.learning_rate
                * 0.5
                * (1.0 + (std::f32::consts::PI * epoch as f32 / opts.epochs as f32).cos());
            for batch in order.chunks(opts.batch.max(1)) {
                let mut g_w: Vec<Vec<f32>> =
                    self.weights.iter().map(|w| vec![0.0; w.len()]).collect();
                let mut g_b: Vec<Vec<f32>> =
                    self.biases.iter().map(|b| vec![0.0; b.len()]).collect();
                for &i in batch {
                    let acts = self.forward_all(&x[i]);
                    let mut delta = softmax(&acts[n_layers]);
                    for d in delta.iter_mut() {
                        *d -= smooth;
                    }
                    delta[y[i]] -= 1.0 - opts.label_smoothing;
                    for l in (0..n_layers).rev() {
                        let input = &acts[l];
                        let n_in = input.len();
                        for (o, d) in delta.iter().enumerate() {
                            g_b[l][o] += d;
                            let row = &mut g_w[l][o * n_in..(o + 1) * n_in];
                            for (g, a) in row.iter_mut().zip(input) {
                                *g += d * a;
                            }
                        }
                        if l > 0 {
                            let mut prev = vec![0.0f32; n_in];
                            for (o, d) in delta.iter().enumerate() {
                                let row = &self.weights[l][o * n_in..(o + 1) * n_in];
                                for (p, w) in prev.iter_mut().zip(row) {
                                    *p += d * w;
                                }
                            }
                            for (p, a) in prev.iter_mut().zip(input) {
                                if *a <= 0.0 {
                                    *p = 0.0;
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
                        &mut self.weights[l],
                        &g_w[l],
                        &mut m_w[l],
                        &mut v_w[l],
                        (inv, lr, opts.weight_decay, c1, c2),
                    );
                    adam(
                        &mut self.biases[l],
                        &g_b[l],
                        &mut m_b[l],
                        &mut v_b[l],
                        (inv, lr, 0.0, c1, c2),
                    );
                }
            }
        }
    }
}

/// One AdamW update: `(grad scale, lr, decoupled weight decay, bias corrections)`.
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

/// Numerically stable softmax.
pub fn softmax(z: &[f32]) -> Vec<f32> {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = Rng::new(3);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let c = i % 3;
            let centre = [[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]][c];
            x.push(vec![
                centre[0] + rng.normal() * 0.3,
                centre[1] + rng.normal() * 0.3,
            ]);
            y.push(c);
        }
        (x, y)
    }

    fn opts() -> FitOptions {
        FitOptions {
            epochs: 30,
            batch: 16,
            learning_rate: 0.01,
            weight_decay: 1e-4,
            label_smoothing: 0.0,
            seed: 5,
        }
    }

    #[test]
    fn learns_separable_blobs() {
        let (x, y) = toy();
        let mut net = Mlp::new(&[2, 8, 3], &mut Rng::new(1));
        net.fit(&x, &y, &opts());
        let correct = x
            .iter()
            .zip(&y)
            .filter(|(xi, yi)| {
                let l = net.logits(xi);
                let best = (0..3).max_by(|a, b| l[*a].total_cmp(&l[*b])).unwrap_or(0);
                best == **yi
            })
            .count();
        assert!(correct >= 295, "{correct}/300");
    }

    #[test]
    fn label_smoothing_still_learns_but_caps_confidence() {
        let (x, y) = toy();
        let mut net = Mlp::new(&[2, 8, 3], &mut Rng::new(1));
        net.fit(
            &x,
            &y,
            &FitOptions {
                label_smoothing: 0.3,
                ..opts()
            },
        );
        let mut correct = 0;
        for (xi, yi) in x.iter().zip(&y) {
            let p = softmax(&net.logits(xi));
            // The smoothed target puts 1 - 0.3 + 0.1 = 0.8 on the true class.
            assert!(p[*yi] < 0.95, "{p:?}");
            correct += usize::from((0..3).all(|c| p[*yi] >= p[c]));
        }
        assert!(correct >= 295, "{correct}/300");
    }

    #[test]
    fn training_is_deterministic() {
        let (x, y) = toy();
        let mut a = Mlp::new(&[2, 8, 3], &mut Rng::new(1));
        let mut b = a.clone();
        a.fit(&x, &y, &opts());
        b.fit(&x, &y, &opts());
        assert_eq!(a, b);
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1000.0, 0.0, -5.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[0] > 0.99);
    }
}
