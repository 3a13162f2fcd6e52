//! The models as each engine is given them: LiteRT runs a copy with PReLU expanded
//! (`rewrite_for_litert`, for memory), which must answer bit for bit as the original does.

mod common;

use signbridge_vision::engine::litert::fetch::ensure_library;
use signbridge_vision::engine::{rewrite_for_litert, LiteRt, LiteRtModel, Model};
use signbridge_vision::{EngineChoice, ModelStore};

#[test]
fn litert_answers_bit_for_bit_on_the_rewritten_models() {
    if !common::engines().contains(&EngineChoice::LiteRt) {
        return; // skipped by hand, with the message `engines` printed; never under CI
    }
    let store = ModelStore::at(std::env::var_os("SIGNBRIDGE_MODELS").map(Into::into));
    let runtime = LiteRt::load(&ensure_library(store.dir()).unwrap()).unwrap();
    for name in [
        "palm_detection_full.tflite",
        "hand_landmark_full.tflite",
        "palm_detection_lite.tflite",
        "hand_landmark_lite.tflite",
    ] {
        let original = store.read(name).unwrap();
        let rewritten = rewrite_for_litert(&original).unwrap();
        let a = LiteRtModel::from_tflite(runtime.clone(), original).unwrap();
        let b = LiteRtModel::from_tflite(runtime.clone(), rewritten).unwrap();
        let n: usize = a.input_shape().iter().product();
        // A varied image and a flat one, values in [0, 1] as the pipeline gives them.
        let varied: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 999.0).collect();
        for input in [varied, vec![0.5; n]] {
            let (x, y) = (a.run(&input).unwrap(), b.run(&input).unwrap());
            assert_eq!(x.len(), y.len(), "{name}: number of outputs");
            for (o, (p, q)) in x.iter().zip(&y).enumerate() {
                let same =
                    p.len() == q.len() && p.iter().zip(q).all(|(u, v)| u.to_bits() == v.to_bits());
                assert!(same, "{name}: output {o} differs after the rewrite");
            }
        }
    }
}
