//! Loads each model and prints load time, peak resident memory and a median run time, on the
//! engine `SIGNBRIDGE_ENGINE` names (default `auto`):
//! `SIGNBRIDGE_ENGINE=tract cargo run --release -p signbridge-vision --example load`.

use signbridge_vision::engine::{Engine, EngineChoice};
use signbridge_vision::ModelStore;

fn hwm() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let store = ModelStore::at(std::env::var_os("SIGNBRIDGE_MODELS").map(Into::into));
    let choice: EngineChoice = std::env::var("SIGNBRIDGE_ENGINE")
        .unwrap_or_else(|_| "auto".into())
        .parse()
        .expect("SIGNBRIDGE_ENGINE: auto, litert or tract");
    let engine = Engine::open(choice, store.dir()).expect("engine");
    let mut keep = Vec::new();
    println!("engine {}; start: {}", engine.kind(), hwm());
    // The order HandPipeline::load uses.
    for name in ["hand_landmark_full.tflite", "palm_detection_full.tflite"] {
        let bytes = store.read(name).expect("model");
        println!("{name}: {} bytes", bytes.len());
        let t = std::time::Instant::now();
        let m = engine.load(bytes).expect("loads");
        println!("{name} loaded in {:?}: {}", t.elapsed(), hwm());
        let input = vec![0.5f32; m.input_shape().iter().product()];
        let mut times: Vec<_> = (0..30)
            .map(|_| {
                let t = std::time::Instant::now();
                m.run(&input).unwrap();
                t.elapsed()
            })
            .collect();
        times.sort();
        println!("  median run {:?}; after the runs: {}", times[15], hwm());
        keep.push(m);
    }
}
