//! Shared helpers for the vision integration tests: where the shared data is, the models.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use signbridge_vision::{
    Engine, EngineChoice, HandPipeline, ModelStore, PipelineConfig, Precision,
};

/// `../shared/data` beside the repository, or `$SIGNBRIDGE_DATA`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("SIGNBRIDGE_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

fn store() -> ModelStore {
    ModelStore::at(std::env::var_os("SIGNBRIDGE_MODELS").map(Into::into))
}

/// The engines every golden test runs on: LiteRT and tract. When LiteRT cannot be had (no pip,
/// no network), a run by hand skips it with a message; under CI (`CI` set) that fails instead.
pub fn engines() -> &'static [EngineChoice] {
    static ENGINES: OnceLock<Vec<EngineChoice>> = OnceLock::new();
    ENGINES.get_or_init(|| match Engine::open(EngineChoice::LiteRt, store().dir()) {
        Ok(_) => vec![EngineChoice::LiteRt, EngineChoice::Tract],
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("LiteRT must be available in CI: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPING the LiteRT half of the golden tests: {e}");
            vec![EngineChoice::Tract]
        }
    })
}

/// The pipeline with `config`'s models from `$SIGNBRIDGE_MODELS` or the default cache
/// (fetched if needed).
pub fn pipeline(config: PipelineConfig) -> HandPipeline {
    HandPipeline::load(&store(), config).expect("models load (npm must be able to fetch them)")
}

/// The default pipeline (full models, two hands) on `engine`, loaded once per test binary and
/// shared by its tests and their threads.
pub fn default_pipeline(engine: EngineChoice) -> &'static HandPipeline {
    static LITERT: OnceLock<HandPipeline> = OnceLock::new();
    static TRACT: OnceLock<HandPipeline> = OnceLock::new();
    let cell = match engine {
        EngineChoice::LiteRt => &LITERT,
        EngineChoice::Tract => &TRACT,
        EngineChoice::Auto => panic!("the golden tests name their engine"),
    };
    cell.get_or_init(|| {
        pipeline(PipelineConfig {
            engine,
            ..PipelineConfig::default()
        })
    })
}

/// The default pipeline on LiteRT with `--precision int8`, loaded once per test binary.
pub fn int8_pipeline() -> &'static HandPipeline {
    static INT8: OnceLock<HandPipeline> = OnceLock::new();
    INT8.get_or_init(|| {
        pipeline(PipelineConfig {
            engine: EngineChoice::LiteRt,
            precision: Precision::Int8,
            ..PipelineConfig::default()
        })
    })
}

/// `f` over `items` on every core (each thread takes the next item), results in item order.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let mut numbered: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return done;
                        };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a test thread panicked"))
            .collect()
    });
    numbered.sort_by_key(|(i, _)| *i);
    numbered.into_iter().map(|(_, r)| r).collect()
}

/// Mean 2-D distance between two landmark sets.
pub fn mean_distance(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
        .sum::<f32>()
        / a.len() as f32
}
