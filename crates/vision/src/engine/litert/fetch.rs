//! Getting `libLiteRt.so` the way the models are got: from a package registry, pinned and
//! checksummed, cached beside the models. The library ships in PyPI's `ai-edge-litert` wheel
//! (a zip); the first use runs `pip download` for that one wheel into a scratch folder, checks
//! the wheel's sha256, takes the library out of it, checks the library's sha256 and caches it.
//! Later uses only verify the cached file. Nothing is installed and no root is needed.
//!
//! Only version 2.1.4 is accepted: the C API SignBridge declares is that version's (2.3.0 changed
//! `LiteRtCreateModelFromFile` incompatibly), and the checksums pin the exact build.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::VisionError;
use crate::registry::{install, io_err, pip_download, sha256_hex, zip_member, Scratch};

pub const LITERT_VERSION: &str = "2.1.4";
const PACKAGE: &str = "ai-edge-litert==2.1.4";
/// The wheel `pip download` is asked for: CPython 3.11, glibc 2.27 or newer, x86-64. Any Python
/// (or none but pip) may run the download; the wheel is only unzipped.
const WHEEL: &str = "ai_edge_litert-2.1.4-cp311-cp311-manylinux_2_27_x86_64.whl";
const WHEEL_SHA256: &str = "1bed8ccd8dfc4f2ec388bc79cb90920c261a244995ce378d396fb8967b7db640";
const LIBRARY_IN_WHEEL: &str = "ai_edge_litert/libLiteRt.so";
const LIBRARY_SHA256: &str = "c590f1124053ce6d2ceaef6d1174af15f8103a76872059414d18ff2e9cfaf681";
/// The cached library's name in the model folder.
pub const LIBRARY_FILE: &str = "libLiteRt-2.1.4.so";

/// How to get the faster engine, for messages that fall back to tract.
pub const HOW_TO_GET: &str = "LiteRT is fetched with `pip download ai-edge-litert==2.1.4` on \
     first use: install pip (e.g. `apt-get install python3-pip`) and run again";

/// The verified library in `dir`, fetched first if it is missing or damaged.
pub fn ensure_library(dir: &Path) -> Result<PathBuf, VisionError> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Err(VisionError::Models(
            "the LiteRT library is fetched for x86-64 Linux only".into(),
        ));
    }
    let path = dir.join(LIBRARY_FILE);
    if verify(&path).is_ok() {
        return Ok(path);
    }
    fetch(dir)?;
    verify(&path)?;
    Ok(path)
}

fn verify(path: &Path) -> Result<(), VisionError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    let sum = sha256_hex(&bytes);
    if sum != LIBRARY_SHA256 {
        return Err(VisionError::Models(format!(
            "{} has sha256 {sum}, expected {LIBRARY_SHA256}; delete it and run again to fetch it anew",
            path.display()
        )));
    }
    Ok(())
}

fn fetch(dir: &Path) -> Result<(), VisionError> {
    tracing::info!(package = PACKAGE, dir = %dir.display(), "fetching the LiteRT library with pip download");
    let scratch = Scratch::new(dir, "litert")?;
    let wheel = pip_download(
        PACKAGE,
        "manylinux_2_27_x86_64",
        WHEEL,
        WHEEL_SHA256,
        &scratch,
        HOW_TO_GET,
    )?;
    let library = zip_member(WHEEL, &wheel, LIBRARY_IN_WHEEL, LIBRARY_SHA256)?;
    install(&scratch, &dir.join(LIBRARY_FILE), &library)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_cached_library_is_named_with_what_to_do() {
        let dir = std::env::temp_dir().join(format!("sb-litert-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(LIBRARY_FILE);
        fs::write(&path, b"not a library").unwrap();
        let err = verify(&path).unwrap_err().to_string();
        assert!(err.contains("expected c590f112"), "{err}");
        assert!(err.contains("delete it"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }
}
