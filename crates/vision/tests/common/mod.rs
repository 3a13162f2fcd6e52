//! Shared helpers for the vision integration tests: where the shared data is, the models.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use signbridge_vision::{HandPipeline, ModelStore, PipelineConfig};

/// `../shared/data` beside the repository, or `$SIGNBRIDGE_DATA`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("SIGNBRIDGE_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

/// The pipeline with `config`'s models from `$SIGNBRIDGE_MODELS` or the default cache
/// (fetched if needed).
pub fn pipeline(config: PipelineConfig) -> HandPipeline {
    let store = ModelStore::at(std::env::var_os("SIGNBRIDGE_MODELS").map(Into::into));
    HandPipeline::load(&store, config).expect("models load (npm must be able to fetch them)")
}

/// The default pipeline (full models, two hands), loaded once per test binary and shared by its
/// tests and their threads.
pub fn default_pipeline() -> &'static HandPipeline {
    static PIPELINE: OnceLock<HandPipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| pipeline(PipelineConfig::default()))
}

/// `f` over `items` on every core, results in the order of `items`.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = items.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(share)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("a test thread panicked"))
            .collect()
    })
}

/// Mean 2-D distance between two landmark sets.
pub fn mean_distance(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
        .sum::<f32>()
        / a.len() as f32
}
