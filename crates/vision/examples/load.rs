use signbridge_vision::engine::{Model, TractModel};
fn main() {
    for f in [
        "/tmp/mp/palm_detection_full.tflite",
        "/tmp/mp/package/hand_landmark_full.tflite",
        "/tmp/mp/palm_detection_lite.tflite",
        "/tmp/mp/package/hand_landmark_lite.tflite",
    ] {
        let t = std::time::Instant::now();
        let m = TractModel::from_tflite(&std::fs::read(f).unwrap()).unwrap();
        let s = m.input_shape();
        println!("{f}: {:?} load {:?}", s, t.elapsed());
        let input = vec![0.5f32; s.iter().product()];
        let mut times = vec![];
        for _ in 0..20 {
            let t = std::time::Instant::now();
            let o = m.run(&input).unwrap();
            times.push(t.elapsed());
            if times.len() == 1 {
                println!(
                    "  outs {:?} first {:?}",
                    o.iter().map(|v| v.len()).collect::<Vec<_>>(),
                    o.iter().map(|v| v[0]).collect::<Vec<_>>()
                );
            }
        }
        times.sort();
        println!("  median {:?}", times[10]);
    }
}
