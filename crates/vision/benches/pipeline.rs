//! Per-stage cost of the hand pipeline on a 640x480 JPEG of a hand: decode, resize, palm
//! detection, landmarks, a whole frame in image mode and in tracking mode. Guards against
//! regressions in the tracked-frame budget. The model stages run on each engine that can be had
//! (`litert/...` and `tract/...`, side by side in one run). Models are loaded outside the timed
//! loops.
//!
//! ```sh
//! cargo bench -p signbridge-vision
//! ```

use std::io::Cursor;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};

use signbridge_vision::engine::{Engine, EngineChoice};
use signbridge_vision::landmarks::LandmarkModel;
use signbridge_vision::palm::PalmDetector;
use signbridge_vision::roi::palm_to_roi;
use signbridge_vision::{
    decode_image, Frame, HandPipeline, ImageLimits, ModelStore, PipelineConfig,
};

fn data_dir() -> PathBuf {
    match std::env::var_os("SIGNBRIDGE_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// The B photo scaled to 640x480 and encoded as the browser would send it.
fn test_jpeg() -> (Vec<u8>, image::RgbImage) {
    let photo = image::open(data_dir().join("images/letters/B/B0.jpg")).expect("shared data photo");
    let big = photo
        .resize_exact(640, 480, image::imageops::FilterType::Triangle)
        .into_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 85)
        .encode_image(&big)
        .unwrap();
    (jpeg, big)
}

fn stages(c: &mut Criterion) {
    let store = ModelStore::at(std::env::var_os("SIGNBRIDGE_MODELS").map(Into::into));
    let (jpeg, big) = test_jpeg();
    let limits = ImageLimits::default();
    let small = ImageLimits {
        max_long_side: 320,
        max_short_side: 240,
        ..limits.clone()
    };
    let frame = decode_image(&jpeg, &limits).unwrap();
    let mut group = c.benchmark_group("stages");
    group.sample_size(30);
    group.bench_function("decode_640x480_jpeg", |b| {
        b.iter(|| image::load_from_memory(&jpeg).unwrap())
    });
    group.bench_function("resize_640x480_to_320x240", |b| {
        b.iter(|| Frame::from_rgb(big.clone(), &small).unwrap())
    });
    for choice in [EngineChoice::LiteRt, EngineChoice::Tract] {
        let engine = match Engine::open(choice, store.dir()) {
            Ok(engine) => engine,
            Err(e) => {
                eprintln!("skipping {choice:?}: {e}");
                continue;
            }
        };
        let name = engine.kind().name();
        let config = PipelineConfig {
            engine: choice,
            ..PipelineConfig::default()
        };
        let pipeline = HandPipeline::load(&store, config).expect("models");
        let model = |file: &str| engine.load(store.read(file).unwrap()).unwrap();
        let palm = PalmDetector::new(model("palm_detection_full.tflite")).unwrap();
        let landmarks = LandmarkModel::new(model("hand_landmark_full.tflite")).unwrap();
        let found = palm.detect(&frame.rgb, 0.5).unwrap();
        let (w, h) = (frame.rgb.width() as f32, frame.rgb.height() as f32);
        let roi = palm_to_roi(found.first().expect("a palm in the test photo"), w, h);
        group.bench_function(format!("{name}/palm_detection"), |b| {
            b.iter(|| palm.detect(&frame.rgb, 0.5).unwrap())
        });
        group.bench_function(format!("{name}/hand_landmarks"), |b| {
            b.iter(|| landmarks.run(&frame.rgb, &roi).unwrap())
        });
        group.bench_function(format!("{name}/image_mode_frame"), |b| {
            b.iter(|| pipeline.detect(&frame).unwrap())
        });
        let mut tracker = pipeline.tracker();
        tracker.process(&frame).unwrap();
        group.bench_function(format!("{name}/tracked_frame_with_decode"), |b| {
            b.iter(|| {
                tracker
                    .process(&decode_image(&jpeg, &limits).unwrap())
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
