//! Sessions: whose sentence is whose. A WebSocket connection is one session for its lifetime
//! and keeps its own [`Interpreter`] (the registry only counts it). HTTP clients name theirs with
//! `X-Session-Id` or the `signbridge_session` cookie; their interpreter lives here, between
//! requests, and an HTTP session idle longer than the TTL is forgotten. The number of live
//! sessions is capped. Time is passed in (`now`), so expiry is tested without sleeping.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use signbridge_interpreter::Interpreter;
use signbridge_signs::Classifier;

use crate::error::ApiError;
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

/// Who holds a session's interpreter.
enum Holder {
    /// The registry, between requests.
    Http(SharedInterpreter),
    /// The connection's own task.
    Ws,
}

struct Entry {
    holder: Holder,
    stats: Arc<Stats>,
    created: Instant,
    last_seen: Instant,
}

impl Entry {
    fn kind(&self) -> SessionKind {
        match self.holder {
            Holder::Http(_) => SessionKind::Http,
            Holder::Ws => SessionKind::Ws,
        }
    }
}

/// An HTTP session found or created for a request.
pub struct HttpSession {
    pub id: String,
    pub interpreter: SharedInterpreter,
    pub stats: Arc<Stats>,
}

pub struct Sessions {
    entries: Mutex<HashMap<String, Entry>>,
    max: usize,
    ttl: Duration,
    classifier: Arc<Classifier>,
}

impl Sessions {
    pub fn new(max: usize, ttl: Duration, classifier: Arc<Classifier>) -> Sessions {
        Sessions {
            entries: Mutex::new(HashMap::new()),
            max,
            ttl,
            classifier,
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

    /// The HTTP session named `id`, created if unknown or expired; `None` creates one with a
    /// fresh id.
    pub fn http(&self, id: Option<&str>, now: Instant) -> Result<HttpSession, ApiError> {
        let mut entries = self.entries();
        if let Some(id) = id {
            if let Some(e) = entries.get_mut(id) {
                if let Holder::Http(interpreter) = &e.holder {
                    if now.saturating_duration_since(e.last_seen) <= self.ttl {
                        e.last_seen = now;
                        return Ok(HttpSession {
                            id: id.to_string(),
                            interpreter: interpreter.clone(),
                            stats: e.stats.clone(),
                        });
                    }
                }
            }
        }
        let id = id.map_or_else(new_id, str::to_string);
        entries.remove(&id);
        let interpreter = Arc::new(tokio::sync::Mutex::new(self.interpreter()));
        let stats = self.insert(&mut entries, &id, Holder::Http(interpreter.clone()), now)?;
        Ok(HttpSession {
            id,
            interpreter,
            stats,
        })
    }

    /// Registers a WebSocket session; it lives until the guard is dropped.
    pub fn open_ws(self: &Arc<Self>, now: Instant) -> Result<WsSession, ApiError> {
        let id = new_id();
        let stats = self.insert(&mut self.entries(), &id, Holder::Ws, now)?;
        Ok(WsSession {
            sessions: self.clone(),
            id,
            stats,
        })
    }

    fn insert(
        &self,
        entries: &mut HashMap<String, Entry>,
        id: &str,
        holder: Holder,
        now: Instant,
    ) -> Result<Arc<Stats>, ApiError> {
        if entries.len() >= self.max {
            return Err(ApiError::TooManySessions);
        }
        let stats = Arc::new(Stats::default());
        entries.insert(
            id.to_string(),
            Entry {
                holder,
                stats: stats.clone(),
                created: now,
                last_seen: now,
            },
        );
        Ok(stats)
    }

    /// Forgets HTTP sessions idle for longer than the TTL; returns how many.
    pub fn expire(&self, now: Instant) -> usize {
        let mut entries = self.entries();
        let before = entries.len();
        entries.retain(|_, e| {
            e.kind() == SessionKind::Ws || now.saturating_duration_since(e.last_seen) <= self.ttl
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

    pub fn ttl(&self) -> Duration {
        self.ttl
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

/// 128 random bits, hex.
fn new_id() -> String {
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
        Sessions::new(max, ttl, Arc::new(Classifier::default_model()))
    }

    #[test]
    fn same_id_gets_the_same_interpreter_until_it_expires() {
        let s = sessions(10, Duration::from_secs(60));
        let t0 = Instant::now();
        let a = s.http(None, t0).unwrap();
        let b = s.http(Some(&a.id), t0 + Duration::from_secs(59)).unwrap();
        assert!(Arc::ptr_eq(&a.interpreter, &b.interpreter));
        assert_eq!(
            s.expire(t0 + Duration::from_secs(100)),
            0,
            "touched at 59 s, so alive at 100 s"
        );
        assert_eq!(s.expire(t0 + Duration::from_secs(120)), 1);
        let c = s.http(Some(&a.id), t0 + Duration::from_secs(121)).unwrap();
        assert!(!Arc::ptr_eq(&a.interpreter, &c.interpreter));
    }

    #[test]
    fn cap_counts_websocket_and_http_sessions() {
        let s = Arc::new(sessions(2, Duration::from_secs(60)));
        let now = Instant::now();
        let ws = s.open_ws(now).unwrap();
        s.http(None, now).unwrap();
        assert!(matches!(s.http(None, now), Err(ApiError::TooManySessions)));
        assert_eq!(s.counts(), (1, 1));
        drop(ws);
        assert_eq!(s.counts(), (0, 1));
        s.http(None, now).unwrap();
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
    fn ids_are_32_hex_chars_and_valid() {
        let id = new_id();
        assert_eq!(id.len(), 32);
        assert!(valid_id(&id));
        assert!(!valid_id("short"));
        assert!(!valid_id("has space in it"));
    }
}
