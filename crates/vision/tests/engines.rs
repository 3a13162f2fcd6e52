//! The models as each engine is given them: LiteRT runs a copy with PReLU expanded
//! (`rewrite_for_litert`, for memory), which must answer bit for bit as the original does.

mod common;

use signbridge_vision::engine::litert::fetch::ensure_library;
use signbridge_vision::engine::{rewrite_for_litert, LiteRt, LiteRtModel, Model, Precision};
use signbridge_vision::{decode_image, EngineChoice, ImageLimits, ModelStore};

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
        let rewritten = rewrite_for_litert(&original, Precision::Exact).unwrap();
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

/// `Precision::Int8`: every convolution of the four models with at least 64 × 64 channels reads
/// int8 weights with one scale per output channel (thinner ones stay f32), and the landmark
/// models' answers on real hands (224x224 letter photos, given to the model whole) stay within
/// 2 px of the original's (measured: at most 0.62 px on the full model, 0.47 px on the lite one;
/// scores within 0.006).
#[test]
fn int8_rewrite_quantizes_every_convolution_and_answers_close() {
    use tract_tflite::tflite::{root_as_model, BuiltinOperator, TensorType};
    if !common::engines().contains(&EngineChoice::LiteRt) {
        return; // skipped by hand, with the message `engines` printed; never under CI
    }
    let store = ModelStore::at(std::env::var_os("SIGNBRIDGE_MODELS").map(Into::into));
    let runtime = LiteRt::load(&ensure_library(store.dir()).unwrap()).unwrap();
    let hands: Vec<(String, Vec<f32>)> = ["B/B0.jpg", "R/R3.jpg", "Y/Y10.jpg"]
        .iter()
        .map(|photo| {
            let path = common::data_dir().join("images/letters").join(photo);
            let frame =
                decode_image(&std::fs::read(path).unwrap(), &ImageLimits::default()).unwrap();
            assert_eq!(frame.rgb.dimensions(), (224, 224));
            let input = frame
                .rgb
                .as_raw()
                .iter()
                .map(|&v| v as f32 / 255.0)
                .collect();
            (photo.to_string(), input)
        })
        .collect();
    for name in [
        "hand_landmark_full.tflite",
        "hand_landmark_lite.tflite",
        "palm_detection_full.tflite",
        "palm_detection_lite.tflite",
    ] {
        let original = store.read(name).unwrap();
        let rewritten = rewrite_for_litert(&original, Precision::Int8).unwrap();
        let model = root_as_model(&rewritten).unwrap();
        let codes = model.operator_codes().unwrap();
        let graph = model.subgraphs().unwrap().get(0);
        let tensors = graph.tensors().unwrap();
        let mut convolutions = 0;
        for op in graph.operators().unwrap() {
            let code = codes.get(op.opcode_index() as usize);
            let code =
                BuiltinOperator(code.deprecated_builtin_code() as i32).max(code.builtin_code());
            if code != BuiltinOperator::CONV_2D {
                continue;
            }
            let inputs = op.inputs().unwrap();
            let weights = tensors.get(inputs.get(1) as usize);
            let shape = weights.shape().unwrap();
            if shape.get(0) * shape.get(3) < 64 * 64 {
                // Thin layers stay f32 (they were no faster on int8).
                assert_ne!(weights.type_(), TensorType::INT8, "{name}: thin weights");
                continue;
            }
            convolutions += 1;
            assert_eq!(weights.type_(), TensorType::INT8, "{name}: weights");
            let scales = weights.quantization().and_then(|q| q.scale()).unwrap();
            assert_eq!(
                scales.len() as i32,
                weights.shape().unwrap().get(0),
                "{name}"
            );
            assert!(scales.iter().all(|s| s > 0.0), "{name}: scales");
            let bias = tensors.get(inputs.get(2) as usize);
            assert_eq!(bias.type_(), TensorType::FLOAT32, "{name}: bias");
        }
        assert!(convolutions >= 15, "{name}: {convolutions} convolutions");
        assert!(
            rewritten.len() * 10 < original.len() * 8,
            "{name}: int8 weights should shrink the file ({} -> {})",
            original.len(),
            rewritten.len()
        );
        if name.starts_with("palm") {
            // The palm models answer in anchors; `golden_photos.rs` checks what they find.
            continue;
        }

        let a = LiteRtModel::from_tflite(runtime.clone(), original).unwrap();
        let b = LiteRtModel::from_tflite(runtime.clone(), rewritten).unwrap();
        for (photo, input) in &hands {
            let (x, y) = (a.run(input).unwrap(), b.run(input).unwrap());
            assert_eq!(x.len(), y.len(), "{name}: number of outputs");
            for (o, (p, q)) in x.iter().zip(&y).enumerate() {
                let worst = p
                    .iter()
                    .zip(q)
                    .map(|(u, v)| (u - v).abs())
                    .fold(0f32, f32::max);
                println!("{name} on {photo}: output {o} differs by at most {worst}");
                // Output 0 is the 21 landmarks in pixels of the 224x224 crop; the others are
                // scores and world coordinates in metres.
                let bound = if o == 0 { 2.0 } else { 0.05 };
                assert!(
                    worst <= bound,
                    "{name} on {photo}: output {o} differs by {worst}"
                );
            }
        }
    }
}
