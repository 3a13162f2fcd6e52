//! Bytes in, an RGB frame out: format sniffing, a dimension check from the header before any
//! pixel is decoded, decoding (JPEG, PNG, WebP) and a downscale to the working size.
//! Results are later reported in the original image's pixel coordinates.

use std::io::Cursor;
use std::time::{Duration, Instant};

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::U8x3;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{ImageFormat, ImageReader, RgbImage};

use crate::error::VisionError;

/// Limits applied to every input image.
#[derive(Clone, Debug)]
pub struct ImageLimits {
    /// Frames whose long side exceeds this are downscaled (aspect kept) before inference.
    pub max_long_side: u32,
    /// Frames whose short side exceeds this are downscaled (aspect kept) before inference.
    pub max_short_side: u32,
    /// Images declaring more pixels than this in their header are refused without decoding.
    pub max_pixels: u64,
}

impl Default for ImageLimits {
    /// 640x480 working size (either orientation), as the original; 40 megapixels at most.
    fn default() -> Self {
        ImageLimits {
            max_long_side: 640,
            max_short_side: 480,
            max_pixels: 40_000_000,
        }
    }
}

/// A decoded frame ready for the pipeline.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The pixels the models see: the original, or a downscaled copy.
    pub rgb: RgbImage,
    pub original_width: u32,
    pub original_height: u32,
    pub decode_time: Duration,
    pub resize_time: Duration,
}

impl Frame {
    /// Wraps already-decoded pixels, downscaling them to the limits.
    pub fn from_rgb(rgb: RgbImage, limits: &ImageLimits) -> Result<Frame, VisionError> {
        let (w, h) = rgb.dimensions();
        let start = Instant::now();
        let rgb = downscale(rgb, limits)?;
        Ok(Frame {
            rgb,
            original_width: w,
            original_height: h,
            decode_time: Duration::ZERO,
            resize_time: start.elapsed(),
        })
    }
}

/// Decodes `bytes` as JPEG, PNG or WebP and downscales to the limits.
pub fn decode_image(bytes: &[u8], limits: &ImageLimits) -> Result<Frame, VisionError> {
    let start = Instant::now();
    if bytes.is_empty() {
        return Err(VisionError::Decode("empty input".into()));
    }
    let format = image::guess_format(bytes)
        .map_err(|_| VisionError::UnsupportedFormat("not a JPEG, PNG or WebP image".into()))?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(VisionError::UnsupportedFormat(format!(
            "{format:?} (we accept JPEG, PNG and WebP)"
        )));
    }
    let rgb = match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, limits)?,
        _ => decode_other(bytes, format, limits)?,
    };
    let decode_time = start.elapsed();
    Ok(Frame {
        decode_time,
        ..Frame::from_rgb(rgb, limits)?
    })
}

/// Refuses a zero-sized image or one with more pixels than the limits allow.
fn check_dimensions(width: u32, height: u32, limits: &ImageLimits) -> Result<(), VisionError> {
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(VisionError::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    Ok(())
}

/// JPEG through libjpeg-turbo's decoder (the `mozjpeg` crate): the same integer IDCT, chroma
/// upsampling and colour conversion as OpenCV's `imread`, with which MediaPipe's reference
/// output was made, so the models see the very pixels MediaPipe saw (see docs/models.md).
fn decode_jpeg(bytes: &[u8], limits: &ImageLimits) -> Result<RgbImage, VisionError> {
    if !jpeg_is_complete(bytes) {
        return Err(VisionError::Decode(
            "truncated JPEG: no end-of-image marker after the image data".into(),
        ));
    }
    // libjpeg reports a fatal error by unwinding out of the decoder; it is caught here.
    let decoded = std::panic::catch_unwind(|| -> Result<RgbImage, VisionError> {
        let io = |e: std::io::Error| VisionError::Decode(e.to_string());
        let header = mozjpeg::Decompress::with_markers(mozjpeg::NO_MARKERS)
            .from_mem(bytes)
            .map_err(io)?;
        let (width, height) = header.size();
        let (width, height) = (
            u32::try_from(width).unwrap_or(u32::MAX),
            u32::try_from(height).unwrap_or(u32::MAX),
        );
        check_dimensions(width, height, limits)?;
        let mut started = header.rgb().map_err(io)?;
        let pixels = started.read_scanlines::<u8>().map_err(io)?;
        started.finish().map_err(io)?;
        RgbImage::from_raw(width, height, pixels)
            .ok_or_else(|| VisionError::Decode("JPEG decoder returned too few rows".into()))
    });
    decoded.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("invalid JPEG");
        Err(VisionError::Decode(message.to_string()))
    })
}

/// PNG and WebP through the `image` crate, with its allocation limit set from the header.
fn decode_other(
    bytes: &[u8],
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<RgbImage, VisionError> {
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| VisionError::Decode(e.to_string()))?;
    check_dimensions(width, height, limits)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    // Decoded RGBA plus codec scratch; anything beyond is a lie in the header.
    decode_limits.max_alloc = Some(u64::from(width) * u64::from(height) * 8 + (16 << 20));
    reader.limits(decode_limits);
    let decoded = reader
        .decode()
        .map_err(|e| VisionError::Decode(e.to_string()))?;
    Ok(decoded.into_rgb8())
}

/// Whether a JPEG's last scan is followed by an end-of-image marker. The decoder would quietly
/// fill a cut-off image with grey; we refuse it instead. Inside entropy-coded data 0xFF is always
/// followed by 0x00 or a restart marker, so 0xFFD9 after the last start-of-scan (0xFFDA) can
/// only be the real end (an EXIF thumbnail's end marker comes before the main image's scan).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    match last_scan {
        Some(sos) => bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    }
}

/// The size a `width` x `height` image is scaled to so that it fits the limits in either
/// orientation (a portrait frame may be 480 wide and 640 high). Never upscales.
pub fn working_size(width: u32, height: u32, limits: &ImageLimits) -> (u32, u32) {
    let (long, short) = (width.max(height) as f64, width.min(height) as f64);
    let scale = (limits.max_long_side as f64 / long)
        .min(limits.max_short_side as f64 / short)
        .min(1.0);
    if scale >= 1.0 {
        return (width, height);
    }
    let w = ((width as f64 * scale).round() as u32).max(1);
    let h = ((height as f64 * scale).round() as u32).max(1);
    (w, h)
}

fn downscale(rgb: RgbImage, limits: &ImageLimits) -> Result<RgbImage, VisionError> {
    let (w, h) = rgb.dimensions();
    let (tw, th) = working_size(w, h, limits);
    if (tw, th) == (w, h) {
        return Ok(rgb);
    }
    // The typed API: only the RGB8 resampler is compiled (the untyped one instantiates every
    // pixel type's, most of this crate's build time).
    let resize_err = |e: &dyn std::fmt::Display| VisionError::Decode(format!("resize: {e}"));
    let src = TypedImageRef::<U8x3>::from_buffer(w, h, rgb.as_raw()).map_err(|e| resize_err(&e))?;
    let mut out = vec![0u8; tw as usize * th as usize * 3];
    let mut dst = TypedImage::<U8x3>::from_buffer(tw, th, &mut out).map_err(|e| resize_err(&e))?;
    Resizer::new()
        .resize_typed(
            &src,
            &mut dst,
            &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
        )
        .map_err(|e| resize_err(&e))?;
    RgbImage::from_raw(tw, th, out)
        .ok_or_else(|| VisionError::Decode("resize produced a short buffer".into()))
}

/// Splits an MJPEG stream (concatenated JPEG frames, as a browser's fake camera or `ffmpeg -f
/// mjpeg` writes them) at each start-of-image marker that directly follows an end-of-image marker.
pub fn split_mjpeg(bytes: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    let mut start = 0;
    for i in 2..bytes.len().saturating_sub(1) {
        if bytes[i] == 0xFF && bytes[i + 1] == 0xD8 && bytes[i - 2] == 0xFF && bytes[i - 1] == 0xD9
        {
            frames.push(&bytes[start..i]);
            start = i;
        }
    }
    if start < bytes.len() {
        frames.push(&bytes[start..]);
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        encode(
            &RgbImage::from_pixel(w, h, image::Rgb([10, 20, 30])),
            ImageFormat::Png,
        )
    }

    /// A JPEG of `img` and the offset of its start-of-frame (SOF0) marker.
    fn jpeg_and_sof(img: &RgbImage) -> (Vec<u8>, usize) {
        let jpeg = encode(img, ImageFormat::Jpeg);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        (jpeg, sof)
    }

    #[test]
    fn large_frame_is_downscaled_with_aspect_kept() {
        assert_eq!(working_size(1280, 960, &ImageLimits::default()), (640, 480));
        assert_eq!(working_size(620, 1080, &ImageLimits::default()), (367, 640));
        assert_eq!(working_size(224, 224, &ImageLimits::default()), (224, 224));
        let frame = decode_image(&png_bytes(1280, 720), &ImageLimits::default()).unwrap();
        assert_eq!(frame.rgb.dimensions(), (640, 360));
        assert_eq!((frame.original_width, frame.original_height), (1280, 720));
    }

    #[test]
    fn empty_and_garbage_inputs_are_clear_errors() {
        assert!(matches!(
            decode_image(b"", &ImageLimits::default()),
            Err(VisionError::Decode(_))
        ));
        assert!(matches!(
            decode_image(b"hello, this is text", &ImageLimits::default()),
            Err(VisionError::UnsupportedFormat(_))
        ));
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(matches!(
            decode_image(gif, &ImageLimits::default()),
            Err(VisionError::UnsupportedFormat(_))
        ));
    }

    #[test]
    fn truncated_png_is_a_decode_error() {
        let bytes = png_bytes(64, 64);
        let err = decode_image(&bytes[..bytes.len() / 2], &ImageLimits::default()).unwrap_err();
        assert!(matches!(err, VisionError::Decode(_)), "{err}");
    }

    #[test]
    fn truncated_jpeg_is_a_decode_error_not_a_grey_frame() {
        let img = RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 4) as u8, 128])
        });
        let jpeg = encode(&img, ImageFormat::Jpeg);
        assert!(decode_image(&jpeg, &ImageLimits::default()).is_ok());
        let err = decode_image(&jpeg[..jpeg.len() * 2 / 3], &ImageLimits::default()).unwrap_err();
        assert!(matches!(err, VisionError::Decode(_)), "{err}");
    }

    #[test]
    fn jpeg_the_decoder_rejects_is_an_error_not_a_crash() {
        // libjpeg's fatal errors unwind out of the decoder; they must come back as errors.
        let (mut jpeg, sof) =
            jpeg_and_sof(&RgbImage::from_pixel(32, 32, image::Rgb([200, 100, 50])));
        jpeg[sof + 4] = 13; // sample precision: libjpeg supports 8 (and 12)
        let err = decode_image(&jpeg, &ImageLimits::default()).unwrap_err();
        assert!(matches!(err, VisionError::Decode(_)), "{err}");
        assert!(err.to_string().contains("precision"), "{err}");
        // The decoder is still usable afterwards, and decodes the repaired file.
        jpeg[sof + 4] = 8;
        let frame = decode_image(&jpeg, &ImageLimits::default()).unwrap();
        let pixel = frame.rgb.get_pixel(16, 16).0;
        assert!(
            pixel[0].abs_diff(200) <= 3 && pixel[2].abs_diff(50) <= 3,
            "{pixel:?}"
        );
    }

    #[test]
    fn header_declaring_a_huge_image_is_refused_before_decoding() {
        // A 1x1 PNG whose header (IHDR) claims 20000x20000: refused before any pixel is decoded.
        let mut png = png_bytes(1, 1);
        png[16..20].copy_from_slice(&20000u32.to_be_bytes());
        png[20..24].copy_from_slice(&20000u32.to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]); // chunk type and data
        png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        let err = decode_image(&png, &ImageLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                VisionError::TooLarge {
                    width: 20000,
                    height: 20000,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn jpeg_header_declaring_a_huge_image_is_refused_before_decoding() {
        let (mut jpeg, sof) = jpeg_and_sof(&RgbImage::from_pixel(16, 16, image::Rgb([1, 2, 3])));
        jpeg[sof + 5..sof + 7].copy_from_slice(&30000u16.to_be_bytes()); // height
        jpeg[sof + 7..sof + 9].copy_from_slice(&30000u16.to_be_bytes()); // width
        let err = decode_image(&jpeg, &ImageLimits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                VisionError::TooLarge {
                    width: 30000,
                    height: 30000,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn mjpeg_is_split_at_frame_boundaries_only() {
        // A start-of-image marker inside a frame (not after an end-of-image) is not a boundary.
        let a = [0xFF, 0xD8, 1, 0xFF, 0xD8, 2, 0xFF, 0xD9];
        let b = [0xFF, 0xD8, 3, 0xFF, 0xD9];
        let joined: Vec<u8> = a.iter().chain(&b).copied().collect();
        assert_eq!(split_mjpeg(&joined), vec![&a[..], &b[..]]);
        assert!(split_mjpeg(&[]).is_empty());
    }
}
