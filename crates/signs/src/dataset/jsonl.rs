//! Detector output in JSON Lines: `{"path","width","height","hands":[{"handedness","score",
//! "landmarks":[[x,y,z]×21],"world_landmarks":…}]}` per image, as in `reference/*.jsonl` and
//! `signbridge detect --json`. The label is the name of the folder holding the image.
//!
//! [`DetectionRecord`] is the one type of that line: `signbridge detect` and `signbridge train`
//! write it, [`load_jsonl`] reads it.

use super::Sample;
use crate::error::{Result, SignsError};
use crate::features::Hand;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// One image's hands: a line of `signbridge detect --json` and of MediaPipe's reference files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionRecord {
    pub path: String,
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    /// Missing or `null` (in files we read) means no hand; we always write a list.
    #[serde(default)]
    pub hands: Option<Vec<DetectedHand>>,
}

/// One hand of a [`DetectionRecord`]: image landmarks in pixels, world landmarks in metres.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectedHand {
    /// MediaPipe's label, `"Left"` or `"Right"`.
    #[serde(default)]
    pub handedness: String,
    #[serde(default)]
    pub score: f32,
    pub landmarks: Vec<[f32; 3]>,
    #[serde(default)]
    pub world_landmarks: Vec<[f32; 3]>,
}

/// What one JSONL file held.
#[derive(Debug, Default, Clone)]
pub struct JsonlLoad {
    /// One sample per image with a hand (the highest-scoring hand when there are several).
    pub samples: Vec<Sample>,
    /// Images with no hand.
    pub no_hand: usize,
}

/// The label of an image path: its parent folder name, normalised (`…/Del/x.jpg` -> `delete`).
pub fn label_of(path: &str) -> Option<String> {
    let p = Path::new(path);
    let parent = p.parent()?.file_name()?.to_str()?;
    Some(crate::labels::normalize(parent))
}

/// Load a JSONL file; `source` names it in the samples. Every image of one folder shares a group.
pub fn load_jsonl(path: &Path, source: &str) -> Result<JsonlLoad> {
    let f = std::fs::File::open(path).map_err(|source| SignsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = JsonlLoad::default();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|source| SignsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| SignsError::Json {
            path: path.to_path_buf(),
            line: i + 1,
            reason,
        };
        let rec: DetectionRecord = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let label =
            label_of(&rec.path).ok_or_else(|| bad(format!("no folder in {:?}", rec.path)))?;
        let best = rec
            .hands
            .iter()
            .flatten()
            .filter(|h| h.landmarks.len() == 21)
            .max_by(|a, b| a.score.total_cmp(&b.score));
        match best {
            Some(h) => {
                let mut hand: Hand = [[0.0; 3]; 21];
                hand.copy_from_slice(&h.landmarks);
                out.samples.push(Sample::new(&label, hand, source, 0));
            }
            None => out.no_hand += 1,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_without_hands_count_as_no_hand() {
        let dir = std::env::temp_dir().join(format!("signs-jsonl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let p = dir.join("x.jsonl");
        let hand: Vec<[f32; 3]> = (0..21).map(|i| [i as f32, 1.0, 0.0]).collect();
        let line = serde_json::json!({"path": "a/B/1.jpg", "hands": [
            {"score": 0.5, "landmarks": hand},
            {"score": 0.9, "landmarks": hand.iter().map(|p| [p[0] * 2.0, p[1], p[2]]).collect::<Vec<_>>()}
        ]});
        let text = format!(
            "{line}\n{{\"path\": \"a/C/2.jpg\", \"hands\": null}}\n{{\"path\": \"a/D/3.jpg\", \"hands\": []}}\n"
        );
        std::fs::write(&p, text).expect("write");
        let load = load_jsonl(&p, "t").expect("load");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(load.no_hand, 2);
        assert_eq!(load.samples.len(), 1);
        assert_eq!(load.samples[0].label, "B");
        // The higher-scoring hand is taken.
        assert_eq!(load.samples[0].hand[20][0], 40.0);
    }

    #[test]
    fn a_broken_line_is_an_error_naming_the_line() {
        let dir = std::env::temp_dir().join(format!("signs-jsonl-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let p = dir.join("bad.jsonl");
        std::fs::write(&p, "{\"path\": \"a/B/1.jpg\"}\nnot json\n").expect("write");
        let err = load_jsonl(&p, "t").expect_err("must fail");
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(err, SignsError::Json { line: 2, .. }), "{err}");
    }

    #[test]
    fn label_is_parent_folder() {
        assert_eq!(
            label_of("images/letters/Del/Del3.jpg").as_deref(),
            Some("delete")
        );
        assert_eq!(label_of("/x/train/b/b1.jpg").as_deref(), Some("B"));
        assert_eq!(label_of("noparent.jpg"), None);
    }
}
