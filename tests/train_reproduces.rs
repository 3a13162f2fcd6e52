//! `signbridge train` rebuilds the committed classifier weights byte for byte: our own detector's
//! landmarks of `images/train` and of the padded digit photos plus the permitted landmark tables,
//! trained deterministically.
//! The committed weights were trained on tract's landmarks, so the test runs the detector on
//! tract (LiteRT's landmarks differ from tract's by up to 3e-4, which changes some weights'
//! last digits).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn train_reproduces_the_committed_weights_byte_for_byte() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = std::env::temp_dir().join(format!("signbridge-train-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let out = scratch.join("classifier.json");
    let status = Command::new(env!("CARGO_BIN_EXE_signbridge"))
        .current_dir(&root)
        .arg("train")
        .args(["--engine", "tract"])
        .arg("--out")
        .arg(&out)
        .arg("--landmarks")
        .arg(scratch.join("train_landmarks.jsonl"))
        .arg("--digits-landmarks")
        .arg(scratch.join("digits_landmarks.jsonl"))
        .status()
        .expect("signbridge runs");
    assert!(status.success(), "signbridge train failed");
    let fresh = std::fs::read(&out).unwrap();
    let committed = std::fs::read(root.join("crates/signs/model/classifier.json")).unwrap();
    std::fs::remove_dir_all(&scratch).unwrap();
    assert!(
        fresh == committed,
        "fresh model ({} bytes) differs from the committed one ({} bytes)",
        fresh.len(),
        committed.len()
    );
}
