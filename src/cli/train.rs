//! `signbridge train`: rebuilds the classifier's weights file from `shared/data`: the permitted
//! landmark tables plus the landmarks our own detector finds in `images/train`. Detection runs
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
use signbridge_vision::{HandPipeline, VisionError};

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
    /// Detection threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let train_dir = args.data.join("images/train");
    let mut photos: Vec<PathBuf> = Vec::new();
    for letter in
        std::fs::read_dir(&train_dir).with_context(|| format!("reading {}", train_dir.display()))?
    {
        let letter = letter?.path();
        if letter.is_dir() {
            for photo in std::fs::read_dir(&letter)? {
                photos.push(photo?.path());
            }
        }
    }
    photos.sort();
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let lines = detect_all(&pipeline, &settings, &photos, threads)?;
    if let Some(parent) = args.landmarks.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut jsonl = std::io::BufWriter::new(std::fs::File::create(&args.landmarks)?);
    let mut with_hand = 0;
    for line in &lines {
        with_hand += usize::from(line.hands.as_ref().is_some_and(|h| !h.is_empty()));
        writeln!(jsonl, "{}", serde_json::to_string(line)?)?;
    }
    jsonl.flush()?;
    drop(jsonl);
    let detected = start.elapsed();
    eprintln!(
        "detector: hands in {with_hand} of {} training photos ({:.1} s, {threads} threads)",
        photos.len(),
        detected.as_secs_f64()
    );
    let (classifier, report) = train_default(&args.data, std::slice::from_ref(&args.landmarks))?;
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

/// Every photo's `detect --json` line, in the order of `photos`, detected on `threads` threads.
fn detect_all(
    pipeline: &HandPipeline,
    settings: &PipelineSettings,
    photos: &[PathBuf],
    threads: usize,
) -> Result<Vec<DetectLine>, VisionError> {
    let detect = |path: &PathBuf| -> Result<DetectLine, VisionError> {
        let frame = read_frame(path, &settings.limits)?;
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
