//! The crop transform: a rotated rectangle of the image resampled into a square model input with
//! bilinear sampling (as OpenCV's `warpPerspective` does for MediaPipe), values in [0, 1].
//! Output pixel (u, v) samples the image at the point that the rectangle maps there; output
//! corners coincide with the rectangle's corners.

use image::RgbImage;

/// What to sample outside the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    /// Black (the palm detector's letterbox).
    Zero,
    /// The nearest edge pixel (the landmark crop).
    Replicate,
}

/// A rotated rectangle in pixels of the image being sampled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelRect {
    pub cx: f32,
    pub cy: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
}

impl PixelRect {
    /// Image point for output pixel (u, v) of an `out_w` x `out_h` crop.
    pub fn to_image(&self, u: f32, v: f32, out_w: usize, out_h: usize) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let lx = (u / out_w as f32 - 0.5) * self.width;
        let ly = (v / out_h as f32 - 0.5) * self.height;
        (self.cx + lx * c - ly * s, self.cy + lx * s + ly * c)
    }

    /// Inverse of [`PixelRect::to_image`]: crop coordinates of an image point.
    pub fn to_crop(&self, x: f32, y: f32, out_w: usize, out_h: usize) -> (f32, f32) {
        let (s, c) = self.rotation.sin_cos();
        let (dx, dy) = (x - self.cx, y - self.cy);
        let lx = dx * c + dy * s;
        let ly = -dx * s + dy * c;
        (
            (lx / self.width + 0.5) * out_w as f32,
            (ly / self.height + 0.5) * out_h as f32,
        )
    }
}

/// Samples `rect` of `image` into `out` (`out_w * out_h * 3` floats, RGB, [0, 1]).
pub fn crop_into(
    image: &RgbImage,
    rect: &PixelRect,
    out_w: usize,
    out_h: usize,
    border: Border,
    out: &mut [f32],
) {
    debug_assert_eq!(out.len(), out_w * out_h * 3);
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let pixel = |x: i64, y: i64| -> [f32; 3] {
        let (x, y) = match border {
            Border::Replicate => (x.clamp(0, w - 1), y.clamp(0, h - 1)),
            Border::Zero if x < 0 || y < 0 || x >= w || y >= h => return [0.0; 3],
            Border::Zero => (x, y),
        };
        let i = ((y * w + x) * 3) as usize;
        [raw[i] as f32, raw[i + 1] as f32, raw[i + 2] as f32]
    };
    let (s, c) = rect.rotation.sin_cos();
    let (sx, sy) = (rect.width / out_w as f32, rect.height / out_h as f32);
    for v in 0..out_h {
        let ly = v as f32 * sy - rect.height / 2.0;
        for u in 0..out_w {
            let lx = u as f32 * sx - rect.width / 2.0;
            let x = rect.cx + lx * c - ly * s;
            let y = rect.cy + lx * s + ly * c;
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (xi, yi) = (x0 as i64, y0 as i64);
            let p00 = pixel(xi, yi);
            let p10 = pixel(xi + 1, yi);
            let p01 = pixel(xi, yi + 1);
            let p11 = pixel(xi + 1, yi + 1);
            let o = (v * out_w + u) * 3;
            for k in 0..3 {
                let top = p00[k] + (p10[k] - p00[k]) * fx;
                let bottom = p01[k] + (p11[k] - p01[k]) * fx;
                out[o + k] = (top + (bottom - top) * fy) / 255.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_transform_and_its_inverse_agree() {
        let rect = PixelRect {
            cx: 120.0,
            cy: 80.0,
            width: 90.0,
            height: 90.0,
            rotation: 0.7,
        };
        for (u, v) in [(0.0, 0.0), (224.0, 0.0), (112.0, 112.0), (13.5, 200.25)] {
            let (x, y) = rect.to_image(u, v, 224, 224);
            let (u2, v2) = rect.to_crop(x, y, 224, 224);
            assert!(
                (u - u2).abs() < 1e-3 && (v - v2).abs() < 1e-3,
                "({u},{v}) -> ({u2},{v2})"
            );
        }
        // The crop's centre is the rectangle's centre whatever the rotation.
        let (x, y) = rect.to_image(112.0, 112.0, 224, 224);
        assert!((x - 120.0).abs() < 1e-4 && (y - 80.0).abs() < 1e-4);
    }

    #[test]
    fn quarter_turn_maps_crop_right_to_image_down() {
        let rect = PixelRect {
            cx: 50.0,
            cy: 50.0,
            width: 20.0,
            height: 20.0,
            rotation: std::f32::consts::FRAC_PI_2,
        };
        let (x, y) = rect.to_image(20.0, 10.0, 20, 20);
        assert!(
            (x - 50.0).abs() < 1e-4 && (y - 60.0).abs() < 1e-4,
            "({x},{y})"
        );
    }

    #[test]
    fn unrotated_crop_samples_pixels_exactly_and_borders_as_asked() {
        let mut img = RgbImage::new(4, 4);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x * 10) as u8, (y * 10) as u8, 255]);
        }
        // A 4x4 crop whose corners are the image's corners samples integer pixels.
        let rect = PixelRect {
            cx: 2.0,
            cy: 2.0,
            width: 4.0,
            height: 4.0,
            rotation: 0.0,
        };
        let mut out = vec![0.0; 4 * 4 * 3];
        crop_into(&img, &rect, 4, 4, Border::Zero, &mut out);
        assert!((out[(4 + 2) * 3] - 20.0 / 255.0).abs() < 1e-6); // (u=2, v=1): x=2
        assert!((out[(4 + 2) * 3 + 1] - 10.0 / 255.0).abs() < 1e-6); // y=1
                                                                     // Shifted half a pixel left of the image: zero border blends with black, replicate does not.
        let rect = PixelRect {
            cx: 1.5,
            cy: 2.0,
            width: 4.0,
            height: 4.0,
            rotation: 0.0,
        };
        crop_into(&img, &rect, 4, 4, Border::Zero, &mut out);
        assert!((out[2] - 0.5).abs() < 1e-6, "{}", out[2]);
        crop_into(&img, &rect, 4, 4, Border::Replicate, &mut out);
        assert!((out[2] - 1.0).abs() < 1e-6);
    }
}
