//! J and Z on real landmarks: plays each letter's recording in the borisgraudt table (one
//! signer, every letter A–Z recorded as a run of video frames) through the `MotionTracker` and
//! counts the motions it reports. The table does not state its frame rate, so the timestamps
//! assume `--fps` (default 30; try 10 and 15 too).
//!
//! ```sh
//! cargo run --release -p signbridge-signs --example motion_recordings -- --fps 30
//! ```

use signbridge_signs::dataset::{default_data_dir, tables};
use signbridge_signs::motion::motions_in;
use signbridge_signs::MotionConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let fps: f64 = match args.iter().position(|a| a == "--fps") {
        Some(i) => args.get(i + 1).ok_or("--fps needs a value")?.parse()?,
        None => 30.0,
    };
    let recordings = tables::load_borisgraudt_recordings(&default_data_dir())?;
    println!("borisgraudt recordings at an assumed {fps} fps: motions reported per letter");
    let (mut right, mut wrong) = (0, 0);
    for (letter, frames) in &recordings {
        let motions = motions_in(frames, fps, &MotionConfig::default());
        let j = motions.iter().filter(|m| **m == "J").count();
        let z = motions.len() - j;
        match letter.as_str() {
            "J" => (right, wrong) = (right + j, wrong + z),
            "Z" => (right, wrong) = (right + z, wrong + j),
            _ => wrong += j + z,
        }
        if j + z > 0 || letter == "J" || letter == "Z" {
            println!("{letter}: {} frames, J {j}, Z {z}", frames.len());
        }
    }
    println!("motions matching their recording: {right}; motions reported on the wrong recording: {wrong}");
    Ok(())
}
