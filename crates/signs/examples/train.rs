//! Train the default model and write `crates/signs/model/classifier.json`.
//!
//! ```sh
//! CARGO_TARGET_DIR=/tmp/target-signs cargo run --release -p signbridge-signs --example train
//! # or with our own detector's landmarks of images/train instead of MediaPipe's:
//! #   ... --example train -- /tmp/train_ours.jsonl
//! ```

use signbridge_signs::dataset::default_data_dir;
use signbridge_signs::train_default;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = default_data_dir();
    let mut jsonl: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if jsonl.is_empty() {
        jsonl.push(data.join("reference/train.jsonl"));
    }
    let (clf, report) = train_default(&data, &jsonl)?;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("model/classifier.json");
    let bytes = clf.to_bytes();
    std::fs::write(&out, &bytes)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}
