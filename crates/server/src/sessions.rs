//! Sessions: whose sentence is whose. A WebSocket connection is one session for its lifetime;
//! HTTP clients name theirs with `X-Session-Id` or the `signbridge_session` cookie, and an HTTP
//! session that sits idle longer than the TTL is forgotten. The number of live sessions is
//! capped. Time is passed in (`now`), so expiry is tested without sleeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use signbridge_signs::Classifier;

use crate::error::ApiError;
use crate::recognition::Recognizer;

pub const SESSION_HEADER: &str = "x-session-id";
pub const SESSION_COOKIE: &str = "signbridge_session";

/// One client's state.
pub struct Session {
    pub recognizer: Recognizer,
    /// Frames received (WebSocket) or analysed (HTTP) in this session.
    pub frames: u64,
    /// WebSocket frames replaced by a newer one before they were processed.
    pub dropped: u64,
}

impl Session {
    fn new(classifier: Arc<Classifier>) -> Session {
        Session {
            recognizer: Recognizer::new(classifier),
            frames: 0,
            dropped: 0,
        }
    }
}

/// A shared handle to one session's state.
pub type SessionRef = Arc<Mutex<Session>>;

/// Locks a session; a poisoned lock (a panic while it was held) still yields the state, which
/// holds no invariants a panic could break beyond a half-built sentence.
pub fn lock(session: &SessionRef) -> MutexGuard<'_, Session> {
    session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Http,
    Ws,
}

struct Entry {
    kind: Kind,
    state: SessionRef,
    created: Instant,
    last_seen: Instant,
}

/// What `/api/memory` shows of a session (never its id, which is a bearer secret).
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub kind: Kind,
    pub age_secs: f64,
    pub idle_secs: f64,
    pub frames: u64,
    pub dropped: u64,
    pub words: usize,
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

    /// The HTTP session named `id`, created if unknown or expired; `None` creates one with a
    /// fresh id. Returns the id (for the cookie) and the state.
    pub fn http(&self, id: Option<&str>, now: Instant) -> Result<(String, SessionRef), ApiError> {
        let mut entries = self.entries();
        if let Some(id) = id {
            if let Some(e) = entries.get_mut(id).filter(|e| e.kind == Kind::Http) {
                if now.saturating_duration_since(e.last_seen) <= self.ttl {
                    e.last_seen = now;
                    return Ok((id.to_string(), e.state.clone()));
                }
            }
        }
        let id = id.map_or_else(new_id, str::to_string);
        entries.remove(&id);
        self.insert(&mut entries, id, Kind::Http, now)
    }

    /// Registers a WebSocket session; it lives until the guard is dropped.
    pub fn open_ws(self: &Arc<Self>, now: Instant) -> Result<WsSession, ApiError> {
        let mut entries = self.entries();
        let (id, state) = self.insert(&mut entries, new_id(), Kind::Ws, now)?;
        Ok(WsSession {
            sessions: self.clone(),
            id,
            state,
        })
    }

    fn insert(
        &self,
        entries: &mut HashMap<String, Entry>,
        id: String,
        kind: Kind,
        now: Instant,
    ) -> Result<(String, SessionRef), ApiError> {
        if entries.len() >= self.max {
            return Err(ApiError::TooManySessions);
        }
        let state = Arc::new(Mutex::new(Session::new(self.classifier.clone())));
        entries.insert(
            id.clone(),
            Entry {
                kind,
                state: state.clone(),
                created: now,
                last_seen: now,
            },
        );
        Ok((id, state))
    }

    /// Forgets HTTP sessions idle for longer than the TTL; returns how many.
    pub fn expire(&self, now: Instant) -> usize {
        let mut entries = self.entries();
        let before = entries.len();
        entries.retain(|_, e| {
            e.kind == Kind::Ws || now.saturating_duration_since(e.last_seen) <= self.ttl
        });
        before - entries.len()
    }

    /// Live (WebSocket, HTTP) sessions.
    pub fn counts(&self) -> (usize, usize) {
        let entries = self.entries();
        let ws = entries.values().filter(|e| e.kind == Kind::Ws).count();
        (ws, entries.len() - ws)
    }

    pub fn summaries(&self, now: Instant) -> Vec<Summary> {
        let states: Vec<(Kind, Instant, Instant, SessionRef)> = self
            .entries()
            .values()
            .map(|e| (e.kind, e.created, e.last_seen, e.state.clone()))
            .collect();
        states
            .into_iter()
            .map(|(kind, created, last_seen, state)| {
                let s = lock(&state);
                Summary {
                    kind,
                    age_secs: now.saturating_duration_since(created).as_secs_f64(),
                    idle_secs: now.saturating_duration_since(last_seen).as_secs_f64(),
                    frames: s.frames,
                    dropped: s.dropped,
                    words: s.recognizer.word_count(),
                }
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
    pub state: SessionRef,
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
    fn same_id_gets_the_same_state_until_it_expires() {
        let s = sessions(10, Duration::from_secs(60));
        let t0 = Instant::now();
        let (id, a) = s.http(None, t0).unwrap();
        let (_, b) = s.http(Some(&id), t0 + Duration::from_secs(59)).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(
            s.expire(t0 + Duration::from_secs(100)),
            0,
            "touched at 59 s, so alive at 100 s"
        );
        assert_eq!(s.expire(t0 + Duration::from_secs(120)), 1);
        let (_, c) = s.http(Some(&id), t0 + Duration::from_secs(121)).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
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
    fn ids_are_32_hex_chars_and_valid() {
        let id = new_id();
        assert_eq!(id.len(), 32);
        assert!(valid_id(&id));
        assert!(!valid_id("short"));
        assert!(!valid_id("has space in it"));
    }
}
