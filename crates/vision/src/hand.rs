//! What the pipeline reports for each hand.

use serde::{Deserialize, Serialize};

/// Number of landmarks MediaPipe reports per hand (0 wrist, 1-4 thumb, 5-8 index, 9-12 middle,
/// 13-16 ring, 17-20 pinky).
pub const NUM_LANDMARKS: usize = 21;

/// One landmark: x, y in pixels of the original image, z in the same pixel units (negative is
/// nearer the camera than the wrist). For world landmarks: metres around the hand's centre.
pub type Point3 = [f32; 3];

/// MediaPipe's handedness label. MediaPipe assumes a mirrored (selfie) image, so on an
/// un-mirrored photo "Left" is normally the signer's right hand. We report MediaPipe's label
/// unchanged so our output compares one to one with MediaPipe's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Handedness {
    Left,
    Right,
}

impl Handedness {
    pub fn as_str(self) -> &'static str {
        match self {
            Handedness::Left => "Left",
            Handedness::Right => "Right",
        }
    }
}

/// One detected hand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hand {
    /// Stable across frames in video mode; in image mode, the hand's index in the result.
    pub id: u32,
    pub handedness: Handedness,
    /// Confidence of the handedness label, in [0.5, 1].
    pub score: f32,
    /// Hand presence from the landmark model, in [0, 1].
    pub presence: f32,
    /// Image landmarks: x, y in pixels of the original image; z in the same units (z_norm * width).
    pub landmarks: [Point3; NUM_LANDMARKS],
    /// World landmarks in metres.
    pub world_landmarks: [Point3; NUM_LANDMARKS],
}
