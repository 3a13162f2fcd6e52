//! How much one decode of the largest image the default limits accept raises peak resident
//! memory, per format (docs/server.md, "Limits"). Each case runs in a fresh process, since a
//! process's peak (VmHWM) only rises:
//! `cargo run -p signbridge-vision --example decode_peak` (runs every case in a child process),
//! or `... --example decode_peak -- <case>` for one.
//!
//! The image is made first, then the peak is reset (/proc/self/clear_refs) and the decode
//! measured: peak after it minus resident memory before it.

use std::io::Cursor;
use std::process::Command;

use image::{ImageFormat, RgbImage, RgbaImage};
use signbridge_vision::image_input::progressive_jpeg;
use signbridge_vision::{decode_image, ImageLimits};

const MIB: f64 = 1024.0 * 1024.0;

/// (case, what it is)
const CASES: [(&str, &str); 7] = [
    ("jpeg-baseline", "baseline JPEG 4:2:0, 4000x4000 (16 MP)"),
    (
        "jpeg-progressive",
        "progressive JPEG 4:2:0, 4000x4000 (16 MP)",
    ),
    (
        "jpeg-progressive-gray",
        "progressive grey JPEG, 4000x4000 (16 MP)",
    ),
    (
        "jpeg-progressive-444",
        "progressive JPEG 4:4:4, 2900x2900 (8.4 MP)",
    ),
    ("png-rgb", "PNG RGB, 4000x4000 (16 MP)"),
    ("png-rgba16", "PNG RGBA 16-bit, 4000x4000 (16 MP)"),
    (
        "webp-lossless-rgba",
        "WebP lossless RGBA, 3200x3200 (10.2 MP)",
    ),
];

fn status(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            let kib = l.strip_prefix(field)?.strip_prefix(':')?.trim();
            kib.strip_suffix("kB")?.trim().parse::<f64>().ok()
        })
        .unwrap_or(0.0)
        * 1024.0
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

fn mozjpeg(w: usize, h: usize, progressive: bool, subsample: bool) -> Vec<u8> {
    let rgb = textured(w as u32, h as u32);
    let mut c = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    c.set_size(w, h);
    c.set_fastest_defaults();
    c.set_quality(85.0);
    if progressive {
        c.set_progressive_mode();
    }
    let s = if subsample { 2 } else { 1 };
    c.set_chroma_sampling_pixel_sizes((s, s), (s, s));
    let mut started = c.start_compress(Vec::new()).unwrap();
    started.write_scanlines(rgb.as_raw()).unwrap();
    started.finish().unwrap()
}

fn encode(img: image::DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn make(case: &str) -> Vec<u8> {
    match case {
        "jpeg-baseline" => mozjpeg(4000, 4000, false, true),
        "jpeg-progressive" => mozjpeg(4000, 4000, true, true),
        "jpeg-progressive-gray" => progressive_jpeg(4000, 4000, 1, 10),
        "jpeg-progressive-444" => mozjpeg(2900, 2900, true, false),
        "png-rgb" => encode(textured(4000, 4000).into(), ImageFormat::Png),
        "png-rgba16" => {
            let rgba = RgbaImage::from_fn(4000, 4000, |x, y| {
                image::Rgba([(x % 256) as u8, (y % 256) as u8, 7, 200])
            });
            encode(
                image::DynamicImage::ImageRgba8(rgba).to_rgba16().into(),
                ImageFormat::Png,
            )
        }
        "webp-lossless-rgba" => {
            let rgba = RgbaImage::from_fn(3200, 3200, |x, y| {
                image::Rgba([(x % 256) as u8, (y % 256) as u8, 7, 200])
            });
            encode(rgba.into(), ImageFormat::WebP)
        }
        other => panic!("unknown case {other}"),
    }
}

fn measure(case: &str) {
    let bytes = make(case);
    // Reset the peak to the present (Linux >= 4.0), so the image's making is not counted.
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
    let before = status("VmRSS");
    let frame = decode_image(&bytes, &ImageLimits::default());
    let peak = status("VmHWM");
    let what = CASES.iter().find(|(c, _)| *c == case).map_or(case, |c| c.1);
    match frame {
        Ok(f) => println!(
            "{what}: {:.1} MB file, decoded to {}x{}: peak RSS +{:.1} MiB",
            bytes.len() as f64 / 1e6,
            f.rgb.width(),
            f.rgb.height(),
            (peak - before) / MIB
        ),
        Err(e) => println!(
            "{what}: refused ({e}): peak RSS +{:.1} MiB",
            (peak - before) / MIB
        ),
    }
}

fn main() {
    match std::env::args().nth(1) {
        Some(case) => measure(&case),
        None => {
            let me = std::env::current_exe().unwrap();
            for (case, _) in CASES {
                let status = Command::new(&me).arg(case).status().unwrap();
                assert!(status.success(), "{case}");
            }
        }
    }
}
