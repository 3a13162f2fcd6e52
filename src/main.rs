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
    /// Print per-stage timings (medians) and the process's peak memory.
    Bench(cli::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Detect(args) => cli::detect::run(args),
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
