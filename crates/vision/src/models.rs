//! The four MediaPipe model files: where they come from, where they are cached, and how they are
//! verified. The first command that needs them runs `npm pack` for the pinned `@mediapipe/hands`
//! package (the only registry that carries them and that this project may reach), checks the
//! package's sha256, cuts the palm models out of its packed-assets file at fixed offsets, checks
//! every model's sha256 and writes them to the cache directory. Later runs only verify.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::VisionError;
use crate::registry::{install, io_err, npm_pack, sha256_hex, tgz_members, Scratch};

/// The npm package that carries the models, pinned to one version.
pub const NPM_PACKAGE: &str = "@mediapipe/hands@0.4.1675469240";
const PACKAGE_SHA256: &str = "bdd5be939c60cbd72a49f4b6141407683cf2a67263598e1a44757d70b3dfcb8a";
const PACKED_ASSETS: &str = "package/hands_solution_packed_assets.data";

/// Which pair of models to run: `full` is more accurate, `lite` faster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModelVariant {
    #[default]
    Full,
    Lite,
}

impl std::str::FromStr for ModelVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(ModelVariant::Full),
            "lite" => Ok(ModelVariant::Lite),
            other => Err(format!(
                "unknown model variant {other:?} (expected full or lite)"
            )),
        }
    }
}

/// One model file: its cache name, where it sits in the npm package, and its checksum.
struct ModelFile {
    name: &'static str,
    /// Path inside the package tarball.
    source: &'static str,
    /// Byte range inside `source`, when the model is packed with others.
    range: Option<(usize, usize)>,
    sha256: &'static str,
}

const FILES: [ModelFile; 4] = [
    ModelFile {
        name: "palm_detection_full.tflite",
        source: PACKED_ASSETS,
        range: Some((11, 2_341_291)),
        sha256: "2f25e740121983f68ffc05f99991d524dc0ea812134f6316a26125816941ee85",
    },
    ModelFile {
        name: "palm_detection_lite.tflite",
        source: PACKED_ASSETS,
        range: Some((2_341_291, 4_326_731)),
        sha256: "e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18",
    },
    ModelFile {
        name: "hand_landmark_full.tflite",
        source: "package/hand_landmark_full.tflite",
        range: None,
        sha256: "8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68",
    },
    ModelFile {
        name: "hand_landmark_lite.tflite",
        source: "package/hand_landmark_lite.tflite",
        range: None,
        sha256: "d7fde8ac11f8ce03f8663775bfc323f4fc9f2a38062b4f4efa142874ef5b2a48",
    },
];

/// The model cache directory.
#[derive(Clone, Debug)]
pub struct ModelStore {
    dir: PathBuf,
}

impl ModelStore {
    pub fn new(dir: PathBuf) -> Self {
        ModelStore { dir }
    }

    /// The conventional per-user cache: `$XDG_CACHE_HOME/signbridge/models`, else
    /// `~/.cache/signbridge/models`, else `./.signbridge-models`. (Choosing another folder,
    /// `--models-dir` or `SIGNBRIDGE_MODELS`, is the caller's business.)
    pub fn default_dir() -> PathBuf {
        if let Some(cache) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return PathBuf::from(cache).join("signbridge/models");
        }
        match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            Some(home) => PathBuf::from(home).join(".cache/signbridge/models"),
            None => PathBuf::from(".signbridge-models"),
        }
    }

    /// The store at an explicit directory, or at [`ModelStore::default_dir`].
    pub fn at(dir: Option<PathBuf>) -> Self {
        ModelStore::new(dir.unwrap_or_else(Self::default_dir))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes sure every model is present and verified, fetching the package once if not.
    pub fn ensure(&self) -> Result<(), VisionError> {
        if FILES.iter().all(|f| self.read_verified(f).is_ok()) {
            return Ok(());
        }
        self.fetch()?;
        for f in &FILES {
            self.read_verified(f)?;
        }
        Ok(())
    }

    /// Reads one model, verifying its checksum; fetches the package first if needed.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, VisionError> {
        let file = FILES
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| VisionError::Models(format!("unknown model {name}")))?;
        match self.read_verified(file) {
            Ok(bytes) => Ok(bytes),
            Err(_) => {
                self.ensure()?;
                self.read_verified(file)
            }
        }
    }

    fn read_verified(&self, file: &ModelFile) -> Result<Vec<u8>, VisionError> {
        let path = self.dir.join(file.name);
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        let sum = sha256_hex(&bytes);
        if sum != file.sha256 {
            return Err(VisionError::Models(format!(
                "{} has sha256 {sum}, expected {}; delete it and run again to fetch it anew",
                path.display(),
                file.sha256
            )));
        }
        Ok(bytes)
    }

    /// Runs `npm pack` into a scratch directory and extracts the models from the tarball.
    fn fetch(&self) -> Result<(), VisionError> {
        tracing::info!(package = NPM_PACKAGE, dir = %self.dir.display(), "fetching hand models with npm pack");
        let scratch = Scratch::new(&self.dir, "models")?;
        let otherwise = format!(
            "put the four model files (see docs/models.md) in {}",
            self.dir.display()
        );
        let bytes = npm_pack(NPM_PACKAGE, PACKAGE_SHA256, &scratch, &otherwise)?;
        let contents = tgz_members(NPM_PACKAGE, &bytes, |p| FILES.iter().any(|f| f.source == p))?;
        for file in &FILES {
            let source = contents
                .iter()
                .find(|(p, _)| p == file.source)
                .map(|(_, d)| d)
                .ok_or_else(|| {
                    VisionError::Models(format!("{} is missing from the package", file.source))
                })?;
            let bytes = match file.range {
                Some((start, end)) => source.get(start..end).ok_or_else(|| {
                    VisionError::Models(format!("{} is shorter than expected", file.source))
                })?,
                None => &source[..],
            };
            let sum = sha256_hex(bytes);
            if sum != file.sha256 {
                return Err(VisionError::Models(format!(
                    "{} from the package has sha256 {sum}, expected {}",
                    file.name, file.sha256
                )));
            }
            install(&scratch, &self.dir.join(file.name), bytes)?;
        }
        Ok(())
    }
}

/// File names of the palm and landmark models of a variant.
pub(crate) fn model_names(variant: ModelVariant) -> (&'static str, &'static str) {
    match variant {
        ModelVariant::Full => ("palm_detection_full.tflite", "hand_landmark_full.tflite"),
        ModelVariant::Lite => ("palm_detection_lite.tflite", "hand_landmark_lite.tflite"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_model_file_is_reported_with_what_to_do() {
        let dir = std::env::temp_dir().join(format!("sb-models-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("hand_landmark_lite.tflite"), b"not a model").unwrap();
        let store = ModelStore::new(dir.clone());
        let err = store.read_verified(&FILES[3]).unwrap_err().to_string();
        assert!(err.contains("expected d7fde8ac"), "{err}");
        assert!(err.contains("delete it"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn variant_parses_from_cli_words() {
        assert_eq!("lite".parse::<ModelVariant>(), Ok(ModelVariant::Lite));
        assert!("huge".parse::<ModelVariant>().is_err());
    }
}
