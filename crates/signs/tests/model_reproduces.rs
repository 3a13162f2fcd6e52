//! The committed model is exactly what `train_default` produces from the permitted sources and
//! MediaPipe's landmarks of images/train (reference/train.jsonl), read in place from shared/data.

use signbridge_signs::dataset::default_data_dir;
use signbridge_signs::{train_default, Classifier};

#[test]
fn committed_model_reproduces_byte_for_byte_from_train_default() {
    let data = default_data_dir();
    let (clf, report) =
        train_default(&data, &[data.join("reference/train.jsonl")]).expect("training runs");
    let committed = include_bytes!("../model/classifier.json");
    let fresh = clf.to_bytes();
    if fresh != committed {
        let old = Classifier::from_bytes(committed).ok();
        panic!(
            "model differs: fresh {} bytes vs committed {} bytes; same classes: {:?}; report: {report:?}",
            fresh.len(),
            committed.len(),
            old.map(|o| o.classes == clf.classes)
        );
    }
    assert!(report.holdout_accuracy > 0.9, "{report:?}");
}
