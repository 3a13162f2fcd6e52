//! Loaders for the landmark tables in `landmarks/` (see its README for each convention).
//!
//! Every loader returns hands in isotropic units (x and y on one scale). The image-normalised
//! webcam tables store `x = px / W`, `y = py / H`; their frame size is not published, so x is
//! multiplied by an assumed aspect `W / H` ([`WEBCAM_ASPECT`], chosen by measurement, see
//! docs/signs.md). z of those tables is already in x's units and gets the same factor.

use super::Sample;
use crate::error::{Result, SignsError};
use crate::features::Hand;
use flate2::read::GzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Assumed width / height of the webcam frames behind the image-normalised tables (640×480).
pub const WEBCAM_ASPECT: f32 = 4.0 / 3.0;

/// Consecutive rows of one video source grouped together for held-out splits.
const FRAME_BLOCK: usize = 25;

fn open(path: &Path) -> Result<Box<dyn Read>> {
    let f = File::open(path).map_err(|source| SignsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let r = BufReader::new(f);
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(GzDecoder::new(r)))
    } else {
        Ok(Box::new(r))
    }
}

/// Read every record of a CSV file (gzip or plain) as strings.
fn records(path: &Path, has_header: bool) -> Result<Vec<csv::StringRecord>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(has_header)
        .flexible(false)
        .from_reader(open(path)?);
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        out.push(rec.map_err(|e| SignsError::Csv {
            path: path.to_path_buf(),
            row: i + 1,
            reason: e.to_string(),
        })?);
    }
    Ok(out)
}

fn bad(path: &Path, row: usize, reason: impl Into<String>) -> SignsError {
    SignsError::Csv {
        path: path.to_path_buf(),
        row,
        reason: reason.into(),
    }
}

/// Parse `dims`-wide landmarks (2 or 3 values each) from `fields[start..]`; x scaled by `sx`,
/// y by 1, z by `sx`.
fn parse_hand(
    path: &Path,
    row: usize,
    rec: &csv::StringRecord,
    start: usize,
    dims: usize,
    sx: f32,
) -> Result<Hand> {
    if rec.len() != start + 21 * dims {
        return Err(bad(
            path,
            row,
            format!("{} fields, expected {}", rec.len(), start + 21 * dims),
        ));
    }
    let mut h = [[0.0f32; 3]; 21];
    for (i, p) in h.iter_mut().enumerate() {
        for d in 0..dims {
            let s = &rec[start + i * dims + d];
            let v: f32 = s
                .trim()
                .parse()
                .map_err(|_| bad(path, row, format!("not a number: {s:?}")))?;
            if !v.is_finite() {
                return Err(bad(path, row, "non-finite value"));
            }
            p[d] = if d == 1 { v } else { v * sx };
        }
    }
    Ok(h)
}

/// Rows `label, x0,y0,z0, …` (bisonhacks) or `label, file, x0,…` (borisgraudt): raw
/// image-normalised MediaPipe output of a mirrored webcam.
fn load_normalised_xyz(path: &Path, source: &str, skip: usize) -> Result<Vec<Sample>> {
    let mut out = Vec::new();
    let mut block_of: Vec<(String, usize)> = Vec::new();
    for (row, rec) in records(path, true)?.iter().enumerate() {
        let hand = parse_hand(path, row + 2, rec, 1 + skip, 3, WEBCAM_ASPECT)?;
        let label = rec[0].to_string();
        // Group consecutive rows of one label into blocks of FRAME_BLOCK.
        let n = match block_of.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                block_of.push((label.clone(), 0));
                0
            }
        };
        out.push(Sample::new(&label, hand, source, (n / FRAME_BLOCK) as u32));
    }
    Ok(out)
}

/// `landmarks/borisgraudt_asl_ai/asl_landmarks_xyz.csv.gz` (A–Z, one signer, video frames).
pub fn load_borisgraudt(data_dir: &Path) -> Result<Vec<Sample>> {
    let p = data_dir.join("landmarks/borisgraudt_asl_ai/asl_landmarks_xyz.csv.gz");
    load_normalised_xyz(&p, "borisgraudt", 1)
}

/// The borisgraudt table as recordings: per letter, its frames in recorded order (`frame_N`,
/// sorted by N; the CSV lists them in file-name order). J and Z are motions, and this is the
/// only real recording of them in `shared/data` (its frame rate is not stated).
pub fn load_borisgraudt_recordings(
    data_dir: &Path,
) -> Result<std::collections::BTreeMap<String, Vec<Hand>>> {
    let p = data_dir.join("landmarks/borisgraudt_asl_ai/asl_landmarks_xyz.csv.gz");
    let mut frames: std::collections::BTreeMap<String, Vec<(u64, Hand)>> = Default::default();
    for (row, rec) in records(&p, true)?.iter().enumerate() {
        let hand = parse_hand(&p, row + 2, rec, 2, 3, WEBCAM_ASPECT)?;
        let n = rec[1]
            .rsplit("frame_")
            .next()
            .and_then(|f| f.trim_end_matches(".npy").parse().ok())
            .ok_or_else(|| {
                bad(
                    &p,
                    row + 2,
                    format!("file {:?} is not frame_N.npy", &rec[1]),
                )
            })?;
        frames
            .entry(rec[0].to_string())
            .or_default()
            .push((n, hand));
    }
    Ok(frames
        .into_iter()
        .map(|(label, mut f)| {
            f.sort_by_key(|(n, _)| *n);
            (label, f.into_iter().map(|(_, h)| h).collect())
        })
        .collect())
}

/// `landmarks/bisonhacks_3person/asl_landmarks_person{person}.csv.gz`. **Evaluation only**:
/// no licence is stated, so the shipped model is never trained on it.
pub fn load_bisonhacks_person(data_dir: &Path, person: u32) -> Result<Vec<Sample>> {
    let p = data_dir.join(format!(
        "landmarks/bisonhacks_3person/asl_landmarks_person{person}.csv.gz"
    ));
    load_normalised_xyz(&p, &format!("bisonhacks/person{person}"), 0)
}

/// `landmarks/nejohnson2/asl_landmarks.csv.gz`: wrist-relative image-normalised, 1-based columns.
pub fn load_nejohnson2(data_dir: &Path) -> Result<Vec<Sample>> {
    let p = data_dir.join("landmarks/nejohnson2/asl_landmarks.csv.gz");
    let mut out = Vec::new();
    for (row, rec) in records(&p, true)?.iter().enumerate() {
        let hand = parse_hand(&p, row + 2, rec, 2, 3, WEBCAM_ASPECT)?;
        out.push(Sample::new(
            &rec[0],
            hand,
            "nejohnson2",
            (row / FRAME_BLOCK) as u32,
        ));
    }
    Ok(out)
}

/// `landmarks/signn/signn_clean_xy.csv.gz`: image-normalised on square photos, x,y only.
pub fn load_signn(data_dir: &Path) -> Result<Vec<Sample>> {
    let p = data_dir.join("landmarks/signn/signn_clean_xy.csv.gz");
    let mut out = Vec::new();
    for (row, rec) in records(&p, true)?.iter().enumerate() {
        let hand = parse_hand(&p, row + 2, rec, 1, 2, 1.0)?;
        out.push(Sample::new(&rec[0], hand, "signn", row as u32));
    }
    Ok(out)
}

/// `landmarks/hands_on_fluency/keypoint.csv.gz` with names from `keypoint_classifier_label.csv`:
/// wrist-relative pixels scaled by the row's max |value|, x,y only. Labels are the class names
/// (`Hello`, `Thanks`, `Yes`, `No`, `I Love You`, letters).
pub fn load_hands_on_fluency(data_dir: &Path) -> Result<Vec<Sample>> {
    let dir = data_dir.join("landmarks/hands_on_fluency");
    let names_path = dir.join("keypoint_classifier_label.csv");
    let mut names = Vec::new();
    for line in BufReader::new(open(&names_path)?).lines() {
        let line = line.map_err(|source| SignsError::Io {
            path: names_path.clone(),
            source,
        })?;
        let name = line.trim_start_matches('\u{feff}').trim();
        if !name.is_empty() {
            names.push(name.to_string());
        }
    }
    let p: PathBuf = dir.join("keypoint.csv.gz");
    let mut out = Vec::new();
    for (row, rec) in records(&p, false)?.iter().enumerate() {
        let id: usize = rec
            .get(0)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| bad(&p, row + 1, "bad class id"))?;
        let name = names
            .get(id)
            .ok_or_else(|| bad(&p, row + 1, format!("class id {id} has no name")))?;
        let hand = parse_hand(&p, row + 1, rec, 1, 2, 1.0)?;
        out.push(Sample::new(name, hand, "hands_on_fluency", row as u32));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Write `text` gzip-compressed as `<tmp>/landmarks/signn/signn_clean_xy.csv.gz`.
    fn signn_dir(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("signs-{name}-{}", std::process::id()));
        let sub = dir.join("landmarks/signn");
        std::fs::create_dir_all(&sub).expect("temp dir");
        let f = File::create(sub.join("signn_clean_xy.csv.gz")).expect("create");
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(text.as_bytes()).expect("write");
        gz.finish().expect("finish");
        dir
    }

    fn header() -> String {
        let cols: Vec<String> = (0..21).map(|i| format!("x{i},y{i}")).collect();
        format!("label,{}\n", cols.join(","))
    }

    #[test]
    fn a_two_d_table_loads_with_zero_z() {
        let row: Vec<String> = (0..42).map(|i| format!("{}", i as f32 / 100.0)).collect();
        let dir = signn_dir("ok", &format!("{}b,{}\n", header(), row.join(",")));
        let s = load_signn(&dir).expect("loads");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].label, "B");
        assert_eq!(s[0].hand[1], [0.02, 0.03, 0.0]);
    }

    #[test]
    fn a_bad_number_is_an_error_naming_the_row() {
        let mut row: Vec<String> = (0..42).map(|_| "0.5".to_string()).collect();
        row[7] = "oops".into();
        let dir = signn_dir("bad", &format!("{}A,{}\n", header(), row.join(",")));
        let err = load_signn(&dir).expect_err("must fail");
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(err, SignsError::Csv { row: 2, .. }), "{err}");
    }

    #[test]
    fn a_missing_table_is_an_io_error() {
        let err = load_nejohnson2(Path::new("/nonexistent-signbridge")).expect_err("must fail");
        assert!(matches!(err, SignsError::Io { .. }), "{err}");
    }
}
