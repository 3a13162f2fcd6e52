//! The inference engine behind a small interface. Two backends run the same `.tflite` files:
//! - [`litert`]: Google's LiteRT with XNNPACK, what MediaPipe itself runs; the fastest, loaded at
//!   run time from a library fetched on first use (see [`litert::fetch`]);
//! - [`tract`]: pure Rust, always available, fed a rewritten copy of each model ([`rewrite`]).
//!
//! [`EngineChoice::Auto`] takes LiteRT when it can be had and tract otherwise, and [`Engine`]
//! says which it took and why.

pub mod litert;
mod rewrite;
mod tract;

pub use self::tract::TractModel;
pub use litert::{LiteRt, LiteRtModel};
pub use rewrite::{rewrite_for_litert, rewrite_for_tract};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::VisionError;

/// One loaded, optimised model with a single fixed-shape NHWC f32 input.
/// Implementations are shared between threads; each `run` keeps its own state.
pub trait Model: Send + Sync {
    /// The input shape, `[1, height, width, channels]`.
    fn input_shape(&self) -> [usize; 4];
    /// Runs the model on `input` (`height * width * channels` values) and returns every output,
    /// flattened, in the model's output order.
    fn run(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError>;
}

/// Which engine the user asked for (`--engine`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineChoice {
    /// LiteRT when its library can be had, tract otherwise.
    #[default]
    Auto,
    LiteRt,
    Tract,
}

impl std::str::FromStr for EngineChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(EngineChoice::Auto),
            "litert" => Ok(EngineChoice::LiteRt),
            "tract" => Ok(EngineChoice::Tract),
            other => Err(format!(
                "unknown engine {other:?} (expected auto, litert or tract)"
            )),
        }
    }
}

/// How the models' convolutions run on LiteRT (`--precision`); tract always runs the
/// shipped weights in f32.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// The shipped weights: the same outputs, bit for bit, as MediaPipe's own LiteRT.
    #[default]
    Exact,
    /// `CONV_2D` weights as int8, activations quantized on the fly ([`rewrite_for_litert`]).
    Int8,
}

impl Precision {
    pub fn name(self) -> &'static str {
        match self {
            Precision::Exact => "exact",
            Precision::Int8 => "int8",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "exact" => Ok(Precision::Exact),
            "int8" => Ok(Precision::Int8),
            other => Err(format!(
                "unknown precision {other:?} (expected exact or int8)"
            )),
        }
    }
}

/// The engine that runs, as reported (`/health`, `/api`, `/metrics`, `bench`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    LiteRt,
    Tract,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::LiteRt => "litert",
            EngineKind::Tract => "tract",
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An engine ready to load models.
#[derive(Clone)]
pub struct Engine {
    runtime: Option<Arc<LiteRt>>,
    /// Why `auto` fell back to tract, with how to get LiteRT.
    fallback: Option<String>,
}

/// One LiteRT environment per library file for the whole process: pipelines loaded later (tests,
/// `train`) reuse it instead of loading the library again.
fn loaded(path: &Path) -> Result<Arc<LiteRt>, VisionError> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<LiteRt>>>> = OnceLock::new();
    let mut map = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(runtime) = map.get(path) {
        return Ok(Arc::clone(runtime));
    }
    let runtime = LiteRt::load(path)?;
    map.insert(path.to_path_buf(), Arc::clone(&runtime));
    Ok(runtime)
}

impl Engine {
    /// Opens the engine `choice` names. LiteRT's library is fetched into `cache_dir` on first
    /// use; `auto` falls back to tract if that fails, `litert` fails.
    pub fn open(choice: EngineChoice, cache_dir: &Path) -> Result<Engine, VisionError> {
        let litert = || litert::fetch::ensure_library(cache_dir).and_then(|p| loaded(&p));
        match choice {
            EngineChoice::Tract => Ok(Engine::tract()),
            EngineChoice::LiteRt => Ok(Engine {
                runtime: Some(litert()?),
                fallback: None,
            }),
            EngineChoice::Auto => match litert() {
                Ok(runtime) => Ok(Engine {
                    runtime: Some(runtime),
                    fallback: None,
                }),
                Err(e) => Ok(Engine {
                    runtime: None,
                    fallback: Some(format!(
                        "LiteRT is not available ({e}); running on tract, about 2.5 times slower"
                    )),
                }),
            },
        }
    }

    /// The pure-Rust engine.
    pub fn tract() -> Engine {
        Engine {
            runtime: None,
            fallback: None,
        }
    }

    pub fn kind(&self) -> EngineKind {
        if self.runtime.is_some() {
            EngineKind::LiteRt
        } else {
            EngineKind::Tract
        }
    }

    /// Why `auto` runs tract, when it does.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// Loads one `.tflite` model on this engine, rewritten for it ([`rewrite_for_litert`],
    /// [`rewrite_for_tract`]), with its shipped weights.
    pub fn load(&self, tflite: Vec<u8>) -> Result<Arc<dyn Model>, VisionError> {
        self.load_with(tflite, Precision::Exact)
    }

    /// [`Self::load`], with `precision` on LiteRT; tract ignores it and runs the shipped weights.
    pub fn load_with(
        &self,
        tflite: Vec<u8>,
        precision: Precision,
    ) -> Result<Arc<dyn Model>, VisionError> {
        Ok(match &self.runtime {
            Some(runtime) => {
                let rewritten = rewrite_for_litert(&tflite, precision)?;
                drop(tflite);
                Arc::new(LiteRtModel::from_tflite(Arc::clone(runtime), rewritten)?)
            }
            None => Arc::new(TractModel::from_tflite(tflite)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_choice_parses_from_cli_words() {
        assert_eq!("litert".parse::<EngineChoice>(), Ok(EngineChoice::LiteRt));
        assert_eq!("auto".parse::<EngineChoice>(), Ok(EngineChoice::Auto));
        assert!("onnx".parse::<EngineChoice>().is_err());
    }

    #[test]
    fn auto_falls_back_to_tract_with_the_reason_and_the_remedy() {
        // A cache folder that is a file: the library can be neither found nor fetched there.
        let file = std::env::temp_dir().join(format!("sb-engine-{}", std::process::id()));
        std::fs::write(&file, b"").unwrap();
        let engine = Engine::open(EngineChoice::Auto, &file).unwrap();
        assert_eq!(engine.kind(), EngineKind::Tract);
        let why = engine.fallback_reason().unwrap();
        assert!(why.contains("LiteRT is not available"), "{why}");
        assert!(Engine::open(EngineChoice::LiteRt, &file).is_err());
        std::fs::remove_file(file).unwrap();
    }
}
