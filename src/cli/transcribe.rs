//! `signbridge transcribe`: a recorded stream (MJPEG file or folder of frames) through the
//! same interpreter a WebSocket session uses, timed by the frame rate instead of arrival;
//! prints the final text as the last line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use signbridge_interpreter::Interpreter;
use signbridge_server::{PipelineArgs, PipelineSettings};
use signbridge_signs::Classifier;
use signbridge_vision::decode_image;
use signbridge_vision::image_input::split_mjpeg;

#[derive(clap::Args)]
pub struct TranscribeArgs {
    /// Frames per second of the input (frame timestamps are derived from it).
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// Print each committed sign as it happens (to stderr).
    #[arg(long)]
    pub verbose: bool,
    /// Print every frame's reading to stderr: time, letter, confidence, the top three, and the
    /// signing hand's centre and size in pixels (how a lost or doubled letter is traced).
    #[arg(long)]
    pub frames: bool,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// An MJPEG file (concatenated JPEG frames) or a folder of frames read in name order.
    pub input: PathBuf,
}

fn read_frames(input: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    if input.is_dir() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(input)
            .with_context(|| format!("reading {}", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
            .collect()
    } else {
        let bytes = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
        Ok(split_mjpeg(&bytes)
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect())
    }
}

pub fn run(args: TranscribeArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.fps > 0.0 && args.fps.is_finite(),
        "--fps must be positive"
    );
    let frames = read_frames(&args.input)?;
    anyhow::ensure!(
        !frames.is_empty(),
        "{} holds no frames",
        args.input.display()
    );
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let mut interpreter = Interpreter::new(Arc::new(Classifier::default_model()));
    let mut failures = 0;
    for (i, bytes) in frames.iter().enumerate() {
        let t_ms = (i as f64 * 1000.0 / args.fps).round() as u64;
        // A frame that cannot be read is skipped, as the server skips it.
        let outcome = match decode_image(bytes, &settings.limits)
            .and_then(|frame| interpreter.frame(&pipeline, t_ms, &frame))
        {
            Ok(outcome) => outcome,
            Err(e) => {
                failures += 1;
                eprintln!("frame {i}: {e}");
                continue;
            }
        };
        if args.frames {
            eprintln!("{}", frame_line(t_ms, &outcome));
        }
        if args.verbose {
            if let Some(committed) = outcome.committed {
                eprintln!(
                    "{:>7.2}s {committed:<8} -> {}",
                    t_ms as f64 / 1000.0,
                    outcome.sentence.full_sentence
                );
            }
        }
    }
    if failures > 0 {
        eprintln!("{failures} of {} frames could not be decoded", frames.len());
    }
    println!("{}", interpreter.sentence().full_sentence);
    Ok(ExitCode::SUCCESS)
}

/// One frame's reading as `--frames` prints it.
fn frame_line(t_ms: u64, outcome: &signbridge_interpreter::Outcome) -> String {
    let reading = &outcome.reading;
    let mut line = format!(
        "{:>7.2}s hands {}",
        t_ms as f64 / 1000.0,
        reading.hands.len()
    );
    if let Some(p) = &reading.prediction {
        let top: Vec<String> = p.top.iter().map(|(l, c)| format!("{l} {c:.2}")).collect();
        line += &format!(" {:<8} {:.2} [{}]", p.label, p.confidence, top.join(", "));
    }
    if let Some(hand) = signbridge_interpreter::signing_hand(&reading.hands) {
        let n = hand.landmarks.len() as f32;
        let (x, y) = hand
            .landmarks
            .iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p[0] / n, y + p[1] / n));
        let size = signbridge_signs::features::hand_size(&hand.landmarks);
        line += &format!(" at ({x:.0}, {y:.0}) size {size:.0}");
    }
    if let Some(c) = &outcome.committed {
        line += &format!(" -> {c}");
    }
    line
}
