//! Learners' calibrations: their stored examples made into a [`Calibrated`] reader, built off the
//! async runtime (fine-tuning takes milliseconds to a second) and kept in a small cache keyed by
//! the profile and a hash of its examples, so a reconnect or the next upload reuses it and a
//! change made on another replica is still seen (the examples are read on every use; only the
//! fitting is cached).

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use signbridge_signs::calibration::PROFILE_FORMAT;
use signbridge_signs::{Blend, Calibrated, Classifier, Profile};

use crate::error::ApiError;
use crate::storage::{Examples, Storage};

/// Fitted calibrations kept in memory (a few hundred KiB each at most).
const CACHED: usize = 32;

/// A profile's fitted calibration and how many examples it has.
#[derive(Clone)]
pub struct Fitted {
    pub reader: Arc<Calibrated>,
    pub examples: usize,
    pub labels: usize,
}

/// The cache of fitted calibrations, shared by all requests.
pub struct Calibrations {
    classifier: Arc<Classifier>,
    cache: Mutex<VecDeque<(String, u64, Fitted)>>,
}

impl Calibrations {
    pub fn new(classifier: Arc<Classifier>) -> Calibrations {
        Calibrations {
            classifier,
            cache: Mutex::new(VecDeque::new()),
        }
    }

    /// The profile's calibration, or `None` when it has no examples.
    pub async fn for_profile(
        &self,
        storage: &Storage,
        profile: &str,
    ) -> Result<Option<Fitted>, ApiError> {
        let examples = storage.calibration(profile.to_string()).await?;
        self.fit(profile, examples).await
    }

    /// Fits `examples` (or finds them fitted already).
    pub async fn fit(&self, profile: &str, examples: Examples) -> Result<Option<Fitted>, ApiError> {
        let count: usize = examples.values().map(Vec::len).sum();
        if count == 0 {
            return Ok(None);
        }
        let hash = hash_of(&examples);
        if let Some(found) = self.cached(profile, hash) {
            return Ok(Some(found));
        }
        let labels = examples.len();
        let classifier = self.classifier.clone();
        let reader = tokio::task::spawn_blocking(move || {
            let profile = Profile {
                format: PROFILE_FORMAT,
                examples,
            };
            Calibrated::new(classifier, &profile, Blend::DEFAULT)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("fitting a calibration failed: {e}")))?;
        let fitted = Fitted {
            reader: Arc::new(reader),
            examples: count,
            labels,
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|(p, _, _)| p != profile);
        if cache.len() >= CACHED {
            cache.pop_front();
        }
        cache.push_back((profile.to_string(), hash, fitted.clone()));
        Ok(Some(fitted))
    }

    /// Forgets the profile's fitted calibration (its examples changed or were deleted).
    pub fn forget(&self, profile: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|(p, _, _)| p != profile);
    }

    fn cached(&self, profile: &str, hash: u64) -> Option<Fitted> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .iter()
            .find(|(p, h, _)| p == profile && *h == hash)
            .map(|(_, _, f)| f.clone())
    }
}

fn hash_of(examples: &Examples) -> u64 {
    let mut h = DefaultHasher::new();
    for (label, hands) in examples {
        label.hash(&mut h);
        for point in hands.iter().flatten() {
            for v in point {
                v.to_bits().hash(&mut h);
            }
        }
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_changes_with_any_coordinate_or_label() {
        let hand = [[0.5_f32, 0.25, 0.0]; 21];
        let mut a = Examples::new();
        a.insert("A".into(), vec![hand]);
        let mut b = a.clone();
        b.get_mut("A").unwrap()[0][20][2] = 0.001;
        let mut c = Examples::new();
        c.insert("B".into(), vec![hand]);
        assert_ne!(hash_of(&a), hash_of(&b));
        assert_ne!(hash_of(&a), hash_of(&c));
        assert_eq!(hash_of(&a), hash_of(&a.clone()));
    }
}
