//! Golden test: our detector against MediaPipe 0.10.21's own output on every photo of
//! `shared/data/images/{letters,gestures,two_hands,negatives}` (static image mode, 2 hands).
//! Thresholds are those of `shared/checks/compare_hands.py`; the test prints the figures.

mod common;

use serde::Deserialize;
use sha2::Digest;
use signbridge_vision::{decode_image, EngineChoice, HandPipeline, ImageLimits};

#[derive(Deserialize)]
struct RefHand {
    handedness: String,
    landmarks: Vec<[f32; 3]>,
}

#[derive(Deserialize)]
struct RefImage {
    path: String,
    width: u32,
    height: u32,
    hands: Vec<RefHand>,
}

#[derive(Default)]
struct Score {
    files: usize,
    ref_hands: usize,
    found: usize,
    handedness_agree: usize,
    extra: usize,
    false_on_empty: usize,
    errors: Vec<f32>,
    over_limit: Vec<(String, f32)>,
    worst: (String, f32),
}

/// Our hands for one reference photo.
fn detect(
    pipeline: &HandPipeline,
    data: &std::path::Path,
    reference: &RefImage,
) -> Vec<signbridge_vision::Hand> {
    let bytes = std::fs::read(data.join(&reference.path)).expect("photo");
    let frame = decode_image(&bytes, &ImageLimits::default()).expect("decodable photo");
    assert_eq!(
        (frame.original_width, frame.original_height),
        (reference.width, reference.height)
    );
    pipeline.detect(&frame).expect("pipeline runs").hands
}

fn score_folder(pipeline: &HandPipeline, name: &str, score: &mut Score) {
    let data = common::data_dir();
    let text = std::fs::read_to_string(data.join(format!("reference/{name}.jsonl")))
        .expect("reference file");
    let references: Vec<RefImage> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("reference line"))
        .collect();
    let ours_per_photo =
        common::par_map(&references, |reference| detect(pipeline, &data, reference));
    for (reference, ours) in references.iter().zip(ours_per_photo) {
        score.files += 1;
        score.ref_hands += reference.hands.len();
        score.extra += ours.len().saturating_sub(reference.hands.len());
        if reference.hands.is_empty() && !ours.is_empty() {
            score.false_on_empty += 1;
        }
        let side = reference.width.max(reference.height) as f32;
        for rh in &reference.hands {
            let best = ours
                .iter()
                .map(|h| (common::mean_distance(&h.landmarks, &rh.landmarks), h))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            let Some((distance, hand)) = best else {
                continue;
            };
            score.found += 1;
            score.handedness_agree += usize::from(hand.handedness.as_str() == rh.handedness);
            let pct = 100.0 * distance / side;
            score.errors.push(pct);
            if pct > 1.5 {
                score.over_limit.push((reference.path.clone(), pct));
            }
            if pct > score.worst.1 {
                score.worst = (reference.path.clone(), pct);
            }
        }
    }
}

#[test]
fn detector_matches_mediapipe_on_every_reference_photo() {
    for &engine in common::engines() {
        matches_mediapipe_on(engine);
    }
}

fn score_every_reference_photo(pipeline: &HandPipeline) -> Score {
    let mut s = Score::default();
    for folder in ["letters", "gestures", "two_hands", "negatives"] {
        score_folder(pipeline, folder, &mut s);
    }
    s
}

/// `--precision int8` changes the landmarks a little, so it is held to the thresholds releases
/// are judged by (`shared/checks/compare_hands.py`: recall 0.99, handedness 0.98, mean error
/// 1.5%, extra hands 1% of files) rather than photo by photo. Measured: 785/785 hands, one
/// handedness flip (a photo MediaPipe itself calls at 0.52), mean 0.13%, worst 1.04%.
#[test]
fn int8_landmarks_meet_the_release_thresholds_on_every_reference_photo() {
    if !common::engines().contains(&EngineChoice::LiteRt) {
        return; // skipped by hand, with the message `engines` printed; never under CI
    }
    let s = score_every_reference_photo(common::int8_pipeline());
    let recall = s.found as f32 / s.ref_hands as f32;
    let handedness = s.handedness_agree as f32 / s.found as f32;
    let mean = s.errors.iter().sum::<f32>() / s.errors.len() as f32;
    println!(
        "int8: hands {}/{} (recall {recall:.3}), handedness {handedness:.3}, extra hands {}, \
         hands on photos without one {}, mean error {mean:.3}%, worst {:.2}% ({})",
        s.found, s.ref_hands, s.extra, s.false_on_empty, s.worst.1, s.worst.0
    );
    assert_eq!(s.files, 870 + 4 + 1 + 6);
    assert!(recall >= 0.99, "int8: recall {recall}");
    assert!(handedness >= 0.98, "int8: handedness {handedness}");
    assert!(mean <= 1.5, "int8: mean error {mean}%");
    assert!(s.extra * 100 <= s.files, "int8: {} extra hands", s.extra);
    assert_eq!(s.false_on_empty, 0, "int8: a hand on a photo without one");
}

fn matches_mediapipe_on(engine: EngineChoice) {
    let s = score_every_reference_photo(common::default_pipeline(engine));
    let recall = s.found as f32 / s.ref_hands as f32;
    let handedness = s.handedness_agree as f32 / s.found as f32;
    let mean = s.errors.iter().sum::<f32>() / s.errors.len() as f32;
    println!(
        "{engine:?}: files {}, hands {}/{} (recall {recall:.3}), handedness {handedness:.3}, extra hands {}, \
         hands on photos without one {}, mean error {mean:.3}% of the larger side, worst {:.2}% ({}), \
         hands over 1.5%: {} {:?}",
        s.files, s.found, s.ref_hands, s.extra, s.false_on_empty, s.worst.1, s.worst.0, s.over_limit.len(), s.over_limit
    );
    assert_eq!(s.files, 870 + 4 + 1 + 6);
    // The criteria, photo by photo: every hand MediaPipe finds, found, with its
    // handedness; no hand where MediaPipe has none; each within 1.5% of the larger side.
    // Measured on tract: 791/791, mean 0.002%, worst 0.09%.
    assert_eq!(
        s.found, s.ref_hands,
        "{engine:?}: hands MediaPipe finds that we miss"
    );
    assert_eq!(
        s.handedness_agree, s.found,
        "{engine:?}: handedness disagreements"
    );
    assert_eq!(s.extra, 0, "{engine:?}: hands MediaPipe does not find");
    assert!(mean <= 1.5, "{engine:?}: mean error {mean}%");
    assert!(
        s.over_limit.is_empty(),
        "{engine:?}: hands over 1.5%: {:?}",
        s.over_limit
    );
}

/// Our JPEG decoder gives the very pixels OpenCV's `imread` (libjpeg-turbo) gave MediaPipe:
/// SHA-256 of the RGB bytes, as computed with opencv-python 4.11.
#[test]
fn jpeg_pixels_are_identical_to_opencv_imread() {
    let full_size = ImageLimits {
        max_long_side: u32::MAX,
        max_short_side: u32::MAX,
        ..ImageLimits::default()
    };
    for (path, sha256) in [
        (
            "images/letters/C/C5.jpg",
            "9d696711c36c43207d67f3a733f6e206b8a788a1af2c38fb7f12556e681f5ada",
        ),
        (
            "images/letters/O/O2.jpg",
            "d62d7d191f611c5f35e7dcbd1c4ec8f17b2e853dba180980c33d86008b67eacc",
        ),
        (
            "images/two_hands/tfjs_hands.jpg",
            "cdb6b97651915beeb795b49714b7ea39c08f357797a0ab37858dbf2a29b59985",
        ),
        (
            "images/gestures/thumbs_up.jpg",
            "809c35e9d9398be498d8ecd8c661813a3c774d3ed078dac7a8ee320fa8eb4cc1",
        ),
    ] {
        let bytes = std::fs::read(common::data_dir().join(path)).unwrap();
        let frame = decode_image(&bytes, &full_size).unwrap();
        let digest = sha2::Sha256::digest(frame.rgb.as_raw());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, sha256, "{path}");
    }
}

#[test]
fn two_hands_photo_has_both_hands_labelled_right() {
    let data = common::data_dir();
    let bytes = std::fs::read(data.join("images/two_hands/tfjs_hands.jpg")).unwrap();
    let frame = decode_image(&bytes, &ImageLimits::default()).unwrap();
    for &engine in common::engines() {
        let hands = common::default_pipeline(engine)
            .detect(&frame)
            .unwrap()
            .hands;
        assert_eq!(hands.len(), 2, "{engine:?}");
        assert!(hands.iter().all(|h| h.handedness.as_str() == "Right"));
        // Results are in the original photo's pixels (720x382), even though the models saw less.
        assert!(hands
            .iter()
            .all(|h| h.landmarks.iter().all(|p| p[0] >= 0.0 && p[0] <= 720.0)));
    }
}

#[test]
fn no_hand_is_found_in_photos_without_one() {
    let data = common::data_dir();
    for &engine in common::engines() {
        let pipeline = common::default_pipeline(engine);
        for entry in std::fs::read_dir(data.join("images/negatives")).unwrap() {
            let path = entry.unwrap().path();
            let frame =
                decode_image(&std::fs::read(&path).unwrap(), &ImageLimits::default()).unwrap();
            assert!(
                pipeline.detect(&frame).unwrap().hands.is_empty(),
                "{engine:?}: {}",
                path.display()
            );
        }
    }
}
