//! Bytes in, an RGB frame out: format sniffing, a dimension check from the header before any
//! pixel is decoded, decoding (JPEG, PNG, WebP) within a memory budget and a deadline, and a
//! downscale to the working size. Results are later reported in the original image's pixel
//! coordinates.
//!
//! What one decode may cost is bounded before and while it runs:
//! - pixels: the header's dimensions against [`ImageLimits::max_pixels`] (16 MP by default);
//! - memory: each decoder's buffers within [`ImageLimits::decode_budget`] (3 bytes per allowed
//!   pixel plus 8 MiB, 54 MiB by default): JPEG through libjpeg's own memory limit (a
//!   progressive file's whole-image coefficient buffer), PNG read row by row into the RGB
//!   frame, WebP checked from its header;
//! - work: a JPEG is decoded straight to (about) the working size with libjpeg's DCT scaling
//!   (1/2, 1/4, 1/8) when it is to be downscaled at least 2x, has at most [`MAX_JPEG_SCANS`]
//!   scans, and a decode given a deadline stops when it passes ([`VisionError::Cancelled`]);
//! - honesty: a JPEG whose data runs out or is corrupt (libjpeg would fill the rest with grey)
//!   is refused, as is one without an end-of-image marker.

use std::cell::{Cell, UnsafeCell};
use std::io::Cursor;
use std::os::raw::{c_int, c_long};
use std::time::{Duration, Instant};

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::U8x3;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{ImageFormat, RgbImage};
use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr, jpeg_progress_mgr};

use crate::error::VisionError;

/// Most scans a JPEG may have. A baseline file has one per component group; libjpeg's
/// progressive script has 10 (6 for grey), mozjpeg's optimised ones a few dozen. A "scan bomb"
/// has thousands of nearly empty scans, each of which walks the whole image.
pub const MAX_JPEG_SCANS: u32 = 100;

/// Limits applied to every input image.
#[derive(Clone, Debug)]
pub struct ImageLimits {
    /// Frames whose long side exceeds this are downscaled (aspect kept) before inference.
    pub max_long_side: u32,
    /// Frames whose short side exceeds this are downscaled (aspect kept) before inference.
    pub max_short_side: u32,
    /// Images declaring more pixels than this in their header are refused without decoding.
    /// It also sets the memory one decode may use ([`ImageLimits::decode_budget`]).
    pub max_pixels: u64,
}

/// Default [`ImageLimits::max_pixels`]: 16 MP, a 12 MP phone photo (4032x3024) with room to
/// spare. The models see at most 640x480 (0.3 MP, a webcam frame).
pub const DEFAULT_MAX_PIXELS: u64 = 16_000_000;

impl Default for ImageLimits {
    /// 640x480 working size (either orientation), as the original; 16 megapixels at most.
    fn default() -> Self {
        ImageLimits {
            max_long_side: 640,
            max_short_side: 480,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

impl ImageLimits {
    /// Bytes one decode's buffers may take: an RGB frame of `max_pixels` (3 bytes a pixel)
    /// and 8 MiB of codec state. A JPEG decoded at a reduced size, or baseline, needs far
    /// less; a progressive 4:2:0 JPEG needs 3 bytes a pixel (its coefficients), a 4:4:4 one 6
    /// (so it may have half the pixels); a WebP 4 to 6.
    pub fn decode_budget(&self) -> u64 {
        self.max_pixels.saturating_mul(3).saturating_add(8 << 20)
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
        Frame::scaled(rgb, (w, h), limits)
    }

    /// `rgb` is the image of `original` size, maybe already reduced (DCT scaling): it is
    /// brought to the working size of the original.
    fn scaled(
        rgb: RgbImage,
        original: (u32, u32),
        limits: &ImageLimits,
    ) -> Result<Frame, VisionError> {
        let start = Instant::now();
        let target = working_size(original.0, original.1, limits);
        let rgb = resize_to(rgb, target)?;
        Ok(Frame {
            rgb,
            original_width: original.0,
            original_height: original.1,
            decode_time: Duration::ZERO,
            resize_time: start.elapsed(),
        })
    }
}

/// Decodes `bytes` as JPEG, PNG or WebP and downscales to the limits.
pub fn decode_image(bytes: &[u8], limits: &ImageLimits) -> Result<Frame, VisionError> {
    decode_image_until(bytes, limits, None)
}

/// [`decode_image`] that stops with [`VisionError::Cancelled`] once `deadline` has passed
/// (checked as JPEG rows and scans and PNG rows are decoded, so a decode never runs long past
/// it; a WebP, bounded by the memory budget, is checked before and after).
pub fn decode_image_until(
    bytes: &[u8],
    limits: &ImageLimits,
    deadline: Option<Instant>,
) -> Result<Frame, VisionError> {
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
    check_deadline(deadline)?;
    let (rgb, original) = match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, limits, deadline)?,
        ImageFormat::Png => decode_png(bytes, limits, deadline)?,
        _ => decode_webp(bytes, limits)?,
    };
    check_deadline(deadline)?;
    let decode_time = start.elapsed();
    Ok(Frame {
        decode_time,
        ..Frame::scaled(rgb, original, limits)?
    })
}

fn check_deadline(deadline: Option<Instant>) -> Result<(), VisionError> {
    match deadline {
        Some(d) if Instant::now() >= d => Err(VisionError::Cancelled),
        _ => Ok(()),
    }
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

/// Refuses an image whose decoder would need more than the decode budget.
fn check_budget(
    needed: u64,
    width: u32,
    height: u32,
    limits: &ImageLimits,
) -> Result<(), VisionError> {
    let budget = limits.decode_budget();
    if needed > budget {
        return Err(VisionError::OverBudget {
            width,
            height,
            budget_mib: budget >> 20,
        });
    }
    Ok(())
}

/// The DCT scaling denominator (1, 2, 4 or 8) for a `width` x `height` JPEG: the largest
/// whose output still covers the working size, so the final resize only ever shrinks, and
/// 1 (full size, the very pixels OpenCV decodes) unless the image shrinks at least 2x.
fn jpeg_scale_denominator(width: u32, height: u32, limits: &ImageLimits) -> u32 {
    let (tw, th) = working_size(width, height, limits);
    [8, 4, 2]
        .into_iter()
        .find(|&d| width / d >= tw && height / d >= th)
        .unwrap_or(1)
}

/// Why a JPEG decode was stopped from inside libjpeg's callbacks (the unwind payload).
enum JpegStop {
    Deadline,
    Refused(String),
    OverBudget,
}

/// The current decode's guard, for libjpeg's callbacks on this thread.
#[derive(Clone, Copy)]
struct JpegGuard {
    deadline: Option<Instant>,
    scans: u32,
    budget: c_long,
}

thread_local! {
    static JPEG_GUARD: Cell<Option<JpegGuard>> = const { Cell::new(None) };
    /// libjpeg keeps a pointer to it while a decode runs on this thread.
    static JPEG_PROGRESS: UnsafeCell<jpeg_progress_mgr> = const {
        UnsafeCell::new(jpeg_progress_mgr {
            progress_monitor: Some(jpeg_progress),
            pass_counter: 0,
            pass_limit: 0,
            completed_passes: 0,
            total_passes: 0,
        })
    };
}

fn stop(why: JpegStop) -> ! {
    // resume_unwind: no panic hook, no backtrace; caught in `decode_jpeg`.
    std::panic::resume_unwind(Box::new(why))
}

/// Warnings that mean the data is cut off or corrupt: libjpeg would go on and fill the rest of
/// the image with grey (or garbage), we refuse the file.
fn fatal_warning(code: c_int) -> Option<&'static str> {
    match code {
        mozjpeg_sys::JWRN_HIT_MARKER => Some("corrupt JPEG data: premature end of data segment"),
        mozjpeg_sys::JWRN_JPEG_EOF => Some("premature end of JPEG file"),
        mozjpeg_sys::JWRN_HUFF_BAD_CODE => Some("corrupt JPEG data: bad Huffman code"),
        mozjpeg_sys::JWRN_MUST_RESYNC => Some("corrupt JPEG data: lost synchronisation"),
        mozjpeg_sys::JWRN_NOT_SEQUENTIAL => Some("invalid scan parameters for a sequential JPEG"),
        _ => None,
    }
}

/// libjpeg's message hook: warnings (level -1) and trace messages (levels 0 and up; called
/// whatever the trace level). Counts scans, installs the progress monitor and the memory
/// limit at the start of the image, refuses corrupt data.
extern "C-unwind" fn jpeg_message(cinfo: &mut jpeg_common_struct, level: c_int) {
    // SAFETY: libjpeg calls this with its own `cinfo`, whose `err` is our error manager.
    let code = unsafe { (*cinfo.err).msg_code };
    let Some(mut guard) = JPEG_GUARD.with(Cell::get) else {
        return;
    };
    if level < 0 {
        if let Some(why) = fatal_warning(code) {
            stop(JpegStop::Refused(why.into()));
        }
        return;
    }
    match code {
        mozjpeg_sys::JTRC_SOI => {
            // SAFETY: `mem` is set by jpeg_create_decompress; the progress manager is a
            // thread-local that outlives this decode (it runs on this thread).
            unsafe {
                (*cinfo.mem).max_memory_to_use = guard.budget;
                cinfo.progress = JPEG_PROGRESS.with(UnsafeCell::get);
            }
        }
        mozjpeg_sys::JTRC_SOS => {
            guard.scans += 1;
            JPEG_GUARD.with(|g| g.set(Some(guard)));
            if guard.scans > MAX_JPEG_SCANS {
                stop(JpegStop::Refused(format!(
                    "more than {MAX_JPEG_SCANS} scans (a scan bomb?)"
                )));
            }
            if guard.deadline.is_some_and(|d| Instant::now() >= d) {
                stop(JpegStop::Deadline);
            }
        }
        _ => {}
    }
}

/// libjpeg's progress monitor: called for every row group read (also while a multi-scan file's
/// scans are consumed), so the deadline is checked as the decode goes.
extern "C-unwind" fn jpeg_progress(_cinfo: &mut jpeg_common_struct) {
    let deadline = JPEG_GUARD.with(Cell::get).and_then(|g| g.deadline);
    if deadline.is_some_and(|d| Instant::now() >= d) {
        stop(JpegStop::Deadline);
    }
}

/// libjpeg's fatal errors: unwound out of the decoder with the formatted message.
extern "C-unwind" fn jpeg_error_exit(cinfo: &mut jpeg_common_struct) {
    // SAFETY: as in `jpeg_message`; format_message writes at most 80 bytes (JMSG_LENGTH_MAX)
    // into the buffer, which bindgen declared as a shared reference.
    let (code, message) = unsafe {
        let err = &*cinfo.err;
        let mut buffer = [0u8; 80];
        if let Some(format) = err.format_message {
            let format: unsafe extern "C-unwind" fn(&mut jpeg_common_struct, &mut [u8; 80]) =
                std::mem::transmute(format);
            format(cinfo, &mut buffer);
        }
        let text = buffer.split(|&c| c == 0).next().unwrap_or_default();
        (err.msg_code, String::from_utf8_lossy(text).into_owned())
    };
    if code == mozjpeg_sys::JERR_NO_BACKING_STORE {
        stop(JpegStop::OverBudget);
    }
    stop(JpegStop::Refused(message))
}

fn jpeg_error_mgr() -> jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills every field of a zeroed manager.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(jpeg_error_exit);
    err.emit_message = Some(jpeg_message);
    err
}

/// Sets the thread's JPEG guard for as long as it lives.
struct GuardScope;

impl GuardScope {
    fn enter(guard: JpegGuard) -> GuardScope {
        JPEG_GUARD.with(|g| g.set(Some(guard)));
        GuardScope
    }
}

impl Drop for GuardScope {
    fn drop(&mut self) {
        JPEG_GUARD.with(|g| g.set(None));
    }
}

/// JPEG through libjpeg-turbo's decoder (the `mozjpeg` crate): the same integer IDCT, chroma
/// upsampling and colour conversion as OpenCV's `imread`, with which MediaPipe's reference
/// output was made, so the models see the very pixels MediaPipe saw (see docs/models.md).
/// A JPEG that will be downscaled at least 2x is decoded at 1/2, 1/4 or 1/8 of its size.
/// Returns the pixels and the original size.
fn decode_jpeg(
    bytes: &[u8],
    limits: &ImageLimits,
    deadline: Option<Instant>,
) -> Result<(RgbImage, (u32, u32)), VisionError> {
    if !jpeg_is_complete(bytes) {
        return Err(VisionError::Decode(
            "truncated JPEG: no end-of-image marker after the image data".into(),
        ));
    }
    let _scope = GuardScope::enter(JpegGuard {
        deadline,
        scans: 0,
        budget: c_long::try_from(limits.decode_budget()).unwrap_or(c_long::MAX),
    });
    let size = Cell::new((0u32, 0u32));
    // libjpeg reports a fatal error by unwinding out of the decoder; it is caught here.
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> Result<RgbImage, VisionError> {
            let io = |e: std::io::Error| VisionError::Decode(e.to_string());
            let mut header = mozjpeg::Decompress::with_err(jpeg_error_mgr())
                .from_mem(bytes)
                .map_err(io)?;
            let (width, height) = header.size();
            let (width, height) = (
                u32::try_from(width).unwrap_or(u32::MAX),
                u32::try_from(height).unwrap_or(u32::MAX),
            );
            size.set((width, height));
            check_dimensions(width, height, limits)?;
            let denominator = jpeg_scale_denominator(width, height, limits);
            if denominator > 1 {
                header.scale((8 / denominator) as u8);
            }
            let mut started = header.rgb().map_err(io)?;
            let (out_w, out_h) = (started.width(), started.height());
            let pixels = started.read_scanlines::<u8>().map_err(io)?;
            started.finish().map_err(io)?;
            RgbImage::from_raw(
                u32::try_from(out_w).unwrap_or(u32::MAX),
                u32::try_from(out_h).unwrap_or(u32::MAX),
                pixels,
            )
            .ok_or_else(|| VisionError::Decode("JPEG decoder returned too few rows".into()))
        },
    ));
    let (width, height) = size.get();
    match decoded {
        Ok(result) => result.map(|rgb| (rgb, (width, height))),
        Err(payload) => Err(match payload.downcast::<JpegStop>() {
            Ok(why) => match *why {
                JpegStop::Deadline => VisionError::Cancelled,
                JpegStop::Refused(message) => VisionError::Decode(message),
                JpegStop::OverBudget => VisionError::OverBudget {
                    width,
                    height,
                    budget_mib: limits.decode_budget() >> 20,
                },
            },
            Err(other) => VisionError::Decode(
                other
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| other.downcast_ref::<&str>().copied())
                    .unwrap_or("invalid JPEG")
                    .to_string(),
            ),
        }),
    }
}

/// PNG row by row (the `png` crate, as the `image` crate uses it: palettes, low bit depths and
/// transparency expanded), each row converted to RGB in place in the frame: 3 bytes a pixel
/// and one row of scratch, where decoding whole would hold an RGBA (or 16-bit) copy too.
/// Interlaced files, whose rows come in seven passes, are decoded whole (within the budget).
fn decode_png(
    bytes: &[u8],
    limits: &ImageLimits,
    deadline: Option<Instant>,
) -> Result<(RgbImage, (u32, u32)), VisionError> {
    let err = |e: png::DecodingError| VisionError::Decode(e.to_string());
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    decoder.set_limits(png::Limits {
        bytes: usize::try_from(limits.decode_budget()).unwrap_or(usize::MAX),
    });
    let mut reader = decoder.read_info().map_err(err)?;
    let (width, height, interlaced) = {
        let info = reader.info();
        (info.width, info.height, info.interlaced)
    };
    check_dimensions(width, height, limits)?;
    let (color, depth) = reader.output_color_type();
    let channels = color.samples();
    let sample_bytes = if depth == png::BitDepth::Sixteen {
        2
    } else {
        1
    };
    let frame_bytes = u64::from(width) * u64::from(height) * 3;
    let line = reader
        .output_line_size(width)
        .ok_or_else(|| VisionError::Decode("PNG row size overflows".into()))?;
    let whole = if interlaced {
        line as u64 * u64::from(height)
    } else {
        line as u64
    };
    check_budget(frame_bytes + whole, width, height, limits)?;
    let mut rgb = vec![0u8; frame_bytes as usize];
    let row_rgb = width as usize * 3;
    let convert = |src: &[u8], dst: &mut [u8]| {
        let sample = |px: &[u8], i: usize| -> u8 {
            if sample_bytes == 2 {
                let v = u32::from(u16::from_be_bytes([px[2 * i], px[2 * i + 1]]));
                ((v + 128) / 257) as u8
            } else {
                px[i]
            }
        };
        for (px, out) in src
            .chunks_exact(channels * sample_bytes)
            .zip(dst.chunks_exact_mut(3))
        {
            if channels >= 3 {
                out.copy_from_slice(&[sample(px, 0), sample(px, 1), sample(px, 2)]);
            } else {
                out.fill(sample(px, 0));
            }
        }
    };
    if interlaced {
        let mut whole = vec![0u8; whole as usize];
        reader.next_frame(&mut whole).map_err(err)?;
        for (src, dst) in whole.chunks_exact(line).zip(rgb.chunks_exact_mut(row_rgb)) {
            convert(src, dst);
        }
    } else {
        for (y, dst) in rgb.chunks_exact_mut(row_rgb).enumerate() {
            if y % 64 == 0 {
                check_deadline(deadline)?;
            }
            let row = reader
                .next_row()
                .map_err(err)?
                .ok_or_else(|| VisionError::Decode("truncated PNG: rows missing".into()))?;
            convert(row.data(), dst);
        }
    }
    let rgb = RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| VisionError::Decode("PNG decoder returned too few rows".into()))?;
    Ok((rgb, (width, height)))
}

/// WebP through `image-webp` (the `image` crate's decoder), checked against the decode budget
/// from its header: the output (RGB, or RGBA with alpha, made RGB in place) and, for a lossy
/// file, its YUV planes.
fn decode_webp(bytes: &[u8], limits: &ImageLimits) -> Result<(RgbImage, (u32, u32)), VisionError> {
    let err = |e: image_webp::DecodingError| VisionError::Decode(e.to_string());
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(err)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let pixels = u64::from(width) * u64::from(height);
    let alpha = decoder.has_alpha();
    let output = pixels * if alpha { 4 } else { 3 };
    let scratch = if decoder.is_lossy() {
        pixels * 2
    } else {
        pixels
    };
    check_budget(output + scratch, width, height, limits)?;
    decoder.set_memory_limit(usize::try_from(limits.decode_budget()).unwrap_or(usize::MAX));
    let mut buf = vec![0u8; output as usize];
    decoder.read_image(&mut buf).map_err(err)?;
    if alpha {
        for i in 0..pixels as usize {
            buf.copy_within(4 * i..4 * i + 3, 3 * i);
        }
        buf.truncate(pixels as usize * 3);
        buf.shrink_to_fit();
    }
    let rgb = RgbImage::from_raw(width, height, buf)
        .ok_or_else(|| VisionError::Decode("WebP decoder returned too few pixels".into()))?;
    Ok((rgb, (width, height)))
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

/// `rgb` resized to `(tw, th)` (bilinear); unchanged when it already has that size.
fn resize_to(rgb: RgbImage, (tw, th): (u32, u32)) -> Result<RgbImage, VisionError> {
    let (w, h) = rgb.dimensions();
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

/// A valid progressive JPEG of a flat grey `width` x `height` image with `components` (1 or 3,
/// not subsampled) and `scans` scans in all: one DC scan, then AC scans that carry nothing but
/// end-of-band runs, so each is a few dozen bytes yet walks every block of the image. The shape
/// of a "scan bomb" (thousands of such scans), written marker by marker, for tests and for
/// measuring what a decode costs.
pub fn progressive_jpeg(width: u16, height: u16, components: u8, scans: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, len: u32) {
            for i in (0..len).rev() {
                self.acc = (self.acc << 1) | ((value >> i) & 1);
                self.n += 1;
                if self.n == 8 {
                    let byte = self.acc as u8;
                    self.out.push(byte);
                    if byte == 0xFF {
                        self.out.push(0x00);
                    }
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }
        fn finish(mut self) -> Vec<u8> {
            while self.n != 0 {
                self.put(1, 1);
            }
            self.out
        }
    }
    fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    let nc = components.clamp(1, 3);
    let mut out = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1u8; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.push(nc);
    for c in 1..=nc {
        sof.extend_from_slice(&[c, 0x11, 0]);
    }
    segment(&mut out, 0xC2, &sof);
    // DC table 0: one code ("0") for category 0, a difference of 0.
    let mut dht = vec![0x00, 1];
    dht.extend_from_slice(&[0u8; 15]);
    dht.push(0x00);
    // AC table 0: end-of-band runs EOB0..EOB14 (symbols 0x00..0xE0), 4-bit codes.
    dht.push(0x10);
    let mut counts = [0u8; 16];
    counts[3] = 15;
    dht.extend_from_slice(&counts);
    dht.extend((0..15u8).map(|r| r << 4));
    segment(&mut out, 0xC4, &dht);
    let blocks = u32::from(width).div_ceil(8) * u32::from(height).div_ceil(8);
    // The DC scan, all components interleaved: one 1-bit code per block.
    let mut sos = vec![nc];
    for c in 1..=nc {
        sos.extend_from_slice(&[c, 0x00]);
    }
    sos.extend_from_slice(&[0, 0, 0]);
    segment(&mut out, 0xDA, &sos);
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    for _ in 0..blocks * u32::from(nc) {
        bits.put(0, 1);
    }
    out.extend(bits.finish());
    // AC scans, one component each: the band is empty in every block.
    for i in 1..scans {
        let c = ((i - 1) % usize::from(nc)) as u8 + 1;
        segment(&mut out, 0xDA, &[1, c, 0x00, 1, 63, 0]);
        let mut bits = Bits {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        let mut left = blocks;
        while left > 0 {
            let run = left.min(32767);
            let r = 31 - run.leading_zeros();
            bits.put(r, 4);
            bits.put(run - (1 << r), r);
            left -= run;
        }
        out.extend(bits.finish());
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
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

    /// The error of a decode that must fail (a frame's Debug would print every pixel).
    fn refused(result: Result<Frame, VisionError>) -> VisionError {
        match result {
            Ok(frame) => panic!("decoded to {:?}", frame.rgb.dimensions()),
            Err(e) => e,
        }
    }

    /// What libjpeg gives at full size, as the decoder did before DCT scaling and guards.
    fn plain_mozjpeg(jpeg: &[u8]) -> Vec<u8> {
        mozjpeg::Decompress::new_mem(jpeg)
            .unwrap()
            .rgb()
            .unwrap()
            .read_scanlines::<u8>()
            .unwrap()
    }

    fn textured(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (x * 7 % 251) as u8,
                (y * 5 % 241) as u8,
                ((x ^ y) % 256) as u8,
            ])
        })
    }

    #[test]
    fn jpeg_at_or_under_the_working_size_is_decoded_byte_identical() {
        for (w, h) in [(640, 480), (480, 640), (224, 224), (1279, 959)] {
            let jpeg = encode(&textured(w, h), ImageFormat::Jpeg);
            let limits = ImageLimits {
                max_long_side: u32::MAX,
                max_short_side: u32::MAX,
                ..ImageLimits::default()
            };
            let frame = decode_image(&jpeg, &limits).unwrap();
            assert_eq!(
                frame.rgb.as_raw(),
                &plain_mozjpeg(&jpeg),
                "{w}x{h} full size"
            );
            if w <= 640 && h <= 640 {
                let frame = decode_image(&jpeg, &ImageLimits::default()).unwrap();
                assert_eq!(frame.rgb.as_raw(), &plain_mozjpeg(&jpeg), "{w}x{h}");
            }
        }
    }

    #[test]
    fn dct_scaling_only_when_shrinking_at_least_twice() {
        let l = ImageLimits::default();
        assert_eq!(jpeg_scale_denominator(640, 480, &l), 1);
        assert_eq!(jpeg_scale_denominator(1279, 959, &l), 1);
        assert_eq!(jpeg_scale_denominator(1280, 960, &l), 2);
        assert_eq!(jpeg_scale_denominator(4032, 3024, &l), 4);
        assert_eq!(jpeg_scale_denominator(6000, 4000, &l), 8);
        assert_eq!(jpeg_scale_denominator(620, 1080, &l), 1);
        let jpeg = encode(&textured(2560, 1920), ImageFormat::Jpeg);
        let frame = decode_image(&jpeg, &l).unwrap();
        assert_eq!(frame.rgb.dimensions(), (640, 480));
        assert_eq!((frame.original_width, frame.original_height), (2560, 1920));
    }

    #[test]
    fn half_a_jpeg_with_an_end_marker_is_refused() {
        let jpeg = encode(&textured(224, 224), ImageFormat::Jpeg);
        let mut half = jpeg[..jpeg.len() / 2].to_vec();
        half.extend_from_slice(&[0xFF, 0xD9]);
        let err = refused(decode_image(&half, &ImageLimits::default()));
        assert!(matches!(err, VisionError::Decode(_)), "{err}");
        assert!(err.to_string().contains("premature end"), "{err}");
    }

    #[test]
    fn a_jpeg_whose_header_claims_more_than_its_data_holds_is_refused() {
        let (mut jpeg, sof) = jpeg_and_sof(&textured(224, 224));
        jpeg[sof + 5..sof + 7].copy_from_slice(&6300u16.to_be_bytes());
        jpeg[sof + 7..sof + 9].copy_from_slice(&6300u16.to_be_bytes());
        // Over the default pixel limit: refused from the header.
        let err = refused(decode_image(&jpeg, &ImageLimits::default()));
        assert!(matches!(err, VisionError::TooLarge { .. }), "{err}");
        // Under a limit it fits: the data runs out, and that is an error, not a grey frame.
        let roomy = ImageLimits {
            max_pixels: 40_000_000,
            ..ImageLimits::default()
        };
        let err = refused(decode_image(&jpeg, &roomy));
        assert!(matches!(err, VisionError::Decode(_)), "{err}");
    }

    #[test]
    fn crafted_progressive_jpeg_decodes_to_grey() {
        let jpeg = progressive_jpeg(64, 48, 3, 10);
        let frame = decode_image(&jpeg, &ImageLimits::default()).unwrap();
        assert_eq!(frame.rgb.dimensions(), (64, 48));
        assert_eq!(frame.rgb.get_pixel(10, 10).0, [128, 128, 128]);
    }

    #[test]
    fn a_scan_bomb_is_refused_after_the_scan_cap() {
        let bomb = progressive_jpeg(1024, 1024, 1, 5000);
        let started = Instant::now();
        let err = refused(decode_image(&bomb, &ImageLimits::default()));
        assert!(err.to_string().contains("scans"), "{err}");
        // Refused after MAX_JPEG_SCANS scans, not all 5000: generous, not a timing test.
        assert!(started.elapsed() < Duration::from_secs(5));
        let ok = progressive_jpeg(256, 256, 1, MAX_JPEG_SCANS as usize);
        assert!(decode_image(&ok, &ImageLimits::default()).is_ok());
    }

    #[test]
    fn a_decode_past_its_deadline_stops() {
        let jpeg = progressive_jpeg(512, 512, 3, 40);
        let past = Some(Instant::now());
        let err = refused(decode_image_until(&jpeg, &ImageLimits::default(), past));
        assert!(matches!(err, VisionError::Cancelled), "{err}");
        let png = png_bytes(300, 200);
        let err = refused(decode_image_until(&png, &ImageLimits::default(), past));
        assert!(matches!(err, VisionError::Cancelled), "{err}");
        // A deadline that passes while libjpeg works through the scans of a 16 MP image.
        let big = progressive_jpeg(4000, 4000, 1, MAX_JPEG_SCANS as usize);
        let soon = Some(Instant::now() + Duration::from_millis(5));
        let err = refused(decode_image_until(&big, &ImageLimits::default(), soon));
        assert!(matches!(err, VisionError::Cancelled), "{err}");
        // The guard of one decode does not leak into the next one on the thread.
        assert!(decode_image(&jpeg, &ImageLimits::default()).is_ok());
    }

    #[test]
    fn a_progressive_jpeg_over_the_memory_budget_is_refused() {
        // 4:4:4 progressive: 6 bytes of coefficients a pixel, 24 MB here; 4 MP allowed is a
        // 20 MiB budget.
        let limits = ImageLimits {
            max_pixels: 4_000_000,
            ..ImageLimits::default()
        };
        let jpeg = progressive_jpeg(2000, 1990, 3, 4);
        let err = refused(decode_image(&jpeg, &limits));
        assert!(matches!(err, VisionError::OverBudget { .. }), "{err}");
        // Grey (2 bytes a pixel) of the same size fits.
        assert!(decode_image(&progressive_jpeg(2000, 1990, 1, 4), &limits).is_ok());
    }

    #[test]
    fn png_and_webp_rows_match_the_image_crates_pixels() {
        let rgb = textured(97, 61);
        let rgba = image::DynamicImage::ImageRgb8(rgb.clone()).into_rgba8();
        let gray = image::DynamicImage::ImageRgb8(rgb.clone()).into_luma8();
        let rgb16 = image::DynamicImage::ImageRgb8(rgb.clone()).into_rgb16();
        let images = [
            image::DynamicImage::ImageRgb8(rgb),
            image::DynamicImage::ImageRgba8(rgba),
            image::DynamicImage::ImageLuma8(gray),
            image::DynamicImage::ImageRgb16(rgb16),
        ];
        for img in &images {
            for format in [ImageFormat::Png, ImageFormat::WebP] {
                if format == ImageFormat::WebP && img.color().bytes_per_pixel() > 4 {
                    continue;
                }
                let mut bytes = Vec::new();
                img.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
                let want = image::load_from_memory(&bytes).unwrap().into_rgb8();
                let frame = decode_image(&bytes, &ImageLimits::default()).unwrap();
                assert_eq!(frame.rgb, want, "{format:?} {:?}", img.color());
            }
        }
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
