//! `signbridge detect`: hands and landmarks of each image, as JSON lines in the format of
//! MediaPipe's reference output (`wire::DetectLine`) or as a short summary.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use signbridge_server::wire::detect_line;
use signbridge_server::{PipelineArgs, PipelineSettings};

use super::{read_frame, report_failure};

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

pub fn run(args: DetectArgs) -> anyhow::Result<ExitCode> {
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let mut out = std::io::stdout().lock();
    let mut failures = 0;
    for path in &args.images {
        let shown = path.to_string_lossy();
        let result = read_frame(path, &settings.limits)
            .and_then(|frame| Ok((pipeline.detect(&frame)?, frame)));
        match result {
            Ok((detection, frame)) => {
                if args.json {
                    let line = detect_line(
                        shown.to_string(),
                        frame.original_width,
                        frame.original_height,
                        &detection.hands,
                    );
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
                report_failure(&mut out, args.json, &shown, &e)?;
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
