//! Learners' progress in SQLite: one row per attempt (the history) and one row per profile and
//! letter (the running totals and streaks), written in one transaction. An attempt with a
//! client id (`attempt_id`) is stored once: a retry of it changes nothing (a unique index on
//! profile and id, added by migration 1).
//!
//! SQLite calls block, so every call runs on tokio's blocking pool, never on the async runtime.
//! A database that cannot be opened does not stop the server: the progress API answers 503
//! and everything else keeps working.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

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

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
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

/// The progress database, shared by all requests.
#[derive(Clone)]
pub struct Storage {
    conn: Result<Arc<Mutex<Connection>>, String>,
}

impl Storage {
    /// Opens (creating if needed) the database. Failure is logged and kept: the server runs on,
    /// and progress requests report the database as unavailable.
    pub fn open(path: &Path) -> Storage {
        let conn = open_connection(path).map_err(|e| {
            tracing::error!(path = %path.display(), error = %e, "cannot open the progress database");
            e.to_string()
        });
        Storage {
            conn: conn.map(|c| Arc::new(Mutex::new(c))),
        }
    }

    pub fn is_available(&self) -> bool {
        self.conn.is_ok()
    }

    pub async fn progress(&self, profile: String) -> Result<ProgressBody, StorageError> {
        self.blocking(move |conn| read_progress(conn, &profile))
            .await
    }

    /// Records the attempt and returns the profile's progress after it.
    pub async fn record(&self, attempt: Attempt) -> Result<ProgressBody, StorageError> {
        self.blocking(move |conn| {
            let tx = conn.transaction()?;
            write_attempt(&tx, &attempt, unix_now())?;
            tx.commit()?;
            read_progress(conn, &attempt.profile)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let conn = self.conn.clone().map_err(StorageError::Unavailable)?;
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

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
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
    let total_attempts = letters.values().map(|l| l.attempts).sum();
    let total_correct = letters.values().map(|l| l.correct).sum();
    let accuracy = if total_attempts == 0 {
        0.0
    } else {
        total_correct as f64 / total_attempts as f64
    };
    Ok(ProgressBody {
        profile: profile.to_string(),
        letters,
        total_attempts,
        total_correct,
        accuracy,
    })
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
}
