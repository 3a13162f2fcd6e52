//! Training stand-ins for the non-letter classes, built only from permitted data.
//!
//! No permitted table has `space`, `delete` or `nothing`. What those signs look like was read
//! (looked at, never trained on) from MediaPipe's landmarks of the validation photos
//! `images/letters/{Space,Del,Nothing}`: all three are an open hand with the thumb out, told
//! apart by how far it leans (canonical angle of wrist -> middle knuckle, -90° = straight up):
//! `nothing` ≈ upright (−120…−105°), `space` ≈ leaning 45° (−48…−42°), `delete` ≈ sideways
//! (−21…−11°). The permitted `hands_on_fluency` table has open hands with the thumb out in its
//! `Hello` and `Thanks` classes; each is rotated to a fixed set of angles per class. `I Love You`
//! (a real sign but not a letter) and upright `Hello` hands are `nothing`.
//! See docs/signs.md for why, and for what this means for the validation figures.

use crate::dataset::Sample;
use crate::features::{canonicalize, Hand};
use crate::labels::{DELETE, NOTHING, SPACE};

/// Open-hand source classes (thumb out, fingers extended).
const OPEN_HANDS: [&str; 2] = ["Hello", "Thanks"];
/// Non-letter signs that are `nothing` as they are.
const NOT_LETTERS: [&str; 2] = ["Hello", "I Love You"];

/// Target angles (degrees, canonical frame) per class.
const SPACE_ANGLES: [f32; 5] = [-56.0, -50.0, -45.0, -40.0, -34.0];
const DELETE_ANGLES: [f32; 5] = [-28.0, -21.0, -15.0, -9.0, -2.0];
const NOTHING_ANGLES: [f32; 4] = [-125.0, -112.0, -100.0, -85.0];

/// Rotate a canonical hand about the wrist so that wrist -> middle knuckle points at `deg`.
pub fn rotate_to(h: &Hand, deg: f32) -> Hand {
    let c = canonicalize(h);
    let now = c[9][1].atan2(c[9][0]);
    let (s, co) = (deg.to_radians() - now).sin_cos();
    let mut out = c;
    for p in out.iter_mut() {
        let (x, y) = (p[0], p[1]);
        p[0] = co * x - s * y;
        p[1] = s * x + co * y;
    }
    out
}

/// The canonical angle of wrist -> middle knuckle, in degrees.
pub fn lean_degrees(h: &Hand) -> f32 {
    let c = canonicalize(h);
    c[9][1].atan2(c[9][0]).to_degrees()
}

/// Stand-in samples for `space`, `delete` and `nothing`, in a fixed order (input order, then
/// the angle lists), from `hands_on_fluency` samples among `samples`.
pub fn non_letter_samples(samples: &[Sample]) -> Vec<Sample> {
    let mut out = Vec::new();
    for s in samples.iter().filter(|s| s.source == "hands_on_fluency") {
        let source = format!("synthetic:{}", s.source);
        if OPEN_HANDS.contains(&s.label.as_str()) {
            for (label, angles) in [
                (SPACE, &SPACE_ANGLES[..]),
                (DELETE, &DELETE_ANGLES[..]),
                (NOTHING, &NOTHING_ANGLES[..]),
            ] {
                for &a in angles {
                    out.push(Sample::new(label, rotate_to(&s.hand, a), &source, s.group));
                }
            }
        }
        if NOT_LETTERS.contains(&s.label.as_str()) {
            out.push(Sample::new(NOTHING, s.hand, &source, s.group));
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
        // 5 space + 5 delete + 4 rotated nothing + the upright Hello itself.
        assert_eq!(out.len(), 15);
        assert_eq!(out.iter().filter(|s| s.label == SPACE).count(), 5);
        assert!(out.iter().all(|s| s.group == 0));
    }
}
