//! `signbridge train`: rebuilds the classifier's weights file from `shared/data`: the permitted
//! landmark tables plus the landmarks our own detector finds in `images/train` and in
//! `images/digits_ardamavi` (218 students; its digits 0, 2, 6 and 9 are the handshapes of O, V,
//! W and F). Detection runs
//! on every core (the models shared, each thread taking the next photo); the lines are written
//! in photo order, so the result does not depend on the number of threads.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use signbridge_server::wire::{detect_line, DetectLine};
use signbridge_server::{PipelineArgs, PipelineSettings};
use signbridge_signs::train_default;
use signbridge_vision::{Frame, HandPipeline, VisionError};

use super::read_frame;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// The shared data folder.
    #[arg(long, env = "SIGNBRIDGE_DATA", default_value = "../shared/data")]
    pub data: PathBuf,
    /// Where to write the weights file.
    #[arg(long, default_value = "crates/signs/model/classifier.json")]
    pub out: PathBuf,
    /// Keep our detector's landmarks of images/train here (JSON lines, the `detect --json` format).
    #[arg(long, default_value = "target/train_landmarks.jsonl")]
    pub landmarks: PathBuf,
    /// Keep our detector's landmarks of images/digits_ardamavi here (same format; the photos are
    /// padded before detection, so the pixels are those of the padded picture).
    #[arg(long, default_value = "target/digits_landmarks.jsonl")]
    pub digits_landmarks: PathBuf,
    /// Detection threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

/// The digit photos are 100×100 crops that the hand fills: the palm detector misses most of
/// them as they are, so each is padded to this many times its size before detection.
const DIGIT_PAD: u32 = 3;

/// The photos of every folder of `dir` (one folder per label), sorted.
fn photos_by_folder(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut photos: Vec<PathBuf> = Vec::new();
    for folder in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let folder = folder?.path();
        if folder.is_dir() {
            for photo in std::fs::read_dir(&folder)? {
                photos.push(photo?.path());
            }
        }
    }
    photos.sort();
    Ok(photos)
}

/// Detects a hand in each photo (padded by `pad`) and writes the lines to `out`.
fn detect_to_file(
    pipeline: &HandPipeline,
    settings: &PipelineSettings,
    photos: &[PathBuf],
    pad: u32,
    threads: usize,
    out: &std::path::Path,
) -> anyhow::Result<usize> {
    let lines = detect_all(pipeline, settings, photos, pad, threads)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut jsonl = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("writing {}", out.display()))?,
    );
    let mut with_hand = 0;
    for line in &lines {
        with_hand += usize::from(line.hands.as_ref().is_some_and(|h| !h.is_empty()));
        writeln!(jsonl, "{}", serde_json::to_string(line)?)?;
    }
    jsonl.flush()?;
    Ok(with_hand)
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let photos = photos_by_folder(&args.data.join("images/train"))?;
    let with_hand = detect_to_file(&pipeline, &settings, &photos, 1, threads, &args.landmarks)?;
    let digits = photos_by_folder(&args.data.join("images/digits_ardamavi"))?;
    let digits_with_hand = detect_to_file(
        &pipeline,
        &settings,
        &digits,
        DIGIT_PAD,
        threads,
        &args.digits_landmarks,
    )?;
    let detected = start.elapsed();
    eprintln!(
        "detector: hands in {with_hand} of {} training photos and {digits_with_hand} of {} \
         digit photos ({:.1} s, {threads} threads)",
        photos.len(),
        digits.len(),
        detected.as_secs_f64()
    );
    let (classifier, report) = train_default(
        &args.data,
        &[args.landmarks.clone(), args.digits_landmarks.clone()],
    )?;
    let bytes = classifier.to_bytes();
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("{}", serde_json::to_string_pretty(&report)?);
    eprintln!(
        "wrote {} ({} bytes) in {:.1} s ({:.1} s detection, {:.1} s training)",
        args.out.display(),
        bytes.len(),
        start.elapsed().as_secs_f64(),
        detected.as_secs_f64(),
        (start.elapsed() - detected).as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// `rgb` centred in a picture `pad` times its size whose border repeats its edge pixels (a
/// hand cut by the crop's edge continues into the border, as an arm would).
fn pad_by_edge(rgb: &image::RgbImage, pad: u32) -> image::RgbImage {
    let (w, h) = rgb.dimensions();
    let (pw, ph) = (w * pad, h * pad);
    let (ox, oy) = ((pw - w) / 2, (ph - h) / 2);
    image::RgbImage::from_fn(pw, ph, |x, y| {
        let sx = x.saturating_sub(ox).min(w - 1);
        let sy = y.saturating_sub(oy).min(h - 1);
        *rgb.get_pixel(sx, sy)
    })
}

/// Every photo's `detect --json` line, in the order of `photos` (each padded to `pad` times its
/// size when `pad` > 1), detected on `threads` threads.
fn detect_all(
    pipeline: &HandPipeline,
    settings: &PipelineSettings,
    photos: &[PathBuf],
    pad: u32,
    threads: usize,
) -> Result<Vec<DetectLine>, VisionError> {
    let detect = |path: &PathBuf| -> Result<DetectLine, VisionError> {
        let mut frame = read_frame(path, &settings.limits)?;
        if pad > 1 {
            frame = Frame::from_rgb(pad_by_edge(&frame.rgb, pad), &settings.limits)?;
        }
        let hands = pipeline.detect(&frame)?.hands;
        Ok(detect_line(
            path.to_string_lossy().into_owned(),
            frame.original_width,
            frame.original_height,
            &hands,
        ))
    };
    // Each thread takes the next photo not yet taken, so a thread with slower photos (bigger,
    // two hands) does fewer of them; the lines are put back in photo order.
    let next = AtomicUsize::new(0);
    let mut numbered: Vec<(usize, Result<DetectLine, VisionError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = photos.get(i) else {
                            return done;
                        };
                        done.push((i, detect(path)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .expect("a detection thread panicked; this is a bug")
            })
            .collect()
    });
    numbered.sort_by_key(|(i, _)| *i);
    numbered.into_iter().map(|(_, line)| line).collect()
}
