//! Getting `libLiteRt.so` the way the models are got: from a package registry, pinned and
//! checksummed, cached beside the models. The library ships in PyPI's `ai-edge-litert` wheel
//! (a zip); the first use runs `pip download` for that one wheel into a scratch folder, checks
//! the wheel's sha256, takes the library out of it, checks the library's sha256 and caches it.
//! Later uses only verify the cached file. Nothing is installed and no root is needed.
//!
//! Only version 2.1.4 is accepted: the C API SignBridge declares is that version's (2.3.0 changed
//! `LiteRtCreateModelFromFile` incompatibly), and the checksums pin the exact build.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::VisionError;

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

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> VisionError + '_ {
    move |source| VisionError::Io {
        path: path.to_path_buf(),
        source,
    }
}

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
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let scratch = dir.join(format!(".fetch-litert-{}", std::process::id()));
    fs::create_dir_all(&scratch).map_err(io_err(&scratch))?;
    let result = fetch_into(dir, &scratch);
    let _ = fs::remove_dir_all(&scratch);
    result
}

/// The ways pip may be installed, tried in order.
const PIPS: [&[&str]; 3] = [&["pip3"], &["pip"], &["python3", "-m", "pip"]];

fn fetch_into(dir: &Path, scratch: &Path) -> Result<(), VisionError> {
    tracing::info!(package = PACKAGE, dir = %dir.display(), "fetching the LiteRT library with pip download");
    let mut last_error = String::from("no pip found");
    let mut downloaded = false;
    for pip in PIPS {
        let output = Command::new(pip[0])
            .args(&pip[1..])
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "manylinux_2_27_x86_64",
                "--python-version",
                "3.11",
                "--implementation",
                "cp",
                "--abi",
                "cp311",
                "--disable-pip-version-check",
                "--quiet",
                "--dest",
            ])
            .arg(scratch)
            .arg(PACKAGE)
            .output();
        match output {
            Ok(o) if o.status.success() => {
                downloaded = true;
                break;
            }
            Ok(o) => {
                last_error = format!(
                    "`{} download {PACKAGE}` failed: {}",
                    pip.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                )
            }
            Err(e) => last_error = format!("cannot run {}: {e}", pip.join(" ")),
        }
    }
    if !downloaded {
        return Err(VisionError::Models(format!("{last_error}. {HOW_TO_GET}")));
    }
    let wheel = scratch.join(WHEEL);
    let bytes = fs::read(&wheel).map_err(io_err(&wheel))?;
    let sum = sha256_hex(&bytes);
    if sum != WHEEL_SHA256 {
        return Err(VisionError::Models(format!(
            "{WHEEL} has sha256 {sum}, expected {WHEEL_SHA256}; refusing to use it"
        )));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| VisionError::Models(format!("{WHEEL} is not a readable zip: {e}")))?;
    let mut entry = archive
        .by_name(LIBRARY_IN_WHEEL)
        .map_err(|e| VisionError::Models(format!("{WHEEL} lacks {LIBRARY_IN_WHEEL}: {e}")))?;
    let mut library = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry.read_to_end(&mut library).map_err(io_err(&wheel))?;
    let sum = sha256_hex(&library);
    if sum != LIBRARY_SHA256 {
        return Err(VisionError::Models(format!(
            "{LIBRARY_IN_WHEEL} in {WHEEL} has sha256 {sum}, expected {LIBRARY_SHA256}"
        )));
    }
    let tmp = scratch.join(LIBRARY_FILE);
    fs::write(&tmp, &library).map_err(io_err(&tmp))?;
    let dest = dir.join(LIBRARY_FILE);
    fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
    Ok(())
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
