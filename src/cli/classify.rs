//! `signbridge classify`: the letter (or control sign) shown in each photo.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use signbridge_signs::Classifier;

use super::detect::{read_frame, HandJson};
use super::pipeline_args::PipelineArgs;

#[derive(clap::Args)]
pub struct ClassifyArgs {
    /// One JSON line per image: {"path", "label", "confidence", "top", "hands"}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Images (JPEG, PNG or WebP).
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Line<'a> {
    path: &'a str,
    label: Option<String>,
    confidence: f32,
    top: Vec<(String, f32)>,
    hands: Vec<HandJson>,
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let pipeline = args.pipeline.load()?;
    let classifier = Classifier::default_model();
    let mut out = std::io::stdout().lock();
    let mut failures = 0;
    for path in &args.images {
        let shown = path.to_string_lossy();
        let detection = read_frame(path, &args.pipeline).and_then(|frame| pipeline.detect(&frame));
        match detection {
            Ok(detection) => {
                // The most confident hand is the signing hand.
                let hand = detection
                    .hands
                    .iter()
                    .max_by(|a, b| a.presence.total_cmp(&b.presence));
                let prediction = hand.map(|h| classifier.classify(&h.landmarks));
                let line = Line {
                    path: &shown,
                    label: prediction.as_ref().map(|p| p.label.clone()),
                    confidence: prediction.as_ref().map_or(0.0, |p| p.confidence),
                    top: prediction.map(|p| p.top).unwrap_or_default(),
                    hands: detection.hands.iter().map(HandJson::from).collect(),
                };
                if args.json {
                    writeln!(out, "{}", serde_json::to_string(&line)?)?;
                } else {
                    let label = line.label.as_deref().unwrap_or("(no hand)");
                    writeln!(out, "{shown}: {label} {:.2}", line.confidence)?;
                }
            }
            Err(e) => {
                failures += 1;
                let line = serde_json::json!({"path": shown, "error": e.to_string(), "error_type": e.kind()});
                writeln!(out, "{line}")?;
                eprintln!("error: {shown}: {e}");
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
