//! `signbridge`: the one binary. Each subcommand lives in its own module under `cli/`.

mod cli;

use clap::{Parser, Subcommand};

/// SignBridge: a real-time ASL fingerspelling interpreter.
#[derive(Parser)]
#[command(name = "signbridge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find hands in images and print their landmarks.
    Detect(cli::detect::DetectArgs),
    /// Name the letter or control sign shown in each photo.
    Classify(cli::classify::ClassifyArgs),
    /// Make a calibration profile from a signer's own photos (one folder per label).
    Calibrate(cli::calibrate::CalibrateArgs),
    /// Read a recorded stream (MJPEG or a folder of frames) and print the text it spells.
    Transcribe(cli::transcribe::TranscribeArgs),
    /// Rebuild the classifier's weights file from ../shared/data.
    Train(cli::train::TrainArgs),
    /// Run the HTTP and WebSocket server and the web app.
    Serve(signbridge_server::ServeArgs),
    /// Print per-stage timings (medians) and the process's peak memory.
    Bench(cli::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Detect(args) => cli::detect::run(args),
        Command::Classify(args) => cli::classify::run(args),
        Command::Calibrate(args) => cli::calibrate::run(args),
        Command::Transcribe(args) => cli::transcribe::run(args),
        Command::Train(args) => cli::train::run(args),
        Command::Serve(args) => {
            signbridge_server::run(args).map(|()| std::process::ExitCode::SUCCESS)
        }
        Command::Bench(args) => cli::bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
