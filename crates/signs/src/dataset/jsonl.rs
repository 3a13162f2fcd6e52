//! Detector output in JSON Lines: `{"path","width","height","hands":[{"handedness","score",
//! "landmarks":[[x,y,z]×21],"world_landmarks":…}]}` per image, as in `reference/*.jsonl` and
//! `signbridge detect --json`. The label is the name of the folder holding the image.

use super::Sample;
use crate::error::{Result, SignsError};
use crate::features::Hand;
use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::path::Path;

#[derive(Deserialize)]
struct Record {
    path: String,
    #[serde(default)]
    hands: Vec<DetectedHand>,
}

#[derive(Deserialize)]
struct DetectedHand {
    #[serde(default)]
    score: f32,
    landmarks: Vec<[f32; 3]>,
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
        let rec: Record = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
        let label =
            label_of(&rec.path).ok_or_else(|| bad(format!("no folder in {:?}", rec.path)))?;
        let best = rec
            .hands
            .iter()
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
    fn label_is_parent_folder() {
        assert_eq!(
            label_of("images/letters/Del/Del3.jpg").as_deref(),
            Some("delete")
        );
        assert_eq!(label_of("/x/train/b/b1.jpg").as_deref(), Some("B"));
        assert_eq!(label_of("noparent.jpg"), None);
    }
}
