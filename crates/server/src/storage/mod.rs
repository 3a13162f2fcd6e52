//! Everything durable, behind one small interface with two backends: learners' progress
//! (attempts, stored once per `attempt_id`), their calibration examples (landmarks only,
//! never pixels) and each session's sentence (its committed text, written when it changes and
//! read when the session comes back, on any replica).
//!
//! - [`sqlite`]: the embedded default (`--db FILE`), for one server. Its calls block, so they
//!   run on tokio's blocking pool. A file that cannot be opened does not stop the server: the
//!   progress API answers 503 and everything else works.
//! - [`postgres`]: `--database-url postgres://...`, shared by replicas behind a load balancer,
//!   through a connection pool. Unreachable at start, the server does not start; lost while
//!   serving, writes are 503 `storage_unavailable` until it is back (the pool reconnects).
//!
//! Both run versioned migrations at start. The SQL of each backend lives in its own file; this
//! file only dispatches. Session ids are bearer secrets, so only their SHA-256 is stored.

pub mod postgres;
pub mod sqlite;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::wire::{ProgressBody, SessionKind};

pub use postgres::DatabaseUrl;

/// Where durable state lives: the server's settings, checked before any I/O.
#[derive(Clone, Debug)]
pub enum Location {
    /// A SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database shared with other replicas.
    Postgres(Box<DatabaseUrl>),
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached or used now (never opened, connection lost, pool
    /// exhausted, timeout); the caller answers 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

/// One practice attempt, already validated.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub profile: String,
    pub letter: String,
    pub correct: bool,
    pub score: f32,
    /// The client's id for the attempt: stored once however often it is sent.
    pub attempt_id: Option<String>,
}

/// A profile's calibration examples per label, oldest first (canonicalised landmarks).
pub type Examples = std::collections::BTreeMap<String, Vec<signbridge_signs::Hand>>;

/// Calibration examples to store, already checked.
#[derive(Clone, Debug)]
pub struct NewExamples {
    pub profile: String,
    pub label: String,
    pub hands: Vec<signbridge_signs::Hand>,
    /// Replace the label's stored examples (redo a letter) rather than add to them.
    pub replace: bool,
    /// `calibration` or `practice` (an attempt the learner confirmed).
    pub source: &'static str,
}

/// A finished lesson, review or timed drill, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    pub profile: String,
    /// `lesson`, `review` or `drill`.
    pub kind: String,
    /// Which lesson, or what was drilled.
    pub name: String,
    pub letters: u32,
    pub correct: u32,
    pub duration_ms: u32,
    pub at: i64,
    /// The client's id for it: stored once however often it is sent.
    pub activity_id: Option<String>,
}

/// A teacher's class: its join code, name and the SHA-256 of the teacher's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassRecord {
    pub code: String,
    pub name: String,
    pub teacher_key_hash: String,
    pub created_at: i64,
}

/// A learner in a class: their profile (never shown to the teacher) and the name they gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRecord {
    pub profile: String,
    pub name: String,
    pub joined_at: i64,
}

/// A class a learner is in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub code: String,
    pub class_name: String,
    /// The name the learner gave the class.
    pub name: String,
    pub joined_at: i64,
}

/// A session's committed text: what survives a replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedSentence {
    pub words: Vec<String>,
    pub current_word: String,
}

impl From<&signbridge_signs::SentenceState> for SavedSentence {
    fn from(s: &signbridge_signs::SentenceState) -> SavedSentence {
        SavedSentence {
            words: s.words.clone(),
            current_word: s.current_word.clone(),
        }
    }
}

/// A saved sentence and its version (raised by one on every save, whoever saves it), so a
/// replica can tell that another one changed the session since.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub sentence: SavedSentence,
    pub version: i64,
}

/// Which session a sentence row belongs to: its kind and the hash of its id.
#[derive(Clone, Debug)]
pub struct SessionKey {
    kind: &'static str,
    id_hash: String,
}

impl SessionKey {
    pub fn new(kind: SessionKind, id: &str) -> SessionKey {
        let digest = Sha256::digest(id.as_bytes());
        SessionKey {
            kind: match kind {
                SessionKind::Http => "http",
                SessionKind::Ws => "ws",
            },
            id_hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
    /// A SQLite file that could not be opened: why.
    Unavailable(String),
}

/// The durable state, shared by all requests (cheap to clone).
#[derive(Clone)]
pub struct Storage {
    backend: Backend,
    /// A sentence not saved for this long is forgotten (`--session-ttl-secs`).
    sentence_ttl: Duration,
}

impl Storage {
    /// Opens the storage and brings its schema up to date. A SQLite file that cannot be opened
    /// is logged and kept as unavailable (the server runs on); PostgreSQL that cannot be
    /// reached is an error naming the URL, password hidden.
    pub async fn open(
        location: &Location,
        sentence_ttl: Duration,
    ) -> Result<Storage, StorageError> {
        let backend = match location {
            Location::Sqlite(path) => {
                let path = path.clone();
                let opened = tokio::task::spawn_blocking(move || sqlite::Sqlite::open(&path))
                    .await
                    .map_err(|e| StorageError::Task(e.to_string()))?;
                match opened {
                    Ok(db) => Backend::Sqlite(db),
                    Err(e) => Backend::Unavailable(e.to_string()),
                }
            }
            Location::Postgres(url) => Backend::Postgres(postgres::Postgres::open(url).await?),
        };
        Ok(Storage {
            backend,
            sentence_ttl,
        })
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) | Backend::Unavailable(_) => "sqlite",
        }
    }

    /// Whether other replicas may change what is stored (PostgreSQL): a session's sentence is
    /// then checked against the stored one on each request.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Whether the database was opened (it may still fail later).
    pub fn is_available(&self) -> bool {
        !matches!(self.backend, Backend::Unavailable(_))
    }

    pub async fn progress(&self, profile: String) -> Result<ProgressBody, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.progress(profile).await,
            Backend::Postgres(db) => db.progress(&profile).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Records the attempt and returns the profile's progress after it.
    pub async fn record(&self, attempt: Attempt) -> Result<ProgressBody, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.record(attempt, unix_now()).await,
            Backend::Postgres(db) => db.record(&attempt, unix_now()).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// The session's sentence if it was saved within the TTL.
    pub async fn load_sentence(&self, key: &SessionKey) -> Result<Option<Versioned>, StorageError> {
        let since = unix_now() - self.ttl_secs();
        match &self.backend {
            Backend::Sqlite(db) => db.load_sentence(key.clone(), since).await,
            Backend::Postgres(db) => db.load_sentence(key, since).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Saves the session's sentence; returns its new version.
    pub async fn save_sentence(
        &self,
        key: &SessionKey,
        sentence: &SavedSentence,
    ) -> Result<i64, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => {
                db.save_sentence(key.clone(), sentence.clone(), unix_now())
                    .await
            }
            Backend::Postgres(db) => db.save_sentence(key, sentence, unix_now()).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// The profile's calibration examples.
    pub async fn calibration(&self, profile: String) -> Result<Examples, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.calibration(profile).await,
            Backend::Postgres(db) => db.calibration(&profile).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Stores calibration examples, keeping the newest `keep` per label; returns the profile's
    /// examples after it.
    pub async fn add_examples(
        &self,
        new: NewExamples,
        keep: usize,
    ) -> Result<Examples, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.add_examples(new, keep, unix_now()).await,
            Backend::Postgres(db) => db.add_examples(&new, keep, unix_now()).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Deletes a profile's calibration examples, of one label or all; returns how many.
    pub async fn delete_examples(
        &self,
        profile: String,
        label: Option<String>,
    ) -> Result<u64, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.delete_examples(profile, label).await,
            Backend::Postgres(db) => db.delete_examples(&profile, label.as_deref()).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Records a finished activity; false when one with its id is stored already.
    pub async fn record_activity(&self, activity: Activity) -> Result<bool, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.record_activity(activity).await,
            Backend::Postgres(db) => db.record_activity(&activity).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// The profile's newest activities, newest first.
    pub async fn activities(
        &self,
        profile: String,
        limit: u32,
    ) -> Result<Vec<Activity>, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.activities(profile, limit).await,
            Backend::Postgres(db) => db.activities(&profile, limit).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Practice attempts per day since `since` (unix seconds), days counted from the epoch in the
    /// learner's time zone (`offset_secs` east of UTC): `(day, attempts)`, oldest first.
    pub async fn practice_days(
        &self,
        profile: String,
        offset_secs: i64,
        since: i64,
    ) -> Result<Vec<(i64, u64)>, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.practice_days(profile, offset_secs, since).await,
            Backend::Postgres(db) => db.practice_days(&profile, offset_secs, since).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Stores a new class; false (and nothing stored) when its code is taken.
    pub async fn create_class(&self, class: ClassRecord) -> Result<bool, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.create_class(class).await,
            Backend::Postgres(db) => db.create_class(&class).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    pub async fn class(&self, code: String) -> Result<Option<ClassRecord>, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.class(code).await,
            Backend::Postgres(db) => db.class(&code).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// The class's members, in the order they joined.
    pub async fn members(&self, code: String) -> Result<Vec<MemberRecord>, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.members(code).await,
            Backend::Postgres(db) => db.members(&code).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Adds the learner to the class (or renames them in it).
    pub async fn join_class(
        &self,
        code: String,
        profile: String,
        name: String,
    ) -> Result<(), StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.join_class(code, profile, name, unix_now()).await,
            Backend::Postgres(db) => db.join_class(&code, &profile, &name, unix_now()).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Takes the learner out of the class; returns whether they were in it.
    pub async fn leave_class(&self, code: String, profile: String) -> Result<bool, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.leave_class(code, profile).await,
            Backend::Postgres(db) => db.leave_class(&code, &profile).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// The classes a learner is in, in the order they joined.
    pub async fn memberships(&self, profile: String) -> Result<Vec<Membership>, StorageError> {
        match &self.backend {
            Backend::Sqlite(db) => db.memberships(profile).await,
            Backend::Postgres(db) => db.memberships(&profile).await,
            Backend::Unavailable(why) => Err(StorageError::Unavailable(why.clone())),
        }
    }

    /// Deletes sentences not saved within the TTL; returns how many.
    pub async fn forget_expired(&self) -> Result<u64, StorageError> {
        let before = unix_now() - self.ttl_secs();
        match &self.backend {
            Backend::Sqlite(db) => db.forget_expired(before).await,
            Backend::Postgres(db) => db.forget_expired(before).await,
            Backend::Unavailable(_) => Ok(0),
        }
    }

    fn ttl_secs(&self) -> i64 {
        i64::try_from(self.sentence_ttl.as_secs()).unwrap_or(i64::MAX / 2)
    }
}

/// Words stored as a JSON array (the same text in both backends).
fn words_to_json(words: &[String]) -> String {
    serde_json::to_string(words).unwrap_or_else(|_| "[]".into())
}

fn words_from_json(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A hand's 21 points stored as JSON (the same text in both backends).
fn hand_to_json(hand: &signbridge_signs::Hand) -> String {
    serde_json::to_string(hand).unwrap_or_else(|_| "[]".into())
}

fn hand_from_json(text: &str) -> Option<signbridge_signs::Hand> {
    let hand: signbridge_signs::Hand = serde_json::from_str(text).ok()?;
    hand.iter().flatten().all(|v| v.is_finite()).then_some(hand)
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The running totals of a profile, from its per-letter rows.
fn progress_body(
    profile: &str,
    letters: std::collections::BTreeMap<String, crate::wire::LetterProgress>,
) -> ProgressBody {
    let total_attempts = letters.values().map(|l| l.attempts).sum();
    let total_correct = letters.values().map(|l| l.correct).sum();
    let accuracy = if total_attempts == 0 {
        0.0
    } else {
        total_correct as f64 / total_attempts as f64
    };
    ProgressBody {
        profile: profile.to_string(),
        letters,
        total_attempts,
        total_correct,
        accuracy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_keys_hide_the_id_and_separate_the_kinds() {
        let id = "0123456789abcdef0123456789abcdef";
        let http = SessionKey::new(SessionKind::Http, id);
        let ws = SessionKey::new(SessionKind::Ws, id);
        assert!(!http.id_hash.contains(id));
        assert_eq!(http.id_hash.len(), 64);
        assert_eq!(http.id_hash, ws.id_hash);
        assert_ne!(http.kind, ws.kind);
    }

    #[test]
    fn words_round_trip_through_json() {
        let words = vec!["HELLO".to_string(), "WO\"RLD".to_string()];
        assert_eq!(words_from_json(&words_to_json(&words)), words);
        assert!(words_from_json("not json").is_empty());
    }
}
