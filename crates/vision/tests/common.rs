//! Shared helpers for the vision integration tests: where the shared data is, the models.

#![allow(dead_code)]

use std::path::PathBuf;

use signbridge_vision::{HandPipeline, ModelStore, PipelineConfig};

/// `../shared/data` beside the repository, or `$SIGNBRIDGE_DATA`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("SIGNBRIDGE_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// The pipeline with the default (full) models from the default cache (fetched if needed).
pub fn pipeline(config: PipelineConfig) -> HandPipeline {
    HandPipeline::load(&ModelStore::at(None), config)
        .expect("models load (npm must be able to fetch them)")
}

/// Mean 2-D distance between two landmark sets.
pub fn mean_distance(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
        .sum::<f32>()
        / a.len() as f32
}
