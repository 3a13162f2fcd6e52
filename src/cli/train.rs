//! `signbridge train`: rebuilds the classifier's weights file from `shared/data`: the permitted
//! landmark tables plus the landmarks our own detector finds in `images/train`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use signbridge_signs::train_default;

use super::detect::{read_frame, HandJson};
use super::pipeline_args::PipelineArgs;

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
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let pipeline = args.pipeline.load()?;
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
    if let Some(parent) = args.landmarks.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut jsonl = std::io::BufWriter::new(std::fs::File::create(&args.landmarks)?);
    let mut with_hand = 0;
    for path in &photos {
        let frame = read_frame(path, &args.pipeline)?;
        let hands = pipeline.detect(&frame)?.hands;
        with_hand += usize::from(!hands.is_empty());
        let hands: Vec<HandJson> = hands.iter().map(HandJson::from).collect();
        let line = serde_json::json!({
            "path": path.to_string_lossy(),
            "width": frame.original_width,
            "height": frame.original_height,
            "hands": hands,
        });
        writeln!(jsonl, "{line}")?;
    }
    jsonl.flush()?;
    drop(jsonl);
    let detected = start.elapsed();
    eprintln!(
        "detector: hands in {with_hand} of {} training photos ({:.1} s)",
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
