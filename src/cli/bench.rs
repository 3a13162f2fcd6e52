//! `signbridge bench`: per-stage medians of the hand pipeline on one frame and the process's peak
//! resident memory with both models loaded. The input is re-encoded as a 640x480 JPEG (quality 85)
//! in memory, the size and format the web page sends.

use std::io::Cursor;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use image::imageops::FilterType;
use signbridge_server::memory::ProcessMemory;
use signbridge_server::{PipelineArgs, PipelineSettings};
use signbridge_vision::{decode_image, EngineKind, Frame, Precision};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Photo to benchmark with (resized to 640x480 and JPEG-encoded first).
    #[arg(long, default_value = "../shared/data/images/letters/B/B0.jpg")]
    pub image: PathBuf,
    /// Timed iterations per stage.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(n: usize, f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<Duration> {
    Ok(time_samples(n, f)?.0)
}

/// The median and the mean of `n` timed calls (after one untimed call).
fn time_samples<T>(
    n: usize,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<(Duration, Duration)> {
    f()?; // warm-up
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        std::hint::black_box(f()?);
        samples.push(start.elapsed());
    }
    let mean = samples.iter().sum::<Duration>() / n as u32;
    Ok((median(samples), mean))
}

/// `VmHWM` and `VmRSS` of this process in bytes (0 where the kernel does not say).
fn memory() -> (u64, u64) {
    let m = ProcessMemory::read();
    (m.peak_rss_bytes.unwrap_or(0), m.rss_bytes.unwrap_or(0))
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.iterations >= 1, "--iterations must be at least 1");
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let (hwm_loaded, _) = memory();
    let photo =
        image::open(&args.image).map_err(|e| anyhow::anyhow!("{}: {e}", args.image.display()))?;
    let big = photo
        .resize_exact(640, 480, FilterType::Triangle)
        .into_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 85)
        .encode_image(&big)?;
    let limits = settings.limits.clone();
    let n = args.iterations;

    let decode = time(n, || Ok(decode_image(&jpeg, &limits)?))?;
    let resize = time(n, || {
        Ok(Frame::from_rgb(
            big.clone(),
            &signbridge_vision::ImageLimits {
                max_long_side: 320,
                ..limits.clone()
            },
        )?)
    })?;
    let frame = decode_image(&jpeg, &limits)?;
    let mut palm = Vec::new();
    let mut landmark = Vec::new();
    let image_mode = time(n, || {
        let d = pipeline.detect(&frame)?;
        palm.push(d.timings.palm);
        if d.timings.landmark_runs > 0 {
            landmark.push(d.timings.landmark / d.timings.landmark_runs);
        }
        Ok(d.hands.len())
    })?;
    let mut tracker = pipeline.tracker();
    let first = tracker.process(&frame)?;
    let mut palm_runs = 0;
    let (tracked, tracked_mean) = time_samples(n, || {
        let frame = decode_image(&jpeg, &limits)?;
        let d = tracker.process(&frame)?;
        palm_runs += d.timings.palm_runs;
        Ok(d.hands.len())
    })?;
    let (hwm, rss) = memory();

    println!(
        "input: {} as a 640x480 JPEG ({} bytes), model {:?}, engine {} ({} landmark model), \
         {} iterations, 1 thread",
        args.image.display(),
        jpeg.len(),
        settings.pipeline.variant,
        pipeline.engine().kind(),
        match pipeline.engine().kind() {
            EngineKind::LiteRt => settings.pipeline.precision.name(),
            EngineKind::Tract => Precision::Exact.name(),
        },
        n
    );
    println!(
        "hands found: {} (image mode), tracked: {}",
        pipeline.detect(&frame)?.hands.len(),
        first.hands.len()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("{:<44} {:>9}", "stage", "median ms");
    println!("{:<44} {:>9.2}", "decode 640x480 JPEG", ms(decode));
    println!("{:<44} {:>9.2}", "resize 640x480 -> 320x240", ms(resize));
    println!(
        "{:<44} {:>9.2}",
        "palm detection (letterbox + model + decode)",
        ms(median(palm))
    );
    if !landmark.is_empty() {
        println!(
            "{:<44} {:>9.2}",
            "hand landmarks (crop + model), per hand",
            ms(median(landmark))
        );
    }
    println!(
        "{:<44} {:>9.2}",
        "whole frame, image mode (no decode)",
        ms(image_mode)
    );
    println!(
        "{:<44} {:>9.2}",
        "whole frame, tracking (decode + landmarks)",
        ms(tracked)
    );
    // The median frame runs no palm detection when it runs on fewer than half of the frames:
    // the mean is what a stream of frames costs.
    println!(
        "{:<44} {:>9.2}",
        "  the same, mean (palm detections included)",
        ms(tracked_mean)
    );
    println!("palm detections while tracking: {palm_runs} in {n} frames");
    println!(
        "peak RSS after loading models: {:.1} MB",
        hwm_loaded as f64 / 1e6
    );
    println!(
        "peak RSS at the end: {:.1} MB (current {:.1} MB)",
        hwm as f64 / 1e6,
        rss as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
