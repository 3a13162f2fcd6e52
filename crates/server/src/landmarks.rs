//! On-device frames: the hands a page found itself (`wire::LandmarksFrame`), checked strictly
//! and turned into the [`Hand`]s the interpreter reads, in pixels of the frame as the server's
//! own pipeline reports them. No picture is involved: this is all the server does per frame in
//! on-device mode, besides the classifier and the sentence builder.

use signbridge_vision::{Hand, Handedness, NUM_LANDMARKS};

use crate::error::ApiError;
use crate::wire::{DeviceHand, LandmarksFrame};

/// The largest landmarks message read: eight hands of 21 points take about 12 KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The largest frame side accepted, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// How far outside the frame a normalised x or y may lie (MediaPipe reports points of a hand
/// partly out of view slightly beyond [0, 1]); z is on x's scale, a hand's depth is well
/// within one frame width.
const XY_RANGE: std::ops::RangeInclusive<f32> = -1.0..=2.0;
const Z_RANGE: std::ops::RangeInclusive<f32> = -2.0..=2.0;
/// Latest client timestamp accepted (2^53 ms: an f64 still counts milliseconds exactly).
const MAX_T_MS: f64 = 9_007_199_254_740_992.0;

/// A checked on-device frame.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceFrame {
    /// On the client's clock, in milliseconds.
    pub t_ms: u64,
    pub width: u32,
    pub height: u32,
    pub hands: Vec<Hand>,
}

/// Checks `frame` (at most `max_hands` hands) and converts it; the error says what is wrong.
pub fn check(frame: LandmarksFrame, max_hands: usize) -> Result<DeviceFrame, ApiError> {
    let bad = |m: String| Err(ApiError::BadRequest(m));
    if !(frame.t.is_finite() && (0.0..=MAX_T_MS).contains(&frame.t)) {
        return bad(format!(
            "\"t\" must be a time in milliseconds from 0 to 2^53, not {}",
            frame.t
        ));
    }
    for (name, side) in [("width", frame.width), ("height", frame.height)] {
        if !(1..=MAX_SIDE).contains(&side) {
            return bad(format!(
                "\"{name}\" must be 1 to {MAX_SIDE} pixels, not {side}"
            ));
        }
    }
    if frame.hands.len() > max_hands {
        return bad(format!(
            "{} hands sent; this server reads at most {max_hands}",
            frame.hands.len()
        ));
    }
    let (w, h) = (frame.width as f32, frame.height as f32);
    let hands = frame
        .hands
        .into_iter()
        .enumerate()
        .map(|(i, hand)| hand_in_pixels(i, hand, w, h))
        .collect::<Result<Vec<_>, String>>()
        .map_err(ApiError::BadRequest)?;
    Ok(DeviceFrame {
        t_ms: frame.t as u64,
        width: frame.width,
        height: frame.height,
        hands,
    })
}

fn hand_in_pixels(i: usize, hand: DeviceHand, w: f32, h: f32) -> Result<Hand, String> {
    let handedness = match hand.handedness.as_str() {
        "Left" => Handedness::Left,
        "Right" => Handedness::Right,
        other => {
            return Err(format!(
                "hand {i}: \"handedness\" must be \"Left\" or \"Right\", not {other:?}"
            ))
        }
    };
    if !(hand.score.is_finite() && (0.0..=1.0).contains(&hand.score)) {
        return Err(format!(
            "hand {i}: \"score\" must be from 0 to 1, not {}",
            hand.score
        ));
    }
    if hand.landmarks.len() != NUM_LANDMARKS {
        return Err(format!(
            "hand {i}: {NUM_LANDMARKS} landmarks expected, {} sent",
            hand.landmarks.len()
        ));
    }
    let mut landmarks = [[0.0f32; 3]; NUM_LANDMARKS];
    for (j, (out, &[x, y, z])) in landmarks.iter_mut().zip(&hand.landmarks).enumerate() {
        if !(XY_RANGE.contains(&x) && XY_RANGE.contains(&y) && Z_RANGE.contains(&z)) {
            return Err(format!(
                "hand {i}, landmark {j}: [{x}, {y}, {z}] is outside the frame (x and y are \
                 fractions of its width and height, from -1 to 2; z from -2 to 2)"
            ));
        }
        *out = [x * w, y * h, z * w];
    }
    Ok(Hand {
        id: i as u32,
        handedness,
        score: hand.score,
        presence: hand.score,
        landmarks,
        world_landmarks: [[0.0; 3]; NUM_LANDMARKS],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(hands: Vec<DeviceHand>) -> LandmarksFrame {
        LandmarksFrame {
            t: 1000.0,
            width: 640,
            height: 480,
            hands,
        }
    }

    fn hand() -> DeviceHand {
        DeviceHand {
            handedness: "Left".into(),
            score: 0.9,
            landmarks: (0..21).map(|i| [0.5, 0.02 * i as f32, -0.05]).collect(),
        }
    }

    #[test]
    fn landmarks_are_turned_into_pixels_of_the_frame() {
        let f = check(frame(vec![hand()]), 2).unwrap();
        assert_eq!((f.t_ms, f.width, f.height), (1000, 640, 480));
        let h = &f.hands[0];
        assert_eq!(h.handedness, Handedness::Left);
        let expected = [320.0, 0.4 * 480.0, -0.05 * 640.0];
        for (got, want) in h.landmarks[20].iter().zip(expected) {
            assert!((got - want).abs() < 1e-3, "{:?}", h.landmarks[20]);
        }
        assert!(check(frame(vec![]), 2).unwrap().hands.is_empty());
    }

    #[test]
    fn every_malformed_field_is_refused_with_what_is_wrong() {
        let cases: Vec<(LandmarksFrame, &str)> = vec![
            (frame(vec![hand(); 3]), "at most 2"),
            (
                LandmarksFrame {
                    t: f64::NAN,
                    ..frame(vec![])
                },
                "\"t\"",
            ),
            (
                LandmarksFrame {
                    t: -1.0,
                    ..frame(vec![])
                },
                "\"t\"",
            ),
            (
                LandmarksFrame {
                    width: 0,
                    ..frame(vec![])
                },
                "\"width\"",
            ),
            (
                LandmarksFrame {
                    height: 100_000,
                    ..frame(vec![])
                },
                "\"height\"",
            ),
            (
                frame(vec![DeviceHand {
                    landmarks: vec![[0.5; 3]; 20],
                    ..hand()
                }]),
                "21 landmarks expected, 20",
            ),
            (
                frame(vec![DeviceHand {
                    handedness: "left".into(),
                    ..hand()
                }]),
                "handedness",
            ),
            (
                frame(vec![DeviceHand {
                    score: f32::INFINITY,
                    ..hand()
                }]),
                "score",
            ),
        ];
        for (f, expected) in cases {
            let e = check(f, 2).unwrap_err().to_string();
            assert!(e.contains(expected), "{e} lacks {expected}");
        }
        for bad in [f32::NAN, f32::INFINITY, 1e30, -5.0] {
            let mut h = hand();
            h.landmarks[7] = [0.5, bad, 0.0];
            let e = check(frame(vec![h]), 2).unwrap_err().to_string();
            assert!(e.contains("landmark 7"), "{e}");
        }
    }
}
