//! The shared backend: PostgreSQL (`--database-url`), through a pool of connections
//! (deadpool-postgres on tokio-postgres), so that replicas behind a load balancer share
//! progress and sentences. No TLS: the database is expected on the same host or a private
//! network (127.0.0.1 in `scripts/cluster.sh`); the URL's `sslmode` is not honoured.
//!
//! Migrations are versioned in `schema_migrations` and run at start under an advisory lock,
//! so replicas starting together apply each one once. Every call is bounded in time: a
//! database that is down or stuck answers `Unavailable` within seconds, and the pool replaces
//! broken connections, so writes resume by themselves when the database is back.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, Pool, Runtime};
use tokio_postgres::NoTls;

use super::{
    hand_from_json, hand_to_json, progress_body, words_from_json, words_to_json, Activity, Attempt,
    ClassRecord, Examples, MemberRecord, Membership, NewExamples, SavedSentence, SessionKey,
    StorageError, Versioned,
};
use crate::wire::{LetterProgress, ProgressBody};

/// Connections per replica: storage calls are a few small queries per practice attempt or
/// committed letter.
const POOL_SIZE: usize = 8;
/// Longest wait to connect, or for a free connection, before a call is `Unavailable`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest a whole call (queries included) may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// `pg_advisory_xact_lock` key held while migrating ("SIGNBRDG" in ASCII).
const MIGRATION_LOCK: i64 = 0x5349_474E_4252_4447;

/// Schema versions, in order; `schema_migrations` records those applied.
const MIGRATIONS: &[&str] = &[
    // 1: progress (attempts stored once per client id; NULL ids are distinct in PostgreSQL).
    "CREATE TABLE attempts (
         id BIGSERIAL PRIMARY KEY,
         profile TEXT NOT NULL,
         letter TEXT NOT NULL,
         correct BOOLEAN NOT NULL,
         score DOUBLE PRECISION NOT NULL,
         at BIGINT NOT NULL,
         attempt_id TEXT,
         UNIQUE (profile, attempt_id)
     );
     CREATE TABLE letter_progress (
         profile TEXT NOT NULL,
         letter TEXT NOT NULL,
         attempts BIGINT NOT NULL,
         correct BIGINT NOT NULL,
         streak BIGINT NOT NULL,
         best_streak BIGINT NOT NULL,
         last_practised BIGINT,
         PRIMARY KEY (profile, letter)
     );",
    // 2: each session's committed text (issue 16).
    "CREATE TABLE sentences (
         kind TEXT NOT NULL,
         id_hash TEXT NOT NULL,
         words TEXT NOT NULL,
         current_word TEXT NOT NULL,
         version BIGINT NOT NULL,
         updated_at BIGINT NOT NULL,
         PRIMARY KEY (kind, id_hash)
     );
     CREATE INDEX sentences_updated ON sentences (updated_at);",
    // 3: a learner's calibration examples: landmarks only (issue 13).
    "CREATE TABLE calibration_examples (
         id BIGSERIAL PRIMARY KEY,
         profile TEXT NOT NULL,
         label TEXT NOT NULL,
         landmarks TEXT NOT NULL,
         source TEXT NOT NULL,
         created_at BIGINT NOT NULL
     );
     CREATE INDEX calibration_by_profile ON calibration_examples (profile, label, id);",
    // 4: teachers' classes and their members (issue 17).
    "CREATE TABLE classes (
         code TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         teacher_key_hash TEXT NOT NULL,
         created_at BIGINT NOT NULL
     );
     CREATE TABLE class_members (
         code TEXT NOT NULL REFERENCES classes (code),
         profile TEXT NOT NULL,
         name TEXT NOT NULL,
         joined_at BIGINT NOT NULL,
         PRIMARY KEY (code, profile)
     );
     CREATE INDEX class_members_by_profile ON class_members (profile);",
    // 5: finished lessons, reviews and timed drills (issue 17).
    "CREATE TABLE activities (
         id BIGSERIAL PRIMARY KEY,
         profile TEXT NOT NULL,
         kind TEXT NOT NULL,
         name TEXT NOT NULL,
         letters BIGINT NOT NULL,
         correct BIGINT NOT NULL,
         duration_ms BIGINT NOT NULL,
         at BIGINT NOT NULL,
         activity_id TEXT,
         UNIQUE (profile, activity_id)
     );
     CREATE INDEX activities_by_profile ON activities (profile, at);
     CREATE INDEX attempts_by_profile ON attempts (profile, at);",
];

/// A `postgres://` URL, checked before any I/O. Shown (logs, errors, `Debug`) with its
/// password hidden.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    config: tokio_postgres::Config,
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("must be a postgres:// or postgresql:// URL".into());
        }
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| format!("{} is not a PostgreSQL URL: {e}", redact(url)))?;
        if config.get_dbname().is_none() {
            return Err(format!("{} names no database", redact(url)));
        }
        Ok(DatabaseUrl {
            url: url.to_string(),
            config,
        })
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The URL with the password (in the user part or a `password=` parameter) replaced by `***`.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (authority_end, _) = rest
        .char_indices()
        .find(|&(_, c)| c == '/' || c == '?')
        .unwrap_or((rest.len(), ' '));
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _password)) => format!("{name}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The pool of connections to one database.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
}

impl Postgres {
    /// Connects and migrates. Fails, naming the URL without its password, when the database
    /// cannot be reached or migrated.
    pub async fn open(url: &DatabaseUrl) -> Result<Postgres, StorageError> {
        let mut config = url.config.clone();
        config.connect_timeout(CONNECT_TIMEOUT);
        let pool = Pool::builder(Manager::new(config, NoTls))
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StorageError::Unavailable(format!("PostgreSQL at {url}: {e}")))?;
        let db = Postgres { pool };
        db.call(|mut client| async move {
            migrate(&mut client).await?;
            Ok(())
        })
        .await
        .map_err(|e| {
            let cause = match e {
                StorageError::Unavailable(cause) => cause,
                other => other.to_string(),
            };
            StorageError::Unavailable(format!("cannot use PostgreSQL at {url}: {cause}"))
        })?;
        Ok(db)
    }

    pub async fn progress(&self, profile: &str) -> Result<ProgressBody, StorageError> {
        let profile = profile.to_string();
        self.call(|client| async move { read_progress(&client, &profile).await })
            .await
    }

    /// Records the attempt (once per `attempt_id`) and returns the profile's progress after
    /// it. The totals are updated in one statement, so replicas recording the same profile
    /// at once do not lose an attempt.
    pub async fn record(&self, attempt: &Attempt, now: i64) -> Result<ProgressBody, StorageError> {
        let a = attempt.clone();
        self.call(|mut client| async move {
            let tx = client.transaction().await.map_err(pg)?;
            let inserted = tx
                .execute(
                    "INSERT INTO attempts (profile, letter, correct, score, at, attempt_id)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    &[
                        &a.profile,
                        &a.letter,
                        &a.correct,
                        &f64::from(a.score),
                        &now,
                        &a.attempt_id,
                    ],
                )
                .await
                .map_err(pg)?;
            if inserted == 1 {
                tx.execute(
                    "INSERT INTO letter_progress
                         (profile, letter, attempts, correct, streak, best_streak, last_practised)
                     VALUES ($1, $2, 1, $3, $3, $3, $4)
                     ON CONFLICT (profile, letter) DO UPDATE SET
                         attempts = letter_progress.attempts + 1,
                         correct = letter_progress.correct + EXCLUDED.correct,
                         streak = CASE WHEN EXCLUDED.correct = 1
                             THEN letter_progress.streak + 1 ELSE 0 END,
                         best_streak = GREATEST(letter_progress.best_streak, CASE
                             WHEN EXCLUDED.correct = 1 THEN letter_progress.streak + 1 ELSE 0 END),
                         last_practised = EXCLUDED.last_practised",
                    &[&a.profile, &a.letter, &i64::from(a.correct), &now],
                )
                .await
                .map_err(pg)?;
            }
            tx.commit().await.map_err(pg)?;
            read_progress(&client, &a.profile).await
        })
        .await
    }

    pub async fn load_sentence(
        &self,
        key: &SessionKey,
        since: i64,
    ) -> Result<Option<Versioned>, StorageError> {
        let key = key.clone();
        self.call(|client| async move {
            let row = client
                .query_opt(
                    "SELECT words, current_word, version FROM sentences
                     WHERE kind = $1 AND id_hash = $2 AND updated_at >= $3",
                    &[&key.kind, &key.id_hash, &since],
                )
                .await
                .map_err(pg)?;
            Ok(row.map(|r| Versioned {
                sentence: SavedSentence {
                    words: words_from_json(r.get(0)),
                    current_word: r.get(1),
                },
                version: r.get(2),
            }))
        })
        .await
    }

    pub async fn save_sentence(
        &self,
        key: &SessionKey,
        sentence: &SavedSentence,
        now: i64,
    ) -> Result<i64, StorageError> {
        let key = key.clone();
        let words = words_to_json(&sentence.words);
        let current = sentence.current_word.clone();
        self.call(|client| async move {
            let row = client
                .query_one(
                    "INSERT INTO sentences (kind, id_hash, words, current_word, version, updated_at)
                     VALUES ($1, $2, $3, $4, 1, $5)
                     ON CONFLICT (kind, id_hash) DO UPDATE SET
                         words = EXCLUDED.words, current_word = EXCLUDED.current_word,
                         version = sentences.version + 1, updated_at = EXCLUDED.updated_at
                     RETURNING version",
                    &[&key.kind, &key.id_hash, &words, &current, &now],
                )
                .await
                .map_err(pg)?;
            Ok(row.get(0))
        })
        .await
    }

    /// The profile's calibration examples, oldest first.
    pub async fn calibration(&self, profile: &str) -> Result<Examples, StorageError> {
        let profile = profile.to_string();
        self.call(|client| async move { read_examples(&client, &profile).await })
            .await
    }

    /// Stores examples (replacing the label's when asked), keeps the newest `keep` per label,
    /// and returns the profile's examples after it.
    pub async fn add_examples(
        &self,
        new: &NewExamples,
        keep: usize,
        now: i64,
    ) -> Result<Examples, StorageError> {
        let new = new.clone();
        let keep = keep as i64;
        self.call(|mut client| async move {
            let tx = client.transaction().await.map_err(pg)?;
            if new.replace {
                tx.execute(
                    "DELETE FROM calibration_examples WHERE profile = $1 AND label = $2",
                    &[&new.profile, &new.label],
                )
                .await
                .map_err(pg)?;
            }
            for hand in &new.hands {
                tx.execute(
                    "INSERT INTO calibration_examples (profile, label, landmarks, source, created_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&new.profile, &new.label, &hand_to_json(hand), &new.source, &now],
                )
                .await
                .map_err(pg)?;
            }
            tx.execute(
                "DELETE FROM calibration_examples WHERE profile = $1 AND label = $2 AND id NOT IN
                     (SELECT id FROM calibration_examples WHERE profile = $1 AND label = $2
                      ORDER BY id DESC LIMIT $3)",
                &[&new.profile, &new.label, &keep],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            read_examples(&client, &new.profile).await
        })
        .await
    }

    /// Deletes the profile's examples (of one label, or all); returns how many.
    pub async fn delete_examples(
        &self,
        profile: &str,
        label: Option<&str>,
    ) -> Result<u64, StorageError> {
        let profile = profile.to_string();
        let label = label.map(str::to_string);
        self.call(|client| async move {
            match &label {
                Some(label) => client
                    .execute(
                        "DELETE FROM calibration_examples WHERE profile = $1 AND label = $2",
                        &[&profile, label],
                    )
                    .await
                    .map_err(pg),
                None => client
                    .execute(
                        "DELETE FROM calibration_examples WHERE profile = $1",
                        &[&profile],
                    )
                    .await
                    .map_err(pg),
            }
        })
        .await
    }

    pub async fn record_activity(&self, a: &Activity) -> Result<bool, StorageError> {
        let a = a.clone();
        self.call(|client| async move {
            let n = client
                .execute(
                    "INSERT INTO activities
                         (profile, kind, name, letters, correct, duration_ms, at, activity_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    &[
                        &a.profile,
                        &a.kind,
                        &a.name,
                        &i64::from(a.letters),
                        &i64::from(a.correct),
                        &i64::from(a.duration_ms),
                        &a.at,
                        &a.activity_id,
                    ],
                )
                .await
                .map_err(pg)?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn activities(
        &self,
        profile: &str,
        limit: u32,
    ) -> Result<Vec<Activity>, StorageError> {
        let profile = profile.to_string();
        let limit = i64::from(limit);
        self.call(|client| async move {
            let rows = client
                .query(
                    "SELECT kind, name, letters, correct, duration_ms, at, activity_id
                     FROM activities WHERE profile = $1 ORDER BY at DESC, id DESC LIMIT $2",
                    &[&profile, &limit],
                )
                .await
                .map_err(pg)?;
            let small = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
            Ok(rows
                .iter()
                .map(|r| Activity {
                    profile: profile.clone(),
                    kind: r.get(0),
                    name: r.get(1),
                    letters: small(r.get(2)),
                    correct: small(r.get(3)),
                    duration_ms: small(r.get(4)),
                    at: r.get(5),
                    activity_id: r.get(6),
                })
                .collect())
        })
        .await
    }

    pub async fn practice_days(
        &self,
        profile: &str,
        offset_secs: i64,
        since: i64,
    ) -> Result<Vec<(i64, u64)>, StorageError> {
        let profile = profile.to_string();
        self.call(|client| async move {
            let rows = client
                .query(
                    "SELECT (at + $2) / 86400 AS day, COUNT(*) FROM attempts
                     WHERE profile = $1 AND at >= $3 GROUP BY day ORDER BY day",
                    &[&profile, &offset_secs, &since],
                )
                .await
                .map_err(pg)?;
            Ok(rows
                .iter()
                .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1).max(0) as u64))
                .collect())
        })
        .await
    }

    pub async fn create_class(&self, c: &ClassRecord) -> Result<bool, StorageError> {
        let c = c.clone();
        self.call(|client| async move {
            let n = client
                .execute(
                    "INSERT INTO classes (code, name, teacher_key_hash, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[&c.code, &c.name, &c.teacher_key_hash, &c.created_at],
                )
                .await
                .map_err(pg)?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn class(&self, code: &str) -> Result<Option<ClassRecord>, StorageError> {
        let code = code.to_string();
        self.call(|client| async move {
            let row = client
                .query_opt(
                    "SELECT code, name, teacher_key_hash, created_at FROM classes WHERE code = $1",
                    &[&code],
                )
                .await
                .map_err(pg)?;
            Ok(row.map(|r| ClassRecord {
                code: r.get(0),
                name: r.get(1),
                teacher_key_hash: r.get(2),
                created_at: r.get(3),
            }))
        })
        .await
    }

    pub async fn members(&self, code: &str) -> Result<Vec<MemberRecord>, StorageError> {
        let code = code.to_string();
        self.call(|client| async move {
            let rows = client
                .query(
                    "SELECT profile, name, joined_at FROM class_members WHERE code = $1
                     ORDER BY joined_at, profile",
                    &[&code],
                )
                .await
                .map_err(pg)?;
            Ok(rows
                .iter()
                .map(|r| MemberRecord {
                    profile: r.get(0),
                    name: r.get(1),
                    joined_at: r.get(2),
                })
                .collect())
        })
        .await
    }

    pub async fn join_class(
        &self,
        code: &str,
        profile: &str,
        name: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        let (code, profile, name) = (code.to_string(), profile.to_string(), name.to_string());
        self.call(|client| async move {
            client
                .execute(
                    "INSERT INTO class_members (code, profile, name, joined_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (code, profile) DO UPDATE SET name = EXCLUDED.name",
                    &[&code, &profile, &name, &now],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
        .await
    }

    pub async fn leave_class(&self, code: &str, profile: &str) -> Result<bool, StorageError> {
        let (code, profile) = (code.to_string(), profile.to_string());
        self.call(|client| async move {
            let n = client
                .execute(
                    "DELETE FROM class_members WHERE code = $1 AND profile = $2",
                    &[&code, &profile],
                )
                .await
                .map_err(pg)?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn memberships(&self, profile: &str) -> Result<Vec<Membership>, StorageError> {
        let profile = profile.to_string();
        self.call(|client| async move {
            let rows = client
                .query(
                    "SELECT m.code, c.name, m.name, m.joined_at FROM class_members m
                     JOIN classes c ON c.code = m.code WHERE m.profile = $1
                     ORDER BY m.joined_at, m.code",
                    &[&profile],
                )
                .await
                .map_err(pg)?;
            Ok(rows
                .iter()
                .map(|r| Membership {
                    code: r.get(0),
                    class_name: r.get(1),
                    name: r.get(2),
                    joined_at: r.get(3),
                })
                .collect())
        })
        .await
    }

    pub async fn forget_expired(&self, before: i64) -> Result<u64, StorageError> {
        self.call(|client| async move {
            client
                .execute("DELETE FROM sentences WHERE updated_at < $1", &[&before])
                .await
                .map_err(pg)
        })
        .await
    }

    /// Runs `f` with a pooled connection, within [`CALL_TIMEOUT`].
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(deadpool_postgres::Client) -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let work = async {
            let client = self
                .pool
                .get()
                .await
                .map_err(|e| StorageError::Unavailable(with_causes(&e)))?;
            f(client).await
        };
        tokio::time::timeout(CALL_TIMEOUT, work)
            .await
            .map_err(|_| StorageError::Unavailable("the database did not answer in time".into()))?
    }
}

fn pg(e: tokio_postgres::Error) -> StorageError {
    StorageError::Unavailable(with_causes(&e))
}

/// An error and its causes, as one line ("error connecting to server: Connection refused").
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// Applies the migrations not yet recorded, in one transaction under an advisory lock.
async fn migrate(client: &mut deadpool_postgres::Client) -> Result<(), StorageError> {
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(pg)?;
    let applied: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(pg)?
        .get(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let version = i32::try_from(i + 1).expect("a handful of migrations; this is a bug");
        tx.batch_execute(sql).await.map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(pg)?;
        tracing::info!(version, "PostgreSQL migration applied");
    }
    tx.commit().await.map_err(pg)
}

async fn read_examples(
    client: &deadpool_postgres::Client,
    profile: &str,
) -> Result<Examples, StorageError> {
    let rows = client
        .query(
            "SELECT label, landmarks FROM calibration_examples WHERE profile = $1
             ORDER BY label, id",
            &[&profile],
        )
        .await
        .map_err(pg)?;
    let mut examples = Examples::new();
    for r in &rows {
        let label: String = r.get(0);
        // A row this server cannot read is skipped (and logged), never a failed request.
        match hand_from_json(r.get(1)) {
            Some(hand) => examples.entry(label).or_default().push(hand),
            None => tracing::warn!(profile, label, "unreadable calibration example skipped"),
        }
    }
    Ok(examples)
}

async fn read_progress(
    client: &deadpool_postgres::Client,
    profile: &str,
) -> Result<ProgressBody, StorageError> {
    let rows = client
        .query(
            "SELECT letter, attempts, correct, streak, best_streak, last_practised
             FROM letter_progress WHERE profile = $1 ORDER BY letter",
            &[&profile],
        )
        .await
        .map_err(pg)?;
    let letters: BTreeMap<String, LetterProgress> = rows
        .iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                LetterProgress {
                    attempts: r.get::<_, i64>(1).max(0) as u64,
                    correct: r.get::<_, i64>(2).max(0) as u64,
                    streak: r.get::<_, i64>(3).max(0) as u64,
                    best_streak: r.get::<_, i64>(4).max(0) as u64,
                    last_practised: r.get(5),
                },
            )
        })
        .collect();
    Ok(progress_body(profile, letters))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@127.0.0.1:5432/signbridge",
                "postgres://app:***@127.0.0.1:5432/signbridge",
            ),
            (
                "postgresql://app@db/signbridge?password=s3cret&connect_timeout=3",
                "postgresql://app@db/signbridge?password=***&connect_timeout=3",
            ),
            ("postgres://db/signbridge", "postgres://db/signbridge"),
        ] {
            let parsed: DatabaseUrl = url.parse().unwrap();
            assert_eq!(parsed.to_string(), shown);
            assert!(!format!("{parsed:?}").contains("s3cret"));
        }
    }

    #[test]
    fn only_postgres_urls_naming_a_database_are_taken() {
        assert!("mysql://x/y".parse::<DatabaseUrl>().is_err());
        assert!("host=localhost dbname=x".parse::<DatabaseUrl>().is_err());
        let err = "postgres://app:s3cret@127.0.0.1:5432"
            .parse::<DatabaseUrl>()
            .unwrap_err();
        assert!(
            err.contains("names no database") && !err.contains("s3cret"),
            "{err}"
        );
    }
}
