//! `signbridge detect`: hands and landmarks of each image, as JSON lines in the format of
//! MediaPipe's reference output or as a short summary.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use signbridge_vision::{decode_image, Hand, VisionError};

use super::pipeline_args::PipelineArgs;

#[derive(clap::Args)]
pub struct DetectArgs {
    /// One JSON line per image: {"path", "width", "height", "hands": [...]}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Images (JPEG, PNG or WebP).
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

/// One hand as MediaPipe's reference files write it.
#[derive(Serialize)]
pub struct HandJson {
    pub handedness: &'static str,
    pub score: f32,
    pub landmarks: Vec<[f32; 3]>,
    pub world_landmarks: Vec<[f32; 3]>,
}

impl From<&Hand> for HandJson {
    fn from(h: &Hand) -> Self {
        HandJson {
            handedness: h.handedness.as_str(),
            score: round(h.score, 1e4),
            landmarks: h
                .landmarks
                .iter()
                .map(|p| p.map(|v| round(v, 100.0)))
                .collect(),
            world_landmarks: h
                .world_landmarks
                .iter()
                .map(|p| p.map(|v| round(v, 1e5)))
                .collect(),
        }
    }
}

fn round(v: f32, scale: f32) -> f32 {
    let r = (v * scale).round() / scale;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

#[derive(Serialize)]
struct ImageJson<'a> {
    path: &'a str,
    width: u32,
    height: u32,
    hands: Vec<HandJson>,
}

/// Reads and decodes one image, or says why not.
pub fn read_frame(
    path: &PathBuf,
    pipeline: &PipelineArgs,
) -> Result<signbridge_vision::Frame, VisionError> {
    let bytes = std::fs::read(path).map_err(|source| VisionError::Io {
        path: path.clone(),
        source,
    })?;
    decode_image(&bytes, &pipeline.limits())
}

pub fn run(args: DetectArgs) -> anyhow::Result<ExitCode> {
    let pipeline = args.pipeline.load()?;
    let mut out = std::io::stdout().lock();
    let mut failures = 0;
    for path in &args.images {
        let shown = path.to_string_lossy();
        let result = read_frame(path, &args.pipeline)
            .and_then(|frame| Ok((pipeline.detect(&frame)?, frame)));
        match result {
            Ok((detection, frame)) => {
                if args.json {
                    let line = ImageJson {
                        path: &shown,
                        width: frame.original_width,
                        height: frame.original_height,
                        hands: detection.hands.iter().map(HandJson::from).collect(),
                    };
                    writeln!(out, "{}", serde_json::to_string(&line)?)?;
                } else {
                    let hands: Vec<String> = detection
                        .hands
                        .iter()
                        .map(|h| format!("{} ({:.2})", h.handedness.as_str(), h.score))
                        .collect();
                    writeln!(
                        out,
                        "{shown}: {}x{}, {} hand(s){}{}",
                        frame.original_width,
                        frame.original_height,
                        hands.len(),
                        if hands.is_empty() { "" } else { ": " },
                        hands.join(", ")
                    )?;
                }
            }
            Err(e) => {
                failures += 1;
                if args.json {
                    let line = serde_json::json!({"path": shown, "error": e.to_string(), "error_type": e.kind()});
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{shown}: error: {e}")?;
                }
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
