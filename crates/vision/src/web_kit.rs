//! The hand landmarker that runs in the browser (on-device mode): MediaPipe's own WebAssembly
//! build of the same two models the server runs, served by our server to its own pages so that
//! no page loads anything from another site.
//!
//! Four files, fetched from the registries on first use, checked by sha256 and cached in one
//! folder beside the models:
//! - from npm, `@mediapipe/tasks-vision@0.10.21` (Apache-2.0): the JavaScript module
//!   (`vision_bundle.mjs`) and its WebAssembly build with SIMD (`vision_wasm_internal.js` and
//!   `.wasm`);
//! - from PyPI, the `mediapipe==0.10.21` wheel: `palm_detection_full.tflite` and
//!   `hand_landmark_full.tflite`, the same weights as the npm package's models plus the metadata
//!   (input normalisation) the tasks runtime insists on, packed into `hand_landmarker.task` (a
//!   zip of `hand_detector.tflite` and `hand_landmarks_detector.tflite`, which is all a `.task`
//!   bundle is).
//!
//! Later uses only verify: the three npm files by sha256, the bundle by its members' sha256.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::VisionError;
use crate::registry::{
    check_sha256, install, io_err, npm_pack, pip_download, tgz_members, zip_member, Scratch,
};

/// The version of MediaPipe's browser build (and of the wheel the models are taken from).
pub const VERSION: &str = "0.10.21";
const NPM_PACKAGE: &str = "@mediapipe/tasks-vision@0.10.21";
const NPM_SHA256: &str = "343736570f433c0100ffc360dbe70f09cc502a5fc573f5cd95954692edc9cfde";
const WHEEL_REQUIREMENT: &str = "mediapipe==0.10.21";
const WHEEL: &str = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl";
const WHEEL_SHA256: &str = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3";

/// The model bundle the browser loads.
pub const TASK_FILE: &str = "hand_landmarker.task";

/// A file of the kit as the browser asks for it.
pub struct KitFile {
    /// Its name in the cache folder and in the URL.
    pub name: &'static str,
    pub content_type: &'static str,
    /// Where it comes from: a path in the npm tarball, else a member of the task bundle.
    source: Source,
}

enum Source {
    Npm {
        path: &'static str,
        sha256: &'static str,
    },
    /// `hand_landmarker.task`, built from the wheel's models.
    Bundle,
}

/// The models in the wheel and their names inside the `.task` bundle.
const BUNDLE_MEMBERS: [(&str, &str, &str); 2] = [
    (
        "mediapipe/modules/palm_detection/palm_detection_full.tflite",
        "hand_detector.tflite",
        "1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54",
    ),
    (
        "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
        "hand_landmarks_detector.tflite",
        "11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3",
    ),
];

pub const FILES: [KitFile; 4] = [
    KitFile {
        name: "vision_bundle.mjs",
        content_type: "text/javascript; charset=utf-8",
        source: Source::Npm {
            path: "package/vision_bundle.mjs",
            sha256: "40f4123dfcd75cfa58add046919cc6f52fde66f009ff582997c09ba54c6ba27c",
        },
    },
    KitFile {
        name: "vision_wasm_internal.js",
        content_type: "text/javascript; charset=utf-8",
        source: Source::Npm {
            path: "package/wasm/vision_wasm_internal.js",
            sha256: "4a97e2520ba506c680ecd6ba6acfb146888afa0e2746d57f205352bc6ebb82eb",
        },
    },
    KitFile {
        name: "vision_wasm_internal.wasm",
        content_type: "application/wasm",
        source: Source::Npm {
            path: "package/wasm/vision_wasm_internal.wasm",
            sha256: "f00ec4731faa23b3e714d00e88d4d10e2df5c0a427d3a2b4ae6e3526fdd14ef7",
        },
    },
    KitFile {
        name: TASK_FILE,
        content_type: "application/octet-stream",
        source: Source::Bundle,
    },
];

/// The verified kit in its folder.
#[derive(Clone, Debug)]
pub struct WebKit {
    dir: PathBuf,
}

impl WebKit {
    /// The kit's folder under a model folder.
    pub fn dir_in(models_dir: &Path) -> PathBuf {
        models_dir.join(format!("tasks-vision-{VERSION}"))
    }

    /// The kit under `models_dir`, fetched first if a file is missing or damaged. Blocking:
    /// the first call downloads about 42 MB (npm and pip must be installed).
    pub fn ensure(models_dir: &Path) -> Result<WebKit, VisionError> {
        let kit = WebKit {
            dir: Self::dir_in(models_dir),
        };
        if kit.verify().is_ok() {
            return Ok(kit);
        }
        kit.fetch()?;
        kit.verify()?;
        Ok(kit)
    }

    /// The path of one of [`FILES`], by name; `None` for any other name.
    pub fn path(&self, name: &str) -> Option<(PathBuf, &'static KitFile)> {
        FILES
            .iter()
            .find(|f| f.name == name)
            .map(|f| (self.dir.join(f.name), f))
    }

    fn verify(&self) -> Result<(), VisionError> {
        for file in &FILES {
            let path = self.dir.join(file.name);
            let bytes = fs::read(&path).map_err(io_err(&path))?;
            let what = path.display().to_string();
            match file.source {
                Source::Npm { sha256, .. } => check_sha256(&what, &bytes, sha256)?,
                Source::Bundle => {
                    for (_, member, sha256) in BUNDLE_MEMBERS {
                        zip_member(&what, &bytes, member, sha256)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn fetch(&self) -> Result<(), VisionError> {
        tracing::info!(
            npm = NPM_PACKAGE,
            pip = WHEEL_REQUIREMENT,
            dir = %self.dir.display(),
            "fetching the browser's hand landmarker (on-device mode)"
        );
        fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let scratch = Scratch::new(&self.dir, "web-kit")?;
        let otherwise = "use server mode (the camera frames are then read on the server)";
        let tgz = npm_pack(NPM_PACKAGE, NPM_SHA256, &scratch, otherwise)?;
        let members = tgz_members(NPM_PACKAGE, &tgz, |p| {
            FILES
                .iter()
                .any(|f| matches!(f.source, Source::Npm { path, .. } if path == p))
        })?;
        for file in &FILES {
            if let Source::Npm { path, sha256 } = file.source {
                let bytes = members
                    .iter()
                    .find(|(p, _)| p == path)
                    .map(|(_, b)| b)
                    .ok_or_else(|| {
                        VisionError::Models(format!("{path} is missing from {NPM_PACKAGE}"))
                    })?;
                check_sha256(&format!("{path} in {NPM_PACKAGE}"), bytes, sha256)?;
                install(&scratch, &self.dir.join(file.name), bytes)?;
            }
        }
        drop(tgz);
        let how = format!(
            "The browser's models come from `pip download {WHEEL_REQUIREMENT}`: install pip \
             (e.g. `apt-get install python3-pip`), or {otherwise}"
        );
        let wheel = pip_download(
            WHEEL_REQUIREMENT,
            "manylinux_2_28_x86_64",
            WHEEL,
            WHEEL_SHA256,
            &scratch,
            &how,
        )?;
        let mut models = Vec::new();
        for (in_wheel, member, sha256) in BUNDLE_MEMBERS {
            models.push((member, zip_member(WHEEL, &wheel, in_wheel, sha256)?));
        }
        drop(wheel);
        let bundle = task_bundle(&models)?;
        install(&scratch, &self.dir.join(TASK_FILE), &bundle)
    }
}

/// A `.task` bundle: an uncompressed zip of the models under the names the task expects. The
/// same models always give the same bytes (fixed timestamps).
fn task_bundle(models: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, VisionError> {
    let bad =
        |e: zip::result::ZipError| VisionError::Models(format!("cannot build {TASK_FILE}: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in models {
        zip.start_file(*name, options).map_err(bad)?;
        zip.write_all(bytes)
            .map_err(|e| VisionError::Models(format!("cannot build {TASK_FILE}: {e}")))?;
    }
    Ok(zip.finish().map_err(bad)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_bundle_is_a_zip_of_the_named_models_and_reproducible() {
        let models = [
            ("hand_detector.tflite", b"palm".to_vec()),
            ("hand_landmarks_detector.tflite", b"landmarks".to_vec()),
        ];
        let a = task_bundle(&models).unwrap();
        assert_eq!(a, task_bundle(&models).unwrap());
        let sum = crate::registry::sha256_hex(b"landmarks");
        let member = zip_member("t", &a, "hand_landmarks_detector.tflite", &sum).unwrap();
        assert_eq!(member, b"landmarks");
        assert!(zip_member("t", &a, "hand_detector.tflite", &sum).is_err());
    }

    #[test]
    fn only_the_kit_files_have_paths() {
        let kit = WebKit {
            dir: PathBuf::from("/nowhere"),
        };
        assert!(kit.path("vision_wasm_internal.wasm").is_some());
        assert!(kit.path("../models").is_none());
        assert!(kit.path("palm_detection_full.tflite").is_none());
    }
}
