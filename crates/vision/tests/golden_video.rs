//! Golden test in video mode: the real fingerspelling clip `asl_hand_620x1080_325f.mjpeg`
//! through the tracker, against MediaPipe's per-frame landmarks (`asl_hand.full.json`,
//! one hand, tracking mode).

mod common;

use signbridge_vision::image_input::split_mjpeg;
use signbridge_vision::{decode_image, EngineChoice, ImageLimits, PipelineConfig, Precision};

#[test]
fn tracker_follows_mediapipe_through_the_fingerspelling_clip() {
    for &engine in common::engines() {
        follows_mediapipe_on(engine, Precision::Exact);
    }
    // `--precision int8` (LiteRT only) is held to the same criteria here.
    if common::engines().contains(&EngineChoice::LiteRt) {
        follows_mediapipe_on(EngineChoice::LiteRt, Precision::Int8);
    }
}

fn follows_mediapipe_on(engine: EngineChoice, precision: Precision) {
    let data = common::data_dir();
    let video = std::fs::read(data.join("video/asl_hand_620x1080_325f.mjpeg")).unwrap();
    let reference: Vec<Vec<[f32; 3]>> = serde_json::from_str(
        &std::fs::read_to_string(data.join("video/asl_hand.full.json")).unwrap(),
    )
    .unwrap();
    let frames = split_mjpeg(&video);
    assert_eq!(frames.len(), 325);
    let config = PipelineConfig {
        max_hands: 1,
        engine,
        precision,
        ..PipelineConfig::default()
    };
    let pipeline = common::pipeline(config);
    let mut tracker = pipeline.tracker();
    let (mut errors, mut missing, mut palm_runs, mut ids) =
        (Vec::new(), 0, 0, std::collections::BTreeSet::new());
    let mut worst = (0, 0.0f32);
    for (i, (jpeg, expected)) in frames.iter().zip(&reference).enumerate() {
        let frame = decode_image(jpeg, &ImageLimits::default()).unwrap();
        let detection = tracker.process(&frame).unwrap();
        palm_runs += detection.timings.palm_runs;
        let Some(hand) = detection.hands.first() else {
            missing += 1;
            continue;
        };
        ids.insert(hand.id);
        let pct = 100.0 * common::mean_distance(&hand.landmarks, expected) / 1080.0;
        if pct > worst.1 {
            worst = (i, pct);
        }
        errors.push(pct);
    }
    let mean = errors.iter().sum::<f32>() / errors.len().max(1) as f32;
    let over = errors.iter().filter(|&&e| e > 1.5).count();
    println!(
        "{engine:?} {precision:?}: frames 325, hand missing on {missing}, mean error {mean:.2}% of 1080 px, worst {:.2}% (frame {}), \
         frames over 1.5%: {over}, palm detections {palm_runs}, hand ids {ids:?}",
        worst.1, worst.0
    );
    assert_eq!(missing, 0, "{engine:?} {precision:?}");
    assert!(mean <= 1.5, "{engine:?} {precision:?}: mean {mean}%");
    assert_eq!(over, 0, "{engine:?} {precision:?}: frames over 1.5%");
    assert_eq!(
        ids.len(),
        1,
        "{engine:?} {precision:?}: one hand keeps one identity"
    );
    assert!(
        palm_runs <= 3,
        "tracking should not need palm detection: {palm_runs}"
    );
}
