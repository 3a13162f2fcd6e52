//! Regions of interest: MediaPipe's `NormalizedRect` and the math that places them — from a palm
//! detection, from the previous frame's landmarks (tracking), the rectangle transformation
//! (scale, shift, square) and the overlap used to associate hands between frames.

use std::f32::consts::PI;

use crate::palm::PalmDetection;

/// A rotated rectangle in normalised image coordinates (x by width, y by height); rotation in
/// radians, clockwise in image space (y down), as MediaPipe's `NormalizedRect`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormRect {
    pub x_center: f32,
    pub y_center: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
}

/// Scale and shift applied to a rectangle (MediaPipe's `RectTransformationCalculator`).
#[derive(Clone, Copy, Debug)]
pub struct RectTransform {
    pub scale_x: f32,
    pub scale_y: f32,
    pub shift_x: f32,
    pub shift_y: f32,
    pub square_long: bool,
}

/// Palm box -> hand ROI: 2.6x, shifted half a palm towards the fingers.
pub const PALM_TO_HAND: RectTransform = RectTransform {
    scale_x: 2.6,
    scale_y: 2.6,
    shift_x: 0.0,
    shift_y: -0.5,
    square_long: true,
};
/// Landmarks -> next frame's hand ROI.
pub const LANDMARKS_TO_HAND: RectTransform = RectTransform {
    scale_x: 2.0,
    scale_y: 2.0,
    shift_x: 0.0,
    shift_y: -0.1,
    square_long: true,
};

/// Wraps an angle into [-pi, pi).
pub fn normalize_radians(angle: f32) -> f32 {
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

/// Rotation that turns the vector from `(x0, y0)` to `(x1, y1)` (pixels) to point straight up.
fn rotation_to_vertical(x0: f32, y0: f32, x1: f32, y1: f32) -> f32 {
    normalize_radians(PI / 2.0 - (-(y1 - y0)).atan2(x1 - x0))
}

impl RectTransform {
    /// Applies the transformation to `rect` in an image of `width` x `height` pixels.
    pub fn apply(&self, rect: NormRect, width: f32, height: f32) -> NormRect {
        let mut r = rect;
        if r.rotation == 0.0 {
            r.x_center += r.width * self.shift_x;
            r.y_center += r.height * self.shift_y;
        } else {
            let (s, c) = r.rotation.sin_cos();
            let x_shift =
                (width * r.width * self.shift_x * c - height * r.height * self.shift_y * s) / width;
            let y_shift = (width * r.width * self.shift_x * s
                + height * r.height * self.shift_y * c)
                / height;
            r.x_center += x_shift;
            r.y_center += y_shift;
        }
        if self.square_long {
            let long = (r.width * width).max(r.height * height);
            r.width = long / width;
            r.height = long / height;
        }
        r.width *= self.scale_x;
        r.height *= self.scale_y;
        r
    }
}

/// The hand ROI for a palm detection (normalised coordinates of an image `width` x `height`).
pub fn palm_to_roi(palm: &PalmDetection, width: f32, height: f32) -> NormRect {
    let [x0, y0] = palm.keypoints[0];
    let [x1, y1] = palm.keypoints[2];
    let rotation = rotation_to_vertical(x0 * width, y0 * height, x1 * width, y1 * height);
    let rect = NormRect {
        x_center: (palm.xmin + palm.xmax) / 2.0,
        y_center: (palm.ymin + palm.ymax) / 2.0,
        width: palm.xmax - palm.xmin,
        height: palm.ymax - palm.ymin,
        rotation,
    };
    PALM_TO_HAND.apply(rect, width, height)
}

/// Landmarks used to place the next ROI: wrist, thumb base and the first two joints of each finger.
const ROI_LANDMARKS: [usize; 12] = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];

/// The next frame's hand ROI from this frame's landmarks (normalised x, y).
pub fn landmarks_to_roi(landmarks: &[[f32; 2]; 21], width: f32, height: f32) -> NormRect {
    let px = |i: usize| (landmarks[i][0] * width, landmarks[i][1] * height);
    let (x0, y0) = px(0);
    let (xi, yi) = px(5);
    let (xr, yr) = px(13);
    let (xm, ym) = px(9);
    let x1 = ((xi + xr) / 2.0 + xm) / 2.0;
    let y1 = ((yi + yr) / 2.0 + ym) / 2.0;
    let rotation = rotation_to_vertical(x0, y0, x1, y1);
    let reverse = normalize_radians(-rotation);

    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &i in &ROI_LANDMARKS {
        let (x, y) = px(i);
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    let (ax, ay) = ((max_x + min_x) / 2.0, (max_y + min_y) / 2.0);
    let (s, c) = reverse.sin_cos();
    let (mut pmin_x, mut pmin_y, mut pmax_x, mut pmax_y) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &i in &ROI_LANDMARKS {
        let (x, y) = px(i);
        let (ox, oy) = (x - ax, y - ay);
        let (rx, ry) = (ox * c - oy * s, ox * s + oy * c);
        pmin_x = pmin_x.min(rx);
        pmax_x = pmax_x.max(rx);
        pmin_y = pmin_y.min(ry);
        pmax_y = pmax_y.max(ry);
    }
    let (pcx, pcy) = ((pmax_x + pmin_x) / 2.0, (pmax_y + pmin_y) / 2.0);
    let (s, c) = rotation.sin_cos();
    let cx = pcx * c - pcy * s + ax;
    let cy = pcx * s + pcy * c + ay;
    let rect = NormRect {
        x_center: cx / width,
        y_center: cy / height,
        width: (pmax_x - pmin_x) / width,
        height: (pmax_y - pmin_y) / height,
        rotation,
    };
    LANDMARKS_TO_HAND.apply(rect, width, height)
}

/// Intersection over union of the axis-aligned extents of two rectangles (rotation ignored, as
/// MediaPipe's association does).
pub fn iou(a: &NormRect, b: &NormRect) -> f32 {
    let (ax0, ax1) = (a.x_center - a.width / 2.0, a.x_center + a.width / 2.0);
    let (ay0, ay1) = (a.y_center - a.height / 2.0, a.y_center + a.height / 2.0);
    let (bx0, bx1) = (b.x_center - b.width / 2.0, b.x_center + b.width / 2.0);
    let (by0, by1) = (b.y_center - b.height / 2.0, b.y_center + b.height / 2.0);
    let iw = (ax1.min(bx1) - ax0.max(bx0)).max(0.0);
    let ih = (ay1.min(by1) - ay0.max(by0)).max(0.0);
    let inter = iw * ih;
    let union = a.width * a.height + b.width * b.height - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn palm(keypoints: [[f32; 2]; 7]) -> PalmDetection {
        PalmDetection {
            score: 0.9,
            xmin: 0.4,
            ymin: 0.4,
            xmax: 0.6,
            ymax: 0.6,
            keypoints,
        }
    }

    #[test]
    fn upright_palm_gives_unrotated_roi_shifted_towards_fingers() {
        // Wrist below the middle-finger base: the hand points up, no rotation needed.
        let mut kp = [[0.5, 0.5]; 7];
        kp[0] = [0.5, 0.6];
        kp[2] = [0.5, 0.4];
        let roi = palm_to_roi(&palm(kp), 100.0, 100.0);
        assert!(roi.rotation.abs() < 1e-6);
        assert!((roi.width - 0.52).abs() < 1e-5 && (roi.height - 0.52).abs() < 1e-5);
        assert!((roi.x_center - 0.5).abs() < 1e-6);
        assert!(
            (roi.y_center - 0.4).abs() < 1e-6,
            "shifted up by half the palm: {}",
            roi.y_center
        );
    }

    #[test]
    fn hand_pointing_right_is_rotated_a_quarter_turn_and_shifted_right() {
        let mut kp = [[0.5, 0.5]; 7];
        kp[0] = [0.4, 0.5];
        kp[2] = [0.6, 0.5];
        let roi = palm_to_roi(&palm(kp), 100.0, 100.0);
        assert!((roi.rotation - PI / 2.0).abs() < 1e-5, "{}", roi.rotation);
        assert!((roi.x_center - 0.6).abs() < 1e-5, "{}", roi.x_center);
        assert!((roi.y_center - 0.5).abs() < 1e-5);
    }

    #[test]
    fn square_long_makes_the_roi_square_in_pixels() {
        let rect = NormRect {
            x_center: 0.5,
            y_center: 0.5,
            width: 0.1,
            height: 0.3,
            rotation: 0.0,
        };
        let t = RectTransform {
            scale_x: 1.0,
            scale_y: 1.0,
            shift_x: 0.0,
            shift_y: 0.0,
            square_long: true,
        };
        let r = t.apply(rect, 400.0, 200.0);
        assert!((r.width * 400.0 - r.height * 200.0).abs() < 1e-3);
        assert!((r.height * 200.0 - 60.0).abs() < 1e-3);
    }

    #[test]
    fn landmarks_roi_is_centred_on_the_hand() {
        // A synthetic upright hand: wrist at the bottom, finger bases above.
        let mut lm = [[0.5f32, 0.5f32]; 21];
        lm[0] = [0.5, 0.7];
        for (i, x) in [(5, 0.45), (9, 0.5), (13, 0.55), (17, 0.6)] {
            lm[i] = [x, 0.5];
            lm[i + 1] = [x, 0.45];
        }
        lm[1] = [0.45, 0.65];
        lm[2] = [0.42, 0.6];
        lm[3] = [0.4, 0.55];
        let roi = landmarks_to_roi(&lm, 100.0, 100.0);
        assert!(roi.rotation.abs() < 1e-5, "{}", roi.rotation);
        assert!((roi.x_center - 0.5).abs() < 1e-5, "{}", roi.x_center);
        // Extent: y 0.45..0.7 -> 0.25 tall, squared and doubled, shifted up by 0.1 of 0.25.
        assert!((roi.height - 0.5).abs() < 1e-5, "{}", roi.height);
        assert!(
            (roi.y_center - (0.575 - 0.025)).abs() < 1e-5,
            "{}",
            roi.y_center
        );
    }

    #[test]
    fn iou_of_identical_rects_is_one_and_of_disjoint_is_zero() {
        let a = NormRect {
            x_center: 0.3,
            y_center: 0.3,
            width: 0.2,
            height: 0.2,
            rotation: 0.0,
        };
        let b = NormRect { x_center: 0.8, ..a };
        assert!((iou(&a, &a) - 1.0).abs() < 1e-6);
        assert_eq!(iou(&a, &b), 0.0);
    }

    #[test]
    fn normalize_radians_wraps_into_range() {
        assert!((normalize_radians(3.0 * PI) - (-PI)).abs() < 1e-5);
        assert!((normalize_radians(0.5) - 0.5).abs() < 1e-6);
    }
}
