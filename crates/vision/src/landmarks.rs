//! The hand-landmark model: a rotated 224x224 crop of the hand ROI in, 21 landmarks, presence,
//! handedness and world landmarks out; landmarks are projected from the crop back into the image.

use std::sync::Arc;

use image::RgbImage;

use crate::crop::{crop_into, Border, PixelRect};
use crate::engine::Model;
use crate::error::VisionError;
use crate::hand::{Point3, NUM_LANDMARKS};
use crate::roi::NormRect;

const INPUT: usize = 224;
/// MediaPipe divides z by the input width and this factor.
const Z_NORM: f32 = 0.4;

/// One landmark-model result, in normalised image coordinates (x by width, y by height, z by
/// width).
#[derive(Clone, Debug)]
pub struct LandmarkResult {
    pub presence: f32,
    /// Probability of MediaPipe's label "Left" (label 0 of its handedness.txt).
    pub left_score: f32,
    pub landmarks: [Point3; NUM_LANDMARKS],
    pub world_landmarks: [Point3; NUM_LANDMARKS],
}

/// The landmark model.
pub struct LandmarkModel {
    model: Arc<dyn Model>,
}

impl LandmarkModel {
    pub fn new(model: Arc<dyn Model>) -> Result<Self, VisionError> {
        let [_, h, w, c] = model.input_shape();
        if (h, w, c) != (INPUT, INPUT, 3) {
            return Err(VisionError::ModelFormat(format!(
                "landmark model input {h}x{w}x{c}, expected 224x224x3"
            )));
        }
        Ok(LandmarkModel { model })
    }

    /// Runs the model on `roi` of `image`.
    pub fn run(&self, image: &RgbImage, roi: &NormRect) -> Result<LandmarkResult, VisionError> {
        let (w, h) = (image.width() as f32, image.height() as f32);
        let rect = PixelRect {
            cx: roi.x_center * w,
            cy: roi.y_center * h,
            width: roi.width * w,
            height: roi.height * h,
            rotation: roi.rotation,
        };
        let mut input = vec![0.0f32; INPUT * INPUT * 3];
        crop_into(image, &rect, INPUT, INPUT, Border::Replicate, &mut input);
        let outputs = self.model.run(&input)?;
        let [screen, presence, handedness, world] = &outputs[..] else {
            return Err(VisionError::ModelFormat(format!(
                "landmark model has {} outputs, expected 4",
                outputs.len()
            )));
        };
        if screen.len() != 63 || world.len() != 63 || presence.len() != 1 || handedness.len() != 1 {
            return Err(VisionError::ModelFormat(
                "landmark model outputs have unexpected sizes".into(),
            ));
        }
        Ok(LandmarkResult {
            presence: presence[0],
            left_score: handedness[0],
            landmarks: project(screen, roi),
            world_landmarks: rotate_world(world, roi.rotation),
        })
    }
}

/// Projects crop-pixel landmarks through the ROI into normalised image coordinates.
pub fn project(raw: &[f32], roi: &NormRect) -> [Point3; NUM_LANDMARKS] {
    let (s, c) = roi.rotation.sin_cos();
    let mut out = [[0.0; 3]; NUM_LANDMARKS];
    for (i, p) in out.iter_mut().enumerate() {
        let x = raw[i * 3] / INPUT as f32 - 0.5;
        let y = raw[i * 3 + 1] / INPUT as f32 - 0.5;
        let z = raw[i * 3 + 2] / INPUT as f32 / Z_NORM;
        *p = [
            (c * x - s * y) * roi.width + roi.x_center,
            (s * x + c * y) * roi.height + roi.y_center,
            z * roi.width,
        ];
    }
    out
}

/// World landmarks rotated by the ROI's rotation (metres; z unchanged).
fn rotate_world(raw: &[f32], rotation: f32) -> [Point3; NUM_LANDMARKS] {
    let (s, c) = rotation.sin_cos();
    let mut out = [[0.0; 3]; NUM_LANDMARKS];
    for (i, p) in out.iter_mut().enumerate() {
        let (x, y, z) = (raw[i * 3], raw[i * 3 + 1], raw[i * 3 + 2]);
        *p = [c * x - s * y, s * x + c * y, z];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_centre_projects_to_roi_centre_and_corners_follow_rotation() {
        let roi = NormRect {
            x_center: 0.4,
            y_center: 0.6,
            width: 0.2,
            height: 0.2,
            rotation: std::f32::consts::FRAC_PI_2,
        };
        let mut raw = vec![0.0f32; 63];
        raw[0] = 112.0;
        raw[1] = 112.0;
        raw[3] = 224.0; // landmark 1 at the crop's right edge, vertical centre
        raw[4] = 112.0;
        raw[5] = 224.0 * 0.4; // z of one crop width
        let p = project(&raw, &roi);
        assert!((p[0][0] - 0.4).abs() < 1e-6 && (p[0][1] - 0.6).abs() < 1e-6);
        // Rotated a quarter turn clockwise, the crop's right is the image's down.
        assert!(
            (p[1][0] - 0.4).abs() < 1e-6 && (p[1][1] - 0.7).abs() < 1e-6,
            "{:?}",
            p[1]
        );
        assert!((p[1][2] - 0.2).abs() < 1e-6);
    }
}
