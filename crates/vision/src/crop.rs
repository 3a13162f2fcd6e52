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

/// `v as f32 / 255.0` for every 8-bit `v`: the same values, without a division per channel.
fn unit_values() -> &'static [f32; 256] {
    static UNIT: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    UNIT.get_or_init(|| std::array::from_fn(|v| v as f32 / 255.0))
}

/// Samples `rect` of `image` into `out` (`out_w * out_h * 3` floats, RGB, [0, 1]).
///
/// The arithmetic is OpenCV's fixed-point bilinear `warpPerspective` on 8-bit images, which is
/// what MediaPipe runs: each source point is rounded to 1/32 pixel, the four taps are weighted
/// in 1/1024ths and the result is rounded to an 8-bit value before scaling to [0, 1]. Sampling
/// in floating point instead moves landmarks measurably on some photos (see docs/models.md).
pub fn crop_into(
    image: &RgbImage,
    rect: &PixelRect,
    out_w: usize,
    out_h: usize,
    border: Border,
    out: &mut [f32],
) {
    const SUBPIXELS: f64 = 32.0;
    debug_assert_eq!(out.len(), out_w * out_h * 3);
    let unit = unit_values();
    let (w, h) = (i64::from(image.width()), i64::from(image.height()));
    let raw = image.as_raw();
    let stride = w as usize * 3;
    // Slow path for points whose taps leave the image: where each tap reads, per `border`
    // (`None`: a zero border pixel).
    let tap = |x: i64, y: i64| -> Option<usize> {
        let (x, y) = match border {
            Border::Replicate => (x.clamp(0, w - 1), y.clamp(0, h - 1)),
            Border::Zero if x < 0 || y < 0 || x >= w || y >= h => return None,
            Border::Zero => (x, y),
        };
        Some((y * w + x) as usize * 3)
    };
    let (s, c) = f64::from(rect.rotation).sin_cos();
    let (width, height) = (f64::from(rect.width), f64::from(rect.height));
    let (sx, sy) = (width / out_w as f64, height / out_h as f64);
    let (cx, cy) = (f64::from(rect.cx), f64::from(rect.cy));
    for v in 0..out_h {
        let ly = v as f64 * sy - height / 2.0;
        let row = &mut out[v * out_w * 3..(v + 1) * out_w * 3];
        for (u, px) in row.chunks_exact_mut(3).enumerate() {
            let lx = u as f64 * sx - width / 2.0;
            let x = ((cx + lx * c - ly * s) * SUBPIXELS).round_ties_even() as i64;
            let y = ((cy + lx * s + ly * c) * SUBPIXELS).round_ties_even() as i64;
            // Whole pixel and 1/32 fraction of the point.
            let (xi, yi) = (x >> 5, y >> 5);
            let (fx, fy) = ((x & 31) as i32, (y & 31) as i32);
            let weights = [
                (32 - fx) * (32 - fy),
                fx * (32 - fy),
                (32 - fx) * fy,
                fx * fy,
            ];
            if xi >= 0 && yi >= 0 && xi + 1 < w && yi + 1 < h {
                let i = yi as usize * stride + xi as usize * 3;
                let (top, bottom) = (&raw[i..i + 6], &raw[i + stride..i + stride + 6]);
                for k in 0..3 {
                    let sum = i32::from(top[k]) * weights[0]
                        + i32::from(top[k + 3]) * weights[1]
                        + i32::from(bottom[k]) * weights[2]
                        + i32::from(bottom[k + 3]) * weights[3];
                    px[k] = unit[((sum + 512) >> 10) as usize & 0xff];
                }
            } else {
                let taps = [
                    tap(xi, yi),
                    tap(xi + 1, yi),
                    tap(xi, yi + 1),
                    tap(xi + 1, yi + 1),
                ];
                for (k, value) in px.iter_mut().enumerate() {
                    let sum: i32 = taps
                        .iter()
                        .zip(weights)
                        .map(|(i, weight)| i.map_or(0, |i| i32::from(raw[i + k]) * weight))
                        .sum();
                    *value = unit[((sum + 512) >> 10) as usize & 0xff];
                }
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
        assert!((out[2] - 128.0 / 255.0).abs() < 1e-6, "{}", out[2]); // 127.5 rounded up
        crop_into(&img, &rect, 4, 4, Border::Replicate, &mut out);
        assert!((out[2] - 1.0).abs() < 1e-6);
    }

    /// OpenCV 4.11's output for the same crop, made the way MediaPipe makes it (`boxPoints`,
    /// `getPerspectiveTransform` onto corners (0, 6), (0, 0), (6, 0), (6, 6), `warpPerspective`
    /// with `INTER_LINEAR`), on an 8x8 image whose pixel (x, y) is
    /// [(29x + 13y) mod 256, (7x + 41y) mod 256, 200]. The crop runs over the bottom edge.
    #[test]
    fn rotated_crop_matches_opencv_warp_perspective_exactly() {
        const REPLICATE: [[u8; 36]; 2] = [
            [
                54, 84, 114, 145, 175, 204, 56, 86, 116, 146, 176, 206, 57, 87, 117, 148, 178, 208,
                59, 89, 119, 149, 179, 209, 61, 91, 120, 151, 181, 211, 63, 92, 122, 153, 182, 212,
            ],
            [
                28, 49, 69, 89, 110, 130, 63, 83, 104, 124, 144, 165, 97, 117, 137, 158, 178, 198,
                130, 150, 171, 191, 211, 231, 165, 185, 205, 226, 158, 90, 199, 219, 141, 35, 23,
                44,
            ],
        ];
        const ZERO: [[u8; 36]; 2] = [
            [
                54, 84, 114, 145, 175, 204, 56, 86, 116, 146, 176, 206, 57, 87, 117, 148, 178, 208,
                59, 89, 119, 149, 179, 209, 61, 91, 120, 151, 181, 211, 61, 92, 122, 153, 182, 212,
            ],
            [
                28, 49, 69, 89, 110, 130, 63, 83, 104, 124, 144, 165, 97, 117, 137, 158, 178, 198,
                130, 150, 171, 191, 211, 231, 165, 185, 205, 226, 158, 90, 192, 219, 141, 35, 23,
                44,
            ],
        ];
        let img = RgbImage::from_fn(8, 8, |x, y| {
            image::Rgb([
                ((x * 29 + y * 13) % 256) as u8,
                ((x * 7 + y * 41) % 256) as u8,
                200,
            ])
        });
        let rect = PixelRect {
            cx: 3.3,
            cy: 4.1,
            width: 5.7,
            height: 5.7,
            rotation: 0.37,
        };
        let mut out = vec![0.0; 6 * 6 * 3];
        for (border, expected) in [(Border::Replicate, REPLICATE), (Border::Zero, ZERO)] {
            crop_into(&img, &rect, 6, 6, border, &mut out);
            for (channel, expected) in expected.iter().enumerate() {
                let ours: Vec<u8> = (0..36)
                    .map(|i| (out[i * 3 + channel] * 255.0).round() as u8)
                    .collect();
                assert_eq!(&ours[..], &expected[..], "{border:?}, channel {channel}");
            }
        }
    }
}
