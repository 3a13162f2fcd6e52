//! `signbridge classify`: the letter (or control sign) shown in each photo, read by the same
//! interpreter as `/predict-image`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use signbridge_interpreter::read;
use signbridge_server::wire::{detected_hand, ClassifyLine};
use signbridge_server::{PipelineArgs, PipelineSettings};
use signbridge_signs::{Blend, Calibrated, Classifier, LetterReader};

use super::{read_frame, report_failure};

#[derive(clap::Args)]
pub struct ClassifyArgs {
    /// One JSON line per image: {"path", "label", "confidence", "top", "hands"}.
    #[arg(long)]
    pub json: bool,
    /// A calibration profile (from `signbridge calibrate`): read with the signer's own examples.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Images (JPEG, PNG or WebP).
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let classifier = std::sync::Arc::new(Classifier::default_model());
    let profile = match &args.profile {
        Some(path) => Some(super::calibrate::load_profile(path, &classifier)?),
        None => None,
    };
    let calibrated = profile
        .as_ref()
        .map(|p| Calibrated::new(classifier.clone(), p, Blend::DEFAULT));
    let letters: &dyn LetterReader = match &calibrated {
        Some(c) => c,
        None => classifier.as_ref(),
    };
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let mut out = std::io::stdout().lock();
    let mut failures = 0;
    for path in &args.images {
        let shown = path.to_string_lossy();
        match read_frame(path, &settings.limits).and_then(|frame| read(&pipeline, letters, &frame))
        {
            Ok(reading) => {
                let prediction = reading.prediction;
                let line = ClassifyLine {
                    path: shown.to_string(),
                    label: prediction.as_ref().map(|p| p.label.clone()),
                    confidence: prediction.as_ref().map_or(0.0, |p| p.confidence),
                    top: prediction.map(|p| p.top).unwrap_or_default(),
                    hands: reading.hands.iter().map(detected_hand).collect(),
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
