//! Training stand-ins for the non-letter classes, built only from permitted data.
//!
//! No permitted table has `space`, `delete` or `nothing`. What those signs look like was read
//! (looked at, never trained on) from MediaPipe's landmarks of the validation photos
//! `images/letters/{Space,Del,Nothing}` (canonical angle of wrist -> middle knuckle, -90° =
//! straight up):
//! - `space`: an open hand with the thumb out, leaning about 45° (−48…−42°);
//! - `nothing`: an open hand, upright (−120…−105°), or no sign at all;
//! - `delete`: the hand hangs from the wrist: the back of the hand level (−21…−11°), the four
//!   fingers bent down at the knuckles, the thumb tucked beside them.
//!
//! `space` and rotated `nothing` are the permitted `hands_on_fluency` open hands (its `Hello` and
//! `Thanks` classes) rotated to a fixed set of angles per class; `I Love You` (a real sign but not
//! a letter) and upright `Hello` hands are `nothing` as they are. `delete` is built from the
//! permitted tables' `B` hands (four fingers straight and together, thumb across the palm):
//! levelled, then each finger bent down about its knuckle and again about its middle joint
//! ([`hanging_hand`]). See docs/signs.md for why, and for what this means for the validation
//! figures.

use crate::dataset::Sample;
use crate::features::{canonicalize, Hand};
use crate::labels::{DELETE, NOTHING, SPACE};

/// Open-hand source classes (thumb out, fingers extended).
const OPEN_HANDS: [&str; 2] = ["Hello", "Thanks"];
/// Non-letter signs that are `nothing` as they are.
const NOT_LETTERS: [&str; 2] = ["Hello", "I Love You"];

/// Target angles (degrees, canonical frame) per class.
const SPACE_ANGLES: [f32; 5] = [-56.0, -50.0, -45.0, -40.0, -34.0];
const NOTHING_ANGLES: [f32; 4] = [-125.0, -112.0, -100.0, -85.0];

/// Tables whose `B` hands become `delete`, and how many of each (evenly spaced).
const DELETE_SOURCES: [&str; 4] = ["borisgraudt", "signn", "hands_on_fluency", "nejohnson2"];
const DELETE_PER_SOURCE: usize = 30;
/// (lean of the back of the hand, bend at the knuckles, bend at the middle joints), degrees.
const DELETE_POSES: [(f32, f32, f32); 5] = [
    (-20.0, 70.0, 30.0),
    (-15.0, 85.0, 20.0),
    (-12.0, 60.0, 45.0),
    (-8.0, 95.0, 15.0),
    (-4.0, 75.0, 35.0),
];
/// Knuckle, middle joint, end joint and tip of the four fingers.
const FINGERS: [[usize; 4]; 4] = [
    [5, 6, 7, 8],
    [9, 10, 11, 12],
    [13, 14, 15, 16],
    [17, 18, 19, 20],
];

/// Rotate a canonical hand about the wrist so that wrist -> middle knuckle points at `deg`.
pub fn rotate_to(h: &Hand, deg: f32) -> Hand {
    let c = canonicalize(h);
    let turn = deg.to_radians() - c[9][1].atan2(c[9][0]);
    c.map(|p| rotate_about(p, [0.0; 3], turn))
}

/// Rotate `p` about `c` by `rad` (positive turns +x towards +y, i.e. downwards on screen).
fn rotate_about(p: [f32; 3], c: [f32; 3], rad: f32) -> [f32; 3] {
    let (s, co) = rad.sin_cos();
    let (x, y) = (p[0] - c[0], p[1] - c[1]);
    [c[0] + co * x - s * y, c[1] + s * x + co * y, p[2]]
}

/// A hand hanging from the wrist, made from a flat hand `h`: turned (canonical frame) so that
/// wrist -> middle knuckle points at `lean` degrees, then each finger bent down by `knuckle`
/// degrees about its knuckle and by `middle` more about its middle joint. Canonical hands whose
/// fingers point right have the index finger on top, so "down" bends towards the palm.
pub fn hanging_hand(h: &Hand, lean: f32, knuckle: f32, middle: f32) -> Hand {
    let mut out = rotate_to(h, lean);
    for f in FINGERS {
        let mcp = out[f[0]];
        for &j in &f[1..] {
            out[j] = rotate_about(out[j], mcp, knuckle.to_radians());
        }
        let pip = out[f[1]];
        for &j in &f[2..] {
            out[j] = rotate_about(out[j], pip, middle.to_radians());
        }
    }
    out
}

/// The canonical angle of wrist -> middle knuckle, in degrees.
pub fn lean_degrees(h: &Hand) -> f32 {
    let c = canonicalize(h);
    c[9][1].atan2(c[9][0]).to_degrees()
}

/// Stand-in samples for `space`, `delete` and `nothing`, in a fixed order (input order, then
/// the angle lists; then `delete` per table of [`DELETE_SOURCES`]) from the permitted tables'
/// samples among `samples`.
pub fn non_letter_samples(samples: &[Sample]) -> Vec<Sample> {
    let mut out = Vec::new();
    for s in samples.iter().filter(|s| s.source == "hands_on_fluency") {
        let source = format!("synthetic:{}", s.source);
        if OPEN_HANDS.contains(&s.label.as_str()) {
            for (label, angles) in [(SPACE, &SPACE_ANGLES[..]), (NOTHING, &NOTHING_ANGLES[..])] {
                for &a in angles {
                    out.push(Sample::new(label, rotate_to(&s.hand, a), &source, s.group));
                }
            }
        }
        if NOT_LETTERS.contains(&s.label.as_str()) {
            out.push(Sample::new(NOTHING, s.hand, &source, s.group));
        }
    }
    for table in DELETE_SOURCES {
        let flat: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.source == table && s.label == "B")
            .collect();
        let n = flat.len();
        let k = n.min(DELETE_PER_SOURCE);
        let source = format!("synthetic:{table}");
        for i in 0..k {
            let s = flat[i * n / k];
            for (lean, knuckle, middle) in DELETE_POSES {
                let hand = hanging_hand(&s.hand, lean, knuckle, middle);
                out.push(Sample::new(DELETE, hand, &source, s.group));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_hand() -> Hand {
        let mut h = [[0.0f32; 3]; 21];
        for (i, p) in h.iter_mut().enumerate() {
            let finger = (i as f32 - 1.0) / 4.0;
            *p = [10.0 + finger * 8.0, 100.0 - (i % 4) as f32 * 20.0, 0.0];
        }
        h[5] = [0.0, 60.0, 0.0];
        h[9] = [10.0, 55.0, 0.0];
        h[17] = [30.0, 65.0, 0.0];
        h[0] = [12.0, 100.0, 0.0];
        h
    }

    #[test]
    fn rotation_reaches_the_target_angle() {
        for a in [-120.0, -45.0, -10.0] {
            assert!((lean_degrees(&rotate_to(&open_hand(), a)) - a).abs() < 0.01);
        }
    }

    #[test]
    fn only_hands_on_fluency_open_hands_are_used() {
        let h = open_hand();
        let samples = vec![
            Sample::new("Hello", h, "hands_on_fluency", 0),
            Sample::new("Yes", h, "hands_on_fluency", 1),
            Sample::new("Hello", h, "signn", 2),
        ];
        let out = non_letter_samples(&samples);
        // 5 space + 4 rotated nothing + the upright Hello itself.
        assert_eq!(out.len(), 10);
        assert_eq!(out.iter().filter(|s| s.label == SPACE).count(), 5);
        assert!(out.iter().all(|s| s.group == 0));
    }

    #[test]
    fn delete_is_made_from_b_hands_of_each_table() {
        let h = open_hand();
        let samples = vec![
            Sample::new("B", h, "signn", 3),
            Sample::new("A", h, "signn", 4),
            Sample::new("B", h, "nejohnson2", 5),
            Sample::new("B", h, "bisonhacks/person1", 6),
        ];
        let out = non_letter_samples(&samples);
        assert_eq!(out.len(), 2 * DELETE_POSES.len());
        assert!(out.iter().all(|s| s.label == DELETE));
        assert_eq!(out[0].source, "synthetic:signn");
        assert_eq!(out[DELETE_POSES.len()].group, 5);
    }

    /// A flat hand, fingers straight up and together, thumb out to the side.
    fn flat_hand() -> Hand {
        let mut h = [[0.0f32; 3]; 21];
        for (f, x) in [-0.3f32, -0.1, 0.1, 0.3].into_iter().enumerate() {
            for (j, y) in [-1.0f32, -1.4, -1.7, -1.95].into_iter().enumerate() {
                h[5 + 4 * f + j] = [x, y, 0.0];
            }
        }
        for (j, p) in h.iter_mut().enumerate().take(5).skip(1) {
            *p = [-0.2 - 0.15 * j as f32, -0.2 - 0.15 * j as f32, 0.0];
        }
        h
    }

    #[test]
    fn a_hanging_hand_is_level_with_its_fingers_bent_down() {
        let (lean, knuckle, middle) = (-15.0, 80.0, 20.0);
        let hand = hanging_hand(&flat_hand(), lean, knuckle, middle);
        assert!((lean_degrees(&hand) - lean).abs() < 0.01);
        for f in FINGERS {
            // Knuckle -> middle joint points at lean + knuckle (down), the tip below the knuckle.
            let d = [hand[f[1]][0] - hand[f[0]][0], hand[f[1]][1] - hand[f[0]][1]];
            let dir = d[1].atan2(d[0]).to_degrees();
            let straight = rotate_to(&flat_hand(), lean);
            let s = [
                straight[f[1]][0] - straight[f[0]][0],
                straight[f[1]][1] - straight[f[0]][1],
            ];
            let before = s[1].atan2(s[0]).to_degrees();
            assert!(
                (dir - before - knuckle).abs() < 0.01,
                "finger {f:?}: {before} -> {dir}"
            );
            assert!(
                hand[f[3]][1] > hand[f[0]][1],
                "tip of {f:?} is below its knuckle"
            );
        }
        // The wrist and thumb do not move.
        let straight = rotate_to(&flat_hand(), lean);
        assert_eq!(hand[0..5], straight[0..5]);
    }
}
