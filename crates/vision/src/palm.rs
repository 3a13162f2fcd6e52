//! Palm detection (BlazePalm): letterboxed 192x192 input, SSD box and keypoint decoding against
//! the anchors, score threshold, weighted NMS, then removal of the letterbox so detections are in
//! normalised coordinates of the image.

use std::sync::Arc;

use image::RgbImage;

use crate::anchors::{palm_anchors, Anchor};
use crate::crop::{crop_into, Border, PixelRect};
use crate::engine::Model;
use crate::error::VisionError;
use crate::nms::weighted_nms;

const NUM_COORDS: usize = 18;
const NUM_KEYPOINTS: usize = 7;
/// Raw outputs are in input pixels.
const SCALE: f32 = 192.0;
const SCORE_CLIP: f32 = 100.0;
const NMS_IOU: f32 = 0.3;

/// One palm: box and 7 keypoints (0 wrist, 2 middle-finger base, ...) in normalised coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct PalmDetection {
    pub score: f32,
    pub xmin: f32,
    pub ymin: f32,
    pub xmax: f32,
    pub ymax: f32,
    pub keypoints: [[f32; 2]; NUM_KEYPOINTS],
}

/// Where the image sits inside the square model input, as fractions of the input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    pub pad_x: f32,
    pub pad_y: f32,
}

impl Letterbox {
    /// The letterbox of a `width` x `height` image in a square input.
    pub fn of(width: u32, height: u32) -> Letterbox {
        let side = width.max(height) as f32;
        Letterbox {
            pad_x: (1.0 - width as f32 / side) / 2.0,
            pad_y: (1.0 - height as f32 / side) / 2.0,
        }
    }

    /// Maps a point from input coordinates to image coordinates (both normalised).
    pub fn remove(&self, x: f32, y: f32) -> (f32, f32) {
        (
            (x - self.pad_x) / (1.0 - 2.0 * self.pad_x),
            (y - self.pad_y) / (1.0 - 2.0 * self.pad_y),
        )
    }
}

/// The palm model with its anchors.
pub struct PalmDetector {
    model: Arc<dyn Model>,
    anchors: Vec<Anchor>,
}

impl PalmDetector {
    pub fn new(model: Arc<dyn Model>) -> Result<Self, VisionError> {
        let [_, h, w, c] = model.input_shape();
        if (h, w, c) != (192, 192, 3) {
            return Err(VisionError::ModelFormat(format!(
                "palm model input {h}x{w}x{c}, expected 192x192x3"
            )));
        }
        Ok(PalmDetector {
            model,
            anchors: palm_anchors(),
        })
    }

    /// Detects palms scoring at least `min_score`, best first.
    pub fn detect(
        &self,
        image: &RgbImage,
        min_score: f32,
    ) -> Result<Vec<PalmDetection>, VisionError> {
        let (w, h) = image.dimensions();
        let side = w.max(h) as f32;
        let rect = PixelRect {
            cx: w as f32 / 2.0,
            cy: h as f32 / 2.0,
            width: side,
            height: side,
            rotation: 0.0,
        };
        let mut input = vec![0.0f32; 192 * 192 * 3];
        crop_into(image, &rect, 192, 192, Border::Zero, &mut input);
        let outputs = self.model.run(&input)?;
        let boxes = outputs
            .iter()
            .find(|o| o.len() == self.anchors.len() * NUM_COORDS);
        let scores = outputs.iter().find(|o| o.len() == self.anchors.len());
        let (Some(boxes), Some(scores)) = (boxes, scores) else {
            return Err(VisionError::ModelFormat(
                "palm model outputs have unexpected sizes".into(),
            ));
        };
        let raw = decode(boxes, scores, &self.anchors, min_score);
        let letterbox = Letterbox::of(w, h);
        Ok(weighted_nms(raw, NMS_IOU)
            .into_iter()
            .map(|d| unletterbox(d, &letterbox))
            .collect())
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-SCORE_CLIP, SCORE_CLIP)).exp())
}

/// Decodes raw SSD outputs into detections in input-normalised coordinates.
pub fn decode(
    boxes: &[f32],
    scores: &[f32],
    anchors: &[Anchor],
    min_score: f32,
) -> Vec<PalmDetection> {
    let mut out = Vec::new();
    for (i, anchor) in anchors.iter().enumerate() {
        let score = sigmoid(scores[i]);
        if score < min_score {
            continue;
        }
        let r = &boxes[i * NUM_COORDS..(i + 1) * NUM_COORDS];
        let cx = r[0] / SCALE + anchor.x_center;
        let cy = r[1] / SCALE + anchor.y_center;
        let (bw, bh) = (r[2] / SCALE, r[3] / SCALE);
        let mut keypoints = [[0.0; 2]; NUM_KEYPOINTS];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            kp[0] = r[4 + 2 * k] / SCALE + anchor.x_center;
            kp[1] = r[5 + 2 * k] / SCALE + anchor.y_center;
        }
        out.push(PalmDetection {
            score,
            xmin: cx - bw / 2.0,
            ymin: cy - bh / 2.0,
            xmax: cx + bw / 2.0,
            ymax: cy + bh / 2.0,
            keypoints,
        });
    }
    out
}

fn unletterbox(mut d: PalmDetection, lb: &Letterbox) -> PalmDetection {
    (d.xmin, d.ymin) = lb.remove(d.xmin, d.ymin);
    (d.xmax, d.ymax) = lb.remove(d.xmax, d.ymax);
    for kp in &mut d.keypoints {
        let (x, y) = lb.remove(kp[0], kp[1]);
        *kp = [x, y];
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_offsets_box_and_keypoints_from_the_anchor() {
        let anchors = [
            Anchor {
                x_center: 0.25,
                y_center: 0.75,
            },
            Anchor {
                x_center: 0.5,
                y_center: 0.5,
            },
        ];
        let mut boxes = vec![0.0f32; 2 * NUM_COORDS];
        boxes[0] = 19.2; // +0.1 in x
        boxes[1] = -19.2; // -0.1 in y
        boxes[2] = 96.0; // width 0.5
        boxes[3] = 48.0; // height 0.25
        boxes[4 + 2 * 2] = 38.4; // keypoint 2: +0.2 in x
        let scores = [2.0f32, -3.0];
        let d = decode(&boxes, &scores, &anchors, 0.5);
        assert_eq!(d.len(), 1, "the second anchor scores sigmoid(-3) < 0.5");
        let d = &d[0];
        assert!((d.score - 0.880797).abs() < 1e-5);
        assert!((d.xmin - (0.35 - 0.25)).abs() < 1e-6 && (d.xmax - 0.6).abs() < 1e-6);
        assert!((d.ymin - (0.65 - 0.125)).abs() < 1e-6 && (d.ymax - 0.775).abs() < 1e-6);
        assert!((d.keypoints[2][0] - 0.45).abs() < 1e-6 && (d.keypoints[2][1] - 0.75).abs() < 1e-6);
    }

    #[test]
    fn scores_are_clipped_before_the_sigmoid() {
        assert_eq!(sigmoid(1e9), sigmoid(100.0));
        assert!(sigmoid(-1e9) >= 0.0);
    }

    #[test]
    fn letterbox_removal_maps_the_padded_input_back_to_the_image() {
        // 200x100 in a square input: the image fills the middle half vertically.
        let lb = Letterbox::of(200, 100);
        assert_eq!(
            lb,
            Letterbox {
                pad_x: 0.0,
                pad_y: 0.25
            }
        );
        assert_eq!(lb.remove(0.5, 0.25), (0.5, 0.0));
        assert_eq!(lb.remove(0.5, 0.75), (0.5, 1.0));
    }
}
