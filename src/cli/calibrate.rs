//! `signbridge calibrate`: a signer's own photos, one folder per label, become a calibration
//! profile (their hands' landmarks only, never pixels) that `classify --profile` reads with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use signbridge_interpreter::{read, signing_hand};
use signbridge_server::{PipelineArgs, PipelineSettings};
use signbridge_signs::labels::{normalize, NOTHING};
use signbridge_signs::{Classifier, Profile};

use super::read_frame;

#[derive(clap::Args)]
pub struct CalibrateArgs {
    /// The profile file to write (JSON: landmarks per label).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// A folder with one folder per label (A/, B/, ..., space/, delete/) of the signer's photos.
    pub dir: PathBuf,
}

/// The label folders of `dir`, sorted, each with its photos (sorted); an unknown label or an
/// empty folder is an error naming it.
fn label_folders(
    dir: &Path,
    classifier: &Classifier,
) -> anyhow::Result<Vec<(String, Vec<PathBuf>)>> {
    let mut folders = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let label = normalize(&name);
        if label == NOTHING || !classifier.classes.contains(&label) {
            bail!(
                "{}: unknown label {name:?} (folders are named A to Z, space or delete)",
                path.display()
            );
        }
        let mut photos: Vec<PathBuf> = std::fs::read_dir(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        if photos.is_empty() {
            bail!(
                "{}: empty folder (put photos of {label} in it)",
                path.display()
            );
        }
        photos.sort();
        folders.push((label, photos));
    }
    if folders.is_empty() {
        bail!(
            "{}: no label folders (make one per label: A/, B/, ..., space/, delete/)",
            dir.display()
        );
    }
    folders.sort();
    Ok(folders)
}

pub fn run(args: CalibrateArgs) -> anyhow::Result<ExitCode> {
    let classifier = Classifier::default_model();
    let folders = label_folders(&args.dir, &classifier)?;
    let settings = PipelineSettings::try_from(&args.pipeline)?;
    let pipeline = super::load_pipeline(&settings)?;
    let mut profile = Profile::new();
    let mut kept: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (label, photos) in &folders {
        for photo in photos {
            let reading = read_frame(photo, &settings.limits)
                .and_then(|frame| read(&pipeline, &classifier, &frame));
            let counts = kept.entry(label.clone()).or_default();
            counts.1 += 1;
            match reading {
                Ok(r) => match signing_hand(&r.hands) {
                    Some(hand) => {
                        profile.add(&classifier, label, &hand.landmarks)?;
                        counts.0 += 1;
                    }
                    None => eprintln!("skipped {}: no hand found", photo.display()),
                },
                Err(e) => eprintln!("skipped {}: {e}", photo.display()),
            }
        }
        if kept[label].0 == 0 {
            bail!(
                "{}: no usable hand in its {} photo(s)",
                photos[0].parent().unwrap_or(&args.dir).display(),
                photos.len()
            );
        }
    }
    std::fs::write(&args.out, profile.to_json())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    for (label, (n, of)) in &kept {
        println!("{label}: kept {n} of {of}");
    }
    println!("wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// Reads a profile written by `calibrate`; the error names the file.
pub fn load_profile(path: &Path, classifier: &Classifier) -> anyhow::Result<Profile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the profile {}", path.display()))?;
    Profile::from_json(&text, classifier)
        .with_context(|| format!("{} is not a usable calibration profile", path.display()))
}
