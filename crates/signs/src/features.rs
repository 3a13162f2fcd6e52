//! Turning 21 landmarks into a feature vector that does not depend on where the hand is in the
//! image, how large it is, or which hand (left/right, mirrored camera or not) made the sign.
//!
//! Steps, in order ([`canonicalize`]):
//! 1. translate so the wrist (landmark 0) is the origin;
//! 2. mirror x when the palm orientation sign `c = (x5−x0)(y17−y0) − (y5−y0)(x17−x0)` is negative,
//!    so every hand has the same chirality as a mirrored (selfie) right hand;
//! 3. divide by the hand's size (see [`hand_size`]).
//!
//! Image orientation is kept on purpose: H and U, or G and Q, differ mainly by rotation.
//! The features are 2-D (x, y): two training sources have no z, and measurement (docs/signs.md)
//! showed no gain from z on the sources that have it.

/// One hand: 21 landmarks in MediaPipe order, `[x, y, z]`, x right and y down, any consistent units.
pub type Hand = [[f32; 3]; 21];

/// Number of values in a feature vector ([`features`]).
pub const FEATURE_LEN: usize = 40 + 10;

/// Fingertip landmark indices (thumb, index, middle, ring, pinky).
pub const TIPS: [usize; 5] = [4, 8, 12, 16, 20];

/// The palm orientation sign `c`; positive for a mirrored right hand seen palm-on.
pub fn chirality(h: &Hand) -> f32 {
    let (x0, y0) = (h[0][0], h[0][1]);
    (h[5][0] - x0) * (h[17][1] - y0) - (h[5][1] - y0) * (h[17][0] - x0)
}

fn dist2(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// The hand's size in its own units: the largest 2-D distance among the palm's rigid points
/// (wrist, index/middle/pinky knuckles). Taking the largest keeps it stable when the palm is
/// foreshortened in one direction (a hand pointing at or sideways from the camera).
pub fn hand_size(h: &Hand) -> f32 {
    let palm = [0usize, 5, 9, 17];
    let mut best = 0.0f32;
    for (i, &a) in palm.iter().enumerate() {
        for &b in &palm[i + 1..] {
            best = best.max(dist2(h[a], h[b]));
        }
    }
    best
}

/// Wrist-relative, mirrored to one chirality, scaled to unit hand size. z is scaled the same way.
/// A degenerate hand (all points equal) comes back all zeros rather than NaN.
pub fn canonicalize(h: &Hand) -> Hand {
    let origin = h[0];
    let flip = if chirality(h) < 0.0 { -1.0 } else { 1.0 };
    let size = hand_size(h);
    let inv = if size > f32::EPSILON { 1.0 / size } else { 0.0 };
    let mut out = [[0.0f32; 3]; 21];
    for (o, p) in out.iter_mut().zip(h.iter()) {
        *o = [
            flip * (p[0] - origin[0]) * inv,
            (p[1] - origin[1]) * inv,
            (p[2] - origin[2]) * inv,
        ];
    }
    out
}

/// The classifier's input: canonical x,y of landmarks 1..=20 (40 values) followed by the ten
/// pairwise fingertip distances (which separate e.g. M/N/S/T/A whose coordinates are close).
pub fn features(h: &Hand) -> [f32; FEATURE_LEN] {
    let c = canonicalize(h);
    let mut f = [0.0f32; FEATURE_LEN];
    for i in 1..21 {
        f[2 * (i - 1)] = c[i][0];
        f[2 * (i - 1) + 1] = c[i][1];
    }
    let mut k = 40;
    for (i, &a) in TIPS.iter().enumerate() {
        for &b in &TIPS[i + 1..] {
            f[k] = dist2(c[a], c[b]);
            k += 1;
        }
    }
    f
}

/// Mirror a hand in x (about x = 0); a test and augmentation helper.
pub fn mirror_x(h: &Hand) -> Hand {
    let mut out = *h;
    for p in out.iter_mut() {
        p[0] = -p[0];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plausible open right hand (mirrored view), pixels.
    pub(crate) fn sample_hand() -> Hand {
        let mut h = [[0.0f32; 3]; 21];
        let pts: [(f32, f32); 21] = [
            (100.0, 200.0),
            (80.0, 185.0),
            (65.0, 165.0),
            (55.0, 148.0),
            (48.0, 135.0),
            (85.0, 130.0),
            (82.0, 105.0),
            (80.0, 90.0),
            (79.0, 76.0),
            (102.0, 127.0),
            (103.0, 100.0),
            (104.0, 83.0),
            (105.0, 68.0),
            (118.0, 131.0),
            (121.0, 107.0),
            (123.0, 92.0),
            (124.0, 80.0),
            (132.0, 140.0),
            (138.0, 121.0),
            (141.0, 110.0),
            (144.0, 99.0),
        ];
        for (o, (x, y)) in h.iter_mut().zip(pts) {
            *o = [x, y, (y - 200.0) * 0.1];
        }
        h
    }

    fn close(a: &[f32], b: &[f32]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4)
    }

    #[test]
    fn features_ignore_translation() {
        let h = sample_hand();
        let mut moved = h;
        for p in moved.iter_mut() {
            p[0] += 37.5;
            p[1] -= 12.0;
        }
        assert!(close(&features(&h), &features(&moved)));
    }

    #[test]
    fn features_ignore_scale() {
        let h = sample_hand();
        let mut big = h;
        for p in big.iter_mut() {
            *p = [p[0] * 3.2, p[1] * 3.2, p[2] * 3.2];
        }
        assert!(close(&features(&h), &features(&big)));
    }

    #[test]
    fn features_ignore_mirroring() {
        let h = sample_hand();
        let m = mirror_x(&h);
        assert!(chirality(&h) * chirality(&m) < 0.0);
        assert!(close(&features(&h), &features(&m)));
    }

    #[test]
    fn rotation_is_not_ignored() {
        let h = sample_hand();
        let mut r = h;
        for p in r.iter_mut() {
            *p = [p[1], -p[0], p[2]];
        }
        assert!(!close(&features(&h), &features(&r)));
    }

    #[test]
    fn degenerate_hand_gives_zeros_not_nan() {
        let h = [[5.0f32; 3]; 21];
        assert!(features(&h).iter().all(|v| *v == 0.0));
    }

    #[test]
    fn canonical_hand_has_unit_size_and_positive_chirality() {
        let c = canonicalize(&mirror_x(&sample_hand()));
        assert!((hand_size(&c) - 1.0).abs() < 1e-5);
        assert!(chirality(&c) > 0.0);
        assert_eq!(c[0], [0.0, 0.0, 0.0]);
    }
}
