//! The embedded backend: one SQLite file, for a server on its own. Progress is one row per
//! attempt (the history) and one row per profile and letter (the running totals and streaks),
//! written in one transaction; an attempt with a client id (`attempt_id`) is stored once (a
//! unique index on profile and id, migration 1). Sentences are one row per session (migration
//! 2). Calibration examples are one row per example, landmarks as JSON (migration 3).
//! Classes and their members (migration 4); lessons, reviews and drills (migration 5). `PRAGMA user_version` counts the migrations applied.
//!
//! SQLite calls block, so every call runs on tokio's blocking pool, never on the async runtime.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    hand_from_json, hand_to_json, progress_body, words_from_json, words_to_json, Activity, Attempt,
    ClassRecord, Examples, MemberRecord, Membership, NewExamples, SavedSentence, SessionKey,
    StorageError, Versioned,
};
use crate::wire::{LetterProgress, ProgressBody};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    letter TEXT NOT NULL,
    correct INTEGER NOT NULL,
    score REAL NOT NULL,
    at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS letter_progress (
    profile TEXT NOT NULL,
    letter TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    streak INTEGER NOT NULL,
    best_streak INTEGER NOT NULL,
    last_practised INTEGER,
    PRIMARY KEY (profile, letter)
);
";

/// Schema changes after [`SCHEMA`], in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    // 1: attempts carry the client's id; a retried attempt is stored once.
    "ALTER TABLE attempts ADD COLUMN attempt_id TEXT;
     CREATE UNIQUE INDEX attempts_once ON attempts (profile, attempt_id)
         WHERE attempt_id IS NOT NULL;",
    // 2: each session's committed text, so that it survives the process (issue 16).
    "CREATE TABLE sentences (
         kind TEXT NOT NULL,
         id_hash TEXT NOT NULL,
         words TEXT NOT NULL,
         current_word TEXT NOT NULL,
         version INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         PRIMARY KEY (kind, id_hash)
     );
     CREATE INDEX sentences_updated ON sentences (updated_at);",
    // 3: a learner's calibration examples: landmarks only (issue 13).
    "CREATE TABLE calibration_examples (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         profile TEXT NOT NULL,
         label TEXT NOT NULL,
         landmarks TEXT NOT NULL,
         source TEXT NOT NULL,
         created_at INTEGER NOT NULL
     );
     CREATE INDEX calibration_by_profile ON calibration_examples (profile, label, id);",
    // 4: teachers' classes and their members (issue 17).
    "CREATE TABLE classes (
         code TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         teacher_key_hash TEXT NOT NULL,
         created_at INTEGER NOT NULL
     );
     CREATE TABLE class_members (
         code TEXT NOT NULL REFERENCES classes (code),
         profile TEXT NOT NULL,
         name TEXT NOT NULL,
         joined_at INTEGER NOT NULL,
         PRIMARY KEY (code, profile)
     );
     CREATE INDEX class_members_by_profile ON class_members (profile);",
    // 5: finished lessons, reviews and timed drills (issue 17).
    "CREATE TABLE activities (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         profile TEXT NOT NULL,
         kind TEXT NOT NULL,
         name TEXT NOT NULL,
         letters INTEGER NOT NULL,
         correct INTEGER NOT NULL,
         duration_ms INTEGER NOT NULL,
         at INTEGER NOT NULL,
         activity_id TEXT
     );
     CREATE UNIQUE INDEX activities_once ON activities (profile, activity_id)
         WHERE activity_id IS NOT NULL;
     CREATE INDEX activities_by_profile ON activities (profile, at);
     CREATE INDEX attempts_by_profile ON attempts (profile, at);",
];

/// Brings a database to the current schema, each migration in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    conn.execute_batch(SCHEMA)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// The database file, opened once and shared by all requests.
#[derive(Clone)]
pub struct Sqlite {
    conn: Arc<Mutex<Connection>>,
}

impl Sqlite {
    /// Opens (creating if needed) and migrates the database. Blocks.
    pub fn open(path: &Path) -> Result<Sqlite, StorageError> {
        let conn = open_connection(path).inspect_err(|e| {
            tracing::error!(path = %path.display(), error = %e, "cannot open the progress database");
        })?;
        Ok(Sqlite {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    pub async fn progress(&self, profile: String) -> Result<ProgressBody, StorageError> {
        self.blocking(move |conn| read_progress(conn, &profile))
            .await
    }

    /// Records the attempt and returns the profile's progress after it.
    pub async fn record(&self, attempt: Attempt, now: i64) -> Result<ProgressBody, StorageError> {
        self.blocking(move |conn| {
            let tx = conn.transaction()?;
            write_attempt(&tx, &attempt, now)?;
            tx.commit()?;
            read_progress(conn, &attempt.profile)
        })
        .await
    }

    pub async fn load_sentence(
        &self,
        key: SessionKey,
        since: i64,
    ) -> Result<Option<Versioned>, StorageError> {
        self.blocking(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT words, current_word, version FROM sentences
                     WHERE kind = ?1 AND id_hash = ?2 AND updated_at >= ?3",
                    params![key.kind, key.id_hash, since],
                    |r| {
                        Ok(Versioned {
                            sentence: SavedSentence {
                                words: words_from_json(&r.get::<_, String>(0)?),
                                current_word: r.get(1)?,
                            },
                            version: r.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    pub async fn save_sentence(
        &self,
        key: SessionKey,
        sentence: SavedSentence,
        now: i64,
    ) -> Result<i64, StorageError> {
        self.blocking(move |conn| {
            Ok(conn.query_row(
                "INSERT INTO sentences (kind, id_hash, words, current_word, version, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5)
                 ON CONFLICT (kind, id_hash) DO UPDATE SET
                     words = excluded.words, current_word = excluded.current_word,
                     version = sentences.version + 1, updated_at = excluded.updated_at
                 RETURNING version",
                params![
                    key.kind,
                    key.id_hash,
                    words_to_json(&sentence.words),
                    sentence.current_word,
                    now
                ],
                |r| r.get(0),
            )?)
        })
        .await
    }

    /// The profile's calibration examples, oldest first.
    pub async fn calibration(&self, profile: String) -> Result<Examples, StorageError> {
        self.blocking(move |conn| read_examples(conn, &profile))
            .await
    }

    /// Stores examples (replacing the label's when asked), keeps the newest `keep` per label,
    /// and returns the profile's examples after it.
    pub async fn add_examples(
        &self,
        new: NewExamples,
        keep: usize,
        now: i64,
    ) -> Result<Examples, StorageError> {
        self.blocking(move |conn| {
            let tx = conn.transaction()?;
            if new.replace {
                tx.execute(
                    "DELETE FROM calibration_examples WHERE profile = ?1 AND label = ?2",
                    params![new.profile, new.label],
                )?;
            }
            for hand in &new.hands {
                tx.execute(
                    "INSERT INTO calibration_examples (profile, label, landmarks, source, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![new.profile, new.label, hand_to_json(hand), new.source, now],
                )?;
            }
            tx.execute(
                "DELETE FROM calibration_examples WHERE profile = ?1 AND label = ?2 AND id NOT IN
                     (SELECT id FROM calibration_examples WHERE profile = ?1 AND label = ?2
                      ORDER BY id DESC LIMIT ?3)",
                params![new.profile, new.label, keep as i64],
            )?;
            tx.commit()?;
            read_examples(conn, &new.profile)
        })
        .await
    }

    /// Deletes the profile's examples (of one label, or all); returns how many.
    pub async fn delete_examples(
        &self,
        profile: String,
        label: Option<String>,
    ) -> Result<u64, StorageError> {
        self.blocking(move |conn| {
            let n = match &label {
                Some(label) => conn.execute(
                    "DELETE FROM calibration_examples WHERE profile = ?1 AND label = ?2",
                    params![profile, label],
                )?,
                None => conn.execute(
                    "DELETE FROM calibration_examples WHERE profile = ?1",
                    params![profile],
                )?,
            };
            Ok(n as u64)
        })
        .await
    }

    pub async fn record_activity(&self, a: Activity) -> Result<bool, StorageError> {
        self.blocking(move |conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO activities
                     (profile, kind, name, letters, correct, duration_ms, at, activity_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    a.profile,
                    a.kind,
                    a.name,
                    a.letters,
                    a.correct,
                    a.duration_ms,
                    a.at,
                    a.activity_id
                ],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn activities(
        &self,
        profile: String,
        limit: u32,
    ) -> Result<Vec<Activity>, StorageError> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT kind, name, letters, correct, duration_ms, at, activity_id FROM activities
                 WHERE profile = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![profile, limit], |r| {
                Ok(Activity {
                    profile: profile.clone(),
                    kind: r.get(0)?,
                    name: r.get(1)?,
                    letters: r.get(2)?,
                    correct: r.get(3)?,
                    duration_ms: r.get(4)?,
                    at: r.get(5)?,
                    activity_id: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn practice_days(
        &self,
        profile: String,
        offset_secs: i64,
        since: i64,
    ) -> Result<Vec<(i64, u64)>, StorageError> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT (at + ?2) / 86400 AS day, COUNT(*) FROM attempts
                 WHERE profile = ?1 AND at >= ?3 GROUP BY day ORDER BY day",
            )?;
            let rows = stmt.query_map(params![profile, offset_secs, since], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn create_class(&self, c: ClassRecord) -> Result<bool, StorageError> {
        self.blocking(move |conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO classes (code, name, teacher_key_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![c.code, c.name, c.teacher_key_hash, c.created_at],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn class(&self, code: String) -> Result<Option<ClassRecord>, StorageError> {
        self.blocking(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT code, name, teacher_key_hash, created_at FROM classes WHERE code = ?1",
                    [&code],
                    |r| {
                        Ok(ClassRecord {
                            code: r.get(0)?,
                            name: r.get(1)?,
                            teacher_key_hash: r.get(2)?,
                            created_at: r.get(3)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    pub async fn members(&self, code: String) -> Result<Vec<MemberRecord>, StorageError> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT profile, name, joined_at FROM class_members WHERE code = ?1
                 ORDER BY joined_at, profile",
            )?;
            let rows = stmt.query_map([&code], |r| {
                Ok(MemberRecord {
                    profile: r.get(0)?,
                    name: r.get(1)?,
                    joined_at: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn join_class(
        &self,
        code: String,
        profile: String,
        name: String,
        now: i64,
    ) -> Result<(), StorageError> {
        self.blocking(move |conn| {
            conn.execute(
                "INSERT INTO class_members (code, profile, name, joined_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (code, profile) DO UPDATE SET name = excluded.name",
                params![code, profile, name, now],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn leave_class(&self, code: String, profile: String) -> Result<bool, StorageError> {
        self.blocking(move |conn| {
            Ok(conn.execute(
                "DELETE FROM class_members WHERE code = ?1 AND profile = ?2",
                params![code, profile],
            )? == 1)
        })
        .await
    }

    pub async fn memberships(&self, profile: String) -> Result<Vec<Membership>, StorageError> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT m.code, c.name, m.name, m.joined_at FROM class_members m
                 JOIN classes c ON c.code = m.code WHERE m.profile = ?1
                 ORDER BY m.joined_at, m.code",
            )?;
            let rows = stmt.query_map([&profile], |r| {
                Ok(Membership {
                    code: r.get(0)?,
                    class_name: r.get(1)?,
                    name: r.get(2)?,
                    joined_at: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub async fn forget_expired(&self, before: i64) -> Result<u64, StorageError> {
        self.blocking(move |conn| {
            Ok(conn.execute("DELETE FROM sentences WHERE updated_at < ?1", [before])? as u64)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StorageError::Task("a database call panicked".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }
}

fn open_connection(path: &Path) -> Result<Connection, StorageError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(2))?;
    // WAL lets readers proceed during a write; it fails harmlessly on file systems without it.
    let _: Result<String, _> = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0));
    migrate(&mut conn)?;
    Ok(conn)
}

/// Records `a`; returns false (and changes nothing) when an attempt with its id is stored.
fn write_attempt(conn: &Connection, a: &Attempt, now: i64) -> Result<bool, StorageError> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO attempts (profile, letter, correct, score, at, attempt_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            a.profile,
            a.letter,
            a.correct,
            f64::from(a.score),
            now,
            a.attempt_id
        ],
    )?;
    if inserted == 0 {
        return Ok(false);
    }
    let previous: Option<(i64, i64)> = conn
        .query_row(
            "SELECT streak, best_streak FROM letter_progress WHERE profile = ?1 AND letter = ?2",
            params![a.profile, a.letter],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (streak, best) = previous.unwrap_or((0, 0));
    let streak = if a.correct { streak + 1 } else { 0 };
    conn.execute(
        "INSERT INTO letter_progress (profile, letter, attempts, correct, streak, best_streak, last_practised)
         VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6)
         ON CONFLICT (profile, letter) DO UPDATE SET
             attempts = attempts + 1, correct = correct + excluded.correct, streak = excluded.streak,
             best_streak = excluded.best_streak, last_practised = excluded.last_practised",
        params![a.profile, a.letter, i64::from(a.correct), streak, best.max(streak), now],
    )?;
    Ok(true)
}

fn read_examples(conn: &Connection, profile: &str) -> Result<Examples, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT label, landmarks FROM calibration_examples WHERE profile = ?1 ORDER BY label, id",
    )?;
    let rows = stmt.query_map([profile], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut examples = Examples::new();
    for row in rows {
        let (label, text) = row?;
        // A row this server cannot read is skipped (and logged), never a failed request.
        match hand_from_json(&text) {
            Some(hand) => examples.entry(label).or_default().push(hand),
            None => tracing::warn!(profile, label, "unreadable calibration example skipped"),
        }
    }
    Ok(examples)
}

fn read_progress(conn: &Connection, profile: &str) -> Result<ProgressBody, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT letter, attempts, correct, streak, best_streak, last_practised
         FROM letter_progress WHERE profile = ?1 ORDER BY letter",
    )?;
    let rows = stmt.query_map([profile], |r| {
        Ok((
            r.get::<_, String>(0)?,
            LetterProgress {
                attempts: r.get::<_, i64>(1)?.max(0) as u64,
                correct: r.get::<_, i64>(2)?.max(0) as u64,
                streak: r.get::<_, i64>(3)?.max(0) as u64,
                best_streak: r.get::<_, i64>(4)?.max(0) as u64,
                last_practised: r.get(5)?,
            },
        ))
    })?;
    let letters = rows.collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok(progress_body(profile, letters))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(letter: &str, correct: bool) -> Attempt {
        Attempt {
            profile: "learner-01".into(),
            letter: letter.into(),
            correct,
            score: 0.5,
            attempt_id: None,
        }
    }

    fn migrated() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn
    }

    #[test]
    fn an_attempt_sent_twice_with_its_id_is_stored_once() {
        let conn = migrated();
        let a = Attempt {
            attempt_id: Some("attempt-0001".into()),
            ..attempt("A", true)
        };
        assert!(write_attempt(&conn, &a, 100).unwrap());
        assert!(!write_attempt(&conn, &a, 101).unwrap(), "the retry");
        let p = read_progress(&conn, "learner-01").unwrap();
        assert_eq!((p.total_attempts, p.letters["A"].streak), (1, 1));
        // Without an id every attempt counts, as before.
        write_attempt(&conn, &attempt("A", true), 102).unwrap();
        write_attempt(&conn, &attempt("A", true), 103).unwrap();
        assert_eq!(
            read_progress(&conn, "learner-01").unwrap().total_attempts,
            3
        );
    }

    #[test]
    fn a_database_of_the_first_schema_is_migrated_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute(
                "INSERT INTO attempts (profile, letter, correct, score, at)
                 VALUES ('learner-01', 'A', 1, 0.5, 1)",
                [],
            )
            .unwrap();
        }
        let mut conn = open_connection(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM attempts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
        migrate(&mut conn).unwrap();
        let a = Attempt {
            attempt_id: Some("attempt-0002".into()),
            ..attempt("B", true)
        };
        assert!(write_attempt(&conn, &a, 2).unwrap());
        assert!(!write_attempt(&conn, &a, 3).unwrap());
    }

    #[test]
    fn streak_resets_on_a_miss_and_best_streak_stays() {
        let conn = migrated();
        for (i, ok) in [true, true, false, true].into_iter().enumerate() {
            write_attempt(&conn, &attempt("A", ok), 100 + i as i64).unwrap();
        }
        write_attempt(&conn, &attempt("B", false), 200).unwrap();
        let p = read_progress(&conn, "learner-01").unwrap();
        let a = &p.letters["A"];
        assert_eq!(
            (a.attempts, a.correct, a.streak, a.best_streak),
            (4, 3, 1, 2)
        );
        assert_eq!(a.last_practised, Some(103));
        assert_eq!((p.total_attempts, p.total_correct), (5, 3));
        assert!((p.accuracy - 0.6).abs() < 1e-9);
    }

    #[test]
    fn unknown_profile_has_no_letters_and_zero_accuracy() {
        let conn = migrated();
        let p = read_progress(&conn, "nobody-here").unwrap();
        assert!(p.letters.is_empty());
        assert_eq!(p.accuracy, 0.0);
    }

    #[tokio::test]
    async fn a_sentence_older_than_the_ttl_is_not_read_and_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let db = Sqlite::open(&dir.path().join("s.sqlite3")).unwrap();
        let key = SessionKey::new(crate::wire::SessionKind::Ws, "0123456789abcdef");
        let text = SavedSentence {
            words: vec!["HI".into()],
            current_word: String::new(),
        };
        assert_eq!(
            db.save_sentence(key.clone(), text.clone(), 100)
                .await
                .unwrap(),
            1
        );
        let fresh = db.load_sentence(key.clone(), 100).await.unwrap().unwrap();
        assert_eq!(fresh.sentence, text);
        assert_eq!(db.load_sentence(key.clone(), 101).await.unwrap(), None);
        assert_eq!(db.forget_expired(100).await.unwrap(), 0);
        assert_eq!(db.forget_expired(101).await.unwrap(), 1);
        assert_eq!(db.load_sentence(key, 0).await.unwrap(), None);
    }
}
