//! Sessions: whose sentence is whose. A WebSocket connection is one session for its lifetime
//! and keeps its own [`Interpreter`] (the registry only counts it). HTTP clients name theirs with
//! `X-Session-Id` or the `signbridge_session` cookie; their interpreter lives here, between
//! requests. Time is passed in (`now`), so expiry is tested without sleeping.
//!
//! Strangers cannot use up the sessions (issue 15): WebSocket and HTTP sessions have caps of
//! their own, and an HTTP session is *new* until a request comes back with its id: a new
//! session lives `new_ttl` (60 s) idle, not `ttl`, and when `max_new` of them exist the one idle
//! longest is forgotten to make room, so a flood of id-less requests only churns other new
//! sessions. A session that came back is *established* (up to `max_http` of them; beyond that
//! it stays new) and lives `ttl` idle. `GET /sentence` without an id creates nothing.
//!
//! Behind a load balancer (issue 16) this registry is a cache: a session's committed text is
//! also in storage, so a session this process does not hold is made again from it
//! ([`Sessions::http_restoring`]); a WebSocket that resumes reads it the same way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use signbridge_interpreter::Interpreter;
use signbridge_signs::Classifier;

use crate::error::ApiError;
use crate::storage::Versioned;
use crate::wire::{SessionKind, SessionSummary};

pub const SESSION_HEADER: &str = "x-session-id";
pub const SESSION_COOKIE: &str = "signbridge_session";

/// An HTTP session's interpreter. Locked by one request at a time, for as long as its frame
/// takes: the lock guard goes to the worker with the frame, so the session is released when
/// the work is done even if the client has gone.
pub type SharedInterpreter = Arc<tokio::sync::Mutex<Interpreter>>;

/// What a session has done, for `/api/memory`; updated by whoever holds its interpreter.
#[derive(Debug, Default)]
pub struct Stats {
    frames: AtomicU64,
    dropped: AtomicU64,
    words: AtomicUsize,
}

impl Stats {
    /// A frame received (WebSocket) or uploaded (HTTP).
    pub fn frame(&self) {
        self.frames.fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket frame replaced by a newer one before it was read.
    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn set_words(&self, interpreter: &Interpreter) {
        self.words
            .store(interpreter.word_count(), Ordering::Relaxed);
    }
}

/// The version of an HTTP session's sentence in storage that its interpreter holds (0: none
/// known), so a replica sees when another one changed it.
pub type SavedVersion = Arc<AtomicI64>;

/// Who holds a session's interpreter.
enum Holder {
    /// The registry, between requests.
    Http(SharedInterpreter, SavedVersion),
    /// The connection's own task.
    Ws,
}

struct Entry {
    holder: Holder,
    stats: Arc<Stats>,
    created: Instant,
    last_seen: Instant,
    /// An HTTP session a request has come back to (by its id) after the one that created it.
    established: bool,
}

impl Entry {
    fn kind(&self) -> SessionKind {
        match self.holder {
            Holder::Http(..) => SessionKind::Http,
            Holder::Ws => SessionKind::Ws,
        }
    }
}

/// An HTTP session found or created for a request.
pub struct HttpSession {
    pub id: String,
    pub interpreter: SharedInterpreter,
    pub stats: Arc<Stats>,
    pub version: SavedVersion,
    /// Made by this request (from the sentence in storage, or empty when storage had none, or
    /// with no id at all): its text is what storage has.
    pub made_now: bool,
}

/// The caps and lifetimes of [`Sessions`].
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    /// Live WebSocket sessions (each holds a hand tracker).
    pub max_ws: usize,
    /// Established HTTP sessions.
    pub max_http: usize,
    /// New HTTP sessions; the one idle longest makes room for the next.
    pub max_new: usize,
    /// How long an established HTTP session is kept idle.
    pub ttl: Duration,
    /// How long a new HTTP session is kept idle (at most `ttl`).
    pub new_ttl: Duration,
}

pub struct Sessions {
    entries: Mutex<HashMap<String, Entry>>,
    limits: SessionLimits,
    classifier: Arc<Classifier>,
}

impl Sessions {
    pub fn new(limits: SessionLimits, classifier: Arc<Classifier>) -> Sessions {
        Sessions {
            entries: Mutex::new(HashMap::new()),
            limits: SessionLimits {
                new_ttl: limits.new_ttl.min(limits.ttl),
                ..limits
            },
            classifier,
        }
    }

    /// How long `e` is kept idle.
    fn ttl_of(&self, e: &Entry) -> Duration {
        if e.established {
            self.limits.ttl
        } else {
            self.limits.new_ttl
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh interpreter with the server's classifier.
    pub fn interpreter(&self) -> Interpreter {
        Interpreter::new(self.classifier.clone())
    }

    /// The HTTP session named `id`, created (new) if unknown or expired; `None` creates one
    /// with a fresh id. A request that names a live new session establishes it, if there is
    /// room among the established ones. `allow_new` false (the memory guard): only existing
    /// sessions are served, creating one is `MemoryPressure`.
    pub fn http(
        &self,
        id: Option<&str>,
        now: Instant,
        allow_new: bool,
    ) -> Result<HttpSession, ApiError> {
        self.http_restoring(id, now, allow_new, None)
    }

    /// Whether this process holds the live HTTP session `id` (else its sentence may be in
    /// storage, saved by another replica or before a restart).
    pub fn holds_http(&self, id: &str, now: Instant) -> bool {
        matches!(self.entries().get(id), Some(e) if matches!(e.holder, Holder::Http(..))
            && now.saturating_duration_since(e.last_seen) <= self.ttl_of(e))
    }

    /// [`Sessions::http`], and a session made for `id` continues `saved` (its sentence read
    /// from storage): the session came back, so it is established.
    pub fn http_restoring(
        &self,
        id: Option<&str>,
        now: Instant,
        allow_new: bool,
        saved: Option<Versioned>,
    ) -> Result<HttpSession, ApiError> {
        let had_id = id.is_some();
        let mut entries = self.entries();
        if let Some(id) = id {
            let established = count(&entries, |e| e.kind() == SessionKind::Http && e.established);
            if let Some(e) = entries.get_mut(id) {
                if let Holder::Http(interpreter, version) = &e.holder {
                    let (interpreter, version) = (interpreter.clone(), version.clone());
                    if now.saturating_duration_since(e.last_seen) <= self.ttl_of(e) {
                        e.last_seen = now;
                        if !e.established && established < self.limits.max_http {
                            e.established = true;
                        }
                        return Ok(HttpSession {
                            id: id.to_string(),
                            interpreter,
                            stats: e.stats.clone(),
                            version,
                            made_now: false,
                        });
                    }
                }
            }
        }
        if !allow_new {
            return Err(ApiError::MemoryPressure);
        }
        let id = id.map_or_else(new_id, str::to_string);
        if matches!(entries.get(&id), Some(e) if e.kind() == SessionKind::Ws) {
            // WebSocket ids are never given out; a client cannot have guessed one.
            return Err(ApiError::TooManySessions);
        }
        entries.remove(&id);
        let new_ones = count(&entries, |e| {
            e.kind() == SessionKind::Http && !e.established
        });
        if new_ones >= self.limits.max_new {
            let oldest = entries
                .iter()
                .filter(|(_, e)| e.kind() == SessionKind::Http && !e.established)
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        let restored = saved.is_some();
        // Without an id nothing can be stored yet; with one, `saved` is what storage had (if
        // it was read: a session that expired just after the caller looked is read again).
        let made_now = restored || !had_id;
        let (interpreter, version) = match saved {
            Some(saved) => (
                Interpreter::resume(
                    self.classifier.clone(),
                    saved.sentence.words,
                    saved.sentence.current_word,
                ),
                saved.version,
            ),
            None => (self.interpreter(), 0),
        };
        let interpreter = Arc::new(tokio::sync::Mutex::new(interpreter));
        let version = Arc::new(AtomicI64::new(version));
        let established = restored
            && count(&entries, |e| e.kind() == SessionKind::Http && e.established)
                < self.limits.max_http;
        let stats = insert(
            &mut entries,
            &id,
            Holder::Http(interpreter.clone(), version.clone()),
            now,
        );
        if let Some(e) = entries.get_mut(&id) {
            e.established = established;
        }
        Ok(HttpSession {
            id,
            interpreter,
            stats,
            version,
            made_now,
        })
    }

    /// Registers a WebSocket session; it lives until the guard is dropped.
    pub fn open_ws(self: &Arc<Self>, now: Instant) -> Result<WsSession, ApiError> {
        let id = new_id();
        let mut entries = self.entries();
        if count(&entries, |e| e.kind() == SessionKind::Ws) >= self.limits.max_ws {
            return Err(ApiError::TooManySessions);
        }
        let stats = insert(&mut entries, &id, Holder::Ws, now);
        drop(entries);
        Ok(WsSession {
            sessions: self.clone(),
            id,
            stats,
        })
    }

    /// Forgets HTTP sessions idle for longer than their TTL; returns how many.
    pub fn expire(&self, now: Instant) -> usize {
        let mut entries = self.entries();
        let before = entries.len();
        entries.retain(|_, e| {
            e.kind() == SessionKind::Ws
                || now.saturating_duration_since(e.last_seen) <= self.ttl_of(e)
        });
        before - entries.len()
    }

    /// Forgets every HTTP session idle for at least `idle` (the memory guard's trim); returns
    /// how many.
    pub fn drop_idle(&self, idle: Duration, now: Instant) -> usize {
        let mut entries = self.entries();
        let before = entries.len();
        entries.retain(|_, e| {
            e.kind() == SessionKind::Ws || now.saturating_duration_since(e.last_seen) < idle
        });
        before - entries.len()
    }

    /// Live (WebSocket, HTTP) sessions.
    pub fn counts(&self) -> (usize, usize) {
        let entries = self.entries();
        let ws = entries
            .values()
            .filter(|e| e.kind() == SessionKind::Ws)
            .count();
        (ws, entries.len() - ws)
    }

    pub fn summaries(&self, now: Instant) -> Vec<SessionSummary> {
        self.entries()
            .values()
            .map(|e| SessionSummary {
                kind: e.kind(),
                age_secs: now.saturating_duration_since(e.created).as_secs_f64(),
                idle_secs: now.saturating_duration_since(e.last_seen).as_secs_f64(),
                frames: e.stats.frames.load(Ordering::Relaxed),
                dropped: e.stats.dropped.load(Ordering::Relaxed),
                words: e.stats.words.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The idle time of an established HTTP session.
    pub fn ttl(&self) -> Duration {
        self.limits.ttl
    }

    /// The idle time of a new HTTP session, the shortest: how often to look for expired ones.
    pub fn new_ttl(&self) -> Duration {
        self.limits.new_ttl
    }

    fn touch(&self, id: &str, now: Instant) {
        if let Some(e) = self.entries().get_mut(id) {
            e.last_seen = now;
        }
    }

    fn remove(&self, id: &str) {
        self.entries().remove(id);
    }
}

fn count(entries: &HashMap<String, Entry>, f: impl Fn(&Entry) -> bool) -> usize {
    entries.values().filter(|e| f(e)).count()
}

fn insert(
    entries: &mut HashMap<String, Entry>,
    id: &str,
    holder: Holder,
    now: Instant,
) -> Arc<Stats> {
    let stats = Arc::new(Stats::default());
    entries.insert(
        id.to_string(),
        Entry {
            holder,
            stats: stats.clone(),
            created: now,
            last_seen: now,
            established: false,
        },
    );
    stats
}

/// A WebSocket session's registration; dropping it ends the session.
pub struct WsSession {
    sessions: Arc<Sessions>,
    id: String,
    pub stats: Arc<Stats>,
}

impl WsSession {
    pub fn touch(&self, now: Instant) {
        self.sessions.touch(&self.id, now);
    }
}

impl Drop for WsSession {
    fn drop(&mut self) {
        self.sessions.remove(&self.id);
    }
}

/// 128 random bits, hex: a session id nobody can guess.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: fall back to a time- and counter-based id (unique, not secret).
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = ((t as u64 as u128) << 64 | u128::from(n)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Client-chosen ids: 8 to 128 characters of `[A-Za-z0-9_-]`.
pub fn valid_id(id: &str) -> bool {
    (8..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(max: usize, ttl: Duration) -> Sessions {
        Sessions::new(
            SessionLimits {
                max_ws: max,
                max_http: max,
                max_new: max,
                ttl,
                new_ttl: ttl,
            },
            Arc::new(Classifier::default_model()),
        )
    }

    #[test]
    fn same_id_gets_the_same_interpreter_until_it_expires() {
        let s = sessions(10, Duration::from_secs(60));
        let t0 = Instant::now();
        let a = s.http(None, t0, true).unwrap();
        let b = s
            .http(Some(&a.id), t0 + Duration::from_secs(59), true)
            .unwrap();
        assert!(Arc::ptr_eq(&a.interpreter, &b.interpreter));
        assert_eq!(
            s.expire(t0 + Duration::from_secs(100)),
            0,
            "touched at 59 s, so alive at 100 s"
        );
        assert_eq!(s.expire(t0 + Duration::from_secs(120)), 1);
        let c = s
            .http(Some(&a.id), t0 + Duration::from_secs(121), true)
            .unwrap();
        assert!(!Arc::ptr_eq(&a.interpreter, &c.interpreter));
    }

    #[test]
    fn websocket_and_http_sessions_have_caps_of_their_own() {
        let s = Arc::new(sessions(2, Duration::from_secs(60)));
        let now = Instant::now();
        let ws = s.open_ws(now).unwrap();
        let _ws2 = s.open_ws(now).unwrap();
        assert!(matches!(s.open_ws(now), Err(ApiError::TooManySessions)));
        for _ in 0..10 {
            s.http(None, now, true).unwrap();
        }
        assert_eq!(
            s.counts(),
            (2, 2),
            "new HTTP sessions make room for each other"
        );
        drop(ws);
        assert_eq!(s.counts(), (1, 2));
        s.open_ws(now).unwrap();
    }

    #[test]
    fn a_new_session_is_short_lived_until_it_comes_back() {
        let s = Sessions::new(
            SessionLimits {
                max_ws: 4,
                max_http: 4,
                max_new: 2,
                ttl: Duration::from_secs(1800),
                new_ttl: Duration::from_secs(60),
            },
            Arc::new(Classifier::default_model()),
        );
        let t0 = Instant::now();
        let once = s.http(None, t0, true).unwrap();
        let back = s.http(None, t0, true).unwrap();
        s.http(Some(&back.id), t0 + Duration::from_secs(1), true)
            .unwrap();
        // More strangers: they push out the new session idle longest, never the established one.
        s.http(None, t0 + Duration::from_secs(2), true).unwrap();
        s.http(None, t0 + Duration::from_secs(3), true).unwrap();
        let again = s
            .http(Some(&once.id), t0 + Duration::from_secs(4), true)
            .unwrap();
        assert!(!Arc::ptr_eq(&once.interpreter, &again.interpreter));
        let kept = s
            .http(Some(&back.id), t0 + Duration::from_secs(5), true)
            .unwrap();
        assert!(Arc::ptr_eq(&back.interpreter, &kept.interpreter));
        // Idle: the new ones go after a minute, the established one after the full TTL.
        assert_eq!(s.expire(t0 + Duration::from_secs(120)), 2);
        assert_eq!(s.counts(), (0, 1));
        assert_eq!(s.expire(t0 + Duration::from_secs(1806)), 1);
    }

    #[test]
    fn websocket_sessions_do_not_expire_by_ttl() {
        let s = Arc::new(sessions(2, Duration::from_millis(1)));
        let now = Instant::now();
        let _ws = s.open_ws(now).unwrap();
        assert_eq!(s.expire(now + Duration::from_secs(10)), 0);
    }

    #[test]
    fn summaries_show_what_the_holder_counted() {
        let s = Arc::new(sessions(4, Duration::from_secs(60)));
        let now = Instant::now();
        let ws = s.open_ws(now).unwrap();
        ws.stats.frame();
        ws.stats.frame();
        ws.stats.dropped();
        let summary = s.summaries(now);
        assert_eq!(summary.len(), 1);
        assert_eq!(
            (summary[0].kind, summary[0].frames, summary[0].dropped),
            (SessionKind::Ws, 2, 1)
        );
    }

    #[test]
    fn a_session_made_from_storage_continues_its_sentence_and_is_established() {
        let s = Sessions::new(
            SessionLimits {
                max_ws: 4,
                max_http: 4,
                max_new: 1,
                ttl: Duration::from_secs(1800),
                new_ttl: Duration::from_secs(60),
            },
            Arc::new(Classifier::default_model()),
        );
        let t0 = Instant::now();
        let id = "0123456789abcdef0123456789abcdef";
        assert!(!s.holds_http(id, t0));
        let saved = Versioned {
            sentence: crate::storage::SavedSentence {
                words: vec!["HELLO".into()],
                current_word: "WO".into(),
            },
            version: 7,
        };
        let back = s.http_restoring(Some(id), t0, true, Some(saved)).unwrap();
        assert!(back.made_now);
        assert_eq!(back.version.load(Ordering::Relaxed), 7);
        assert_eq!(
            back.interpreter
                .try_lock()
                .unwrap()
                .sentence()
                .full_sentence,
            "HELLO WO"
        );
        assert!(s.holds_http(id, t0));
        // A stranger's new session does not push it out: it is established.
        s.http(None, t0 + Duration::from_secs(1), true).unwrap();
        s.http(None, t0 + Duration::from_secs(2), true).unwrap();
        let again = s.http(Some(id), t0 + Duration::from_secs(3), true).unwrap();
        assert!(Arc::ptr_eq(&back.interpreter, &again.interpreter));
        assert!(!again.made_now);
    }

    #[test]
    fn ids_are_32_hex_chars_and_valid() {
        let id = new_id();
        assert_eq!(id.len(), 32);
        assert!(valid_id(&id));
        assert!(!valid_id("short"));
        assert!(!valid_id("has space in it"));
    }
}
