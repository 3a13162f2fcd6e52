//! Getting pinned files from the package registries with their ordinary clients: `npm pack`
//! (a tarball) and `pip download` (a wheel, a zip), into a scratch folder that is removed
//! afterwards; and the sha256 every fetched file is checked against. Used by the models
//! ([`crate::models`]), the LiteRT library ([`crate::engine`]) and the browser's hand
//! landmarker ([`crate::web_kit`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::VisionError;

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> VisionError + '_ {
    move |source| VisionError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks `bytes` against `expected`; the error names `what`.
pub(crate) fn check_sha256(what: &str, bytes: &[u8], expected: &str) -> Result<(), VisionError> {
    let sum = sha256_hex(bytes);
    if sum == expected {
        Ok(())
    } else {
        Err(VisionError::Models(format!(
            "{what} has sha256 {sum}, expected {expected}; refusing to use it"
        )))
    }
}

/// A folder inside `parent` for one fetch, removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub fn new(parent: &Path, name: &str) -> Result<Scratch, VisionError> {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
        let path = parent.join(format!(".fetch-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).map_err(io_err(&path))?;
        Ok(Scratch(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `npm pack PACKAGE` into `scratch`; the tarball's bytes, checked against `sha256`.
/// `otherwise` says what the user can do instead when npm cannot be run.
pub(crate) fn npm_pack(
    package: &str,
    sha256: &str,
    scratch: &Scratch,
    otherwise: &str,
) -> Result<Vec<u8>, VisionError> {
    let output = Command::new("npm")
        .args(["pack", package, "--silent", "--pack-destination"])
        .arg(scratch.path())
        .output()
        .map_err(|e| {
            VisionError::Models(format!(
                "cannot run `npm pack {package}` ({e}); install Node.js and npm, or {otherwise}"
            ))
        })?;
    if !output.status.success() {
        return Err(VisionError::Models(format!(
            "`npm pack {package}` failed: {}; check that the npm registry is reachable, or {otherwise}",
            String::from_utf8_lossy(&output.stderr).trim(),
        )));
    }
    let tgz = fs::read_dir(scratch.path())
        .map_err(io_err(scratch.path()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| VisionError::Models(format!("`npm pack {package}` produced no .tgz")))?;
    let bytes = fs::read(&tgz).map_err(io_err(&tgz))?;
    check_sha256(&format!("the {package} tarball"), &bytes, sha256)?;
    Ok(bytes)
}

/// The members of a gzipped tarball whose paths `wanted` accepts, with their bytes.
pub(crate) fn tgz_members(
    name: &str,
    tgz: &[u8],
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(String, Vec<u8>)>, VisionError> {
    use std::io::Read;
    let bad =
        |e: std::io::Error| VisionError::Models(format!("cannot read the {name} tarball: {e}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    let mut contents = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        if wanted(&path) {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(bad)?;
            contents.push((path, data));
        }
    }
    Ok(contents)
}

/// The ways pip may be installed, tried in order.
const PIPS: [&[&str]; 3] = [&["pip3"], &["pip"], &["python3", "-m", "pip"]];

/// One wheel from PyPI: `pip download --no-deps REQUIREMENT` for CPython 3.11 on x86-64 glibc
/// `platform`, whatever Python runs pip (the wheel is only unzipped, never installed). Returns
/// the wheel's bytes, checked against `sha256`. `how_to_get` ends every error message.
pub(crate) fn pip_download(
    requirement: &str,
    platform: &str,
    wheel: &str,
    sha256: &str,
    scratch: &Scratch,
    how_to_get: &str,
) -> Result<Vec<u8>, VisionError> {
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
                platform,
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
            .arg(scratch.path())
            .arg(requirement)
            .output();
        match output {
            Ok(o) if o.status.success() => {
                downloaded = true;
                break;
            }
            Ok(o) => {
                last_error = format!(
                    "`{} download {requirement}` failed: {}",
                    pip.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                )
            }
            Err(e) => last_error = format!("cannot run {}: {e}", pip.join(" ")),
        }
    }
    if !downloaded {
        return Err(VisionError::Models(format!("{last_error}. {how_to_get}")));
    }
    let path = scratch.path().join(wheel);
    let bytes = fs::read(&path).map_err(io_err(&path))?;
    check_sha256(wheel, &bytes, sha256)?;
    Ok(bytes)
}

/// One member of a zip archive (a wheel), checked against `sha256`.
pub(crate) fn zip_member(
    archive_name: &str,
    archive: &[u8],
    member: &str,
    sha256: &str,
) -> Result<Vec<u8>, VisionError> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive))
        .map_err(|e| VisionError::Models(format!("{archive_name} is not a readable zip: {e}")))?;
    let mut entry = zip
        .by_name(member)
        .map_err(|e| VisionError::Models(format!("{archive_name} lacks {member}: {e}")))?;
    let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| VisionError::Models(format!("cannot read {member} in {archive_name}: {e}")))?;
    check_sha256(&format!("{member} in {archive_name}"), &bytes, sha256)?;
    Ok(bytes)
}

/// Writes `bytes` to `dest` through a file in `scratch`, so `dest` is never half written.
pub(crate) fn install(scratch: &Scratch, dest: &Path, bytes: &[u8]) -> Result<(), VisionError> {
    let name = dest.file_name().unwrap_or_default();
    let tmp = scratch.path().join(name);
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, dest).map_err(io_err(dest))
}
